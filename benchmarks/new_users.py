"""New users' trials: documents a helper wrote in genres not tried before, questions written before any run.

    python benchmarks/new_users.py benchmarks/users/trial41 [TRIAL ...] [--out DIR] [--model-dir .data/models]
    python benchmarks/new_users.py --compare DIR_A DIR_B

A trial is a folder:

* ``documents/``: the files, as a user would ingest them (.md, .txt, .pdf);
* ``questions.jsonl``: ``{"id", "document", "question", "answers": [...], "kind"}``, ``kind`` one of
  ``same`` (asked in the document's language), ``other`` (in the other language; the answer texts are
  still the document's words) and ``unanswerable`` (the documents do not say; ``answers`` empty);
* ``dialogues.jsonl``: ``{"id", "document", "turns": [{"question", "answers"}, ...]}``.

Each trial gets a fresh store of its own (a temporary folder), filled with ``Assistant.ingest`` at
default settings; every question is asked with ``Assistant.ask``, every dialogue turn with one
``Conversation`` per dialogue. An answer is right when its highest-scored citation holds one of the
answer texts (``first``) or some citation does (``any``), both folded as ``normalize`` folds them;
``refused`` is an abstention (right only for the unanswerable ones). Writes ``DIR/items.jsonl`` (every
question's outcome, top quote and probability) and prints a table per trial; ``--compare`` prints the
questions whose outcome differs between two runs, and both runs' totals.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import Answer, Conversation, build_assistant, load_settings  # noqa: E402
from assistant.normalize import normalize  # noqa: E402

KINDS = ("same", "other", "unanswerable", "dialogue")


def holds_answer(text: str, answers: Sequence[str]) -> bool:
    folded = normalize(text)
    return any(normalize(answer) and normalize(answer) in folded for answer in answers)


def outcome(answer: Answer, answers: Sequence[str]) -> dict:
    """What one answer scored: first / any citation holds an answer text, refused."""
    cited = sorted(answer.citations, key=lambda c: -c.score)  # citations come in reading order
    quotes = [] if answer.abstained else [c.quote for c in cited]
    shown = cited or list(answer.related)  # with an abstention, the closest sentences
    return {
        "first": bool(quotes) and holds_answer(quotes[0], answers),
        "any": any(holds_answer(quote, answers) for quote in quotes),
        "refused": answer.abstained,
        "probability": round(answer.probability, 3),
        "top": {"document": shown[0].document_id, "quote": shown[0].quote[:300]} if shown else None,
    }


def _jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_trial(folder: Path, model_dir: Path | None) -> list[dict]:
    """Every question and dialogue turn of one trial, asked in a fresh store of its own."""
    data_dir = Path(tempfile.mkdtemp(prefix="new-users-"))
    try:
        # corpus_dir without a manifest: warm_up must not fill the store with the project's corpus.
        overrides = {"model_dir": model_dir} if model_dir else {}
        assistant = build_assistant(load_settings(data_dir=data_dir, corpus_dir=data_dir / "no-corpus",
                                                  **overrides))
        assistant.ingest(folder / "documents")
        rows = []
        for item in _jsonl(folder / "questions.jsonl"):
            answer = assistant.ask(item["question"])
            rows.append({"trial": folder.name, "id": item["id"], "kind": item["kind"],
                         "question": item["question"], **outcome(answer, item.get("answers", []))})
        for dialogue in _jsonl(folder / "dialogues.jsonl"):
            conversation = Conversation(assistant)
            for n, turn in enumerate(dialogue["turns"], start=1):
                answer = conversation.ask(turn["question"])
                rows.append({"trial": folder.name, "id": f"{dialogue['id']}.{n}", "kind": "dialogue",
                             "question": turn["question"], **outcome(answer, turn["answers"])})
        return rows
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def totals(rows: Iterable[dict]) -> dict[str, str]:
    """One line of counts: first / any of the answerable ones, refused, the unanswerable ones refused."""
    by_kind: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for row in rows:
        by_kind[row["kind"]].append(row)

    def count(kind: str, key: str) -> int:
        return sum(row[key] for row in by_kind[kind])

    return {
        "same first/any": f"{count('same', 'first')}/{count('same', 'any')} of {len(by_kind['same'])}",
        "other first/any": f"{count('other', 'first')}/{count('other', 'any')} of {len(by_kind['other'])}",
        "answerable refused": f"{count('same', 'refused')}+{count('other', 'refused')}",
        "unanswerable refused": f"{count('unanswerable', 'refused')} of {len(by_kind['unanswerable'])}",
        "dialogue first": f"{count('dialogue', 'first')} of {len(by_kind['dialogue'])}",
    }


def table(rows: list[dict]) -> str:
    trials = sorted({row["trial"] for row in rows})
    lines = []
    for name in trials + ["all"]:
        line = totals(row for row in rows if name in ("all", row["trial"]))
        lines.append(f"{name:10} " + "; ".join(f"{key} {value}" for key, value in line.items()))
    return "\n".join(lines)


def compare(first: Path, second: Path) -> str:
    """The questions whose outcome differs between two runs, then both runs' totals."""
    before = {(row["trial"], row["id"]): row for row in _jsonl(first / "items.jsonl")}
    after = {(row["trial"], row["id"]): row for row in _jsonl(second / "items.jsonl")}
    lines = []
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        if any(a[k] != b[k] for k in ("first", "any", "refused")):
            flags = lambda r: "".join(c for c, k in (("F", "first"), ("A", "any"), ("R", "refused")) if r[k]) or "-"
            lines.append(f"{key[0]} {key[1]:8} {a['kind']:12} {flags(a):>3} -> {flags(b):3} {b['question']}")
            for label, row in (("was", a), ("now", b)):
                top = row.get("top") or {}
                lines.append(f"      {label}: {top.get('document', '')}: {top.get('quote', '')[:160]!r}")
    lines += ["", f"{first}:", table(list(before.values())), f"{second}:", table(list(after.values()))]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trials", nargs="*", type=Path, help="trial folders")
    parser.add_argument("--out", type=Path, help="where items.jsonl goes")
    parser.add_argument("--model-dir", type=Path, help="built models (default: each store's own)")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args(argv)
    if args.compare:
        print(compare(*args.compare))
        return 0
    if not args.trials:
        parser.error("give trial folders, or --compare BEFORE AFTER")
    rows = [row for folder in args.trials for row in run_trial(folder, args.model_dir)]
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        with (args.out / "items.jsonl").open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
