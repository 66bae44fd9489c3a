"""Fit and check the conversation's fusion (assistant/conversation.py) on the follow-up gold set.

    python benchmarks/followup.py [--data-dir DIR] [--distractors-dir DIR2]

1. How often the leaning cues fire on questions that stand alone (false leans): the gold set's
   questions, ARCD's and XQuAD-R's (read from /work/shared/benchmarks by path, or --benchmarks).
2. A grid of history weights (how much the previous turn's passage scores count against the
   question's own, assistant/conversation.py) on the fit half of corpus/followup_qa.jsonl; the best
   fit is then reported on the held-out half, beside the policies "never" (every question on its
   own) and "always" (every follow-up fused). With --distractors-dir, the same dialogues are also
   run over a second store holding the article and XQuAD-R's 240 Arabic paragraphs as other
   documents (ingested there on first use): a follow-up's own words then find other documents'
   passages, as in a real store; the weight is chosen on the fit half of both stores together.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant, build_assistant, load_settings  # noqa: E402
from assistant.conversation import Fusion, Lean, leaning_cue  # noqa: E402
from assistant.evaluation import load_dialogues, run_dialogues  # noqa: E402


def squad_questions(path: Path) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return [qa["question"] for article in data for paragraph in article["paragraphs"] for qa in paragraph["qas"]]


def false_leans(benchmarks: Path) -> None:
    sets = {"gold_qa": [json.loads(line)["question"] for line in (ROOT / "corpus" / "gold_qa.jsonl").open()]}
    for name, path in (("arcd", benchmarks / "arcd" / "arcd-train.json"),
                       ("xquad-r en", benchmarks / "xquad-r" / "en.json"),
                       ("xquad-r ar", benchmarks / "xquad-r" / "ar.json")):
        if path.is_file():
            sets[name] = squad_questions(path)
    for name, questions in sets.items():
        cues = [leaning_cue(q) for q in questions]
        fired = [c for c in cues if c]
        print(f"{name:11s} standalone questions {len(questions):5d}  lean cue fires on {len(fired) / len(questions):.3f}")


def summary(records, split: str) -> dict[str, float]:
    out = {}
    for kind in ("first", "followup", "topic_change"):
        group = [r for r in records if r.dialogue.split == split and r.turn.kind == kind]
        out[kind] = round(sum(r.hit for r in group) / len(group), 3)
    group = [r for r in records if r.dialogue.split == split and r.turn.kind == "topic_change"]
    out["dragged"] = round(sum(r.dragged for r in group) / len(group), 3)
    return out


def distractor_store(data_dir: Path, benchmarks: Path) -> Assistant:
    """The article and XQuAD-R's Arabic paragraphs (240 documents) in one store."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from xquad_r import load_xquad

    assistant = build_assistant(load_settings(data_dir=data_dir)).warm_up()
    if not any(info.id.startswith("xq-") for info in assistant.documents()):
        documents, _, _ = load_xquad(benchmarks / "xquad-r")
        assistant.ingest_documents(documents)
    return assistant


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--distractors-dir", type=Path, help="a second data dir: the article among other documents")
    parser.add_argument("--benchmarks", type=Path, default=Path("/work/shared/benchmarks"))
    args = parser.parse_args()
    false_leans(args.benchmarks)
    stores = {"article": build_assistant(load_settings(data_dir=args.data_dir)).warm_up()}
    if args.distractors_dir:
        stores["article + 240 documents"] = distractor_store(args.distractors_dir, args.benchmarks)
    dialogues = load_dialogues(ROOT / "corpus" / "followup_qa.jsonl")
    fit = [d for d in dialogues if d.split == "fit"]
    results = []
    for weight in (0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0):
        total = 0.0
        for name, assistant in stores.items():
            scores = summary(run_dialogues(assistant, fit, fusion=Fusion(weight, Lean.CUE)), "fit")
            total += scores["followup"] - scores["dragged"]
            print(f"fit  weight {weight:.2f} {name}: {scores}")
        results.append((round(total, 6), weight))
    _, weight = max(results, key=lambda r: (r[0], -r[1]))  # ties: the lighter fusion
    print(f"\nchosen on the fit half: weight {weight}")
    for name, assistant in stores.items():
        for lean in Lean:
            records = run_dialogues(assistant, dialogues, fusion=Fusion(weight, lean))
            print(f"{name}: lean {lean.value:6s}  fit {summary(records, 'fit')}  "
                  f"held-out {summary(records, 'held-out')}")


if __name__ == "__main__":
    main()
