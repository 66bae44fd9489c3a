"""Late interaction (assistant/late_interaction.py): token states kept at ingest, MaxSim re-scoring."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from assistant import build_assistant
from assistant.corpus import Document
from assistant.embedding import E5_PASSAGE_PREFIX, embedding_model_id, load_embed_model
from assistant.late_interaction import (
    TOKEN_STATES_DIR,
    TokenStates,
    embedded_texts,
    maxsim,
    pack,
    project,
    unpack,
)
from assistant.retrieval import FusionWeights
from assistant.settings import RetrievalMode


@hypothesis_settings(max_examples=50, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 12), st.integers(1, 48)),
              elements=st.floats(-50, 50, width=32)).filter(lambda m: (np.abs(m).max(axis=1) > 1e-3).all()))
def test_packed_states_keep_each_token_direction(matrix):
    rows = unpack(pack(matrix), *matrix.shape)
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    assert rows.shape == matrix.shape
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert (np.sum(rows * unit, axis=1) > 0.99).all()


def test_maxsim_is_the_mean_of_each_question_token_best_match():
    question = np.eye(3, dtype=np.float32)[:2]  # tokens along x and y
    passage = np.array([[1, 0, 0], [0, 0, 1]], dtype=np.float32)  # x matched, y not at all
    assert maxsim(question, passage) == pytest.approx(0.5)
    assert maxsim(question, question) == pytest.approx(1.0)
    assert maxsim(question, np.empty((0, 3), dtype=np.float32)) == 0.0


def test_maxsim_reads_a_sentence_with_the_one_before_it():
    question = np.eye(3, dtype=np.float32)[:2]
    passage = np.array([[1, 0, 0]], dtype=np.float32)  # matches x
    before = np.array([[0, 0.8, 0.6], [0.9, 0, 0.44]], dtype=np.float32)  # y at 0.8, x less than passage's
    assert maxsim(question, passage, before) == pytest.approx((1.0 + 0.8) / 2)
    assert maxsim(question, passage, np.empty((0, 3), dtype=np.float32)) == maxsim(question, passage)
    assert maxsim(question, np.empty((0, 3), dtype=np.float32), before) == 0.0  # no sentence, no match


@hypothesis_settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_sentence_before_lends_its_tokens_and_never_lowers_a_match(seed):
    rng = np.random.default_rng(seed)
    unit = lambda n: (m := rng.normal(size=(n, 8)).astype(np.float32)) / np.linalg.norm(m, axis=1, keepdims=True)  # noqa: E731
    question, passage, before = unit(rng.integers(1, 6)), unit(rng.integers(1, 9)), unit(rng.integers(1, 9))
    assert maxsim(question, passage, before) >= maxsim(question, passage) - 1e-6
    # float32 sums in another order: equal to float32's precision, not relative to a mean near 0.
    assert maxsim(question, passage, before) == pytest.approx(maxsim(question, np.vstack([passage, before])), abs=1e-6)


def test_token_states_are_the_texts_own_tokens_from_the_same_pass(fresh_settings):
    encoder = load_embed_model(fresh_settings)
    texts = ["الرئيس الحالي لسنغافورة هو حليمة يعقوب.", "The coalition has four pillars."]
    vectors, states = encoder.encode_with_states(texts, E5_PASSAGE_PREFIX)
    assert np.allclose(vectors, encoder.encode([E5_PASSAGE_PREFIX + t for t in texts]), atol=1e-5)
    for text, rows in zip(texts, states):
        # One row per token of the text itself: no <s>, </s> or "passage:" prefix tokens.
        assert len(rows) == len(encoder._tokenizer.encode(text).ids) - 2  # noqa: SLF001
        assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    _, only_first = encoder.encode_with_states(texts, E5_PASSAGE_PREFIX, keep=[True, False])
    assert np.allclose(only_first[0], states[0], atol=1e-5) and only_first[1].size == 0


def test_ingest_keeps_every_sentence_and_rendering_states(assistant):
    store = assistant._token_states  # noqa: SLF001
    index = assistant._current_index()  # noqa: SLF001
    sentences = index.sentences((r.key[0], r.key[2]) for r in index.search.sentences)
    texts = [text for node in sentences.values() for text in embedded_texts(node)]
    assert len(texts) > len(sentences) > 20  # the article's sentences carry English renderings
    assert set(store.get_many(texts)) == set(texts)


def test_rescoring_keeps_the_best_match_and_orders_by_score(assistant):
    question = "Which countries did Tillerson say the coalition should work with?"
    ranking = assistant.rank(question)
    top = ranking.hits[:10]
    assert all(hit.late > 0 for hit in top)
    assert [h.score for h in ranking.hits] == sorted((h.score for h in ranking.hits), reverse=True)
    # The candidate that matches best token by token keeps its fused score; every other loses what it matches less.
    plain = assistant._current_index().retrievers[RetrievalMode.HYBRID].with_late(None)  # noqa: SLF001
    before = {(h.node.metadata["document_id"], h.node.metadata["sentence_id"]): h.score
              for h in plain.retrieve(question)}
    best = max(top, key=lambda hit: hit.late)
    assert best.score == pytest.approx(before[best.ref])
    for hit in top:
        assert hit.score == pytest.approx(before[hit.ref] + 0.5 * (hit.late - best.late))
    assert all(hit.score <= before[hit.ref] + 1e-9 for hit in ranking.hits)


def test_bm25_mode_is_not_rescored(assistant):
    assert FusionWeights.for_mode(RetrievalMode.BM25).late == 0
    assert all(hit.late == 0 for hit in assistant.rank("What are the pillars?", RetrievalMode.BM25).hits)


def test_missing_states_are_computed_when_first_needed_and_kept(fresh_settings):
    settings = dataclasses.replace(fresh_settings, corpus_dir=fresh_settings.data_dir / "no-corpus")
    assistant = build_assistant(settings)
    document = Document(id="rivers", title="Rivers", language="en", source="test",
                        text="The Nile flows north into the Mediterranean Sea. The Amazon carries more water than any other river.")
    assistant.ingest_documents([document])
    first = assistant.rank("Which river carries the most water?")
    # A store built before token states were kept (or by another machine through a Chroma server).
    assistant._token_states.close()  # noqa: SLF001
    shutil.rmtree(settings.data_dir / TOKEN_STATES_DIR)
    again = build_assistant(settings).rank("Which river carries the most water?")
    assert [h.ref for h in again.hits] == [h.ref for h in first.hits]
    assert [h.late for h in again.hits] == pytest.approx([h.late for h in first.hits], abs=0.01)
    nodes = assistant._current_index().sentences(h.ref for h in first.hits).values()  # noqa: SLF001
    kept = TokenStates.for_settings(settings, embedding_model_id(settings))
    assert len(kept.get_many(embedded_texts(node)[0] for node in nodes)) == len(first.hits) == 2


# Two documents that share one text: RIVERS' English rendering of its second sentence is DELTAS' first sentence.
NILE, NILE_EN = "يجري النيل شمالا إلى البحر المتوسط.", "The Nile flows north into the Mediterranean Sea."
AMAZON, AMAZON_EN = "يحمل الأمازون مياها أكثر من أي نهر آخر.", "The Amazon carries more water than any other river."
DELTA = "Deltas form where rivers meet the sea."
RIVERS = Document(id="rivers", title="Rivers", language="ar", source="rivers.txt", text=f"{NILE} {AMAZON}",
                  translations={"p1.s1": NILE_EN, "p1.s2": AMAZON_EN})
DELTAS = Document(id="deltas", title="Deltas", language="en", source="deltas.txt", text=f"{AMAZON_EN} {DELTA}")
TEXTS = [NILE, NILE_EN, AMAZON, AMAZON_EN, DELTA]


def _without_corpus(settings):
    return build_assistant(dataclasses.replace(settings, corpus_dir=settings.data_dir / "no-corpus"))


def _kept(assistant, texts=TEXTS) -> set[str]:
    return set(TokenStates.for_settings(assistant.settings, embedding_model_id(assistant.settings)).get_many(texts))


def test_removing_a_document_forgets_the_token_states_only_it_used(fresh_settings):
    assistant = _without_corpus(fresh_settings)
    assistant.ingest_documents([RIVERS, DELTAS])
    assert _kept(assistant) == set(TEXTS)
    path = assistant._token_states.path  # noqa: SLF001
    size = path.stat().st_size
    assert assistant.remove("rivers")
    assert _kept(assistant) == {AMAZON_EN, DELTA}  # the shared text keeps its row
    answer = assistant.ask("Which river carries the most water?")
    assert answer.citations[0].document_id == "deltas" and answer.citations[0].quote == AMAZON_EN
    assistant.remove("deltas")
    assert _kept(assistant) == set()
    assert path.stat().st_size < size  # the freed pages went back to the disk


def test_a_replaced_version_forgets_the_token_states_the_new_one_does_not_use(fresh_settings):
    assistant = _without_corpus(fresh_settings)
    assistant.ingest_documents([RIVERS])
    nile, nile_en = "يصب النيل في البحر المتوسط عند دلتا مصر.", "The Nile ends in the Mediterranean at Egypt's delta."
    assistant.ingest_documents([dataclasses.replace(RIVERS, text=f"{nile} {AMAZON}",
                                                    translations={"p1.s1": nile_en, "p1.s2": AMAZON_EN})])
    assert _kept(assistant, [*TEXTS, nile, nile_en]) == {AMAZON, AMAZON_EN, nile, nile_en}
    assert assistant.ask("Where does the Nile end?").citations[0].quote == nile


def test_an_unfinished_version_collected_at_start_takes_its_token_states(fresh_settings):
    first = _without_corpus(fresh_settings)
    first.ingest_documents([RIVERS, DELTAS])
    # What an ingest killed before its last write leaves: records without the document marker.
    first._store._collection.delete(where={"$and": [{"document_id": "rivers"}, {"kind": "document"}]})  # noqa: SLF001
    again = _without_corpus(fresh_settings).warm_up()  # the next start collects them
    assert again.incomplete() == []
    assert _kept(again) == {AMAZON_EN, DELTA}


def test_a_rebuild_keeps_only_the_token_states_of_what_it_stores_again(fresh_settings, tmp_path):
    assistant = _without_corpus(fresh_settings)
    path = tmp_path / "deltas.txt"
    path.write_text(DELTAS.text + "\n", encoding="utf-8")
    assistant.ingest(path)
    # A row no stored sentence uses, kept before uses were counted (or by a version since lost).
    _, states = load_embed_model(fresh_settings).encode_with_states([NILE_EN], E5_PASSAGE_PREFIX)
    assistant._token_states.put_many({NILE_EN: states[0]})  # noqa: SLF001
    assert _kept(assistant) == {NILE_EN, AMAZON_EN, DELTA}
    assistant.rebuild()
    assert _kept(assistant) == {AMAZON_EN, DELTA}
    assert assistant.ask("Where do deltas form?").citations[0].quote == DELTA


def test_token_states_computed_when_first_needed_are_forgotten_with_their_document(fresh_settings):
    assistant = _without_corpus(fresh_settings)
    assistant.ingest_documents([DELTAS])
    assistant._token_states.close()  # noqa: SLF001
    shutil.rmtree(fresh_settings.data_dir / TOKEN_STATES_DIR)  # a store built before token states were kept
    again = _without_corpus(fresh_settings)
    again.rank("Which river carries the most water?")
    assert _kept(again) == {AMAZON_EN, DELTA}
    again.remove("deltas")
    assert _kept(again) == set()


def test_a_namespace_keeps_the_token_states_another_namespace_forgets(fresh_settings):
    one, other = _without_corpus(fresh_settings), _without_corpus(dataclasses.replace(fresh_settings, namespace="other"))
    one.ingest_documents([DELTAS])
    other.ingest_documents([DELTAS])
    one.remove("deltas")
    assert _kept(other) == {AMAZON_EN, DELTA}


def test_a_failure_to_prune_is_logged_and_the_document_removed(fresh_settings, caplog):
    assistant = _without_corpus(fresh_settings)
    assistant.ingest_documents([DELTAS])
    states = assistant._token_states  # noqa: SLF001
    states.close()
    states.path.write_bytes(b"not a database" * 100)
    assert assistant.remove("deltas")
    assert assistant.documents() == []
    assert "token states of deltas not pruned" in caplog.text


def test_a_candidate_is_read_with_the_sentence_before_it_in_its_document(fresh_settings):
    """A sentence that names its subject by a pronoun ("It trains ...") borrows the name's tokens
    from the sentence before it in its paragraph; a paragraph of one sentence from the paragraph
    before; the first sentence of a longer paragraph, or of a document, has none to borrow."""
    assistant = _without_corpus(fresh_settings)
    document = Document(id="groups", title="Groups", language="en", source="test",
                        text="The Stabilization Working Group met in Kuwait in February. "
                             "It trains police officers in the liberated towns.\n\n"
                             "Police officers in Mosul asked for more training.\n\n"
                             "Officers in Erbil train the Working Group's recruits. They meet every week.")
    other = Document(id="other", title="Other", language="en", source="test",
                     text="Officers of the Working Group train in Mosul.")
    assistant.ingest_documents([document, other])
    question = "Which officers does the Stabilization Working Group train?"
    hits = {hit.ref: hit for hit in assistant.rank(question).hits}
    assert {("groups", "p1.s1"), ("groups", "p1.s2"), ("groups", "p2.s1"), ("groups", "p3.s1"),
            ("other", "p1.s1")} <= hits.keys()
    encoder = assistant._embed_model  # noqa: SLF001
    states = TokenStates.for_settings(assistant.settings, embedding_model_id(assistant.settings))
    q = project(encoder.query_token_states(question))
    nodes = assistant._current_index().sentences(hits)  # noqa: SLF001
    texts = {ref: embedded_texts(node)[0] for ref, node in nodes.items()}
    rows = {ref: states.get_many([text])[text] for ref, text in texts.items()}
    s1, s2, s3 = ("groups", "p1.s1"), ("groups", "p1.s2"), ("groups", "p2.s1")
    assert hits[s2].late == pytest.approx(maxsim(q, rows[s2], rows[s1]), abs=1e-5)
    assert hits[s2].late > maxsim(q, rows[s2]) + 0.01  # "Stabilization Working Group" came from p1.s1
    assert hits[s3].late == pytest.approx(maxsim(q, rows[s3], rows[s2]), abs=1e-5)  # across the paragraph break
    for first in (s1, ("groups", "p3.s1"), ("other", "p1.s1")):  # read alone
        assert hits[first].late == pytest.approx(maxsim(q, rows[first]), abs=1e-5)
