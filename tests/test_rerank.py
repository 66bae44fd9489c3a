"""The rerank stage: the top candidates in the order of their share of the answer, scores kept."""

from __future__ import annotations

import pytest
from llama_index.core.schema import TextNode

from assistant.evidence import Answerability, load_share_models
from assistant.rerank import ShareReranker
from assistant.retrieval import RankedSentence
from assistant.settings import RetrievalMode

PARAGRAPH = "The group was founded in 2014. It trains police officers in Iraq."


def _hit(sentence_id: str, text: str, score: float) -> RankedSentence:
    meta = {"document_id": "d", "paragraph_id": "p1", "sentence_id": sentence_id, "lang": "en", "translation": ""}
    return RankedSentence(node=TextNode(text=text, id_=sentence_id, metadata=meta), score=score, dense=score)


def _reranker() -> ShareReranker:
    return ShareReranker(lambda node: PARAGRAPH, load_share_models()[RetrievalMode.HYBRID])


def test_the_candidate_that_holds_the_answer_comes_first_and_the_scores_stay():
    hits = [_hit("p1.s1", "The group was founded in 2014.", 0.91),
            _hit("p1.s2", "It trains police officers in Iraq.", 0.90),
            _hit("p2.s1", "Ministers met in Kuwait.", 0.70)]
    reranked = _reranker().rerank("Whom does the group train in Iraq?", hits)
    assert [h.node.node_id for h in reranked][:2] == ["p1.s2", "p1.s1"]
    assert [h.score for h in reranked] == [0.91, 0.90, 0.70]  # the same values, in the same order
    assert hits[0].score == 0.91 and hits[0].node.node_id == "p1.s1"  # the input is not changed


def test_each_reranked_candidate_keeps_the_share_it_was_ordered_by_and_the_evidence_reads_it():
    """The evidence stage computing the shares again from the swapped scores put another candidate
    first for 15% of ARCD-train's questions: a citation shown with .02 of an answer's .46."""
    hits = [_hit("p1.s1", "The group was founded in 2014.", 0.91),
            _hit("p1.s2", "It trains police officers in Iraq.", 0.90),
            _hit("p2.s1", "Ministers met in Kuwait.", 0.70)]
    question = "Whom does the group train in Iraq?"
    reranked = _reranker().rerank(question, hits)
    shares = [h.share for h in reranked]
    assert shares == sorted(shares, reverse=True) and sum(shares) == pytest.approx(1.0)
    evidence = Answerability({}).assess(question, reranked, RetrievalMode.HYBRID)
    assert evidence.shares == pytest.approx(shares)
    # A follow-up is judged with its context's terms: its shares are computed again.
    follow_up = Answerability({}).assess(question, reranked, RetrievalMode.HYBRID, context="And in Syria?")
    assert follow_up.shares != pytest.approx(shares)


def test_a_list_question_keeps_retrievals_order():
    hits = [_hit("p1.s1", "The group was founded in 2014.", 0.91),
            _hit("p1.s2", "It trains police officers in Iraq.", 0.90)]
    assert _reranker().rerank("What are the tasks of the group in Iraq?", hits) == hits


@pytest.mark.slow
def test_the_ranking_puts_the_answering_sentence_first(assistant):
    """"What kind of approach is the foreign fighters group a platform for?": the group's first sentence
    names it and matches most of the question; the second says what it is a platform for."""
    question = "What kind of approach is the foreign fighters group a platform for?"
    ranking = assistant.retrieve(question)
    assert ranking[0][1] == "p16.s2"
    assert [score for _, _, score in ranking] == sorted((score for _, _, score in ranking), reverse=True)
    plain = assistant._current_index().retrievers[RetrievalMode.HYBRID].with_reranker(None)  # noqa: SLF001
    assert plain.retrieve(question)[0].node.metadata["sentence_id"] == "p16.s1"
