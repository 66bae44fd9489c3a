"""The evidence stage (answerability): how likely the retrieved evidence answers the question.

Similarity alone cannot tell: a plausible question the documents do not answer scores as high as
one they do (gold set: median fused score 0.92 for both). So several measured signals are combined
by a small logistic model fitted offline on questions built to be unanswerable (a store that holds
half of a set's paragraphs, asked every question of the set): the retrieval score and its margin,
how much of the question the evidence covers (folded, stemmed content terms, in the sentence, its
paragraph and the whole candidate pool), whether the match is across languages and, there, the
second encoder's similarity (``use``: USE, use_encoder.py, scores the top candidates matched across
languages; 0 elsewhere), and whether a question that asks for a number or a date finds one. The
coefficients live in ``answerability.v3.json`` beside this file, one model per retrieval mode
(their scores differ in scale); ``benchmarks/answerability.py`` refits them, on each question's top
candidate. The result is one probability per answer. A citation's score is its share of it: the
answer probability times the softmax of a second small model over the candidates
(``citation_shares.v2.json``, fitted by ``benchmarks/citation_share.py`` to give the sentence that
holds the answer the largest share).
Every score a user sees is one of these probabilities.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from llama_index.core.schema import NodeWithScore, TextNode

from .normalize import content_terms, detect_script
from .question_type import (asks_for_several, gives_answer_type, looks_like_a_question, named_years,
                            wanted_answer_types)
from .segmentation import paragraph_id, paragraph_number
from .settings import RetrievalMode
from .types import Citation, as_said, with_rendering

MODEL_FILE = Path(__file__).with_name("answerability.v3.json")
# An answer whose citations carry less of its probability rests on nothing the evidence found (see
# ``Evidence.supports``). On ARCD-train's fit half, the answered questions' citations carry 0.35 of it
# at the least; the school trip's answer carried 0.0000.
MIN_CITED_SHARE = 0.01
# Candidates whose words count as "the pool" the question's terms are looked for in.
POOL_SIZE = 10
SIGNALS = ("dense", "lexical", "passage_dense", "passage_lexical", "late", "use")
# Each candidate's share of an answer's probability (candidate_shares): a conditional logit over the
# candidates' features, one coefficient set per mode, fitted by benchmarks/citation_share.py.
SHARES_FILE = Path(__file__).with_name("citation_shares.v2.json")

FEATURES = (
    "score", "gap", "cover_sentence", "cover_paragraph", "cover_pool", "question_terms",
    "cross_lingual", "cross_x_score", "cross_x_cover", "lacks_answer_type",
    # The ranking's own signals, when the retriever gives them (retrieval.RankedSentence), else 0.
    *SIGNALS,
)
# The features whose 0 means "not computed" (retrieval.RankedSentence): MaxSim is never 0 when computed.
_NOT_COMPUTED_AT_ZERO = np.array([name == "late" for name in FEATURES])
# Nonzero only for matches across languages ("use" too: USE scores those alone, use_encoder.py).
_CROSS_COLUMNS = [FEATURES.index(name) for name in ("cross_lingual", "cross_x_score", "cross_x_cover", "use")]


@dataclass(frozen=True)
class Evidence:
    """The answerability of a ranking, and each candidate's share of it."""

    probability: float  # how likely the best evidence answers the question (0 when nothing was retrieved)
    threshold: float  # the operating point: below it, the assistant abstains
    shares: tuple[float, ...] = ()  # each candidate's share of the answer (candidate_shares), as ranked
    score_ok: bool = True  # the top retrieval score clears its mode's floor
    asks: bool = True  # the question asks something (asks_something): not "hello", not "What is it?"
    # The best evidence (its sentence, paragraph, the paragraph before, the document's title) names
    # every year the question names, or none: "Where will the 2025 conference be held?" is not
    # answered by a sentence about 2024. A text that names no year may be about the one asked
    # ("How many interceptions did the Panthers get in 2015?", in a paragraph about that season:
    # 10 of the 15 answerable year questions of ARCD-train and XQuAD-R whose paragraph lacks their year).
    years_found: bool = True

    @property
    def citation_probabilities(self) -> tuple[float, ...]:
        """How likely each candidate, as ranked, is the sentence that answers the question."""
        return tuple(self.probability * share for share in self.shares)

    @property
    def answerable(self) -> bool:
        return self.asks and self.score_ok and self.years_found and self.probability >= self.threshold

    def supports(self, citations: Iterable[Citation]) -> bool:
        """Whether an answer with these ``citations`` (their scores: their ``citation_probabilities``)
        rests on what made the question answerable: together they carry at least ``MIN_CITED_SHARE`` of it.
        The answer stage may cite other sentences than the best candidates (a heading stands for its
        section, and one over no section is dropped); when they carry less, the ranking is judged
        again from the first sentence the answer cites (``Assistant``). A school trip's letterhead
        "مدرسة الأفق النموذجية – المرحلة المتوسطة" made "ما هو اسم مدير مدرسة الأفق النموذجية؟" answerable
        (0.73), and the answer quoted three sentences of another document's minutes, each with a share
        of 0.0000; judged from them, it is not."""
        return sum(c.score for c in citations) >= MIN_CITED_SHARE * self.probability


