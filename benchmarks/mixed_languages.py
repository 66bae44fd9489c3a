"""Retrieval in a store that holds documents in both languages (assistant/cross_language.py).

    python benchmarks/mixed_languages.py --data ../shared/benchmarks/xquad-r [--offsets 0,0.04,0.07]
                                         [--data-dir /tmp/mixed] [--out runs/mixed]

XQuAD-R's articles alternate: the paragraphs of odd-numbered articles are ingested in Arabic, those
of even-numbered ones in English (one ``Document`` each, through ``Assistant.ingest_documents``), so
each topic is in the store once, in one language. Every question is asked in both languages with
``Assistant.rank``: in the language of its paragraph ("same") and in the other ("across"). Gold: our
sentence holding the answer's start. Reported per half (fit: articles whose index is 0 or 1 modulo
4, where the offset is chosen; report: 2 or 3): R@1, R@5, the right document first, the first hit in
the paragraph's language. ``--ask`` also asks each question with ``Assistant.ask``: answered, the
gold sentence cited, and the citations' precision (the share of them in the gold paragraph; over the
answered questions). ``--offsets`` ranks again with each ``cross_language_offset`` over the same
store (the first run builds it in ``--data-dir``; later runs reuse it).
XQuAD-R (CC BY-SA 4.0) is read from ``--data`` and never copied into this repository.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import build_assistant, load_settings  # noqa: E402
from assistant.corpus import Document  # noqa: E402
from assistant.segmentation import segment, sentences_of  # noqa: E402

LANGUAGES = ("ar", "en")


@dataclass(frozen=True)
class Question:
    article: int
    text: dict[str, str]  # language -> the question in it
    language: str  # its paragraph's, as stored
    gold: tuple[str, str]  # (document id, sentence id)

    @property
    def half(self) -> str:
        return "fit" if self.article % 4 in (0, 1) else "report"


def load(data: Path) -> tuple[list[Document], list[Question]]:
    articles = {lang: json.loads((data / f"{lang}.json").read_text(encoding="utf-8"))["data"] for lang in LANGUAGES}
    documents: list[Document] = []
    questions: list[Question] = []
    for number, pair in enumerate(zip(articles["ar"], articles["en"]), 1):
        language = "ar" if number % 2 else "en"
        stored, other = (pair[0], pair[1]) if language == "ar" else (pair[1], pair[0])
        for n, (paragraph, twin) in enumerate(zip(stored["paragraphs"], other["paragraphs"]), 1):
            document = Document(id=f"mixed-{language}-{number:02d}-{n}", text=paragraph["context"],
                                title=stored["title"], language=language, source=f"XQuAD-R {language}.json #{n}")
            documents.append(document)
            sentences = sentences_of(segment(paragraph["context"]))
            translated = {qa["id"]: qa["question"] for qa in twin["qas"]}
            for qa in paragraph["qas"]:
                start = qa["answers"][0]["answer_start"]
                holder = next((s for s in sentences if s.start <= start < s.end), None)
                if holder is not None and qa["id"] in translated:
                    texts = {language: qa["question"], ("en" if language == "ar" else "ar"): translated[qa["id"]]}
                    questions.append(Question(number, texts, language, (document.id, holder.id)))
    return documents, questions


ASK_METRICS = ("answered", "cited", "precision")


def measure(assistant, questions: list[Question], ask: bool = False) -> list[dict]:
    rows = []
    for question in questions:
        for asked in LANGUAGES:
            hits = assistant.rank(question.text[asked]).hits
            ranked = [hit.ref for hit in hits]
            rank = ranked.index(question.gold) + 1 if question.gold in ranked else None
            first = hits[0].document_id if hits else ""
            rows.append({"half": question.half, "asked": "same" if asked == question.language else "across",
                         "r1": float(rank == 1), "r5": float(rank is not None and rank <= 5),
                         "document1": float(first == question.gold[0]),
                         "language1": float(first.startswith(f"mixed-{question.language}-"))})
            if ask:
                rows[-1] |= asked_row(assistant.ask(question.text[asked]), question.gold)
    return rows


def asked_row(answer, gold: tuple[str, str]) -> dict:
    cited = [(c.document_id, c.sentence_id) for c in answer.citations]
    in_gold = sum(document == gold[0] for document, _ in cited)
    return {"answered": float(bool(cited)), "cited": float(gold in cited),
            "precision": in_gold / len(cited) if cited else None}


def summarise(rows: list[dict]) -> dict[str, dict[str, float]]:
    out = {}
    for half in ("fit", "report"):
        for asked in ("same", "across"):
            chosen = [row for row in rows if row["half"] == half and row["asked"] == asked]
            metrics = ("r1", "r5", "document1", "language1") + (ASK_METRICS if "answered" in chosen[0] else ())
            out[f"{half} {asked}"] = {metric: round(statistics.fmean(row[metric] for row in chosen
                                                                     if row[metric] is not None), 3)
                                      for metric in metrics} | {"n": len(chosen)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/mixed-languages"))
    parser.add_argument("--offsets", default="", help="comma-separated cross_language_offset values (default: fitted)")
    parser.add_argument("--out", type=Path, default=Path("runs/mixed"))
    parser.add_argument("--ask", action="store_true", help="also ask each question (answered, cited, precision)")
    args = parser.parse_args()
    documents, questions = load(args.data)
    results = {}
    for offset in [float(x) for x in args.offsets.split(",") if x] or [None]:
        assistant = build_assistant(load_settings(data_dir=args.data_dir, cross_language_offset=offset))
        if len(assistant.documents()) < len(documents):
            started = time.perf_counter()
            assistant.ingest_documents(documents)
            print(f"ingested {len(documents)} paragraphs in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        results["fitted" if offset is None else str(offset)] = summary = summarise(measure(assistant, questions, args.ask))
        for name, row in summary.items():
            print(f"offset {offset if offset is not None else 'fitted'}  {name:14s}", json.dumps(row))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "mixed_languages.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    asked = ASK_METRICS if args.ask else ()
    lines = ["| offset | half | asked | n | R@1 | R@5 | document first | its language first |"
             + "".join(f" {metric} |" for metric in asked), "|---|---|---|---|---|---|---|---|" + "---|" * len(asked)]
    lines += [f"| {offset} | {name.split()[0]} | {name.split()[1]} | {row['n']} | {row['r1']:.3f} | {row['r5']:.3f} | "
              f"{row['document1']:.3f} | {row['language1']:.3f} |" + "".join(f" {row[m]:.3f} |" for m in asked)
              for offset, summary in results.items() for name, row in summary.items()]
    (args.out / "mixed_languages.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}/mixed_languages.json and .md")


if __name__ == "__main__":
    main()
