"""Open-domain QA over any SQuAD-format file, through the production ingest path and ``Assistant.ask``.

    python benchmarks/open_qa.py --data ../shared/benchmarks/arcd/arcd-train.json [--out runs/open_qa]
                                 [--half fit|report|all] [--modes hybrid,dense,bm25] [--no-baseline]
                                 [--data-dir DIR] [--model-dir .data/models] [--limit N]
                                 [--questions PARALLEL_FILE] [--whole-articles [--titled]]

Every paragraph (``context``) becomes one ``Document`` (id ``<prefix>-<article>-<n>``) ingested with
``Assistant.ingest_documents`` into a fresh store (a temporary one unless ``--data-dir``), so our own
segmenter cuts it. Every question of the chosen half is asked with ``Assistant.ask`` in each retrieval
mode (extractive answers, default settings otherwise) and ranked with ``Assistant.retrieve``.

Metrics (answers compared after ``normalize``: diacritics, alef, ya and ta marbuta folded):

* ``para1`` right paragraph first: the top of the ranking is a sentence of the question's own paragraph;
  ``para1_text`` the same, counting a paragraph that repeats the gold sentence verbatim as right too
  (ARCD-train holds 32 pairs of paragraphs of which one contains the other);
* ``top_cit`` the top citation of the answer holds a gold answer text; ``any_cit`` some citation does;
* ``abstained``; ``citations`` per answer (answered questions only);
* ``r1`` / ``r5`` / ``mrr`` of the full ranking: gold sentences are the sentences of the question's own
  paragraph that hold a gold answer text (the one holding ``answer_start`` when none holds it whole),
  and their verbatim copies in other paragraphs;
* ask latency p50 / p95 (warm, in-process), ingest sentences/s; every question's scores, citations and
  top of the ranking in ``open_qa_items.jsonl``.

Baseline in the same run: llama-index's default ``VectorStoreIndex.from_documents`` over the same
paragraphs (default ``SentenceSplitter``, our embedding model, in-memory store), retriever with
``similarity_top_k=5``: ``para1`` (top chunk from the right paragraph), ``top_cit`` (answer in the top
chunk), ``r5`` (a chunk of the right paragraph, or of one repeating the gold sentence, holding the answer
among the 5).

``--questions`` asks the questions of a parallel SQuAD file instead (the same question ids, e.g.
XQuAD-R's other language), over ``--data``'s paragraphs and judged by its answers: Arabic questions
about English documents, or the reverse.

``--whole-articles`` ingests each article as one document instead (its paragraphs in order, a blank
line between them), as a user's own multi-paragraph files are: "right paragraph first" is then the
question's paragraph inside its article (the halves are the same questions as without it), and the
llama-index baseline is not run (its chunks span paragraphs). With ``--titled`` each article opens
with its title as a Markdown heading ("# جمال خاشقجي"), as reports and Wikipedia pages a user saves do:
questions then name the document's subject, which its lead sentence names too.

Halves: a stable hash of the paragraph's document id (``half_of``) puts every question of one
paragraph in the same half; ``fit`` is what calibration and weights may be fitted on, ``report`` is
what docs/benchmarks.md reports. Writes ``<out>/open_qa.json`` and ``<out>/open_qa.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the Makefile: BLAS and the encoder share 2 cores
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# This checkout's package, not whichever one the virtualenv installed (it may be another worktree's).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import build_assistant, load_settings  # noqa: E402
from assistant.corpus import Document  # noqa: E402
from assistant.evaluation import percentile  # noqa: E402
from assistant.normalize import normalize  # noqa: E402
from assistant.segmentation import Paragraph, sentences_of  # noqa: E402
from assistant.evidence import load_models  # noqa: E402
from assistant.settings import PROJECT_ROOT, RetrievalMode  # noqa: E402

HALVES = ("fit", "report")


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    document_id: str
    answers: tuple[str, ...]
    # (document id, sentence id) of the sentences holding an answer, and of their verbatim copies in
    # other paragraphs (ARCD-train has 32 pairs of paragraphs of which one contains the other).
    gold: frozenset[tuple[str, str]]
    # The documents holding one of those sentences: the question's own and any that repeat it.
    right_documents: frozenset[str] = frozenset()
    # With --whole-articles, the ids of the question's own paragraphs inside its document (an
    # article); empty when the document is the paragraph.
    paragraphs: frozenset[str] = frozenset()
    # The id its paragraph has as a document of its own: the halves split by it in both layouts.
    paragraph_key: str = ""


# ----------------------------------------------------------------------------- pure metric functions


def half_of(key: str) -> str:
    """``fit`` or ``report``: a stable hash of ``key`` (a paragraph's document id), about half each."""
    return HALVES[hashlib.sha256(key.encode("utf-8")).digest()[0] % 2]


def holds_answer(text: str, answers: Sequence[str]) -> bool:
    """Some answer text occurs in ``text`` once both are folded (``normalize``)."""
    folded = normalize(text)
    return any(normalize(answer) and normalize(answer) in folded for answer in answers)


def gold_sentences(document_id: str, paragraphs: Sequence[Paragraph], answers: Sequence[tuple[str, int]],
                   offset: int = 0) -> frozenset[tuple[str, str]]:
    """Sentences of the question's ``paragraphs`` holding an answer text; failing that, the one holding
    its start (``answer_start`` + ``offset``, where the context begins in its document)."""
    sentences = sentences_of(paragraphs)
    texts = [text for text, _ in answers]
    found = {(document_id, s.id) for s in sentences if holds_answer(s.text, texts)}
    if not found:
        found = {(document_id, s.id) for s in sentences for _, start in answers if s.start <= start + offset < s.end}
    return frozenset(found)


def paragraph_of(sentence_id: str) -> str:
    """"p13" of "p13.s2" (segmentation.Sentence ids)."""
    return sentence_id.rsplit(".", 1)[0]


def rank_scores(ranked: Sequence[tuple[str, str]], question: Question) -> dict[str, float]:
    """r@1, r@5, MRR (full ranking) and right paragraph first, for one ranking of (document, sentence).

    ``para1``: the top sentence is of the question's own paragraph; ``para1_text``: or of a paragraph
    that repeats the gold sentence verbatim.
    """
    rank = next((n for n, key in enumerate(ranked, start=1) if key in question.gold), None)
    own = bool(ranked) and ranked[0][0] == question.document_id and (
        not question.paragraphs or paragraph_of(ranked[0][1]) in question.paragraphs)
    copy = bool(ranked) and (ranked[0][0] in question.right_documents or ranked[0] in question.gold)
    return {
        "para1": float(own),
        "para1_text": float(own or copy),
        "r1": float(rank == 1),
        "r5": float(rank is not None and rank <= 5),
        "mrr": 1.0 / rank if rank else 0.0,
    }


def answer_scores(quotes: Sequence[tuple[str, str]], abstained: bool, question: Question) -> dict[str, float]:
    """Answer metrics of one ``ask``: ``quotes`` are the citations' (document id, quote), best first.

    As the issue defines it, a citation is right when it holds a gold answer text, whatever its document.
    """
    return {
        "top_cit": float(not abstained and bool(quotes) and holds_answer(quotes[0][1], question.answers)),
        "any_cit": float(not abstained and any(holds_answer(quote, question.answers) for _, quote in quotes)),
        "abstained": float(abstained),
    }


def mean_rows(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """Mean of each metric over ``rows``; ``citations`` only over the answered ones."""
    if not rows:
        return {"n": 0}
    out = {key: round(statistics.fmean(row[key] for row in rows), 4) for key in rows[0] if key != "citations"}
    answered = [row["citations"] for row in rows if "citations" in row and not row.get("abstained")]
    if answered:
        out["citations"] = round(statistics.fmean(answered), 2)
    out["n"] = len(rows)
    return out


def percentiles(values: Sequence[float]) -> dict[str, float]:
    return {f"p{n}": round(percentile(values, n), 1) for n in (50, 95)} if values else {}


# ----------------------------------------------------------------------------- data


def load_squad(path: Path, prefix: str, whole_articles: bool = False,
               titled: bool = False) -> tuple[list[Document], list[Question]]:
    """One document per paragraph (``<prefix>-<article>-<n>``), or with ``whole_articles`` one per
    article (``<prefix>-<article>``: its paragraphs in order, a blank line between them, after a title
    heading when ``titled``)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    documents, questions = [], []
    for a, article in enumerate(data, start=1):
        contexts = [paragraph["context"] for paragraph in article["paragraphs"]]
        if whole_articles:
            heading = f"# {article.get('title', '').replace('_', ' ').strip()}\n\n" if titled else ""
            whole = _document(path, article, f"{prefix}-{a:03d}", heading + "\n\n".join(contexts))
            documents.append(whole)
            starts = [len(heading) + sum(len(c) + 2 for c in contexts[:n]) for n in range(len(contexts))]
            segmented = whole.paragraphs()
            places = [(whole, [p for p in segmented if start <= p.start < start + len(context)], start)
                      for context, start in zip(contexts, starts)]
            keys = [f"{prefix}-{a:03d}-{n}" for n in range(1, len(contexts) + 1)]
        else:
            own = [_document(path, article, f"{prefix}-{a:03d}-{n}", context, f" #{n}")
                   for n, context in enumerate(contexts, start=1)]
            documents += own
            places = [(document, list(document.paragraphs()), 0) for document in own]
            keys = [document.id for document in own]
        for paragraph, (document, own_paragraphs, start), key in zip(article["paragraphs"], places, keys):
            for qa in paragraph["qas"]:
                answers = [(ans["text"], int(ans["answer_start"])) for ans in qa.get("answers", [])]
                if not answers or not qa["question"].strip():
                    continue  # SQuAD 2.0 unanswerable questions are not this benchmark's
                questions.append(Question(
                    qa["id"], qa["question"].strip(), document.id, tuple(text for text, _ in answers),
                    gold_sentences(document.id, own_paragraphs, answers, start),
                    paragraphs=frozenset(p.id for p in own_paragraphs) if whole_articles else frozenset(),
                    paragraph_key=key))
    text_of = {(d.id, s.id): s.text for d in documents for s in sentences_of(d.paragraphs())}
    return documents, [with_copies(q, text_of) for q in questions]


def _document(path: Path, article: dict, document_id: str, text: str, where: str = "") -> Document:
    return Document(id=document_id, text=text, title=article.get("title", ""),
                    language="ar" if normalize(text) and _arabic(text) else "en",
                    source=f"{path.name} {article.get('title', '')}{where}")


def asked_in(questions: list[Question], parallel: Path) -> list[Question]:
    """``questions`` worded as in ``parallel``, a SQuAD file with the same question ids (another
    language); the gold sentences and answers stay those of the stored paragraphs."""
    data = json.loads(parallel.read_text(encoding="utf-8"))["data"]
    texts = {qa["id"]: qa["question"].strip() for article in data for paragraph in article["paragraphs"]
             for qa in paragraph["qas"]}
    return [replace(q, text=texts[q.id]) for q in questions if texts.get(q.id)]


def with_copies(question: Question, text_of: dict[tuple[str, str], str]) -> Question:
    """``question`` with the verbatim copies of its gold sentences elsewhere (another document, or
    another paragraph of its own) added to its gold; ``text_of``: (document id, sentence id) -> text,
    for every sentence of the pool."""
    texts = {text_of[key] for key in question.gold}
    copies = {key for key, text in text_of.items() if text in texts and key not in question.gold}
    return replace(question, gold=question.gold | copies,
                   right_documents=frozenset(d for d, _ in copies if d != question.document_id))


def _arabic(text: str) -> bool:
    return sum("\u0600" <= ch <= "\u06ff" for ch in text) > len(text) / 4


# ----------------------------------------------------------------------------- runs


def run_ours(assistant, questions: list[Question], mode: RetrievalMode) -> dict:
    assistant.ask(questions[0].text, mode=mode)  # warm
    rows, latencies, items = [], [], []
    for question in questions:
        t0 = time.perf_counter()
        answer = assistant.ask(question.text, mode=mode)
        latencies.append((time.perf_counter() - t0) * 1000)
        ranked = [(doc, sid) for doc, sid, _ in assistant.retrieve(question.text, mode=mode)]
        # Highest score first (citations come in reading order); ties keep reading order.
        quotes = [(c.document_id, c.quote) for c in sorted(answer.citations, key=lambda c: -c.score)]
        row = rank_scores(ranked, question)
        row |= answer_scores(quotes, answer.abstained, question)
        row["citations"] = float(len(answer.citations))
        rows.append(row)
        items.append({"id": question.id, "question": question.text, "answers": list(question.answers),
                      "gold": sorted("/".join(key) for key in question.gold), "ranked": ["/".join(key) for key in ranked[:5]],
                      "quotes": [quote for _, quote in quotes], **row})
    return {"metrics": mean_rows(rows), "ask_ms": percentiles(latencies), "items": items}


def run_llamaindex_default(documents: list[Document], questions: list[Question], embed_model) -> dict:
    """llama-index's ten-line pipeline: default splitter, in-memory vector index, top 5 chunks."""
    from llama_index.core import Document as LlamaDocument
    from llama_index.core import VectorStoreIndex

    t0 = time.perf_counter()
    index = VectorStoreIndex.from_documents([LlamaDocument(text=d.text, id_=d.id) for d in documents],
                                            embed_model=embed_model)
    build_s = time.perf_counter() - t0
    retriever = index.as_retriever(similarity_top_k=5)
    rows, latencies = [], []
    for question in questions:
        t0 = time.perf_counter()
        hits = retriever.retrieve(question.text)
        latencies.append((time.perf_counter() - t0) * 1000)
        documents_hit = [hit.node.ref_doc_id for hit in hits]
        right = [d in question.right_documents | {question.document_id} for d in documents_hit]
        holds = [holds_answer(hit.node.get_content(), question.answers) for hit in hits]
        rows.append({
            "para1": float(bool(hits) and documents_hit[0] == question.document_id),
            "para1_text": float(bool(hits) and right[0]),
            "top_cit": float(bool(hits) and holds[0]),
            "r5": float(any(r and h for r, h in zip(right, holds))),
        })
    chunks = len(index.docstore.docs)
    return {"metrics": mean_rows(rows), "retrieve_ms": percentiles(latencies), "chunks": chunks,
            "build_s": round(build_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a SQuAD-format JSON file")
    parser.add_argument("--out", type=Path, default=Path("runs/open_qa"))
    parser.add_argument("--half", choices=[*HALVES, "all"], default="report")
    parser.add_argument("--modes", default=",".join(m.value for m in RetrievalMode))
    parser.add_argument("--no-baseline", action="store_true", help="skip the llama-index default baseline")
    parser.add_argument("--data-dir", type=Path, help="store folder, kept (default: a temporary one, removed)")
    parser.add_argument("--model-dir", type=Path, default=PROJECT_ROOT / ".data" / "models")
    parser.add_argument("--limit", type=int, help="only the first N questions of the half (smoke runs)")
    parser.add_argument("--questions", type=Path, help="ask this parallel SQuAD file's questions (same ids) instead")
    parser.add_argument("--whole-articles", action="store_true",
                        help="one document per article (its paragraphs in order) instead of per paragraph")
    parser.add_argument("--titled", action="store_true", help="with --whole-articles: each opens with its title")
    args = parser.parse_args()
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)

    prefix = args.data.stem.split("-")[0].lower() or "qa"
    if args.titled and not args.whole_articles:
        parser.error("--titled needs --whole-articles")
    documents, questions = load_squad(args.data, prefix, args.whole_articles, args.titled)
    if args.questions:
        questions = asked_in(questions, args.questions)
    if args.half != "all":
        questions = [q for q in questions if half_of(q.paragraph_key) == args.half]
    if args.limit:
        questions = questions[: args.limit]
    print(f"{len(documents)} documents, {len(questions)} questions (half {args.half})", flush=True)

    temporary = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="open-qa-")) if temporary else args.data_dir
    load_before = [round(x, 2) for x in os.getloadavg()]
    try:
        # corpus_dir without a manifest: warm_up must not fill the store with the project's corpus.
        settings = load_settings(data_dir=data_dir, namespace=f"openqa-{prefix}", model_dir=args.model_dir,
                                 corpus_dir=data_dir / "no-corpus")
        assistant = build_assistant(settings).warm_up()
        t0 = time.perf_counter()
        changed = assistant.ingest_documents(documents)
        ingest_s = time.perf_counter() - t0
        stored = assistant.documents()
        sentences = sum(info.sentences for info in stored)
        print(f"ingest of {sum(changed)} new documents ({sentences} sentences): {ingest_s:.1f} s", flush=True)
        results = {}
        items = {}
        for mode in [RetrievalMode(m) for m in args.modes.split(",")]:
            results[mode.value] = run_ours(assistant, questions, mode)
            items[mode.value] = results[mode.value].pop("items")
            print(mode.value, results[mode.value], flush=True)
        if not args.no_baseline and not args.whole_articles:  # its chunks span paragraphs: no para1 to compare
            results["llama-index default"] = run_llamaindex_default(documents, questions,
                                                                    assistant._embed_model)  # noqa: SLF001
            print("llama-index default", results["llama-index default"], flush=True)
    finally:
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)

    report = {
        "benchmark": f"open QA over {args.data.name} (production ingest and ask)",
        "date": date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "command": command,
        "data": str(args.data),
        "half": args.half,
        "documents": len(documents),
        "whole_articles": args.whole_articles,
        "titled": args.titled,
        "sentences": sentences,
        "questions": len(questions),
        "ingest_s": round(ingest_s, 1),
        "ingested_documents": sum(changed),
        "ingest_sentences_per_s": round(sentences / ingest_s, 1) if sum(changed) == len(documents) else None,
        "operating_points": {mode.value: model.threshold for mode, model in load_models().items()},
        "load_average": {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]},
        "results": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "open_qa.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.out / "open_qa.md").write_text(markdown(report), encoding="utf-8")
    with (args.out / "open_qa_items.jsonl").open("w", encoding="utf-8") as out:
        for mode, rows in items.items():
            out.writelines(json.dumps({"mode": mode, **row}, ensure_ascii=False) + "\n" for row in rows)
    print(markdown(report))
    print(f"wrote {args.out / 'open_qa.json'}, {args.out / 'open_qa.md'} and {args.out / 'open_qa_items.jsonl'} (per question)")