@dataclass(frozen=True)
class LogisticModel:
    """Standardised features, then a logistic function; fitted by benchmarks/answerability.py."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    # How much lower (negative: higher) the score floor is when the best sentence matches only across
    # languages (see ``cross_lingual_allowance``): fitted so that the floor and the probability together
    # refuse at most 5% of the answerable cross-language fit questions, the bound on false
    # abstentions.
    cross_lingual_allowance: float = 0.0

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        z = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        # A signal left uncomputed says nothing: late interaction re-scores only the top candidates, and
        # a follow-up's history may lift another to the top (its MaxSim read as 0, 23 deviations under the
        # mean, refused "What hours is it open?" at probability 0 beside "Lines are open Monday to ...").
        z = np.where((features == 0.0) & _NOT_COMPUTED_AT_ZERO, 0.0, z)
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coef) + self.intercept)))


@functools.cache
def load_models(path: Path = MODEL_FILE) -> dict[RetrievalMode, LogisticModel]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    if tuple(raw["features"]) != FEATURES:
        raise ValueError(f"{path} was fitted on other features: refit it (benchmarks/answerability.py)")
    return {RetrievalMode(mode): LogisticModel(**{k: tuple(v) if isinstance(v, list) else v for k, v in model.items()})
            for mode, model in raw["models"].items()}


class Answerability:
    """Scores a ranking's candidates with the fitted model for the retrieval mode that made it."""

    def __init__(self, paragraphs: Mapping[tuple[str, str], TextNode], threshold: float | None = None,
                 models: dict[RetrievalMode, LogisticModel] | None = None,
                 score_floors: Mapping[RetrievalMode, float] | None = None) -> None:
        self._paragraphs = paragraphs
        self._threshold = threshold  # overrides each model's fitted operating point
        self._models = models  # read from MODEL_FILE on first use
        self._floors = score_floors or {}  # the lowest top retrieval score answered, per mode

    @property
    def models(self) -> dict[RetrievalMode, LogisticModel]:
        if self._models is None:
            self._models = load_models()
        return self._models

    def assess(self, question: str, hits: Sequence[NodeWithScore], mode: RetrievalMode,
               context: str = "") -> Evidence:
        """How likely the best candidate answers the question, and every candidate's share;
        ``context`` is the earlier question a follow-up leans on (its terms and answer type count as the
        question's; its language does not)."""
        model = self.models[mode]
        threshold = model.threshold if self._threshold is None else self._threshold
        if not hits:
            return Evidence(0.0, threshold, score_ok=False)
        # A follow-up's shares are computed here (its context's terms count); a question's own, the rerank
        # stage gave, on the scores retrieval gave (computed again from the swapped scores, they put
        # another candidate first for 106 of ARCD-train's 693 questions).
        carried = None if context else reranked_shares(hits)
        # Each item of a list is part of the answer, not a rival for it (the share model is fitted on
        # questions with one answer): every candidate carries the answer's probability. The question
        # alone says whether it wants a list, as it does to the answerer.
        several = asks_for_several(question)
        rows = hits if carried is None and not several else hits[:1]  # the first row is the answer's
        features = candidate_features(question, rows, self.paragraph_text, hits[:POOL_SIZE], context)
        floor = self._floors.get(mode, 0.0) - cross_lingual_allowance(question, hits[0].node, model)
        if several:
            shares = np.ones(len(hits))
        elif carried is not None:
            shares = carried
        else:
            shares = candidate_shares(features, load_share_models()[mode])
        return Evidence(float(model.probabilities(features[:1])[0]), threshold, tuple(float(x) for x in shares),
                        score_ok=(hits[0].score or 0.0) >= floor, asks=asks_something(question, context),
                        years_found=self._years_found(question, hits[0].node))

    def _years_found(self, question: str, node: TextNode) -> bool:
        years = named_years(question)
        if not years:
            return True
        named = named_years(self._surroundings(node))
        return not named or years <= named

    def _surroundings(self, node: TextNode) -> str:
        """A sentence with what dates it: its rendering, its paragraph, the paragraph before, its
        document's title ("Annual Report 2023")."""
        meta = node.metadata
        before = self._paragraphs.get((meta["document_id"], paragraph_id(paragraph_number(meta["paragraph_id"]) - 1)))
        return " ".join([node.get_content(), meta.get("translation", ""), self.paragraph_text(node),
                         before.get_content() if before is not None else "", meta.get("title", "")])

    def paragraph_text(self, node: TextNode) -> str:
        """The text of ``node``'s paragraph ("" when it is not stored)."""
        meta = node.metadata
        paragraph = self._paragraphs.get((meta["document_id"], meta["paragraph_id"]))
        return paragraph.get_content() if paragraph is not None else ""


