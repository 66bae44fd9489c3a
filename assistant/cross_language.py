"""Similarities across languages put on the scale of similarities within one.

e5 scores a question higher against any text in its own language than against a text in the other:
for the same XQuAD-R paragraph in Arabic and in English, a question's cosine to the paragraph in its
own language is 0.08 higher (median over the fit half's 636 questions). In a store that holds
documents in both languages, an English question about an Arabic document therefore ranks English
sentences on other topics first, and the Arabic sentence that answers it is often not even among the
nearest records. Measured on a store holding XQuAD-R's Arabic paragraphs for half of its articles and
the English ones for the other half (benchmarks/mixed_languages.py), a question about a paragraph in
the other language found its sentence first 0.12-0.14 of the time, against 0.63 in an Arabic-only
store; with both remedies below 0.59-0.64, for 0.005-0.008 less on questions asked in their
paragraph's own language (docs/benchmarks.md, "Documents in both languages").

Three remedies, all from ``languages.v2.json`` (fitted by benchmarks/fit_cross_language.py for the
bundled embedding model, and used only with it):

- ``offset``: added to the cosine of every record (sentence, rendering, paragraph) in the other
  language than the question's (0.13: the largest tried that cost the same-language questions at
  most 0.01 of R@1 on the fit half; the median gap above is 0.082, but the sentence a question is
  about ranks among strangers, not against its own translation). It moves every candidate of a
  one-language store alike (but for hubs, below); in a mixed store it lets the two
  languages compete on what they say. Late interaction's MaxSim is left as it is: raised by the same offset (0.07), it cost the
  same-language questions 0.035 more for nothing across.
- ``direction``: the mean difference between the Arabic and the English vectors of the same
  paragraphs. A second nearest-neighbour query, with the question's vector moved along it toward
  the other language, finds candidates in that language that the question's own vector ranks
  behind every text in its own (HNSW queries with a metadata filter cost 70-900 ms at 12k-100k
  records; this one costs what the first does).
- ``centroids`` and ``hubness_weight``: a record near every question of a language (a short heading,
  "Apologies: Hannah Moss.", an FAQ's "### How long does the battery last?") is a hub, and across
  languages the offset lifted hubs over the sentence that answers: "ما عدد الهزات الارتدادية؟" ranked
  a dozen lines of an English FAQ and meeting minutes over the Arabic sentence holding "هزة ارتدادية",
  and was refused. So a record's offset is lowered by how much nearer it is to the asking language's
  mean question than the fit records are on average (``hubness_mean``): cross-domain similarity local
  scaling (CSLS, from bilingual lexicon induction), the mean question standing for a question's
  neighbours. Weight 1 (0.5 and 1.5 tried on mixed_languages.py's fit half). R@1 on its store, across
  languages fit .591 -> .628, report .635 -> .637 (R@5 .878 -> .893), within one language .806 -> .808
  / .820 -> .820; XQuAD-R's English questions over its Arabic paragraphs (xquad_r.py) .625 -> .639,
  held-out .634 -> .645. Applied only where the offset is: a store of one language asked in it ranks
  as before. The sentences that answer the fit questions across languages are as near the mean
  question as the average record (.705 / .702 against .704 / .705): they keep the offset.

In a store that also holds text in the question's own language, the offset is ``MIXED_STORE_CUT``
(0.03) less. The offset was chosen on a store where every question is asked once in its paragraph's
language and once in the other, half of them across; a user asks mostly in the language of the
document meant, and there, the other language's short lines ("الهاتف: 0114 632 870", a fee table's
rows: raw cosine .82-.84 to "What is the agent's phone number?") rose over the line that answers
(.86): in six new users' stores (benchmarks/users, 761 questions in their document's language, 108 in
the other, 144 unanswerable), 59 of the 163 answers not cited first were another document's line in
the other language. On trials 41-43, cuts 0, .03 and .06 (first citations and unanswerable ones
refused, summed: 388, 416, 419): .06 gained three more for a third of the questions across (35 -> 24),
so .03; reported on 44-46 (406, 421, 411): there, in their document's language 302 -> 317 first, across
42 -> 38, unanswerable refused 9 -> 13, dialogue turns 53 -> 53. A winner across languages is scored
on the cut scale too, under the one the abstention floor and the evidence models were fitted on: over
all six trials 10 of the 108 questions across were refused (3 before) and 29 of the 144 unanswerable
ones (16). Given the cut back once it had won, 4 fewer across were refused and 11 fewer unanswerable
ones (all changes of that day in: 841 against 848 right of 1,157): not kept. On
benchmarks/mixed_languages.py's store (XQuAD-R,
every question asked in its paragraph's language and across), R@1 fit / report: in the paragraph's
language .814 / .817 -> .817 / .828, across .666 / .676 -> .623 / .639 (R@5 .918 / .902 -> .872 / .880):
the price of the cut where half the questions are asked across languages. A store of one language, and the
article with its English renderings (``TwoStageRetriever._raised``), rank as before.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .settings import Settings

CALIBRATION_FILE = Path(__file__).with_name("languages.v2.json")
# In a store that also holds text in the question's own language, the offset is this much less (module doc).
MIXED_STORE_CUT = 0.03
LANGUAGES = ("ar", "en")


@dataclass(frozen=True)
class CrossLanguage:
    offset: float  # added to a similarity across languages
    direction: np.ndarray  # mean(Arabic vector - English vector) over parallel paragraphs
    # Per question language: the mean (unit) question vector, and the mean cosine of the fit records
    # in the other language to it; and how much a record's own cosine above that mean lowers its offset.
    centroids: Mapping[str, np.ndarray] = field(default_factory=dict)
    hubness_mean: Mapping[str, float] = field(default_factory=dict)
    hubness_weight: float = 0.0
    # Taken off ``offset`` in a store that also holds text in the question's own language (``similarity``).
    mixed_store_cut: float = 0.0

    @staticmethod
    def crosses(record_language: str, question_language: str | None) -> bool:
        return question_language is not None and record_language in LANGUAGES and record_language != question_language

    def similarity(self, cosine: float, record_language: str, question_language: str | None,
                   vector: np.ndarray | None = None, mixed_store: bool = False) -> float:
        """``cosine`` on the scale of a match within one language; ``vector``: the record's (unit), for
        its hubness (without it, the record counts as an average one); ``mixed_store``: the store holds
        text in the question's language too (``MIXED_STORE_CUT``)."""
        if not self.crosses(record_language, question_language):
            return cosine
        offset = self.offset - (self.mixed_store_cut if mixed_store else 0.0)
        return cosine + offset - self.hubness_weight * self.hubness(vector, question_language)

    def hubness(self, vector: np.ndarray | None, question_language: str) -> float:
        """How much nearer than the average record ``vector`` is to the mean question in ``question_language``."""
        if vector is None or not self.hubness_weight or question_language not in self.centroids:
            return 0.0
        return float(vector @ self.centroids[question_language]) - self.hubness_mean[question_language]

    def toward_other(self, query: np.ndarray, question_language: str) -> np.ndarray:
        """The question's vector moved toward the other language (unit length)."""
        moved = query + (self.direction if question_language == "en" else -self.direction)
        return moved / np.linalg.norm(moved)


