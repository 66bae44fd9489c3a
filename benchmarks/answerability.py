"""Fit and report the answerability model (assistant/evidence.py) on questions built to be unanswerable.

For each external set (ARCD-train; XQuAD-R with its Arabic and its English questions) the paragraphs
are split in two by a stable hash; one half is ingested through the normal path into a fresh store,
and every question of the set is asked of it: a question whose answering sentence is stored (its
paragraph, or a verbatim copy of the sentence in another paragraph) must be answered, the others
must be refused. Such a question is about another paragraph than the stored ones, while a user's
unanswerable question is mostly about what a document is about ("Is Daniel Okafor married?" of a CV):
so the other half of each set's paragraphs is stored too, each paragraph without one of the sentences
that answer its questions (``_ablated_store``), and its questions asked of it (reported, not fitted
on: ``REPORT_ONLY``). The gold set adds the article's own unanswerable questions.
Questions are split in two by a stable hash of their id: the model is fitted on the ``fit`` half and
reported on the ``report`` half, which it never saw. New users' trials (``benchmarks/users``: a user's
own documents, questions written before any run, a seventh of them unanswerable) are reported too;
their questions share their trial's documents, so a whole trial is one half.

    python benchmarks/answerability.py fit      # rank (cached in runs/), fit, write assistant/answerability.v3.json
    python benchmarks/answerability.py report   # asks the report half through Assistant.ask

The data is read from ../shared/benchmarks (never copied into the repository; see each README).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from llama_index.core.schema import TextNode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import build_assistant, load_settings  # noqa: E402
from assistant.corpus import Document  # noqa: E402
from assistant.evidence import FEATURES, MODEL_FILE, POOL_SIZE, SIGNALS, candidate_features  # noqa: E402
from assistant.normalize import fold_marks  # noqa: E402
from assistant.retrieval import RankedSentence  # noqa: E402
from assistant.segmentation import segment, sentences_of  # noqa: E402
from assistant.settings import RetrievalMode  # noqa: E402

SHARED = ROOT.parent / "shared" / "benchmarks"
USERS = ROOT / "benchmarks" / "users"
RUNS = ROOT / "runs" / "answerability"
# At the operating point, the answerable fit questions the probability refuses, as a share of each
# set's and averaged over the sets (each set weighs the same), stay within this (the score floor
# refuses some too: the bound for both is 5%).
FALSE_ABSTENTION_BUDGET = 0.01
# The score floor, lowered for a match across languages, and the probability together refuse at most
# this share of the answerable cross-language fit questions (the bound on false abstentions).
CROSS_LINGUAL_FLOOR_BUDGET = 0.05
# Reported, not fitted on. Fitted on too, they moved the operating point only (hybrid threshold .054 ->
# .083, every set's AUROC within .003): abstention recall +.02-.05 on each set's report half, false
# abstentions +.004-.01; the gold set's abstention precision .810 -> .773, answer correctness .901 ->
# .894; a user's trial one answer fewer right and no more refusals (docs/benchmarks.md, "A tenth").
# New users' trials (benchmarks/users, 41-52) as a fit set too: the hybrid model's AUROC on their report
# half .869 -> .880 (gold .875 -> .873, the others within .005), but at the budget's operating point
# (.054 -> .064) it refused fewer of their unanswerable questions (.056 -> .035 of the report half; the
# gold fit half's .25 -> .17): reported, not fitted on.
REPORT_ONLY = frozenset({"arcd-ablated", "xquad-ar-ablated", "xquad-en-ablated", "users"})


@dataclass(frozen=True)
class Question:
    set: str  # "arcd", "xquad-ar", "xquad-en", "en-docs-ar", "en-docs-en", "arcd-ablated", ..., "gold", "off-topic"
    id: str
    text: str
    answerable: bool
    group: str = ""  # what is split into halves when not the question alone (a user's trial)

    @property
    def half(self) -> str:
        return "fit" if _hash_bit(f"q:{self.group or self.id}") else "report"


def _hash_bit(key: str) -> bool:
    return hashlib.sha1(key.encode("utf-8")).digest()[0] % 2 == 0


def squad_sets(shared: Path) -> dict[str, tuple[list[Document], list[Question]]]:
    """Each store's stored documents and the questions asked of it (half of them unanswerable)."""
    sets = {}
    arcd = json.loads((shared / "arcd" / "arcd-train.json").read_text(encoding="utf-8"))
    sets["arcd"] = _half_store("arcd", arcd, {"arcd": arcd})
    xq_ar = json.loads((shared / "xquad-r" / "ar.json").read_text(encoding="utf-8"))
    xq_en = json.loads((shared / "xquad-r" / "en.json").read_text(encoding="utf-8"))
    # English questions asked of the Arabic paragraphs (XQuAD-R's EN->AR): the cross-lingual case.
    sets["xquad"] = _half_store("xquad", xq_ar, {"xquad-ar": xq_ar, "xquad-en": xq_en})
    # XQuAD-R's English paragraphs, asked in both languages: users' English documents.
    sets["english documents"] = _half_store("xquad-en-docs", xq_en, {"en-docs-ar": xq_ar, "en-docs-en": xq_en})
    # The other halves, each paragraph without one sentence that answers some of its questions: a
    # user's unanswerable question is about what a document is about, not about another one.
    sets["arcd, a sentence out"] = _ablated_store("arcd", arcd, {"arcd-ablated": arcd})
    sets["xquad, a sentence out"] = _ablated_store("xquad", xq_ar, {"xquad-ar-ablated": xq_ar, "xquad-en-ablated": xq_en})
    return sets


