"""Two-step retrieval (passages, then their sentences) on the real store and model; every mode through ask."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import assistant_with

from assistant import build_assistant, load_settings
from assistant.retrieval import (
    BM25_SATURATION,
    FusionWeights,
    RankedSentence,
    TwoStageRetriever,
    build_bm25,
    passage_nodes,
)
from assistant.settings import RetrievalMode
from assistant.types import KIND_PARAGRAPH, KIND_RENDERING, KIND_SENTENCE

pytestmark = pytest.mark.slow

# p13 (the four pillars) has three sentences, p16 (foreign fighters) two; the rest have one.
QUESTION = "What are the four pillars of the coalition's approach against ISIS?"
QUESTION_AR = "ما هي ركائز نهج التحالف لهزيمة داعش؟"
OFF_TOPIC = "What is the recipe for hummus?"


def retriever_over_store(assistant, weights: FusionWeights, candidates: int, searchable=None) -> TwoStageRetriever:
    store = assistant._store  # noqa: SLF001
    nodes = store.nodes(KIND_SENTENCE, KIND_RENDERING, KIND_PARAGRAPH)
    sentences = [n for n in nodes if n.metadata["kind"] == KIND_SENTENCE]
    paragraphs = [n for n in nodes if n.metadata["kind"] == KIND_PARAGRAPH]
    searchable = [n for n in nodes if n.metadata["kind"] != KIND_PARAGRAPH] if searchable is None else searchable
    return TwoStageRetriever(store.vector_store, assistant._embed_model, sentences, weights, candidates,  # noqa: SLF001
                             searchable=searchable, paragraphs=paragraphs,
                             bm25=build_bm25(searchable, 20) if searchable else None,
                             passage_bm25=build_bm25(passage_nodes(paragraphs, sentences), 20))


def cosine(a: list[float], b: list[float]) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_a_sentences_score_mixes_its_own_exact_match_with_its_passages(assistant):
    """With one candidate per signal, nearly every hit comes from the passage step, and every score
    is exact: the stored vectors' cosine and the library BM25 retriever's own scores."""
    weights = FusionWeights.for_mode(RetrievalMode.HYBRID)
    hits = retriever_over_store(assistant, weights, candidates=1).retrieve(QUESTION)
    assert all(isinstance(hit, RankedSentence) for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)

    store, embed = assistant._store, assistant._embed_model  # noqa: SLF001
    searchable = store.nodes(KIND_SENTENCE, KIND_RENDERING)
    paragraphs = {n.metadata["paragraph_id"]: n for n in store.nodes(KIND_PARAGRAPH)}
    question = embed.get_query_embedding(QUESTION)
    bm25 = {hit.node.node_id: hit.score for hit in build_bm25(searchable, len(searchable)).retrieve(QUESTION)}
    for hit in hits:
        sid, pid = hit.node.metadata["sentence_id"], hit.node.metadata["paragraph_id"]
        records = [n for n in searchable if n.metadata["sentence_id"] == sid]
        assert hit.dense == pytest.approx(max(cosine(question, embed.get_text_embedding(n.text)) for n in records),
                                          abs=2e-3)
        lexical = max((bm25.get(n.node_id, 0.0) for n in records), default=0.0)
        assert hit.lexical == pytest.approx(lexical / (lexical + BM25_SATURATION), abs=1e-6)
        assert hit.passage_dense == pytest.approx(cosine(question, embed.get_text_embedding(paragraphs[pid].text)),
                                                  abs=2e-3)
        assert hit.own == pytest.approx(weights.dense * hit.dense + weights.lexical * hit.lexical)
        assert hit.passage == pytest.approx(weights.passage_dense * hit.passage_dense
                                            + weights.passage_lexical * hit.passage_lexical)
        assert hit.score == pytest.approx((1 - weights.passage_share) * hit.own + weights.passage_share * hit.passage)


def test_every_sentence_of_the_best_passages_is_ranked(assistant):
    weights = FusionWeights.for_mode(RetrievalMode.HYBRID)
    hits = retriever_over_store(assistant, weights, candidates=1).retrieve(QUESTION)
    ranked = {hit.node.metadata["sentence_id"] for hit in hits}
    assert {"p13.s1", "p13.s2", "p13.s3"} <= ranked  # the pillars paragraph, whole
    best = sorted({(hit.passage, hit.node.metadata["paragraph_id"]) for hit in hits}, reverse=True)[: weights.passages]
    sentences = assistant._store.nodes(KIND_SENTENCE)  # noqa: SLF001
    for _, pid in best:
        members = {n.metadata["sentence_id"] for n in sentences if n.metadata["paragraph_id"] == pid}
        assert members <= ranked, pid
    assert hits[0].node.metadata["paragraph_id"] == "p13"


def test_each_mode_uses_only_its_own_signals(assistant):
    index = assistant._current_index()  # noqa: SLF001
    dense = index.retrievers[RetrievalMode.DENSE].retrieve(QUESTION)
    lexical = index.retrievers[RetrievalMode.BM25].retrieve(QUESTION)
    hybrid = index.retrievers[RetrievalMode.HYBRID].retrieve(QUESTION)
    assert all(h.lexical == 0 and h.passage_lexical == 0 for h in dense) and any(h.dense > 0 for h in dense)
    assert all(h.dense == 0 and h.passage_dense == 0 for h in lexical) and any(h.lexical > 0 for h in lexical)
    assert any(h.lexical > 0 for h in hybrid) and all(h.dense > 0 for h in hybrid)


def test_every_mode_answers_through_ask_and_abstains_off_topic(assistant):
    for mode in RetrievalMode:
        for question in (QUESTION, QUESTION_AR):
            answer = assistant.ask(question, mode=mode)
            assert not answer.abstained, (mode, question)
            assert answer.citations[0].paragraph_id == "p13", (mode, question, answer.citations[0])
        assert assistant.ask(OFF_TOPIC, mode=mode).abstained, mode


def test_each_mode_has_its_own_abstention_threshold(assistant):
    settings = assistant.settings
    assert load_settings(env={"ASSISTANT_BM25_ABSTAIN_THRESHOLD": "0.4"}).abstain_threshold_for(RetrievalMode.BM25) == 0.4
    assert {settings.abstain_threshold_for(mode) for mode in RetrievalMode} == {
        settings.abstain_threshold, settings.dense_abstain_threshold, settings.bm25_abstain_threshold}
    top = assistant.retrieve(QUESTION, mode=RetrievalMode.BM25)[0][2]
    strict = build_assistant(replace(settings, bm25_abstain_threshold=top + 0.01))
    assert strict.ask(QUESTION, mode=RetrievalMode.BM25).abstained
    assert not strict.ask(QUESTION, mode=RetrievalMode.HYBRID).abstained


def test_the_filtered_query_answers_when_the_nearest_records_hold_too_few_sentences(assistant):
    """As when near-duplicate paragraphs fill the nearest records: made here by knowing no record ids."""
    dense_only = FusionWeights(dense=1.0, lexical=0.0, passage_dense=0.0, passage_lexical=0.0, passage_share=0.0,
                               passages=0)
    hits = retriever_over_store(assistant, dense_only, candidates=5, searchable=[]).retrieve(QUESTION)
    assert len(hits) == 5 and hits[0].node.metadata["sentence_id"].startswith("p13.")
    assert all(hit.node.metadata["kind"] == "sentence" for hit in hits)


HANDBOOK = """# Staff handbook

