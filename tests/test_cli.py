"""The CLI as a user runs it: a real subprocess, on a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _run(settings, *args):
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(settings.data_dir), ASSISTANT_MODEL_DIR=str(settings.model_cache_dir))
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def cli_settings(tmp_path_factory, model_dir):
    from assistant import load_settings

    return load_settings(env={}, data_dir=tmp_path_factory.mktemp("cli"), model_dir=model_dir)


def test_ask_json_contract(cli_settings):
    result = _run(cli_settings, "ask", "--json", "What does the Counter ISIS Finance Group focus on?")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert {"question", "answer", "language", "abstained", "citations", "timings_ms"} <= set(payload)
    assert payload["language"] == "en" and not payload["abstained"]
    citation = payload["citations"][0]
    assert {"n", "sentence_id", "paragraph_id", "document_id", "quote", "start", "end", "score"} <= set(citation)
    assert citation["sentence_id"] == "p14.s1"


def test_ask_human_output(cli_settings):
    result = _run(cli_settings, "ask", "ما هي مجموعات العمل التابعة للتحالف؟")
    assert result.returncode == 0, result.stderr
    assert "[1]" in result.stdout and "p14.s1" in result.stdout


def test_help_names_the_retrieval_modes_as_a_user_types_them(cli_settings):
    help_text = _run(cli_settings, "ask", "--help").stdout
    assert "{hybrid,dense,bm25}" in help_text and "RetrievalMode." not in help_text
    result = _run(cli_settings, "ask", "--json", "--mode", "dense", "What does the Counter ISIS Finance Group focus on?")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["citations"][0]["sentence_id"] == "p14.s1"


def test_ingest_docs_remove(cli_settings, tmp_path):
    path = tmp_path / "extra.md"
    path.write_text("# Note\nThe coalition met in Kuwait on a Tuesday.\n", encoding="utf-8")
    assert "ingested: extra" in _run(cli_settings, "ingest", str(path)).stdout
    assert "unchanged: extra" in _run(cli_settings, "ingest", str(path)).stdout
    assert "extra" in _run(cli_settings, "docs").stdout
    assert _run(cli_settings, "remove", "extra").returncode == 0
    assert "extra" not in _run(cli_settings, "docs").stdout


def test_a_pdf_ingested_from_the_command_line_answers(cli_settings, tmp_path):
    from pdf_sample import FACT, FACT_PAGE, write_pdf

    assert ".pdf" in _run(cli_settings, "--help").stdout  # the ingest command names every type it reads
    pdf = write_pdf(tmp_path / "harbour_districts.pdf", pages=FACT_PAGE)
    assert "ingested: harbour_districts" in _run(cli_settings, "ingest", str(pdf)).stdout
    result = _run(cli_settings, "ask", "--json", "Who guards the amber lighthouse?")
    assert result.returncode == 0, result.stderr
    citation = json.loads(result.stdout)["citations"][0]
    assert citation["document_id"] == "harbour_districts" and citation["quote"] in FACT
    assert _run(cli_settings, "remove", "harbour_districts").returncode == 0


def test_errors_are_readable(cli_settings, tmp_path):
    empty = _run(cli_settings, "ask", "  ")
    assert empty.returncode == 1 and "error: the question is empty" in empty.stderr
    missing = _run(cli_settings, "ingest", str(tmp_path / "nope.txt"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    assert "Traceback" not in empty.stderr + missing.stderr


def test_ingesting_the_corpus_folder_uses_its_manifest(cli_settings):
    from assistant.settings import PROJECT_ROOT

    result = _run(cli_settings, "ingest", str(PROJECT_ROOT / "corpus"))
    assert result.returncode == 0, result.stderr
    assert "unchanged: coalition-communique" in result.stdout
    assert _run(cli_settings, "docs").stdout.count("\n") == 1


def _chat(settings, lines, *args):
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(settings.data_dir), ASSISTANT_MODEL_DIR=str(settings.model_cache_dir))
    return subprocess.run([sys.executable, "-m", "assistant", "chat", *args], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, env=env, timeout=300)


def test_chat_json_lines_follow_the_conversation(cli_settings, tmp_path):
    export = tmp_path / "conversation.json"
    result = _chat(cli_settings, [
        "What does the Stabilization Working Group do?",
        "What will it do in Syria?",
        "/sources 1",
        f"/export {export}",
        "/clear",
        "What will it do in Syria?",
        "/nonsense",
        " ",
        "ما دور مجموعة عمل الاتصالات؟",
    ], "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    first, follow_up, sources, exported, cleared, alone, unknown, arabic = lines
    assert first["leaned_on"] is None and first["citations"][0]["sentence_id"] == "p19.s1"
    assert follow_up["leaned_on"] == 1 and "p21.s1" in [c["sentence_id"] for c in follow_up["citations"]]
    assert sources == {"command": "sources", "turn": 1, "citations": first["citations"], "related": []}
    assert exported["turns"] == 2 and cleared == {"command": "clear"}
    assert alone["leaned_on"] is None  # the history was cleared
    assert "unknown command" in unknown["error"]
    assert arabic["language"] == "ar" and arabic["citations"][0]["sentence_id"] == "p17.s1"
    saved = json.loads(export.read_text(encoding="utf-8"))
    assert [t["question"] for t in saved["turns"]] == ["What does the Stabilization Working Group do?",
                                                       "What will it do in Syria?"]
    assert saved["turns"][1]["citations"][0]["document"].startswith("البيان الختامي")


def test_chat_sources_after_an_abstention_are_the_related_sentences(cli_settings):
    """A user checking a refusal got "[]" from /sources where the answer had offered related sentences."""
    question = "What is the boiling point of water on Mars?"
    result = _chat(cli_settings, [question, "/sources"], "--json")
    assert result.returncode == 0, result.stderr
    answer, sources = [json.loads(line) for line in result.stdout.splitlines()]
    assert answer["abstained"] and answer["related"]
    assert sources["citations"] == [] and sources["related"] == answer["related"]
    text = _chat(cli_settings, [question, "/sources"]).stdout
    assert "related sentences, not an answer" in text and answer["related"][0]["quote"][:40] in text


def test_chat_for_people_prints_answers_sources_and_markdown_export(cli_settings, tmp_path):
    export = tmp_path / "conversation.md"
    result = _chat(cli_settings, ["ماذا قال تيلرسون عن العملية العسكرية التركية؟", "وماذا عن عفرين؟", "/sources",
                                  f"/export {export}", "/quit", "never asked"])
    assert result.returncode == 0, result.stderr
    assert "(follow-up to question 1)" in result.stdout and "coalition-communique p3.s1" in result.stdout
    markdown = export.read_text(encoding="utf-8")
    assert "## 2. وماذا عن عفرين؟ (follow-up to turn 1)" in markdown and "`p3.s1`" in markdown
    assert "never asked" not in result.stdout


def test_chat_export_never_writes_over_a_file_nor_to_another_type(cli_settings, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("my own notes", encoding="utf-8")
    result = _chat(cli_settings, ["What does the Stabilization Working Group do?",
                                  f"/export {notes}", f"/export {tmp_path / 'notes.txt'}"], "--json")
    assert result.returncode == 0, result.stderr
    errors = [json.loads(line)["error"] for line in result.stdout.splitlines() if '"error"' in line]
    assert errors == [f"{notes} already exists: export to a new file", f"{tmp_path / 'notes.txt'}: export to a .md or a .json file"]
    assert notes.read_text(encoding="utf-8") == "my own notes" and not (tmp_path / "notes.txt").exists()