def markdown(report: dict) -> str:
    speed = report["ingest_sentences_per_s"]
    lines = [
        f"{report['benchmark']}, {report['date']}, {report['machine']}; half `{report['half']}` "
        f"({report['questions']} questions over {report['documents']} "
        f"{'articles' if report['whole_articles'] else 'paragraphs'}, {report['sentences']} sentences).",
        f"Command: `{report['command']}`",
        f"Ingest: {report['ingest_s']} s" + (f" ({speed} sentences/s)" if speed else " (store reused)")
        + f"; load average before {report['load_average']['before']}, after {report['load_average']['after']}; "
        f"answerability operating points {report['operating_points']}.",
        "",
        "| system | right paragraph first (own / or a verbatim copy) | answer in top citation | answer in any citation "
        "| abstained | r@1 | r@5 | MRR | citations / answer | ask p50 / p95 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, result in report["results"].items():
        m = result["metrics"]
        cell = lambda key: f"{m[key]:.3f}" if key in m else "-"  # noqa: E731
        timing = result.get("ask_ms") or result.get("retrieve_ms") or {}
        label = f"ours, {name}" if name in {mode.value for mode in RetrievalMode} else f"{name} (chunks: top 5)"
        lines.append(f"| {label} | {cell('para1')} / {cell('para1_text')} | {cell('top_cit')} | {cell('any_cit')} | {cell('abstained')} "
                     f"| {cell('r1')} | {cell('r5')} | {cell('mrr')} | {m.get('citations', '-')} "
                     f"| {timing.get('p50', '-')} / {timing.get('p95', '-')} ms |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