def reranked_shares(hits: Sequence[NodeWithScore]) -> np.ndarray | None:
    """The shares the rerank stage ordered ``hits`` by (0 past the candidates it ordered), or None
    when it did not order them."""
    if getattr(hits[0], "share", None) is None:
        return None
    return np.array([getattr(hit, "share", None) or 0.0 for hit in hits])


def asks_something(question: str, context: str = "") -> bool:
    """Whether ``question`` asks something the documents could say: it looks like a question
    (question_type.looks_like_a_question: not "hello") and names something to look for, itself or
    through ``context`` (the earlier question a follow-up leans on). "What is it?", "ما هو؟" or "How
    are you?" on their own name nothing, and were answered from whatever matched their form best. Of
    3,701 real questions (ARCD-train, XQuAD-R, the gold set, the dialogues), 36 name nothing: 35
    follow-ups ("When?", "ومن أين؟"), judged with their context, and ARCD's "و ماذا تكون؟"."""
    return looks_like_a_question(question) and bool(content_terms(f"{context} {question}"))


def candidate_features(question: str, candidates: Sequence[NodeWithScore], paragraph_text: Callable[[TextNode], str],
                       pool: Sequence[NodeWithScore], context: str = "") -> np.ndarray:
    """One row of ``FEATURES`` per candidate (a pure function of the texts and scores); ``context``:
    the earlier questions a follow-up leans on, whose terms count as the question's, and their answer
    type when it asks for none of its own (their language does not: "And if he doesn't reply?" after an
    Arabic question is English)."""
    asked = f"{context} {question}".strip()
    wanted = content_terms(asked)
    # Each node's terms and each paragraph's once: candidates are in the pool, and the sentences of
    # one paragraph share its text (stemming is most of this function's time on the hot path).
    paragraph_terms: dict[str, frozenset[str]] = {}
    terms: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    for hit in [*pool, *candidates]:
        if hit.node.node_id not in terms:
            text = paragraph_text(hit.node)
            if text not in paragraph_terms:
                paragraph_terms[text] = content_terms(text)
            own = node_terms(hit.node)
            terms[hit.node.node_id] = own, paragraph_terms[text] | own
    pool_terms = frozenset().union(*(terms[hit.node.node_id][1] for hit in pool))
    cover_pool = _coverage(wanted, pool_terms)
    scores = [float(hit.score or 0.0) for hit in candidates]
    pool_scores = [(hit.node.node_id, float(hit.score or 0.0)) for hit in pool]
    question_latin = detect_script(question).value == "en"
    # A follow-up that asks for a kind of answer asks for its own ("And how many people per guide?" after
    # "When are the tours?" wants no date); one that does not, for its context's ("And for a niece?").
    wanted_types = wanted_answer_types(question) or wanted_answer_types(asked)
    rows = []
    for i, hit in enumerate(candidates):
        node = hit.node
        others = [score for node_id, score in pool_scores if node_id != node.node_id]
        gap = scores[i] - max(others) if others else scores[i]  # the margin over the best other candidate
        own, paragraph = terms[node.node_id]
        cross = float(across_languages(question_latin, node))
        lacks = any(not gives_answer_type(kind, asked, as_said(node)) for kind in wanted_types)
        cover = _coverage(wanted, own)
        rows.append([scores[i], gap, cover, _coverage(wanted, paragraph), cover_pool,
                     math.log1p(len(wanted)), cross, cross * scores[i], cross * cover, float(lacks),
                     *(float(getattr(hit, signal, 0.0)) for signal in SIGNALS)])
    return np.asarray(rows, dtype=np.float64)