def _half_store(name: str, data: dict, question_sources: dict[str, dict]) -> tuple[list[Document], list[Question]]:
    """The stored half of ``data``'s paragraphs, and every question of ``question_sources`` (the same
    question ids, maybe in another language), answerable when the store holds the sentence that
    answers it: its own paragraph, or a verbatim copy of that sentence in another stored paragraph
    (ARCD repeats some paragraphs under other articles: 40 of its 399 questions on unstored paragraphs
    had their sentence stored, and the store answered many of them word for word)."""
    documents, stored, stored_sentences, answering = [], set(), set(), {}
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            text, sentences, holding = _answering_sentences(paragraph)
            answering |= {qa_id: None if n is None else sentences[n].text for qa_id, n in holding.items()}
            doc_id = f"{name}-{a:03d}-{p:02d}"
            if _hash_bit(f"p:{doc_id}"):
                stored.add((a, p))
                stored_sentences |= {s.text for s in sentences}
                documents.append(Document(id=doc_id, text=text, title=article.get("title", "")))
    questions = []
    for set_name, source in question_sources.items():
        for a, article in enumerate(source["data"]):
            for p, paragraph in enumerate(article["paragraphs"]):
                for qa in paragraph["qas"]:
                    answerable = (a, p) in stored or answering.get(qa["id"]) in stored_sentences
                    questions.append(Question(set_name, f"{set_name}:{qa['id']}", qa["question"], answerable))
    return documents, questions


def _answering_sentences(paragraph: dict) -> tuple[str, tuple, dict[str, int | None]]:
    """A SQuAD paragraph's text (stripped), its sentences, and each question's sentence: the index of
    the one holding its answer's start (None when none does)."""
    text = paragraph["context"].strip()
    sentences = sentences_of(segment(text))
    lead = len(paragraph["context"]) - len(paragraph["context"].lstrip())  # what strip() took off the front
    return text, sentences, {qa["id"]: next((n for n, s in enumerate(sentences)
                                             if s.start <= qa["answers"][0]["answer_start"] - lead < s.end), None)
                             for qa in paragraph["qas"]}


def _ablated_store(name: str, data: dict, question_sources: dict[str, dict]) -> tuple[list[Document], list[Question]]:
    """The paragraphs ``_half_store(name, ...)`` leaves out, each without one of the sentences that
    answer its questions (chosen by a stable hash; a paragraph of one sentence is left out), and the
    questions on them: answerable when their sentence is still there, unanswerable when it was taken
    out and their answer is nowhere else in the paragraph (else not asked)."""
    documents, questions = [], []
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            doc_id = f"{name}-{a:03d}-{p:02d}"
            text, sentences, answering = _answering_sentences(paragraph)
            if _hash_bit(f"p:{doc_id}") or len(sentences) < 2:
                continue
            candidates = sorted({n for n in answering.values() if n is not None})
            if not candidates:
                continue
            out = min(candidates, key=lambda n: hashlib.sha1(f"ablate:{doc_id}:{n}".encode()).digest())
            left = f"{text[:sentences[out].start].rstrip()} {text[sentences[out].end:].lstrip()}".strip()
            documents.append(Document(id=f"{doc_id}-ablated", text=left, title=article.get("title", "")))
            for set_name, source in question_sources.items():
                for qa, own in zip(source["data"][a]["paragraphs"][p]["qas"], paragraph["qas"]):
                    if answering[own["id"]] == out and fold_marks(own["answers"][0]["text"]) in fold_marks(left):
                        continue  # its answer is still said elsewhere in the paragraph
                    questions.append(Question(set_name, f"{set_name}:{qa['id']}", qa["question"],
                                              answering[own["id"]] != out))
    return documents, questions


