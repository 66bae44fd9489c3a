"""The Chroma store: idempotent ingest, replacement of changed documents, persistence, parameters,
server mode and its failures."""

from __future__ import annotations

import dataclasses

import pytest
from llama_index.core.schema import MetadataMode

from assistant import build_assistant
from assistant.corpus import Document
from assistant.store import StoreError, nodes_for_document
from assistant.types import KIND_DOCUMENT, KIND_PARAGRAPH, KIND_RENDERING, KIND_SENTENCE

pytestmark = pytest.mark.slow


def test_nodes_carry_ids_offsets_and_renderings():
    document = Document(id="doc", text="جملة أولى. جملة ثانية.\nفقرة ثانية.", translations={"p1.s1": "First."})
    nodes = nodes_for_document(document, ingested_at=0.0)
    kinds = [node.metadata["kind"] for node in nodes]
    assert kinds == [KIND_PARAGRAPH, KIND_SENTENCE, KIND_RENDERING, KIND_SENTENCE, KIND_PARAGRAPH, KIND_SENTENCE,
                     KIND_DOCUMENT]
    assert nodes[-1].metadata["sentences"] == 3 and nodes[-1].metadata["paragraphs"] == 2
    for node in nodes:
        if node.metadata["kind"] == KIND_SENTENCE:
            assert document.text[node.metadata["start"] : node.metadata["end"]] == node.get_content()
    assert nodes[2].get_content() == "First." and nodes[2].metadata["sentence_id"] == "p1.s1"
    assert len({node.node_id for node in nodes}) == len(nodes)


def test_a_table_row_is_embedded_with_its_cells_named_by_the_header():
    """"| Kuwait | 2.1 | Thermal |" says what its cells are only by its place under the header."""
    text = "| Country | Capacity | Main technology |\n| --- | --- | --- |\n| Kuwait | 2.1 | Thermal |\n"
    nodes = nodes_for_document(Document(id="plants", text=text, language="en"), ingested_at=0.0)
    header, row = [node for node in nodes if node.metadata["kind"] == KIND_SENTENCE]
    assert row.get_content() == "| Kuwait | 2.1 | Thermal |"  # the quote stays the source's
    assert "Country: Kuwait; Capacity: 2.1; Main technology: Thermal" in row.get_content(MetadataMode.EMBED)
    assert "table row" not in header.metadata


def test_the_corpus_is_stored_once(assistant):
    documents = assistant.documents()
    assert [d.id for d in documents] == ["coalition-communique"]
    assert documents[0].sentences == 24 and documents[0].paragraphs == 21


def test_ingest_is_idempotent_and_replaces_changed_documents(store_settings, tmp_path):
    assistant = build_assistant(store_settings)
    path = tmp_path / "note.txt"
    path.write_text("التحالف يجتمع في الكويت. الاجتماع ناجح.\n", encoding="utf-8")
    assert [r.changed for r in assistant.ingest(path)] == [True]
    before = assistant._store.count()  # noqa: SLF001 - the raw count is what idempotence means
    assert [r.changed for r in assistant.ingest(path)] == [False]
    assert assistant._store.count() == before  # noqa: SLF001

    path.write_text("التحالف يجتمع في بغداد.\n", encoding="utf-8")
    assert [r.changed for r in assistant.ingest(path)] == [True]
    note = next(d for d in assistant.documents() if d.id == "note")
    assert note.sentences == 1
    answer = assistant.ask("أين يجتمع التحالف؟ بغداد")
    assert all("الكويت" not in c.quote or c.document_id != "note" for c in answer.citations)


def test_documents_are_written_together_and_a_long_one_in_parts(fresh_settings, tmp_path):
    settings = dataclasses.replace(fresh_settings, ingest_batch_records=8)
    assistant = build_assistant(settings).warm_up()
    for name in ("a", "b", "c"):  # one paragraph each: 3 records (paragraph, sentence, marker)
        (tmp_path / f"{name}.txt").write_text(f"Pump {name} lifts water from the well.\n", encoding="utf-8")
    (tmp_path / "long.txt").write_text("".join(f"Station {n} of the oasis stores {n * 7 + 3} barrels of grain.\n"
                                               for n in range(6)), encoding="utf-8")  # 6 paragraphs: 13 records
    writes: list[tuple[str, int, int]] = []
    results = assistant.ingest(*(tmp_path / f"{n}.txt" for n in ("a", "b", "c", "long")),
                               on_progress=lambda document, done, total: writes.append((document, done, total)))

    assert [(r.document_id, r.changed) for r in results] == [("a", True), ("b", True), ("c", True), ("long", True)]
    # The three notes went in one write (they reach their total before any record of the long one).
    assert writes[:3] == [("a", 3, 3), ("b", 3, 3), ("c", 3, 3)]
    long = [(done, total) for document, done, total in writes if document == "long"]
    assert len(long) >= 2 and long == sorted(long) and long[-1] == (13, 13), writes
    answer = assistant.ask("How many barrels of grain does station 5 of the oasis store?")
    assert "38" in answer.citations[0].quote and answer.citations[0].document_id == "long"
    assert assistant.incomplete() == []


