"""The rerank stage: a ranking's top candidates put in the order of how likely each holds the answer.

Retrieval orders sentences by how well they match the question; the sentence that holds the answer
is often a close runner-up, behind one that names the question's subject without answering it. The
evidence stage's share model (``evidence.candidate_shares``: a conditional logit over the evidence
features, ``citation_shares.v2.json``, fitted by ``benchmarks/citation_share.py`` on the fit halves)
picks it more often than retrieval's first does. So the top ``POOL_SIZE`` candidates are put in the
order of their shares, and take the ranking's scores in that order: the best share gets the best
score, and so on. The values the abstention floor, the citation margins and the answerability model
read stay those retrieval gave; only which sentence holds which changes. Each candidate keeps the
share it was ordered by (``RankedSentence.share``): the evidence stage reads it rather than computing
the shares again from the swapped scores, which put another candidate first for 106 of ARCD-train's
693 questions (a citation shown with .02 of an answer's .46). A list question keeps retrieval's
order: its items are not rivals.

Measured through the production path (report / held-out halves; docs/benchmarks.md, "Reranking by
the share model"): ARCD-train r@1 .705 -> .744, answer in top citation .750 -> .768; XQuAD-R R@1
AR->AR .755 -> .766, EN->AR .637 -> .632; gold hit@1 .887 -> .894, answer correct .891 -> .898.

A conversation's follow-up fuses its own ranking with the history (conversation.py), which scores
every sentence again from its own match and its passage's: there the history decides the order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from llama_index.core.schema import TextNode

from .evidence import FEATURES, POOL_SIZE, candidate_features, candidate_shares
from .question_type import asks_for_several

if TYPE_CHECKING:
    from .retrieval import RankedSentence


class ShareReranker:
    """Reorders the top candidates of a ranking by their share of the answer (one retrieval mode's
    coefficients)."""

    def __init__(self, paragraph_text: Callable[[TextNode], str], coef: Sequence[float],
                 candidates: int = POOL_SIZE) -> None:
        self._paragraph_text = paragraph_text
        # Whether a sentence holds the number or date a question wants is the answerer's gate
        # (answer.py), not the order's: with it, "how many ISIS fighters are still left in Syria?" had
        # a sentence holding some other figure put first and was answered (3 of the gold set's 28
        # unanswerable questions); without it ARCD's r@1 is the same (.744), XQuAD-R's .009 lower.
        self._coef = tuple(0.0 if name == "lacks_answer_type" else c for name, c in zip(FEATURES, coef))
        self._candidates = candidates

    def rerank(self, question: str, hits: list[RankedSentence]) -> list[RankedSentence]:
        if len(hits) < 2 or asks_for_several(question):
            return hits
        top = hits[: self._candidates]
        shares = candidate_shares(candidate_features(question, top, self._paragraph_text, top), self._coef)
        order = sorted(range(len(top)), key=lambda i: -shares[i])  # stable: ties keep retrieval's order
        scores = [hit.score for hit in top]
        return ([top[i].model_copy(update={"score": score, "share": float(shares[i])}) for i, score in zip(order, scores)]
                + hits[len(top):])
