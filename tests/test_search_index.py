"""The persisted search index (BM25 + catalog) on the real store and model: written once per store
version, loaded memory-mapped at the next start, rebuilt when its params or the store changed, and
ranking exactly as the retriever built from every node in memory."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant import build_assistant
from assistant.retrieval import FusionWeights, TwoStageRetriever, build_bm25, passage_nodes
from assistant.normalize import BilingualStemmer
from assistant.search_index import index_dir, index_texts, tokenize, version_hash
from assistant.settings import RetrievalMode
from assistant.types import KIND_PARAGRAPH, KIND_RENDERING, KIND_SENTENCE

pytestmark = pytest.mark.slow

QUESTIONS = [
    "What are the four pillars of the coalition's approach against ISIS?",
    "ما هي ركائز نهج التحالف لهزيمة داعش؟",
    "which city is the dateline of this news story?",  # matches a byline's role gloss
    "Where is the coalition's military leadership based?",
    "What is the recipe for hummus?",
]


def in_memory_retriever(assistant, weights: FusionWeights) -> TwoStageRetriever:
    """The retriever as start-up built it before: every node read, BM25 by llama-index's retriever."""
    store = assistant._store  # noqa: SLF001
    nodes = store.nodes(KIND_SENTENCE, KIND_RENDERING, KIND_PARAGRAPH)
    sentences = [n for n in nodes if n.metadata["kind"] == KIND_SENTENCE]
    paragraphs = [n for n in nodes if n.metadata["kind"] == KIND_PARAGRAPH]
    searchable = [n for n in nodes if n.metadata["kind"] != KIND_PARAGRAPH]
    return TwoStageRetriever(store.vector_store, assistant._embed_model, sentences, weights,  # noqa: SLF001
                             assistant.settings.candidates, searchable=searchable, paragraphs=paragraphs,
                             bm25=build_bm25(searchable, assistant.settings.candidates),
                             passage_bm25=build_bm25(passage_nodes(paragraphs, sentences), assistant.settings.candidates))


def ranking(retriever: TwoStageRetriever, question: str) -> list[tuple]:
    return [(h.node.node_id, h.node.get_content(), h.score, h.dense, h.lexical, h.passage_dense, h.passage_lexical)
            for h in retriever.retrieve(question)]


@pytest.mark.parametrize("mode", list(RetrievalMode))
def test_the_persisted_index_ranks_exactly_as_every_node_in_memory(assistant, mode):
    weights = FusionWeights.for_mode(mode)
    persisted = assistant._current_index().retrievers[mode]  # noqa: SLF001
    in_memory = (in_memory_retriever(assistant, weights).with_late(persisted._late)  # noqa: SLF001 - the same re-scoring
                 .with_cross_language(persisted._cross)  # noqa: SLF001 - calibration
                 .with_reranker(persisted._reranker))  # noqa: SLF001 - and reordering
    for question in QUESTIONS:
        assert ranking(persisted, question) == ranking(in_memory, question), question


def test_the_index_is_written_once_and_loaded_memory_mapped_at_the_next_start(fresh_settings):
    first = build_assistant(fresh_settings).warm_up()
    folders = list(index_dir(fresh_settings).iterdir())
    assert [f.name for f in folders] == [version_hash(first._store.version())]  # noqa: SLF001
    params = folders[0] / "params.json"
    written = params.stat().st_mtime_ns

    second = build_assistant(fresh_settings).warm_up()
    index = second._current_index().search  # noqa: SLF001
    assert params.stat().st_mtime_ns == written  # loaded, not built again
    assert isinstance(index.bm25.scores["data"], np.memmap)
    assert isinstance(index.passage_bm25.scores["data"], np.memmap)
    # Each record's language is kept (retrieval calibrates matches across languages by it).
    assert {index.languages[r.record] for r in index.records if r.kind == KIND_SENTENCE} == {"ar"}
    assert {index.languages[r.record] for r in index.records if r.kind == KIND_RENDERING} == {"en"}
    assert {index.languages[record] for record, _ in index.paragraphs} == {"ar"}
    question = QUESTIONS[0]
    assert second.retrieve(question) == first.retrieve(question)


def test_an_index_written_with_other_params_is_rebuilt(fresh_settings):
    assistant = build_assistant(fresh_settings).warm_up()
    question = QUESTIONS[1]
    expected = assistant.retrieve(question)
    folder = next(index_dir(fresh_settings).iterdir())
    params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
    (folder / "params.json").write_text(json.dumps(params | {"tokenizer": "another stemmer"}), encoding="utf-8")

    again = build_assistant(fresh_settings).warm_up()
    assert json.loads((folder / "params.json").read_text(encoding="utf-8")) == params
    assert again.retrieve(question) == expected


def test_an_ingest_or_a_remove_gives_a_new_index_and_drops_the_old(fresh_settings, tmp_path):
    assistant = build_assistant(fresh_settings).warm_up()
    before = {f.name for f in index_dir(fresh_settings).iterdir()}
    note = tmp_path / "note.txt"
    note.write_text("The Lantern Society meets in Reykjavik every spring.\n", encoding="utf-8")
    assistant.ingest(note)
    after = {f.name for f in index_dir(fresh_settings).iterdir()}
    assert after == {version_hash(assistant._store.version())} and after != before  # noqa: SLF001
    assert assistant.retrieve("Where does the Lantern Society meet?", mode=RetrievalMode.BM25)[0][0] == "note"

    assistant.remove("note")
    assert {f.name for f in index_dir(fresh_settings).iterdir()} == before
    assert all(doc != "note" for doc, _, _ in assistant.retrieve("Where does the Lantern Society meet?"))


def test_a_damaged_index_is_rebuilt(fresh_settings):
    assistant = build_assistant(fresh_settings).warm_up()
    question = QUESTIONS[0]
    expected = assistant.retrieve(question)
    folder = next(index_dir(fresh_settings).iterdir())
    (folder / "catalog.json").write_text("{", encoding="utf-8")

    again = build_assistant(fresh_settings).warm_up()
    assert again.retrieve(question) == expected
    assert json.loads((folder / "catalog.json").read_text(encoding="utf-8"))["records"]


def test_bm25_does_not_match_the_words_inside_an_address():
    """The production tokenizer over a real bm25s index: an address is one token, so a question about
    people at Northwind scores the sentence about them, not the contact line."""
    texts = ["Questions about this policy should be sent to people-ops@northwind.example.",
             "Northwind gives people who work remotely a laptop and a monitor."]
    bm25 = index_texts(texts)
    docs, scores = bm25.retrieve(tokenize("Which people does Northwind pay?", BilingualStemmer()), k=2)
    assert docs[0][0] == 1 and scores[0][1] == 0
    docs, scores = bm25.retrieve(tokenize("Who reads people-ops@northwind.example?", BilingualStemmer()), k=2)
    assert docs[0][0] == 0 and scores[0][0] > 0