def test_the_version_follows_writes_made_through_any_instance(store_settings, tmp_path):
    from assistant.embedding import embedding_model_id
    from assistant.store import IndexParams, SentenceStore

    writer = build_assistant(store_settings).warm_up()
    reader = SentenceStore(store_settings, IndexParams(embedding_model_id(store_settings)))
    before = reader.version()
    assert reader.version() == before == {("coalition-communique", d.checksum) for d in writer.documents()}
    note = tmp_path / "note.txt"
    note.write_text("The oasis has three wells.\n", encoding="utf-8")
    writer.ingest(note)
    checksum = next(d.checksum for d in writer.documents() if d.id == "note")
    assert reader.version() == before | {("note", checksum)}
    note.write_text("The oasis has four wells.\n", encoding="utf-8")
    writer.ingest(note)
    changed = next(d.checksum for d in writer.documents() if d.id == "note")
    assert changed != checksum and reader.version() == before | {("note", changed)}
    writer.remove("note")
    assert reader.version() == before


def test_store_persists_across_instances(store_settings):
    first = build_assistant(store_settings).warm_up()
    count = first._store.count()  # noqa: SLF001
    second = build_assistant(store_settings).warm_up()
    assert second._store.count() == count  # noqa: SLF001
    assert second.ask("Where is the coalition's military leadership based?").citations[0].sentence_id == "p10.s1"


def test_hnsw_search_breadth_is_set_even_on_a_collection_made_with_chroma_defaults(store_settings):
    from assistant.embedding import embedding_model_id
    from assistant.store import HNSW_EF_SEARCH, IndexParams, SentenceStore, _client, collection_name

    params = IndexParams(embedding_model_id(store_settings))
    made = _client(store_settings).create_collection(
        collection_name(store_settings.namespace), metadata=params.as_metadata(), embedding_function=None)
    assert made.configuration_json["hnsw"]["ef_search"] != HNSW_EF_SEARCH  # Chroma's default (100)
    opened = SentenceStore(store_settings, params).vector_store.client
    assert opened.configuration_json["hnsw"]["ef_search"] == HNSW_EF_SEARCH
    again = _client(store_settings).get_collection(collection_name(store_settings.namespace))
    assert again.configuration_json["hnsw"]["ef_search"] == HNSW_EF_SEARCH  # persisted, not per process


def test_a_store_built_with_another_model_is_refused(fresh_settings):
    build_assistant(fresh_settings).warm_up()
    from assistant.store import IndexParams, SentenceStore

    with pytest.raises(StoreError, match="was built with embedding_model"):
        SentenceStore(fresh_settings, IndexParams(embedding_model="some-other-model")).count()


def test_remove_document(store_settings):
    assistant = build_assistant(store_settings)
    assert assistant.remove("coalition-communique") is True
    assert assistant.documents() == []
    assert assistant.remove("coalition-communique") is False
    assert assistant.ask("What does the Counter ISIS Finance Group focus on?").abstained


@pytest.mark.parametrize("older", ["model", "segmenter"])
def test_rebuild_recovers_an_index_built_with_another_model_or_segmenter(store_settings, assistant, tmp_path, older):
    from assistant.corpus import load_file
    from assistant.embedding import embedding_model_id
    from assistant.segmentation import SEGMENTATION_VERSION
    from assistant.store import IndexParams, SentenceStore

    note = tmp_path / "note.txt"
    note.write_text("ملاحظة قصيرة عن اجتماع التحالف في الكويت.\n", encoding="utf-8")
    params = (IndexParams(embedding_model="an-older-model") if older == "model"
              else IndexParams(embedding_model_id(store_settings), SEGMENTATION_VERSION - 1))
    old = SentenceStore(store_settings, params)
    list(old.add_documents([load_file(note)], assistant._embed_model))  # noqa: SLF001 - any real embedder will do

    stale = build_assistant(store_settings)
    with pytest.raises(StoreError, match="assistant ingest --rebuild"):
        stale.warm_up()
    results = stale.rebuild()
    assert [(r.document_id, r.changed) for r in results] == [("note", True)]
    assert sorted(d.id for d in stale.documents()) == ["coalition-communique", "note"]
    assert not stale.ask("Where is the coalition's military leadership based?").abstained


def test_a_server_that_is_down_at_start_is_named(fresh_settings):
    from conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    settings = dataclasses.replace(fresh_settings, chroma_url=url)
    with pytest.raises(StoreError, match=f"Chroma server at {url}"):
        build_assistant(settings).warm_up()


