"""Fit the two-step fusion weights. (Whether to answer at all is the evidence stage's: its model is
fitted by benchmarks/answerability.py, which replaced the per-mode score thresholds once fitted here.)

    python benchmarks/fit_retrieval.py weights --arcd ../shared/benchmarks/arcd/arcd-train.json \\
                                       --xquad ../shared/benchmarks/xquad-r [--stores /tmp/fit]

Only the fitting halves are read: ARCD questions whose paragraph ``open_qa.half_of`` puts in ``fit``,
XQuAD-R's even question indexes (both directions), and the gold set's answerable questions (which
``assistant eval`` reports whole, so it is a guard, not a fitting target).

``weights``: every question is ranked once by the production retriever with wide candidates; each
hit carries its four signals (``RankedSentence``), so any weighting is re-scored offline in numpy.
Prints a grid: right paragraph first and R@1 on ARCD, R@1 AR->AR and EN->AR on XQuAD-R, gold hit@1.

The chosen values go into settings.py with these numbers.
"""

from __future__ import annotations

import argparse
import itertools
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=["weights"])
    parser.add_argument("--arcd", type=Path, required=True)
    parser.add_argument("--xquad", type=Path)
    parser.add_argument("--stores", type=Path, default=Path("/tmp/fit-retrieval"),
                        help="one store folder per set, kept between runs")
    parser.add_argument("--model-dir", type=Path, default=PROJECT_ROOT / ".data" / "models")
    args = parser.parse_args()
    weights(args)


if __name__ == "__main__":
    main()
