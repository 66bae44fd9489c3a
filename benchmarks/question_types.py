"""Precision and recall of the question-type detectors against hand labels.

    python benchmarks/question_types.py [--arcd ../shared/benchmarks/arcd/arcd-train.json] [--json OUT]

Labels: tests/data/question_labels.json (ids only). Detectors: ``asks_for_several`` (a list answer) and,
for comparison, the list pattern it replaced (``LEGACY_LIST`` below, as it was in assistant/answer.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.question_type import asks_for_several  # noqa: E402

LABELS = ROOT / "tests" / "data" / "question_labels.json"
LEGACY_LIST = re.compile(
    r"\b(what|which) (are|were)\b|\blist\b|\bname (the|all)\b|\ball\b|\bgroups\b|\bpillars\b"
    r"|ما هي|ماهي|ما هى|اذكر|عدد|ما أبرز|ما ابرز|مجموعات|ركائز|مجاميع|فرق العمل|شنو هي|ايش هي",
    re.IGNORECASE,
)
DETECTORS: dict[str, Callable[[str], bool]] = {
    "legacy pattern": lambda q: bool(LEGACY_LIST.search(q)),
    "asks_for_several": asks_for_several,
}


def scores(questions: dict[str, str], positives: set[str], detector: Callable[[str], bool]) -> dict[str, float]:
    fired = {i for i, q in questions.items() if detector(q)}
    right = len(fired & positives)
    return {"n": len(questions), "labelled_yes": len(positives), "fired": len(fired),
            "precision": right / len(fired) if fired else 1.0, "recall": right / len(positives) if positives else 1.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arcd", type=Path, default=ROOT.parent / "shared" / "benchmarks" / "arcd" / "arcd-train.json")
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args()
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    gold = {(r := json.loads(line))["id"]: r["question"]
            for line in (ROOT / "corpus" / "gold_qa.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()}
    data = json.loads(args.arcd.read_text(encoding="utf-8"))
    arcd = {q["id"]: q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]}
    several = set(labels["arcd"]["several"])
    sample = {i: arcd[i] for i in labels["arcd"]["sample"]}
    results = {}
    for name, detector in DETECTORS.items():
        results[name] = {
            "gold (all 170)": scores(gold, set(labels["gold"]["several"]), detector),
            "ARCD random sample (150)": scores(sample, several & set(sample), detector),
            "ARCD fired, all 693 (precision)": _fired_precision(arcd, set(labels["arcd"]["judged"]), several, detector),
        }
    print(f"{'detector':18s} {'set':34s} {'n':>4s} {'yes':>4s} {'fired':>5s} {'P':>6s} {'R':>6s}")
    for name, by_set in results.items():
        for set_name, s in by_set.items():
            print(f"{name:18s} {set_name:34s} {s['n']:4d} {s['labelled_yes']:4d} {s['fired']:5d} "
                  f"{s['precision']:6.2f} {s.get('recall', float('nan')):6.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


def _fired_precision(questions: dict[str, str], judged: set[str], several: set[str],
                     detector: Callable[[str], bool]) -> dict[str, float]:
    """Precision over every question the detector fires on; unjudged firings are counted, not guessed."""
    fired = {i for i, q in questions.items() if detector(q)}
    known = fired & judged
    return {"n": len(questions), "labelled_yes": len(several), "fired": len(fired), "unjudged_fired": len(fired - judged),
            # a precision over a part of what fired would flatter: none unless every firing is judged
            "precision": len(known & several) / len(known) if known and fired <= judged else float("nan"),
            "recall": float("nan")}


if __name__ == "__main__":
    main()