This handbook explains how the office works and what the company expects of everyone.

## Core hours

Everyone must be reachable for meetings and messages between 10:00 and 15:00 on working days.

## Equipment

The company provides a laptop, a monitor and a headset.
"""

PROGRAMME = """# Harbour festival programme

The festival returns to the old port for four evenings of music and crafts.

## Day 1

- 17:00 Opening ceremony at the lighthouse stage
- 18:30 Oud recital by a local musician
- 21:00 Fireworks over the bay
"""


def test_a_heading_brings_the_paragraph_under_it_into_the_ranking(fresh_settings, tmp_path):
    """"What are the core hours?" matches the heading "## Core hours", not the paragraph under it,
    which shares none of its words: with few candidates, the programme's times were ranked and the
    paragraph was not, and the answer cited the programme."""
    assistant = assistant_with(fresh_settings, tmp_path, "handbook.md", HANDBOOK)
    (tmp_path / "programme.md").write_text(PROGRAMME, encoding="utf-8")
    assistant.ingest(tmp_path / "programme.md")
    weights = assistant._fusion_weights(RetrievalMode.HYBRID)  # noqa: SLF001
    hits = retriever_over_store(assistant, replace(weights, passages=1), candidates=2).retrieve("What are the core hours?")
    ranked = [(hit.node.metadata["document_id"], hit.node.metadata["sentence_id"]) for hit in hits]
    assert ranked[0] == ("handbook", "p3.s1")  # the heading (p1 is the title line, p2 the lead)
    assert ("handbook", "p4.s1") in ranked  # the paragraph under it
    assert ("handbook", "p6.s1") not in ranked  # not the next section's


QUOTE = """NORTHGATE REMOVALS LTD

