"""Fit and check how an answer's probability is shared among its candidate sentences (evidence.py).

    python benchmarks/citation_share.py [--data ../shared/benchmarks] [--work DIR] [--write]

The answerability model (benchmarks/answerability.py) is fitted on each question's top candidate: it
says how likely the best evidence answers the question, not which sentence does. A citation's
probability is that answer probability times the candidate's share: a softmax over the ranking's top
``POOL_SIZE`` sentences of a linear score of their evidence features (``evidence.FEATURES``: the
retrieval scores, term coverage, answer type...), a conditional logit whose coefficients live in
``assistant/citation_shares.v2.json``, one set per retrieval mode.

Data: every answerable question of ARCD-train, XQuAD-R (Arabic paragraphs with Arabic and English
questions) and XQuAD-R's English paragraphs (English questions), ranked in each mode by the retrievers
``ask`` uses; its gold sentences as ``open_qa.py`` defines them (those holding an answer text, or the
answer's start). Fitted on the fit half (``open_qa.half_of``, by paragraph), by maximum likelihood of
the gold sentences' share (L2-regularised); reported on the other half per set: log-likelihood,
calibration (expected calibration error over 10 bins, every pool candidate) and how often the
candidate with the largest share holds the answer, beside the retrieval's top candidate and the
answer model's own per-candidate probability (what citations showed before). ``--write`` writes the
coefficients file. Stores are built in ``--work`` (kept; a second run reuses them).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from open_qa import Question, asked_in, half_of, load_squad  # noqa: E402

from assistant import build_assistant, load_settings  # noqa: E402
from assistant.evidence import (  # noqa: E402
    FEATURES,
    POOL_SIZE,
    SHARES_FILE,
    candidate_features,
    candidate_shares,
    comparable_features,
    load_models,
)
from assistant.normalize import fold_marks  # noqa: E402
from assistant.settings import RetrievalMode  # noqa: E402

L2 = 1.0  # on standardised coefficients, against the summed log-likelihood of ~1,700 questions a mode
# Features the shares do not read (coefficient 0): the second encoder's similarity already orders the
# candidates across languages in retrieval (use_encoder.py); read again here, the top share held
# XQuAD-R EN->AR's answer less often on the report half (hybrid .695 -> .687, dense .698 -> .682),
# though the likelihood rose (-.894 -> -.864). The answerability model reads it (evidence.py).
NOT_SHARED = ("use",)


def question_sets(shared: Path) -> list[tuple[str, Path, list[Question]]]:
    """(name, SQuAD file whose paragraphs are stored, questions with their gold sentences)."""
    arcd = shared / "arcd" / "arcd-train.json"
    xq_ar, xq_en = shared / "xquad-r" / "ar.json", shared / "xquad-r" / "en.json"
    arabic = load_squad(xq_ar, "ar")[1]
    return [("arcd", arcd, load_squad(arcd, "arcd")[1]),
            ("xquad ar->ar", xq_ar, arabic),
            ("xquad en->ar", xq_ar, asked_in(arabic, xq_en)),
            ("xquad en->en", xq_en, load_squad(xq_en, "en")[1])]


def collect(shared: Path, work: Path) -> list[dict]:
    """Per question and mode: the pool's feature rows, which candidates are gold, which hold the answer."""
    rows = []
    for name, path, questions in question_sets(shared):
        prefix = path.stem.split("-")[0].lower()
        settings = load_settings(env={}, data_dir=work / prefix, namespace=f"openqa-{prefix}",
                                 model_dir=ROOT / ".data" / "models", corpus_dir=work / prefix / "no-corpus")
        assistant = build_assistant(settings).warm_up()
        assistant.ingest_documents(load_squad(path, prefix)[0])
        index = assistant._current_index()  # noqa: SLF001 - the same retrievers and paragraphs ask uses
        paragraph_text = index.answerability.paragraph_text
        for question in questions:
            query = fold_marks(question.text)
            for mode in RetrievalMode:
                # Retrieval's own order: the reranker (rerank.py) is this model's use, not its input.
                pool = index.retrievers[mode].with_reranker(None).retrieve(query)[:POOL_SIZE]
                if not pool:
                    continue
                keys = [(h.node.metadata["document_id"], h.node.metadata["sentence_id"]) for h in pool]
                rows.append({"set": name, "mode": mode.value, "half": half_of(question.document_id),
                             "features": candidate_features(query, pool, paragraph_text, pool).tolist(),
                             "gold": [key in question.gold for key in keys]})
        print(f"{name}: {len(questions)} questions ranked", flush=True)
    return rows


