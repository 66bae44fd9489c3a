"""Fit the two-step fusion weights and calibrate each retrieval mode's abstention threshold.

    python benchmarks/fit_retrieval.py weights --arcd ../shared/benchmarks/arcd/arcd-train.json \\
                                       --xquad ../shared/benchmarks/xquad-r [--stores /tmp/fit]
    python benchmarks/fit_retrieval.py thresholds --arcd ../shared/benchmarks/arcd/arcd-train.json [--stores /tmp/fit]

Only the fitting halves are read: ARCD questions whose paragraph ``open_qa.half_of`` puts in ``fit``,
XQuAD-R's even question indexes (both directions), and the gold set's answerable questions (which
``assistant eval`` reports whole, so it is a guard, not a fitting target).

``weights``: every question is ranked once by the production retriever with wide candidates; each
hit carries its four signals (``RankedSentence``), so any weighting is re-scored offline in numpy.
Prints a grid: right paragraph first and R@1 on ARCD, R@1 AR->AR and EN->AR on XQuAD-R, gold hit@1.

``thresholds``: per retrieval mode, the top score of the ranking for questions each store can answer
(ARCD's fit half against the ARCD store, the gold set's answerable questions against the article) and
for questions it has nothing about (the gold set against the ARCD store, ARCD's fit half against the
article). The threshold chosen is the highest that still answers ``ANSWERED`` of each store's own
questions (the article's score lower than ARCD's: one pooled quantile refused 10% of them): a refused
answerable question costs more than an answered off-topic one, which shows its (weak) evidence. The
balanced-accuracy optimum is printed too: it refuses more off-topic questions but also 12-20% of the
answerable ones. A plausible question the documents do not answer (the gold set's unanswerable ones)
is not the threshold's to catch: the answer-type check and, next, an answerability stage are; the
script prints how many of those the threshold alone refuses.
The chosen values go into settings.py with these numbers.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import os
import statistics
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import open_qa  # noqa: E402
import xquad_r  # noqa: E402

from assistant import build_assistant, load_settings  # noqa: E402
from assistant.evaluation import load_gold, same_sentence  # noqa: E402
from assistant.normalize import fold_marks  # noqa: E402
from assistant.retrieval import FusionWeights  # noqa: E402
from assistant.settings import PROJECT_ROOT, RetrievalMode  # noqa: E402

WIDE = FusionWeights(dense=1.0, lexical=0.3, passage_dense=1.0, passage_lexical=0.3, passage_share=0.5, passages=8)
GOLD = PROJECT_ROOT / "corpus" / "gold_qa.jsonl"
ANSWERED = 0.975  # the share of answerable questions a threshold must still answer


def assistant_for(store: Path, namespace: str, model_dir: Path, corpus: bool = False):
    settings = load_settings(data_dir=store, namespace=namespace, model_dir=model_dir,
                             **({} if corpus else {"corpus_dir": store / "no-corpus"}))
    return build_assistant(settings).warm_up()


def signals(assistant, question: str, weights: FusionWeights) -> list[tuple[tuple[str, str], np.ndarray]]:
    """(document id, sentence id) and [dense, lexical, passage dense, passage lexical] of each hit."""
    retriever = assistant._current_index().retrievers[RetrievalMode.HYBRID].with_weights(weights)  # noqa: SLF001
    hits = retriever.retrieve(fold_marks(question))
    return [((h.node.metadata["document_id"], h.node.metadata["sentence_id"]),
             np.array([h.dense, h.lexical, h.passage_dense, h.passage_lexical])) for h in hits]


def ranking(rows: list[tuple[tuple[str, str], np.ndarray]], w: FusionWeights) -> list[tuple[str, str]]:
    if not rows:
        return []
    vector = np.array([(1 - w.passage_share) * w.dense, (1 - w.passage_share) * w.lexical,
                       w.passage_share * w.passage_dense, w.passage_share * w.passage_lexical])
    scores = np.stack([s for _, s in rows]) @ vector
    return [rows[i][0] for i in np.argsort(-scores, kind="stable")]  # equals keep the retriever's order


def collect(args) -> dict[str, list]:
    cache = args.stores / "signals.pkl"  # delete it after a change to the retriever or the data
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    sets: dict[str, list] = {}
    documents, questions = open_qa.load_squad(args.arcd, "arcd")
    arcd = assistant_for(args.stores / "arcd", "openqa-arcd", args.model_dir)
    arcd.ingest_documents(documents)
    fit = [q for q in questions if open_qa.half_of(q.document_id) == "fit"]
    sets["arcd"] = [(signals(arcd, q.text, WIDE), q.gold, q.right_documents | {q.document_id}) for q in fit]
    if args.xquad:
        xdocs, xquestions, _ = xquad_r.load_xquad(args.xquad)
        xq = assistant_for(args.stores / "xquad", xquad_r.NAMESPACE, args.model_dir)
        xq.ingest_documents(xdocs)
        even = [q for q in xquestions if q.index % 2 == 0]
        for direction in ("ar", "en"):
            sets[f"xq-{direction}"] = [(signals(xq, getattr(q, direction), WIDE), {q.gold}, {q.gold[0]}) for q in even]
    article = assistant_for(args.stores / "article", "default", args.model_dir, corpus=True)
    for language in ("ar", "en"):
        items = [g for g in load_gold(GOLD) if g.answerable and g.language == language]
        sets[f"gold-{language}"] = [(signals(article, g.question, WIDE), g.gold_refs, None) for g in items]
    cache.write_bytes(pickle.dumps(sets))
    return sets


def hit(top: list[tuple[str, str]], gold, documents) -> float:
    """Some of ``top`` is gold; ``documents`` None: the gold set, where "" document ids match any."""
    if documents is None:
        return float(any(same_sentence(t, g) for t in top for g in gold))
    return float(any(t in gold for t in top))


def weights(args) -> None:
    sets = collect(args)
    grid = itertools.product((0.15, 0.3, 0.5, 0.8), (0.0, 0.15, 0.3, 0.5, 1.0), (0.0, 0.25, 0.5, 0.7))
    for lexical, plex, share in grid:
        w = FusionWeights(1.0, lexical, 1.0, plex, share)
        row = {}
        for name, rows in sets.items():
            ranked = [ranking(r, w) for r, _, _ in rows]
            row[name] = statistics.fmean(hit(r[:1], g, d) for r, (_, g, d) in zip(ranked, rows))
            if name == "arcd":
                row["arcd-r5"] = statistics.fmean(hit(r[:5], g, d) for r, (_, g, d) in zip(ranked, rows))
                row["arcd-para1"] = statistics.fmean(float(bool(r) and r[0][0] in d) for r, (_, _, d) in zip(ranked, rows))
        print(f"lexical {lexical:.2f} passage_lexical {plex:.2f} passage_share {share:.2f} | "
              + " | ".join(f"{k} {v:.3f}" for k, v in row.items()), flush=True)


def thresholds(args) -> None:
    scores = top_scores(args)
    for mode in RetrievalMode:
        positive, negative = scores[mode.value]["positive"], scores[mode.value]["negative"]
        plausible = scores[mode.value]["plausible"]
        every_positive = [s for group in positive.values() for s in group]
        every_negative = [s for group in negative.values() for s in group]
        # The highest threshold that still answers ANSWERED of each store's own questions.
        best = min(float(np.quantile(group, 1 - ANSWERED, method="lower")) for group in positive.values())
        answered = ", ".join(f"{np.mean([s >= best for s in group]):.3f} of {name}'s"
                             for name, group in positive.items())
        refused = ", ".join(f"{np.mean([s < best for s in group]):.3f} of the questions about {other} on {name}"
                            for name, group, other in zip(negative, negative.values(), reversed(list(negative))))
        balanced = max(sorted(set(every_positive + every_negative)),
                       key=lambda t: _balanced(t, every_positive, every_negative))
        print(f"{mode.value}: threshold {best:.3f}: answers {answered} answerable questions; refuses {refused}; "
              f"refuses {np.mean([s < best for s in plausible]):.3f} of the gold set's plausible unanswerable "
              f"questions by score alone (their p50 {np.median(plausible):.3f}); the balanced-accuracy optimum "
              f"{balanced:.3f} would answer only {np.mean([s >= balanced for s in every_positive]):.3f}", flush=True)


def top_scores(args) -> dict[str, dict[str, list[float]]]:
    """Per mode, the top score of the ranking for answerable, off-topic and plausible unanswerable questions."""
    cache = args.stores / "top_scores.json"  # delete it after a change to the retriever or the data
    if cache.exists():
        return json.loads(cache.read_text())
    documents, questions = open_qa.load_squad(args.arcd, "arcd")
    arcd = assistant_for(args.stores / "arcd", "openqa-arcd", args.model_dir)
    arcd.ingest_documents(documents)
    article = assistant_for(args.stores / "article", "default", args.model_dir, corpus=True)
    fit = [q.text for q in questions if open_qa.half_of(q.document_id) == "fit"]
    gold = load_gold(GOLD)
    answerable = [g.question for g in gold if g.answerable]
    out = {}
    for mode in RetrievalMode:
        top = lambda assistant, question: (assistant.retrieve(question, mode=mode) or [("", "", 0.0)])[0][2]  # noqa: E731
        # Each store's own questions should be answered, the other store's refused (off topic).
        out[mode.value] = {
            "positive": {"arcd": [top(arcd, q) for q in fit], "article": [top(article, q) for q in answerable]},
            "negative": {"arcd": [top(arcd, g.question) for g in gold], "article": [top(article, q) for q in fit]},
            "plausible": [top(article, g.question) for g in gold if not g.answerable],
        }
    cache.write_text(json.dumps(out))
    return out


def _balanced(threshold: float, positive: list[float], negative: list[float]) -> float:
    return (statistics.fmean(float(s >= threshold) for s in positive)
            + statistics.fmean(float(s < threshold) for s in negative)) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=["weights", "thresholds"])
    parser.add_argument("--arcd", type=Path, required=True)
    parser.add_argument("--xquad", type=Path)
    parser.add_argument("--stores", type=Path, default=Path("/tmp/fit-retrieval"),
                        help="one store folder per set, kept between runs")
    parser.add_argument("--model-dir", type=Path, default=PROJECT_ROOT / ".data" / "models")
    args = parser.parse_args()
    {"weights": weights, "thresholds": thresholds}[args.task](args)


if __name__ == "__main__":
    main()
