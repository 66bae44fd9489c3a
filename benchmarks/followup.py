"""Fit and check the conversation's fusion (assistant/conversation.py) on the follow-up gold set.

    python benchmarks/followup.py [--data-dir DIR] [--distractors-dir DIR2] [--dialogues-dir DIR3]

1. How often the leaning cues fire on questions that stand alone (false leans): the gold set's
   questions, ARCD's and XQuAD-R's (read from /work/shared/benchmarks by path, or --benchmarks).
2. A grid of history weights (how much the previous turn's passage scores count against the
   question's own, assistant/conversation.py) on the fit half of corpus/followup_qa.jsonl; the best
   fit is then reported on the held-out half, beside the policies "never" (every question on its
   own) and "always" (every follow-up fused). With --distractors-dir, the same dialogues are also
   run over a second store holding the article and XQuAD-R's 240 Arabic paragraphs as other
   documents (ingested there on first use): a follow-up's own words then find other documents'
   passages, as in a real store; the weight is chosen on the fit half of both stores together.
3. With --dialogues-dir, also benchmarks/dialogues/: 96 dialogues a helper wrote as a new user would
   over ten documents of its own (reports, a programme, a policy, Wikipedia-like prose; Arabic and
   English), ingested into a third store. A turn is right when the first sentence shown (citation
   [1], or the first related sentence when it abstains) is from the named document and holds every
   ``must`` string; ``unanswerable`` follow-ups (the documents do not say) must be refused. The
   history weight and the carry-over (``Fusion.carry``; ``CARRY_PASSAGES`` as it stands) are chosen
   on the sum, over the three stores, of follow-ups whose sentence comes first (the gold set's fit
   half, all of these). Then, at those, the history's weight for later questions without a cue
   (``Fusion.unmarked_weight``), on follow-ups and topic changes right less topic changes dragged.
4. Then, with --dialogues-dir, benchmarks/dialogues/bare_followups.jsonl (30 dialogues a second helper
   wrote over the same documents, each with a follow-up that has no word of its own: "And how?",
   "From whom?", "ومتى؟"), reported at the chosen constants and never chosen on; ``--bare`` runs it
   alone at the constants as they stand.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant, build_assistant, load_settings  # noqa: E402
from assistant.conversation import (CARRY, HISTORY_WEIGHT, UNMARKED_WEIGHT, Conversation, Fusion, Lean,  # noqa: E402
                                    leaning_cue)
from assistant.corpus import document_id_for  # noqa: E402
from assistant.evaluation import Dialogue, load_dialogues, run_dialogues  # noqa: E402


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


DIALOGUES = ROOT / "benchmarks" / "dialogues"
BARE = "bare_followups.jsonl"


def dialogue_store(data_dir: Path) -> Assistant:
    """benchmarks/dialogues/documents in one store (ingested there on first use)."""
    assistant = build_assistant(load_settings(data_dir=data_dir)).warm_up()
    files = sorted((DIALOGUES / "documents").iterdir())
    stored = {info.id for info in assistant.documents()}
    if not {document_id_for(path) for path in files} <= stored:
        assistant.ingest(*files)
    return assistant


def user_dialogues(assistant: Assistant, fusion: Fusion, name: str = "dialogues.jsonl") -> dict[str, int]:
    """benchmarks/dialogues/``name`` through ``Conversation``: per kind of turn, how many there are and
    how many went right (see the module doc)."""
    counts: dict[str, int] = {}
    for line in (DIALOGUES / name).read_text(encoding="utf-8").splitlines():
        conversation = Conversation(assistant, fusion)
        for turn in json.loads(line)["turns"]:
            answer = conversation.ask(turn["question"])
            shown = answer.citations or answer.related
            if turn["kind"] == "unanswerable":
                right = answer.abstained
            else:
                document = document_id_for(Path(turn["document"]))
                right = bool(shown) and shown[0].document_id == document and all(m in shown[0].quote for m in turn["must"])
            counts[turn["kind"]] = counts.get(turn["kind"], 0) + 1
            counts[f"{turn['kind']} right"] = counts.get(f"{turn['kind']} right", 0) + right
    return counts


def fit_total(stores: dict[str, Assistant], fit: list[Dialogue], users: Assistant | None, fusion: Fusion,
              label: str, kinds: tuple[str, ...]) -> int:
    """What a grid point scores: turns of ``kinds`` right, less topic changes dragged, over the fit halves
    of every store, plus ``kinds`` right on benchmarks/dialogues/; each store's summary printed."""
    total = 0
    for name, assistant in stores.items():
        records = [r for r in run_dialogues(assistant, fit, fusion=fusion) if r.dialogue.split == "fit"]
        total += sum(r.hit for r in records if r.turn.kind in kinds) - sum(r.dragged for r in records)
        print(f"fit  {label} {name}: {summary(records, 'fit')}")
    if users is not None:
        counts = user_dialogues(users, fusion)
        total += sum(counts[f"{kind} right"] for kind in kinds)
        print(f"     {label} benchmarks/dialogues: {counts}")
    return total