def gold_questions() -> list[Question]:
    rows = [json.loads(line) for line in (ROOT / "corpus" / "gold_qa.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return [Question("gold", f"gold:{r['id']}", r["question"], bool(r["answerable"])) for r in rows]


def user_questions(trial: Path) -> list[Question]:
    """A new user's trial's questions in either language (dialogue turns need their conversation)."""
    rows = [json.loads(line) for line in (trial / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Question("users", f"users:{trial.name}:{r['id']}", r["question"], r["kind"] != "unanswerable",
                     group=f"users:{trial.name}") for r in rows]


def off_topic_questions(shared: Path) -> list[Question]:
    """ARCD's questions asked of the article: nothing there is about them (a user's stray question)."""
    arcd = json.loads((shared / "arcd" / "arcd-train.json").read_text(encoding="utf-8"))
    return [Question("off-topic", f"off-topic:{qa['id']}", qa["question"], False)
            for article in arcd["data"] for paragraph in article["paragraphs"] for qa in paragraph["qas"]]


def _assistant(documents: list[Document] | None, data_dir: Path):
    settings = load_settings(env={}, data_dir=data_dir, model_dir=ROOT / ".data" / "models",
                             corpus_dir=ROOT / "corpus" if documents is None else data_dir / "no-corpus")
    assistant = build_assistant(settings).warm_up()
    if documents:
        started = time.perf_counter()
        assistant.ingest_documents(documents)
        print(f"  ingested {len(documents)} documents in {time.perf_counter() - started:.0f} s", flush=True)
    return assistant


def stores(shared: Path, with_report_only: bool = True):
    """(assistant, questions) for each constructed store, each user's trial and the article; without the
    stores whose questions are all only reported (``REPORT_ONLY``) unless ``with_report_only``."""
    def wanted(questions: list[Question]) -> bool:
        return with_report_only or not {q.set for q in questions} <= REPORT_ONLY

    with tempfile.TemporaryDirectory() as tmp:
        for name, (documents, questions) in squad_sets(shared).items():
            if wanted(questions):
                print(f"{name}: {len(documents)} stored paragraphs, {len(questions)} questions", flush=True)
                yield _assistant(documents, Path(tmp) / name), questions
        for trial in sorted(USERS.glob("trial*")):
            if wanted(questions := user_questions(trial)):
                print(f"users: {trial.name}", flush=True)
                assistant = _assistant([], Path(tmp) / trial.name)
                assistant.ingest(trial / "documents")
                yield assistant, questions
        print("gold: the article, with ARCD's questions as off-topic ones", flush=True)
        yield _assistant(None, Path(tmp) / "gold"), gold_questions() + off_topic_questions(shared)


# -- fit ------------------------------------------------------------------------------------------


def collect_rankings(shared: Path, modes: list[RetrievalMode]) -> list[dict]:
    """Per question and mode, the top candidates as ``ask`` ranks them (texts, metadata, scores)."""
    rows = []
    for assistant, questions in stores(shared, with_report_only=False):
        index = assistant._current_index()  # noqa: SLF001 - the same retrievers and paragraphs ask uses
        paragraph_text = index.answerability.paragraph_text
        for question in questions:
            query = fold_marks(question.text)
            rankings = {}
            for mode in modes:
                hits = index.retrievers[mode].retrieve(query)[:POOL_SIZE]
                rankings[mode.value] = [{"score": float(h.score or 0.0), "text": h.node.get_content(),
                                         "metadata": dict(h.node.metadata), "paragraph": paragraph_text(h.node),
                                         "signals": {s: float(getattr(h, s, 0.0)) for s in SIGNALS}}
                                        for h in hits]
            rows.append({"question": question, "query": query, "rankings": rankings})
    return rows


def features_of(rows: list[dict]) -> dict[str, np.ndarray]:
    """Per mode, the top candidate's feature row of every question, with its label, half and set."""
    out: dict[str, list] = defaultdict(list)
    for row in rows:
        for mode, ranking in row["rankings"].items():
            if not ranking:
                continue
            hits = [RankedSentence(node=TextNode(text=h["text"], metadata=h["metadata"]), score=h["score"],
                                   **h["signals"]) for h in ranking]
            paragraphs = {id(hit.node): h["paragraph"] for hit, h in zip(hits, ranking)}
            features = candidate_features(row["query"], hits[:1], lambda node: paragraphs[id(node)], hits)[0]
            question = row["question"]
            out[mode].append((features, question.answerable, question.half, question.set))
    return {mode: np.array(r, dtype=object) for mode, r in out.items()}


def fit(features_by_mode: dict[str, np.ndarray]) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    models, summary = {}, {}
    for mode, rows in features_by_mode.items():
        x = np.stack(rows[:, 0]).astype(float)
        y = rows[:, 1].astype(bool)
        fit_rows = (rows[:, 2] == "fit") & ~np.isin(rows[:, 3], list(REPORT_ONLY))
        scaler = StandardScaler().fit(x[fit_rows])
        scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
        model = LogisticRegression(C=1.0, max_iter=1000).fit((x[fit_rows] - scaler.mean_) / scale, y[fit_rows])
        p = model.predict_proba((x - scaler.mean_) / scale)[:, 1]
        answerable = [p[fit_rows & y & (rows[:, 3] == name)] for name in sorted(set(rows[fit_rows & y, 3]))]
        threshold = operating_point(answerable, FALSE_ABSTENTION_BUDGET)
        across = fit_rows & y & (x[:, FEATURES.index("cross_lingual")] > 0)
        allowance = cross_lingual_allowance(x[across, FEATURES.index("score")], p[across] < threshold,
                                            load_settings(env={}).abstain_threshold_for(RetrievalMode(mode)))
        models[mode] = {"mean": scaler.mean_.round(6).tolist(), "scale": scale.round(6).tolist(),
                        "coef": model.coef_[0].round(6).tolist(), "intercept": round(float(model.intercept_[0]), 6),
                        "threshold": round(threshold, 4), "cross_lingual_allowance": round(allowance, 4)}
        summary[mode] = {f"{half}/{name}": round(float(roc_auc_score(y[chosen], p[chosen])), 3)
                         for half in ("fit", "report") for name in ("all", *sorted(set(rows[:, 3])))
                         if len(set(y[chosen := (rows[:, 2] == half) & ((rows[:, 3] == name) | (name == "all"))])) == 2}
    return {"features": list(FEATURES), "models": models, "auroc": summary}


def operating_point(answerable: list[np.ndarray], budget: float) -> float:
    """The highest threshold whose false abstentions, averaged over the sets, stay within ``budget``.

    Pooling every question would let the big sets' rate hide the article's (its short questions score
    lower); the strictest set's own quantile instead hangs on its one or two lowest questions (the 63
    answerable gold fit questions: refitted on reranked rankings, 0.0437 -> 0.0246, and junk such as
    "'; DROP TABLE embeddings; --" was answered at 0.032). The mean over sets lets each count the same.
    """
    def refused(threshold: float) -> float:
        return float(np.mean([(p < threshold).mean() for p in answerable]))

    # A question scoring exactly the threshold is answered, so each score is a candidate.
    return max(float(t) for t in np.unique(np.concatenate([*answerable, [0.0]])) if refused(t) <= budget)


def cross_lingual_allowance(scores: np.ndarray, refused: np.ndarray, floor: float,
                            budget: float = CROSS_LINGUAL_FLOOR_BUDGET) -> float:
    """How far below ``floor`` the top ``scores`` of answerable questions matched only across
    languages may fall, so that the floor and the probability (``refused``) together refuse at most
    ``budget`` of them. Signed: since retrieval raises similarities across languages by the fitted
    offset (cross_language.py), the floor for them may be above the floor (0.13 raised them past where
    a floor lowered by 0 refused anything: XQuAD-R's English questions' abstention recall .387 -> .077)."""
    room = budget * len(scores) - int(refused.sum())  # what the floor may still refuse
    kept = scores[~refused]
    if not len(kept):
        return 0.0
    return floor - float(np.quantile(kept, max(0.0, room) / len(kept)))


# -- report ---------------------------------------------------------------------------------------


def report(shared: Path, modes: list[RetrievalMode]) -> dict:
    """The report half asked through ``Assistant.ask`` (the production path), per set and mode."""
    from sklearn.metrics import roc_auc_score

    # A set's questions may be asked of several stores (each user's trial has its own): gathered first.
    asked: dict[tuple[str, RetrievalMode], list[tuple[float, bool, bool]]] = defaultdict(list)
    for assistant, questions in stores(shared):
        for mode in modes:
            for question in questions:
                if question.half == "report":
                    answer = assistant.ask(question.text, mode=mode)
                    asked[question.set, mode].append((answer.probability, answer.abstained, question.answerable))
    results: dict = {}
    pairs: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for (name, mode), rows in asked.items():
        p = np.array([r[0] for r in rows])
        abstained = np.array([r[1] for r in rows])
        answerable = np.array([r[2] for r in rows])
        results[f"{name}/{mode.value}"] = {
            "questions": len(rows),
            "auroc": round(float(roc_auc_score(answerable, p)), 3) if 0 < answerable.sum() < len(rows) else None,
            "abstention_recall": round(float(abstained[~answerable].mean()), 3) if (~answerable).any() else None,
            "abstention_precision": round(float((~answerable[abstained]).mean()), 3) if abstained.any() else None,
            "false_abstentions": round(float(abstained[answerable].mean()), 3) if answerable.any() else None,
        }
        if mode is RetrievalMode.HYBRID:
            pairs[name] += [(float(a), bool(b)) for a, b in zip(p, answerable)]
    return {"results": results, "reliability": {name: reliability(rows) for name, rows in pairs.items()}}


def reliability(rows: list[tuple[float, bool]], bins: int = 10) -> list[dict]:
    """Predicted probability against the observed rate of answerable questions, per bin."""
    p = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows], dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    out = []
    for lo, hi in zip(edges, edges[1:]):
        inside = (p >= lo) & ((p < hi) | (hi == 1.0))
        if inside.any():
            out.append({"bin": [round(lo, 2), round(hi, 2)], "count": int(inside.sum()),
                        "predicted": round(float(p[inside].mean()), 3), "observed": round(float(y[inside].mean()), 3)})
    return out


def plot_reliability(curves: dict[str, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5, 5))
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfectly calibrated")
    for name, bins in curves.items():
        axes.plot([b["predicted"] for b in bins], [b["observed"] for b in bins], marker="o", label=name)
    axes.set_xlabel("predicted probability (answerability)")
    axes.set_ylabel("observed share answerable")
    axes.set_title("Reliability, report half, hybrid mode")
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["fit", "report"])
    parser.add_argument("--data", type=Path, default=SHARED, help="the folder holding arcd/ and xquad-r/")
    parser.add_argument("--out", type=Path, default=RUNS)
    parser.add_argument("--recollect", action="store_true", help="rank again instead of reading the cache")
    parser.add_argument("--modes", default=",".join(m.value for m in RetrievalMode))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.step == "fit":
        modes = [RetrievalMode(m) for m in args.modes.split(",")]
        cache = args.out / "rankings.pkl"
        if args.recollect or not cache.exists():
            cache.write_bytes(pickle.dumps(collect_rankings(args.data, modes)))
        fitted = fit(features_of(pickle.loads(cache.read_bytes())))
        # The modes not fitted now keep their models.
        shipped = json.loads(MODEL_FILE.read_text(encoding="utf-8"))["models"]
        models = {mode.value: fitted["models"].get(mode.value, shipped.get(mode.value)) for mode in RetrievalMode}
        MODEL_FILE.write_text(json.dumps({"features": fitted["features"], "models": models}, indent=1) + "\n",
                              encoding="utf-8")
        print(json.dumps(fitted["auroc"], indent=1))
        print(f"wrote {MODEL_FILE}")
        return 0
    result = report(args.data, [RetrievalMode(m) for m in args.modes.split(",")])
    (args.out / "report.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    plot_reliability(result["reliability"], args.out / "reliability.png")
    for key, row in sorted(result["results"].items()):
        print(f"{key:24s} {json.dumps(row)}")
    print(f"wrote {args.out / 'report.json'} and {args.out / 'reliability.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
