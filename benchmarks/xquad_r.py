"""XQuAD-R sentence retrieval (Arabic pool) through the production ingest path and retrievers.

    python benchmarks/xquad_r.py --data ../shared/benchmarks/xquad-r [--out runs/xquad]
                                 [--data-dir /tmp/xq] [--model-dir .data/models] [--limit N]

XQuAD-R (CC BY-SA 4.0, the LAReQA / XQuAD authors') is read from ``--data`` and never copied into
this repository. The 240 Arabic paragraphs are ingested as one ``Document`` each (id
``xq-<article>-<n>``) with ``Assistant.ingest_documents``, so our own segmenter cuts the sentences.
Each question's gold sentence is the sentence of ours whose span holds the Arabic ``answer_start``
(the README's definition, applied to our sentences instead of XQuAD's ``sentence_breaks``). The
1,190 Arabic questions (AR->AR) and the 1,190 English ones (EN->AR, same ids) are then run through
``Assistant.retrieve`` (the ranking ``ask`` answers from) for every ``RetrievalMode``: recall@1, recall@5, MRR@10, on all
questions and on the even / odd question indexes (the halves used for fitting / held-out reports
in docs/benchmarks.md), plus ingest time and per-query latency.

Writes ``<out>/xquad_r.json`` and ``<out>/xquad_r.md`` (the table for docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the Makefile: BLAS and torch share 2 cores
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# This checkout's package, not whichever one the virtualenv installed (it may be another worktree's).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import build_assistant, load_settings  # noqa: E402
from assistant.corpus import Document  # noqa: E402
from assistant.embedding import embedding_model_id  # noqa: E402
from assistant.segmentation import segment, sentences_of  # noqa: E402
from assistant.settings import PROJECT_ROOT, RetrievalMode  # noqa: E402

NAMESPACE = "xquad-r-ar"
REFERENCE_POOL = 1222  # sentences in XQuAD-R's own sentence_breaks for the 240 Arabic paragraphs


@dataclass(frozen=True)
class Question:
    index: int  # position in the file (0-based): even = fitting half, odd = held-out half
    id: str
    ar: str
    en: str
    gold: tuple[str, str]  # (document id, our sentence id)
    gold_paragraph: tuple[str, str]  # (document id, our paragraph id)
    clean: bool  # the whole answer lies inside the gold sentence


def load_xquad(data: Path) -> tuple[list[Document], list[Question], dict]:
    ar = json.loads((data / "ar.json").read_text(encoding="utf-8"))
    en = json.loads((data / "en.json").read_text(encoding="utf-8"))
    en_questions = {qa["id"]: qa["question"] for article in en["data"] for p in article["paragraphs"]
                    for qa in p["qas"]}
    documents: list[Document] = []
    questions: list[Question] = []
    stats = {"paragraphs": 0, "reference_pool": 0, "our_pool": 0, "our_paragraphs": 0,
             "answers": 0, "clean": 0, "straddling": 0, "unmapped": 0, "same_span_as_reference": 0,
             "paragraphs_with_other_sentence_count": 0}
    for a, article in enumerate(ar["data"], start=1):
        for n, paragraph in enumerate(article["paragraphs"], start=1):
            context = paragraph["context"]
            document = Document(id=f"xq-{a:02d}-{n}", text=context, title=article["title"],
                                language="ar", source=f"XQuAD-R ar.json {article['title']} #{n}")
            documents.append(document)
            ours = sentences_of(segment(context))
            stats["paragraphs"] += 1
            stats["reference_pool"] += len(paragraph["sentence_breaks"])
            stats["our_pool"] += len(ours)
            stats["our_paragraphs"] += len(segment(context))
            stats["paragraphs_with_other_sentence_count"] += len(ours) != len(paragraph["sentence_breaks"])
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]
                start, text = answer["answer_start"], answer["text"]
                stats["answers"] += 1
                holder = next((s for s in ours if s.start <= start < s.end), None)
                if holder is None:
                    stats["unmapped"] += 1
                    continue
                clean = start + len(text) <= holder.end
                stats["clean" if clean else "straddling"] += 1
                ref = next((b for b in paragraph["sentence_breaks"] if b[0] <= start < b[1]), None)
                if ref is not None and context[ref[0]:ref[1]].strip() == holder.text:
                    stats["same_span_as_reference"] += 1
                questions.append(Question(len(questions), qa["id"], qa["question"], en_questions[qa["id"]],
                                          (document.id, holder.id), (document.id, holder.paragraph_id),
                                          clean))
    return documents, questions, stats


def score(ranked: list[tuple[str, str]], question: Question) -> dict[str, float]:
    rank = ranked.index(question.gold) + 1 if question.gold in ranked else None
    return {
        "r1": float(rank == 1),
        "r5": float(rank is not None and rank <= 5),
        "mrr10": 1.0 / rank if rank is not None and rank <= 10 else 0.0,
        "p1": float(bool(ranked) and (ranked[0][0], _paragraph_of(ranked[0][1])) == question.gold_paragraph),
    }


def _paragraph_of(sentence_id: str) -> str:
    return sentence_id.split(".")[0]


def summarise(rows: list[dict[str, float]], questions: list[Question]) -> dict[str, dict[str, float]]:
    halves = {"all": lambda q: True, "fit (even)": lambda q: q.index % 2 == 0,
              "held-out (odd)": lambda q: q.index % 2 == 1}
    out = {}
    for name, keep in halves.items():
        chosen = [row for row, q in zip(rows, questions) if keep(q)]
        out[name] = {metric: round(statistics.fmean(r[metric] for r in chosen), 4) for metric in chosen[0]}
        out[name]["n"] = len(chosen)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder with XQuAD-R ar.json and en.json")
    parser.add_argument("--out", type=Path, default=Path("runs/xquad"))
    parser.add_argument("--data-dir", type=Path, help="store folder (default: a new temporary one, removed after)")
    parser.add_argument("--model-dir", type=Path, default=PROJECT_ROOT / ".data" / "models",
                        help="where the built e5 model is cached (default: the project's .data/models)")
    parser.add_argument("--limit", type=int, help="only the first N questions per direction (smoke runs)")
    parser.add_argument("--modes", default=",".join(m.value for m in RetrievalMode))
    args = parser.parse_args()
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)

    documents, questions, stats = load_xquad(args.data)
    if args.limit:
        questions = questions[: args.limit]
    print(f"{len(documents)} paragraphs; pool with our segmenter {stats['our_pool']} sentences "
          f"(XQuAD sentence_breaks: {stats['reference_pool']}); answers: {stats['clean']} clean, "
          f"{stats['straddling']} straddle a sentence end, {stats['unmapped']} unmapped", flush=True)

    temporary = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="xquad-r-")) if temporary else args.data_dir
    try:
        # corpus_dir without a manifest: warm_up must not fill the store with the project's corpus.
        settings = load_settings(data_dir=data_dir, namespace=NAMESPACE, model_dir=args.model_dir,
                                 corpus_dir=data_dir / "no-corpus")
        assistant = build_assistant(settings)
        t0 = time.perf_counter()
        assistant.warm_up()
        warm_up_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        changed = assistant.ingest_documents(documents)
        ingest_s = time.perf_counter() - t0
        print(f"warm-up {warm_up_s:.1f} s; ingest of {sum(changed)} new documents {ingest_s:.1f} s", flush=True)
        pool = sum(info.sentences for info in assistant.documents())

        results = {}
        for mode in [RetrievalMode(m) for m in args.modes.split(",")]:
            assistant.retrieve(questions[0].ar, mode=mode)  # warm
            for direction, attr in (("AR->AR", "ar"), ("EN->AR", "en")):
                rows, latencies = [], []
                for question in questions:
                    t0 = time.perf_counter()
                    # The ranking `ask` answers from (question cleaning included), without the answerer.
                    hits = assistant.retrieve(getattr(question, attr), mode=mode)
                    latencies.append((time.perf_counter() - t0) * 1000)
                    rows.append(score([(doc_id, sentence_id) for doc_id, sentence_id, _ in hits], question))
                latencies.sort()
                summary = summarise(rows, questions)
                summary["latency_ms"] = {"median": round(statistics.median(latencies), 1),
                                         "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 1)}
                results[f"{mode.value} {direction}"] = summary
                full = summary["all"]
                print(f"{mode.value:7s} {direction}: r@1 {full['r1']:.3f} r@5 {full['r5']:.3f} "
                      f"MRR@10 {full['mrr10']:.3f} para@1 {full['p1']:.3f} "
                      f"median {summary['latency_ms']['median']} ms", flush=True)
    finally:
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)

    report = {
        "benchmark": "XQuAD-R Arabic sentence retrieval (production retrievers)",
        "date": date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "command": command,
        "data": str(args.data),
        "documents": len(documents),
        "questions_per_direction": len(questions),
        "pool": {"ours": pool, "segmenter_count": stats["our_pool"], "xquad_sentence_breaks": stats["reference_pool"]},
        "mapping": stats,
        "candidates": settings.candidates,
        "embedding": f"{embedding_model_id(settings)}, backend {settings.embedding_backend.value}",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "warm_up_s": round(warm_up_s, 2),
        "ingest_s": round(ingest_s, 2),
        "ingested_documents": sum(changed),
        "results": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "xquad_r.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.out / "xquad_r.md").write_text(markdown(report), encoding="utf-8")
    print(f"wrote {args.out / 'xquad_r.json'} and {args.out / 'xquad_r.md'}")


def markdown(report: dict) -> str:
    m = report["mapping"]
    lines = [
        f"Production retrievers, {report['date']}, {report['machine']}.",
        f"Command: `{report['command']}`",
        "",
        f"Pool: {report['pool']['ours']} Arabic sentences with our segmenter (XQuAD's own sentence_breaks: "
        f"{report['pool']['xquad_sentence_breaks']}); {report['documents']} documents, "
        f"{m['our_paragraphs']} paragraphs. Gold answers: {m['clean']} of {m['answers']} lie wholly inside one "
        f"of our sentences, {m['straddling']} cross one of our sentence ends (gold = the sentence holding "
        f"answer_start), {m['unmapped']} unmapped; {m['same_span_as_reference']} gold sentences are "
        f"exactly XQuAD's. Ingest ({report['ingested_documents']} documents, through "
        f"`Assistant.ingest_documents`): {report['ingest_s']:.1f} s (model load before it: "
        f"{report['warm_up_s']:.1f} s). Embedding model: {report['embedding']}. {report['candidates']} candidates "
        f"per retriever. Load average at the "
        f"end (the 2 cores were shared with other work): {report['load_average_after']}.",
        "",
        "| mode | direction | R@1 all | R@5 all | MRR@10 all | R@1 held-out | R@5 held-out | MRR@10 held-out "
        "| para@1 all | latency median / p95 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, summary in report["results"].items():
        mode, direction = name.split(" ")
        a, h, lat = summary["all"], summary["held-out (odd)"], summary["latency_ms"]
        lines.append(f"| {mode} | {direction} | {a['r1']:.3f} | {a['r5']:.3f} | {a['mrr10']:.3f} | {h['r1']:.3f} "
                     f"| {h['r5']:.3f} | {h['mrr10']:.3f} | {a['p1']:.3f} | {lat['median']} / {lat['p95']} ms |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