def unmarked_weight(stores: dict[str, Assistant], fit: list[Dialogue], users: Assistant | None, weight: float,
                    carry: float) -> float:
    """The history's weight for later questions without a cue, chosen on follow-ups right plus topic
    changes right, less topic changes dragged, over the fit halves and benchmarks/dialogues/."""
    results = []
    for unmarked in (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.5):
        fusion = Fusion(weight, Lean.CUE, carry, unmarked)
        total = fit_total(stores, fit, users, fusion, f"unmarked weight {unmarked:.2f}", ("followup", "topic_change"))
        results.append((total, unmarked))
    return max(results, key=lambda r: (r[0], r[1] == UNMARKED_WEIGHT, -r[1]))[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--distractors-dir", type=Path, help="a second data dir: the article among other documents")
    parser.add_argument("--dialogues-dir", type=Path, help="a third data dir: benchmarks/dialogues' documents")
    parser.add_argument("--benchmarks", type=Path, default=Path("/work/shared/benchmarks"))
    parser.add_argument("--bare", action="store_true",
                        help=f"only run {BARE} at the constants as they stand (with --dialogues-dir)")
    args = parser.parse_args()
    if args.bare:
        print(f"{BARE}: {user_dialogues(dialogue_store(args.dialogues_dir), Fusion(), BARE)}")
        return
    false_leans(args.benchmarks)
    stores = {"article": build_assistant(load_settings(data_dir=args.data_dir)).warm_up()}
    if args.distractors_dir:
        stores["article + 240 documents"] = distractor_store(args.distractors_dir, args.benchmarks)
    users = dialogue_store(args.dialogues_dir) if args.dialogues_dir else None
    dialogues = load_dialogues(ROOT / "corpus" / "followup_qa.jsonl")
    fit = [d for d in dialogues if d.split == "fit"]
    results = []
    for weight in (0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0):
        for carry in (0.0, 0.8, 0.9, 0.95, 1.0):
            fusion = Fusion(weight, Lean.CUE, carry)
            total = fit_total(stores, fit, users, fusion, f"weight {weight:.2f} carry {carry:.2f}", ("followup",))
            results.append((total, weight, carry))
    # Ties: the constants as they stand (a change must gain something), then the lighter fusion.
    _, weight, carry = max(results, key=lambda r: (r[0], (r[1], r[2]) == (HISTORY_WEIGHT, CARRY), -r[1], -r[2]))
    print(f"\nchosen on the fit halves: weight {weight}, carry {carry}")
    unmarked = unmarked_weight(stores, fit, users, weight, carry)
    print(f"\nchosen on the fit halves: unmarked weight {unmarked}")
    for name, assistant in stores.items():
        for lean in Lean:
            records = run_dialogues(assistant, dialogues, fusion=Fusion(weight, lean, carry, unmarked))
            print(f"{name}: lean {lean.value:6s}  fit {summary(records, 'fit')}  "
                  f"held-out {summary(records, 'held-out')}")
    if users is not None:  # follow-ups with no words of their own ("And how?"): reported, never fitted on
        counts = user_dialogues(users, Fusion(weight, Lean.CUE, carry, unmarked), BARE)
        print(f"benchmarks/dialogues/{BARE}: {counts}")


if __name__ == "__main__":
    main()