REMOVAL QUOTATION

MOVE DETAILS
Collection address:   9 Beech Grove, Headingley, Leeds LS6 2AB
Delivery address:     41 Station Lane, Harrogate HG1 4QT
Moving date:          Friday 13 June 2025
Start time:           8:00 am at the collection address

CANCELLATION
More than 14 days before the move     free (deposit refunded)
7 to 14 days before the move          50% of the deposit
On the day of the move                100% of the total price
"""


def test_a_fields_label_naming_a_date_or_a_place_matches_when_and_where(fresh_settings, tmp_path):
    """A field says what it holds by its label: "When is the move?" shares only "move" with "Moving date:
    Friday 13 June 2025", and as much with every row of the cancellation table; "Where ...?" names no
    "address". The lexical signal reads an English when or where question with the words such labels use."""
    assistant = assistant_with(fresh_settings, tmp_path, "quote.txt", QUOTE)
    index = assistant._current_index()  # noqa: SLF001

    def lexical(question: str) -> dict[str, float]:
        hits = assistant.rank(question).hits
        texts = index.sentences([hit.ref for hit in hits])
        return {texts[hit.ref].get_content().split("  ")[0]: hit.lexical for hit in hits if hit.document_id == "quote"}

    when = lexical("When is the move?")
    assert when["Moving date:"] > 2 * when["On the day of the move"]
    where = lexical("Where are we moving to?")
    assert where["Delivery address:"] > 0 and where["Delivery address:"] > where["On the day of the move"]


BUS_TIMETABLE = """# Route 14 timetable

| Day | First bus | Last bus |
|---|---|---|
| Monday – Friday | 5:10 am | 11:40 pm |
| Saturday | 6:15 am | 11:40 pm |
| Sunday and public holidays | 7:30 am | 9:45 pm |
"""


def test_weekdays_and_the_weekend_match_the_days_a_timetable_names(fresh_settings, tmp_path):
    """"And at weekends?" after a pool's weekday session was refused beside "| Public swim | Saturday and
    Sunday | ...": a timetable names the days, not "weekdays" or "weekend". The lexical signal reads an
    English question with the days they stand for (``days_meant``)."""
    assistant = assistant_with(fresh_settings, tmp_path, "bus.md", BUS_TIMETABLE)
    index = assistant._current_index()  # noqa: SLF001

    def lexical(question: str) -> dict[str, float]:
        hits = assistant.rank(question).hits
        texts = index.sentences([hit.ref for hit in hits])
        return {texts[hit.ref].get_content().split(" | ")[0].strip("| "): hit.lexical for hit in hits}

    weekdays = lexical("What time is the first bus on weekdays?")
    assert weekdays["Monday – Friday"] > max(weekdays["Saturday"], weekdays["Sunday and public holidays"])
    weekend = lexical("What time is the first bus at the weekend?")
    assert min(weekend["Saturday"], weekend["Sunday and public holidays"]) > weekend["Monday – Friday"]