def test_a_data_directory_that_cannot_be_used_is_named(fresh_settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    settings = dataclasses.replace(fresh_settings, data_dir=blocker / "data")
    with pytest.raises(StoreError, match="cannot use the data directory"):
        build_assistant(settings).warm_up()


def test_a_server_lost_mid_session_fails_one_request_and_the_next_reconnects(fresh_settings, tmp_path):
    from conftest import ChromaServer

    server = ChromaServer(tmp_path / "server").start()
    restarted = ChromaServer(server.path, port=server.port)
    try:
        assistant = build_assistant(dataclasses.replace(fresh_settings, chroma_url=server.url)).warm_up()
        question = "Where is the coalition's military leadership based?"
        assert assistant.ask(question).citations[0].sentence_id == "p10.s1"
        server.stop()
        with pytest.raises(StoreError, match=server.url):
            assistant.ask(question)
        restarted.start()
        assert assistant.ask(question).citations[0].sentence_id == "p10.s1"
    finally:
        server.stop()
        restarted.stop()  # the same object that started it: it holds the process


def test_an_ingest_killed_midway_leaves_no_half_document(fresh_settings, chroma_url, tmp_path):
    """A real ingest process is SIGKILLed while it writes; readers never see a partial document."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import uuid

    import chromadb

    from assistant.store import collection_name

    settings = dataclasses.replace(fresh_settings, chroma_url=chroma_url, namespace=f"k{uuid.uuid4().hex[:12]}")
    assistant = build_assistant(settings).warm_up()
    corpus_nodes = assistant._store.count()  # noqa: SLF001
    big = tmp_path / "big.txt"
    big.write_text("\n".join(f"الفقرة رقم {i} عن اجتماع الطاقة الشمسية في مدينة رقم {i}." for i in range(1500)) + "\n",
                   encoding="utf-8")
    env = dict(os.environ, ASSISTANT_CHROMA_URL=chroma_url, ASSISTANT_NAMESPACE=settings.namespace,
               ASSISTANT_DATA_DIR=str(settings.data_dir), ASSISTANT_MODEL_DIR=str(settings.model_cache_dir))
    ingest = subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(big)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    collection = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_url.rsplit(":", 1)[1])).get_collection(
        collection_name(settings.namespace))
    deadline = time.monotonic() + 240
    while collection.count() <= corpus_nodes and time.monotonic() < deadline and ingest.poll() is None:
        time.sleep(0.05)
    ingest.send_signal(signal.SIGKILL)
    ingest.wait()
    partial = collection.count() - corpus_nodes
    assert 0 < partial < 3001, "the kill must land while the document is half written"

    assert [d.id for d in assistant.documents()] == ["coalition-communique"]
    answer = assistant.ask("ما هي الفقرة رقم 7 عن اجتماع الطاقة الشمسية؟")
    assert all(c.document_id != "big" for c in answer.citations)
    # The server may be shared, so nothing is removed behind a user's back: `docs` lists the
    # unfinished version and `remove` deletes it.
    assert [(v.document_id, v.records) for v in assistant.incomplete()] == [("big", partial)]
    assert assistant.remove("big") is True
    assert assistant.incomplete() == [] and collection.count() == corpus_nodes

    assert [r.changed for r in assistant.ingest(big)] == [True]
    big_info = next(d for d in assistant.documents() if d.id == "big")
    assert big_info.sentences == 1500
    assert collection.count() == corpus_nodes + 1500 * 2 + 1  # paragraphs, sentences, one marker


def test_records_of_an_ingest_killed_midway_are_removed_at_the_next_start(fresh_settings, tmp_path):
    """A real `assistant ingest` of a big file, SIGKILLed while it writes (its progress bar says so)."""
    import os
    import re
    import signal
    import subprocess
    import sys
    import time

    from assistant.embedding import embedding_model_id
    from assistant.settings import PROJECT_ROOT
    from assistant.store import IndexParams, SentenceStore

    env = {key: value for key, value in os.environ.items() if not key.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_DATA_DIR": str(fresh_settings.data_dir), "ASSISTANT_MODEL_DIR": str(fresh_settings.model_cache_dir)}
    big = tmp_path / "big.txt"
    big.write_text("\n".join(f"الفقرة رقم {i} عن بئر الواحة رقم {i}." for i in range(1500)) + "\n", encoding="utf-8")
    ingest = subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(big)], env=env, cwd=PROJECT_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    shown = b""
    deadline = time.monotonic() + 600
    while not re.search(rb"storing big: .*?\b([1-9]\d*)/3001", shown) and time.monotonic() < deadline:
        chunk = os.read(ingest.stderr.fileno(), 4096)
        assert chunk, shown[-2000:]
        shown += chunk
    ingest.send_signal(signal.SIGKILL)
    ingest.wait()
    ingest.stderr.close()

    store = SentenceStore(fresh_settings, IndexParams(embedding_model_id(fresh_settings)))
    leftovers, with_leftovers = store.incomplete(), store.count()
    assert [v.document_id for v in leftovers] == ["big"] and 0 < leftovers[0].records < 3001

    assistant = build_assistant(fresh_settings).warm_up()  # the next start removes them
    assert assistant.incomplete() == []
    assert [d.id for d in assistant.documents()] == ["coalition-communique"]
    assert assistant._store.count() == with_leftovers - leftovers[0].records  # noqa: SLF001
