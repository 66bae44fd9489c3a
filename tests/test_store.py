"""The Chroma store: idempotent ingest, replacement of changed documents, persistence, parameters."""

from __future__ import annotations

import dataclasses

import pytest

from assistant import build_assistant
from assistant.corpus import Document
from assistant.store import StoreError, nodes_for_document
from assistant.types import KIND_PARAGRAPH, KIND_RENDERING, KIND_SENTENCE

pytestmark = pytest.mark.slow


def test_nodes_carry_ids_offsets_and_renderings():
    document = Document(id="doc", text="جملة أولى. جملة ثانية.\nفقرة ثانية.", translations={"p1.s1": "First."})
    nodes = nodes_for_document(document, ingested_at=0.0)
    kinds = [node.metadata["kind"] for node in nodes]
    assert kinds == [KIND_PARAGRAPH, KIND_SENTENCE, KIND_RENDERING, KIND_SENTENCE, KIND_PARAGRAPH, KIND_SENTENCE]
    for node in nodes:
        if node.metadata["kind"] == KIND_SENTENCE:
            assert document.text[node.metadata["start"] : node.metadata["end"]] == node.get_content()
    assert nodes[2].get_content() == "First." and nodes[2].metadata["sentence_id"] == "p1.s1"
    assert len({node.node_id for node in nodes}) == len(nodes)


def test_the_corpus_is_stored_once(assistant):
    documents = assistant.documents()
    assert [d.id for d in documents] == ["coalition-communique"]
    assert documents[0].sentences == 24 and documents[0].paragraphs == 21


def test_ingest_is_idempotent_and_replaces_changed_documents(fresh_settings, tmp_path):
    assistant = build_assistant(fresh_settings)
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


def test_store_persists_across_instances(fresh_settings):
    first = build_assistant(fresh_settings).warm_up()
    count = first._store.count()  # noqa: SLF001
    second = build_assistant(fresh_settings).warm_up()
    assert second._store.count() == count  # noqa: SLF001
    assert second.ask("Where is the coalition's military leadership based?").citations[0].sentence_id == "p10.s1"


def test_a_store_built_with_another_model_is_refused(fresh_settings):
    build_assistant(fresh_settings).warm_up()
    other = dataclasses.replace(fresh_settings, embedding_model=str(fresh_settings.model_cache_dir / "x"))
    from assistant.store import IndexParams, SentenceStore

    with pytest.raises(StoreError, match="was built with embedding_model"):
        SentenceStore(other, IndexParams(embedding_model="some-other-model")).count()


def test_remove_document(fresh_settings):
    assistant = build_assistant(fresh_settings)
    assert assistant.remove("coalition-communique") is True
    assert assistant.documents() == []
    assert assistant.remove("coalition-communique") is False
    assert assistant.ask("What does the Counter ISIS Finance Group focus on?").abstained


def test_rebuild_recovers_an_index_built_with_another_model(fresh_settings, assistant, tmp_path):
    from assistant.corpus import load_file
    from assistant.store import IndexParams, SentenceStore

    note = tmp_path / "note.txt"
    note.write_text("ملاحظة قصيرة عن اجتماع التحالف في الكويت.\n", encoding="utf-8")
    old = SentenceStore(fresh_settings, IndexParams(embedding_model="an-older-model"))
    old.add_document(load_file(note), assistant._embed_model)  # noqa: SLF001 - any real embedder will do

    stale = build_assistant(fresh_settings)
    with pytest.raises(StoreError, match="assistant ingest --rebuild"):
        stale.warm_up()
    results = stale.rebuild()
    assert [(r.document_id, r.changed) for r in results] == [("note", True)]
    assert sorted(d.id for d in stale.documents()) == ["coalition-communique", "note"]
    assert not stale.ask("Where is the coalition's military leadership based?").abstained