def candidate_shares(features: np.ndarray, coef: Sequence[float], pool: int = POOL_SIZE) -> np.ndarray:
    """Each candidate's share of the answer (rows of ``features``, best-ranked first): a softmax of
    ``features @ coef`` normalised over the first ``pool``; a candidate after them gets its value on the
    same scale (nearly nothing)."""
    if not len(features):
        return np.zeros(0)
    z = comparable_features(features, pool) @ np.asarray(coef, dtype=np.float64)
    z = np.exp(z - z[:pool].max())
    return z / z[:pool].sum()


def comparable_features(features: np.ndarray, pool: int = POOL_SIZE) -> np.ndarray:
    """``features`` without their cross-language terms when the pool mixes matches within and across
    languages (a store with documents in both). The share model is fitted on pools of one kind, where
    those terms weigh every candidate's score and coverage alike; in a mixed pool they would lift
    every cross-language candidate over the others ("Who owns the farm?" cited an Arabic sentence
    about an oasis's farmers over the English "Its owners, Maria and Tom Keller, ...")."""
    features = np.asarray(features, dtype=np.float64)
    cross = features[:pool, _CROSS_COLUMNS[0]]
    if cross.min() == cross.max():
        return features
    features = features.copy()
    features[:, _CROSS_COLUMNS] = 0.0
    return features


@functools.cache
def load_share_models(path: Path = SHARES_FILE) -> dict[RetrievalMode, tuple[float, ...]]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    if tuple(raw["features"]) != FEATURES:
        raise ValueError(f"{path} was fitted on other features: refit it (benchmarks/citation_share.py)")
    return {RetrievalMode(mode): tuple(model["coef"]) for mode, model in raw["models"].items()}


def cross_lingual_allowance(question: str, node: TextNode, model: LogisticModel) -> float:
    """How much lower the score floor is when the best sentence can only match across languages
    (negative: how much higher).

    e5 scores a question against a sentence in another language lower than against one in its
    own: on the gold set without English renderings, answerable English questions had a median
    score of 0.78 (0.97 with renderings). Before retrieval calibrated such matches, every question
    about a document in the other language would have been refused without this allowance (with
    the 0.06 set by hand, 11% of XQuAD-R's answerable English questions still were). Retrieval now
    raises them by its offset (cross_language.py, 0.13), more than that gap, so the fitted allowance
    is negative (hybrid -0.0595): the floor across languages sits where it was on the uncalibrated
    scale (docs/benchmarks.md, "Documents in both languages").
    """
    return model.cross_lingual_allowance if across_languages(detect_script(question).value == "en", node) else 0.0


def across_languages(english_question: bool, node: TextNode) -> bool:
    """Whether a question can match the sentence only across languages: the sentence is in the other
    language and has no rendering in the question's (the bundled article's carry English ones).
    Both ways: Arabic questions about English documents were taken for same-language matches, their
    low term coverage read as "not answered" (XQuAD-R, Arabic questions over the English
    paragraphs: 70% refused, docs/benchmarks.md)."""
    if english_question:
        return node.metadata.get("lang") != "en" and not node.metadata.get("translation")
    return node.metadata.get("lang") != "ar"


def node_terms(node: TextNode) -> frozenset[str]:
    """The content terms of a sentence with its English rendering, if any."""
    return content_terms(with_rendering(node))


def _coverage(wanted: frozenset[str], found: frozenset[str]) -> float:
    """Share of the question's content terms found; a question with none is fully covered."""
    return len(wanted & found) / len(wanted) if wanted else 1.0
