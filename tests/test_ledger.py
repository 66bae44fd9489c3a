"""The sources ledger: ids that never collide silently, and a rebuild that ends with every document
even when it was killed (a real process, a real SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from assistant import build_assistant
from assistant.corpus import CorpusError, Document
from assistant.ledger import LedgerEntry, assign_ids
from assistant.settings import PROJECT_ROOT

WORKING_GROUPS = "ما هي مجموعات العمل التابعة للتحالف؟"


def _entry(document_id: str, origin: str, entry: str = "") -> LedgerEntry:
    return LedgerEntry(document_id, origin, entry, origin, "c", 0.0)


def test_a_known_source_keeps_its_id_and_a_new_one_gets_its_own():
    entries = [_entry("report", "/a/2023/report.pdf"), _entry("coalition-communique", "/corpus", "coalition-communique")]
    documents = [Document(id="report", text="x", origin="/a/2024/report.pdf"),
                 Document(id="report", text="y", origin="/a/2023/report.pdf"),
                 Document(id="coalition-communique", text="z", origin="/notes/Coalition Communique.txt"),
                 Document(id="report", text="w", origin="/a/2025/report.pdf")]
    assert [d.id for d in assign_ids(documents, entries, {})] == [
        "report-2", "report", "coalition-communique-2", "report-3"]


def test_a_store_filled_before_the_ledger_keeps_its_ids():
    stored = {"note": "/a/note.txt", "other": "/b/other.txt"}
    documents = [Document(id="note", text="x", source="/a/note.txt", origin="/a/note.txt"),
                 Document(id="other", text="y", source="/c/other.txt", origin="/c/other.txt")]
    assert [d.id for d in assign_ids(documents, [], stored)] == ["note", "other-2"]


def test_documents_built_in_code_are_known_by_their_id_not_their_description():
    documents = [Document(id="groups", text="x", source="test"), Document(id="other", text="y", source="test")]
    assert [d.id for d in assign_ids(documents, [], {})] == ["groups", "other"]
    known = [LedgerEntry("groups", "", "groups", "test", "c", 0.0)]  # ingested before: it keeps its id
    assert [d.id for d in assign_ids(documents[:1], known, {})] == ["groups"]
    # A row from before, keyed by the description: the same document still keeps its id.
    assert [d.id for d in assign_ids(documents[:1], [_entry("groups", "test")], {})] == ["groups"]


def test_a_document_given_twice_is_stored_once_and_two_from_one_source_are_refused():
    note = Document(id="note", text="x", origin="/a/note.txt")
    assert [d.id for d in assign_ids([note, Document(id="other", text="y"), note], [], {})] == ["note", "other"]
    with pytest.raises(CorpusError, match="groups: two different documents from one source in one ingest"):
        assign_ids([Document(id="groups", text="x"), Document(id="groups", text="y")], [], {})
    with pytest.raises(CorpusError, match="in one ingest \\(/a/note.txt\\)"):
        assign_ids([note, Document(id="note", text="changed", origin="/a/note.txt")], [], {})


@pytest.mark.slow
def test_two_documents_built_in_code_with_one_description_are_both_answered(fresh_settings):
    assistant = build_assistant(fresh_settings)
    assistant.ingest_documents([Document(id="wells", text="The oasis has 3 wells in its north.", source="test"),
                                Document(id="palms", text="The oasis has 40 palm trees in its south.", source="test")])
    stored = {info.id: info.sentences for info in assistant.documents()}
    assert stored.items() >= {"wells": 1, "palms": 1}.items()
    answer = assistant.ask("How many palm trees does the oasis have?")
    assert [c.document_id for c in answer.citations][:1] == ["palms"]
    assert assistant.ask("How many wells does the oasis have?").citations[0].document_id == "wells"


@pytest.mark.slow
def test_a_file_named_like_the_article_does_not_replace_it(fresh_settings, tmp_path):
    assistant = build_assistant(fresh_settings)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "Coalition Communique.txt").write_text("A short note about the communique.\n", encoding="utf-8")

    (result,) = assistant.ingest(notes / "Coalition Communique.txt")
    assert result.document_id == "coalition-communique-2"
    assert "'coalition-communique' belongs to another source" in result.note
    documents = {d.id: d.sentences for d in assistant.documents()}
    assert documents == {"coalition-communique": 24, "coalition-communique-2": 1}
    answer = assistant.ask(WORKING_GROUPS)
    assert not answer.abstained and answer.citations[0].document_id == "coalition-communique"

    # The same source, changed: replaced under the id it was given.
    (notes / "Coalition Communique.txt").write_text("A longer note. It has two sentences.\n", encoding="utf-8")
    (again,) = assistant.ingest(notes / "Coalition Communique.txt")
    assert (again.document_id, again.changed) == ("coalition-communique-2", True)
    assert {d.id: d.sentences for d in assistant.documents()} == {"coalition-communique": 24,
                                                                   "coalition-communique-2": 2}


@pytest.mark.slow
def test_two_reports_of_different_years_are_two_documents(fresh_settings, tmp_path):
    assistant = build_assistant(fresh_settings)
    for year in ("2023", "2024"):
        (tmp_path / year).mkdir()
        (tmp_path / year / "report.md").write_text(f"The annual report of {year} counts {year[-1]}0 wells.\n",
                                                   encoding="utf-8")
    assert [r.document_id for r in assistant.ingest(tmp_path / "2023" / "report.md")] == ["report"]
    assert [r.document_id for r in assistant.ingest(tmp_path / "2024" / "report.md")] == ["report-2"]
    # A folder with both, and both again: the ids stay with their files.
    assert [(r.document_id, r.changed) for r in assistant.ingest(tmp_path)] == [("report", False), ("report-2", False)]
    assert sorted(d.id for d in assistant.documents()) == ["coalition-communique", "report", "report-2"]
    answer = assistant.ask("How many wells does the annual report of 2023 count?")
    assert answer.citations[0].document_id == "report"

    # A removed document is forgotten: a rebuild does not bring it back.
    assert assistant.remove("report")
    rebuilt = {r.document_id for r in assistant.rebuild()}
    assert rebuilt == {"report-2"}
    assert sorted(d.id for d in assistant.documents()) == ["coalition-communique", "report-2"]


def _env(settings) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ASSISTANT_")}
    return env | {"ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_MODEL_DIR": str(settings.model_cache_dir),
                  "OPENBLAS_NUM_THREADS": "1"}


def _cli(settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], env=_env(settings), cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=900)


FILES = 12


@pytest.mark.slow
def test_a_rebuild_killed_midway_and_run_again_ends_with_every_document(fresh_settings, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    for n in range(FILES):
        (notes / f"note {n:02d}.txt").write_text(f"Pump station {n} of the oasis lifts {n * 13 + 7} litres a second.\n",
                                                 encoding="utf-8")
    first = _cli(fresh_settings, "ingest", str(notes))
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("ingested: note-") == FILES

    # One note per write (3 records: paragraph, sentence, marker), so that the kill lands between two.
    one_per_write = _env(fresh_settings) | {"ASSISTANT_INGEST_BATCH_RECORDS": "3"}
    rebuild = subprocess.Popen([sys.executable, "-u", "-m", "assistant", "ingest", "--rebuild"], env=one_per_write,
                               cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 600
    seen = 0
    while seen < 2 and time.monotonic() < deadline:  # the index is dropped and two notes are back
        line = rebuild.stdout.readline()
        assert line, "the rebuild ended before it could be killed"
        seen += line.startswith("re-ingested:")
    rebuild.send_signal(signal.SIGKILL)
    rebuild.wait()
    rebuild.stdout.close()

    listed = _cli(fresh_settings, "docs").stdout
    assert 0 < listed.count("note-") < FILES, "the kill must land while the rebuild is half done"

    again = _cli(fresh_settings, "ingest", "--rebuild")
    assert again.returncode == 0, again.stderr
    listed = _cli(fresh_settings, "docs").stdout
    assert sorted(line.split("\t")[0] for line in listed.splitlines()) == sorted(
        ["coalition-communique", *(f"note-{n:02d}" for n in range(FILES))])
    answer = _cli(fresh_settings, "ask", "How many litres a second does pump station 9 of the oasis lift?")
    assert "note-09" in answer.stdout and "124" in answer.stdout


@pytest.mark.slow
def test_a_rebuild_says_which_documents_built_in_code_it_cannot_read_again(fresh_settings, caplog):
    assistant = build_assistant(fresh_settings)
    assistant.ingest_documents([Document(id="wells", text="The oasis has 3 wells in its north.", source="test")])
    with caplog.at_level("WARNING"):
        assistant.rebuild()
    assert "cannot ingest wells again: it was built in code" in caplog.text
    assert "wells" not in {info.id for info in assistant.documents()}