def fit(rows: list[dict]) -> np.ndarray:
    """Raw-scale coefficients maximising the gold sentences' share (rows whose gold is in the pool)."""
    from scipy.optimize import minimize

    found = [row for row in rows if any(row["gold"])]
    features = [np.asarray(row["features"], dtype=np.float64) for row in found]
    not_shared = [FEATURES.index(name) for name in NOT_SHARED]
    for x in features:
        x[:, not_shared] = 0.0  # constant: their coefficients stay 0
    stacked = np.vstack(features)
    mean, scale = stacked.mean(axis=0), stacked.std(axis=0)
    scale[scale == 0] = 1.0
    # The features the shares are computed from (a mixed pool's cross-language terms left out), so
    # that the gradient below is that of the shares.
    groups = [(comparable_features((x - mean) / scale, len(row["gold"])), np.asarray(row["gold"]))
              for x, row in zip(features, found)]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = L2 * w @ w, 2 * L2 * w
        for x, gold in groups:
            p = candidate_shares(x, w, pool=len(x))
            mass = p[gold].sum()
            total -= np.log(mass)
            # d log(sum_gold p) / dw = E_{p | gold}[x] - E_p[x]
            grad -= (p[gold] / mass) @ x[gold] - p @ x
        return total, grad

    w = minimize(loss, np.zeros(len(FEATURES)), jac=True, method="L-BFGS-B").x
    return w / scale


def report(rows: list[dict], coef: np.ndarray, old_model) -> dict:
    found = [row for row in rows if any(row["gold"])]
    shares = [candidate_shares(np.asarray(row["features"]), coef) for row in rows]
    flat_shares = np.concatenate(shares)
    flat_gold = np.concatenate([np.asarray(row["gold"], dtype=float) for row in rows])
    which = np.minimum((flat_shares * 10).astype(int), 9)
    ece = sum(abs(flat_shares[which == b].mean() - flat_gold[which == b].mean()) * (which == b).sum()
              for b in range(10) if (which == b).any()) / len(flat_shares)
    old = [old_model.probabilities(np.asarray(row["features"])) for row in rows]
    return {
        "questions": len(rows),
        "gold_in_pool": round(len(found) / len(rows), 3),
        "log_likelihood": round(float(np.mean([np.log(max(s[np.asarray(r["gold"])].sum(), 1e-9))
                                               for s, r in zip(shares, rows) if any(r["gold"])])), 3),
        "calibration_error": round(float(ece), 3),
        "top_is_gold": {"share": round(float(np.mean([r["gold"][int(np.argmax(s))] for s, r in zip(shares, rows)])), 3),
                        "retrieval": round(float(np.mean([r["gold"][0] for r in rows])), 3),
                        "answer_model": round(float(np.mean([r["gold"][int(np.argmax(p))] for p, r in zip(old, rows)])), 3)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchmarks")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "citation_share")
    parser.add_argument("--rows", type=Path, help="read the collected rows from this JSON (written when missing)")
    parser.add_argument("--write", action="store_true", help=f"write the coefficients to {SHARES_FILE.name}")
    args = parser.parse_args()
    if args.rows and args.rows.is_file():
        rows = json.loads(args.rows.read_text(encoding="utf-8"))
    else:
        rows = collect(args.data, args.work)
        if args.rows:
            args.rows.write_text(json.dumps(rows), encoding="utf-8")
    models, old_models = {}, load_models()
    for mode in RetrievalMode:
        of_mode = [row for row in rows if row["mode"] == mode.value]
        coef = fit([row for row in of_mode if row["half"] == "fit"])
        models[mode.value] = {"coef": coef.round(6).tolist()}
        print(f"{mode.value}: " + ", ".join(f"{name} {c:+.2f}" for name, c in zip(FEATURES, coef)))
        for name in sorted({row["set"] for row in of_mode}):
            chosen = [row for row in of_mode if row["half"] == "report" and row["set"] == name]
            print(f"  report half, {name}: {json.dumps(report(chosen, coef, old_models[mode]))}")
    if args.write:
        SHARES_FILE.write_text(json.dumps({"features": list(FEATURES), "models": models}, indent=1) + "\n",
                               encoding="utf-8")
        print(f"wrote {SHARES_FILE}")


if __name__ == "__main__":
    main()
