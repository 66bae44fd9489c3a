"""The separation that chose ``verify.SUPPORT_THRESHOLD``: how many gold answers their gold sentences
support, and how many deliberately mismatched pairs pass, at each threshold.

    python benchmarks/support_threshold.py

Supported: each answerable gold answer (corpus/gold_qa.jsonl) against its best gold sentence, and
against each of its gold sentences. Mismatched: each gold answer against three random sentences of
paragraphs none of its gold sentences is in. tests/test_llm.py checks the rates at the threshold.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.corpus import load_corpus  # noqa: E402
from assistant.segmentation import sentences_of  # noqa: E402
from assistant.settings import PROJECT_ROOT  # noqa: E402
from assistant.verify import SUPPORT_THRESHOLD, support  # noqa: E402


def calibration_scores(seed: int = 0) -> dict[str, dict[str, list[float]]]:
    """``support`` of gold-set pairs: {"best" | "each" | "mismatched": {"ar" | "en": [scores]}}.

    Supported: each answerable gold answer vs its best gold sentence, and vs each of its gold
    sentences (a list answer spread over several sentences is only partly in each). Mismatched:
    each gold answer vs three random sentences of paragraphs none of its gold sentences is in.
    The evidence is the sentence and its English rendering, as in ``verify_answer``.
    """
    corpus_dir = PROJECT_ROOT / "corpus"
    evidence: dict[str, str] = {}
    for document in load_corpus(corpus_dir):
        for sentence in sentences_of(document.paragraphs()):
            evidence[sentence.id] = f"{sentence.text} {document.translations.get(sentence.id, '')}"

    def share(claim: str, sentence_id: str) -> float:
        return support(claim, evidence[sentence_id])

    rows = [json.loads(line) for line in (corpus_dir / "gold_qa.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    rows = [r for r in rows if r.get("answerable") and all(i in evidence for i in r["sentence_ids"])]
    rng = random.Random(seed)
    best: dict[str, list[float]] = {"ar": [], "en": []}
    each: dict[str, list[float]] = {"ar": [], "en": []}
    mismatched: dict[str, list[float]] = {"ar": [], "en": []}
    for row in rows:
        scores = [share(row["answer"], i) for i in row["sentence_ids"]]
        best[row["language"]].append(max(scores))
        each[row["language"]].extend(scores)
        gold_paragraphs = {i.split(".")[0] for i in row["sentence_ids"]}
        others = [i for i in evidence if i.split(".")[0] not in gold_paragraphs]
        mismatched[row["language"]].extend(share(row["answer"], i) for i in rng.sample(others, min(3, len(others))))
    return {"best": best, "each": each, "mismatched": mismatched}


def calibrate(thresholds: Sequence[float] = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)) -> str:
    """The separation table this script prints."""
    scores = calibration_scores()
    best, each, mismatched = scores["best"], scores["each"], scores["mismatched"]

    def rate(values: list[float], t: float) -> str:
        return f"{sum(v >= t for v in values) / max(len(values), 1):.3f}"

    lines = [f"{sum(map(len, best.values()))} answerable gold answers; {sum(map(len, mismatched.values()))} mismatched pairs",
             "threshold | supported (best gold sentence) ar/en | supported (each gold sentence) ar/en "
             "| mismatched accepted ar/en"]
    for t in thresholds:
        mark = "  <- SUPPORT_THRESHOLD" if abs(t - SUPPORT_THRESHOLD) < 1e-9 else ""
        lines.append(f"{t:9.2f} | {rate(best['ar'], t)} / {rate(best['en'], t)}"
                     f"                        | {rate(each['ar'], t)} / {rate(each['en'], t)}"
                     f"                        | {rate(mismatched['ar'], t)} / {rate(mismatched['en'], t)}{mark}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(calibrate())