def other_language(language: str) -> str:
    return "en" if language == "ar" else "ar"


@functools.cache
def load_cross_language(model_id: str, path: Path = CALIBRATION_FILE) -> CrossLanguage | None:
    """The calibration fitted for ``model_id``; None for any other embedding model (its scale differs)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if model_id not in raw["embedding_models"]:  # the bundled model, fp32 or int8 (cosine 0.9996 to it)
        return None
    hubness = raw.get("hubness", {})
    return CrossLanguage(float(raw["offset"]), np.asarray(raw["direction"], dtype=np.float32),
                         {lang: np.asarray(v, dtype=np.float32) for lang, v in hubness.get("centroids", {}).items()},
                         {lang: float(v) for lang, v in hubness.get("mean", {}).items()},
                         float(hubness.get("weight", 0.0)), MIXED_STORE_CUT)


def calibration_for(settings: Settings, model_id: str) -> CrossLanguage | None:
    """The calibration for this model, its offset replaced by the settings' when they set one, in every
    store alike (0: nothing raised, and no hub lowered either)."""
    fitted = load_cross_language(model_id)
    if fitted is None or settings.cross_language_offset is None:
        return fitted
    offset = settings.cross_language_offset
    return dataclasses.replace(fitted, offset=offset, hubness_weight=fitted.hubness_weight if offset else 0.0,
                               mixed_store_cut=0.0)
