"""Precision and recall of the question-type detectors against hand labels, and how often the
answer-type gate would refuse an answerable question.

    python benchmarks/question_types.py [--arcd ../shared/benchmarks/arcd/arcd-train.json]
        [--xquad ../shared/benchmarks/xquad-r] [--json OUT] [--show]

Labels: tests/data/question_labels.json (ids only). Detectors: ``asks_for_several`` (a list answer) and,
for comparison, the list pattern it replaced (``LEGACY_LIST`` below, as it was in assistant/answer.py).

The gate (assistant/answer.py): a question that asks for a quantity or a date is refused when no
sentence it would cite holds one that the question does not name itself (``gives_answer_type``). Its misses on answerable questions are
counted on each question's gold sentences (cut by our segmenter, found as the open-QA benchmark
finds them) in ARCD-train and XQuAD-R (Arabic and English): gold sentences without the type are a
question the gate refuses even when retrieval finds the right sentence. ``--show`` lists them.
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

from assistant.question_type import asks_for_several, gives_answer_type, wanted_answer_types  # noqa: E402
from assistant.segmentation import segment, sentences_of  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from open_qa import gold_sentences  # noqa: E402

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
    parser.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "benchmarks" / "xquad-r")
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    parser.add_argument("--show", action="store_true", help="list the gold sentences the gate would refuse")
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
    sets = {"ARCD-train": args.arcd, "XQuAD-R ar": args.xquad / "ar.json", "XQuAD-R en": args.xquad / "en.json"}
    results["answer-type gate"] = gate = {name: gate_misses(path, args.show) for name, path in sets.items()}
    print(f"\n{'answer-type gate':18s} {'set':34s} {'type':14s} {'asked':>5s} {'gold sentence lacks it':>22s}")
    for set_name, by_type in gate.items():
        for kind, s in by_type.items():
            print(f"{'':18s} {set_name:34s} {kind:14s} {s['asked']:5d} {s['lacking']:22d}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


def gate_misses(path: Path, show: bool = False) -> dict[str, dict[str, int]]:
    """Per answer type: how many questions ask for it, and how many of their gold sentences (as the
    open-QA benchmark finds them) hold none."""
    counts: dict[str, dict[str, int]] = {}
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            paragraphs = segment(paragraph["context"])
            text_of = {sentence.id: sentence.text for sentence in sentences_of(paragraphs)}
            for qa in paragraph["qas"]:
                answers = [(answer["text"], int(answer["answer_start"])) for answer in qa["answers"]]
                gold = [text_of[sentence_id] for _, sentence_id in gold_sentences("", paragraphs, answers)]
                for kind in wanted_answer_types(qa["question"]):
                    row = counts.setdefault(kind, {"asked": 0, "lacking": 0})
                    row["asked"] += 1
                    if not any(gives_answer_type(kind, qa["question"], text) for text in gold):
                        row["lacking"] += 1
                        if show:
                            print(f"  {path.name} {kind}: {qa['question']} => {answers[0][0]}")
    return counts


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
