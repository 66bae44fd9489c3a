"""Evaluation runs against the gold Q&A set (``assistant eval``).

Every gold question goes through the same ``Assistant.ask`` users call (plus ``Assistant.retrieve``
for the full ranking behind hit@k and MRR). Each metric is a small object whose ``run`` returns an
overall score and the per-item scores it was computed from (in the style of haystack evaluators);
metrics that only make sense for answerable questions skip the unanswerable ones.

A run writes ``<out>/<timestamp>/report.json`` (all metrics and per-item details), ``report.md``
(the tables) and ``chart.png`` (per-category bars), and prints the table to the terminal.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .normalize import answer_language, normalize, question_language, tokens
from .settings import RetrievalMode

if TYPE_CHECKING:
    from .app import Assistant

EXIT_BELOW_THRESHOLD = 3
SentenceRef = tuple[str, str]  # (document_id, sentence_id); document_id "" matches any document

_MARKER = re.compile(r"\[\d+\]")  # the answer's citation markers, not part of its wording


# -- gold set and observations ------------------------------------------------------------------


@dataclass(frozen=True)
class GoldItem:
    id: str
    language: str
    question: str
    answer: str
    key_facts: tuple[str, ...]
    sentence_ids: tuple[str, ...]
    answerable: bool
    category: str
    document_id: str = ""  # "" = any document (the gold file has a single-document corpus beside it)

    @property
    def gold_refs(self) -> tuple[SentenceRef, ...]:
        return tuple((self.document_id, sid) for sid in self.sentence_ids)


@dataclass(frozen=True)
class Observation:
    """What the assistant did with one gold question."""

    answer_text: str
    language: str
    abstained: bool
    cited: tuple[SentenceRef, ...]
    ranked: tuple[SentenceRef, ...]
    latency_ms: float
    probability: float = 0.0  # the answerability probability the answer came with


@dataclass(frozen=True)
class Record:
    gold: GoldItem
    observed: Observation


def load_gold(path: Path) -> list[GoldItem]:
    """The gold records of a JSONL file. Without a ``document_id`` of their own, records belong to
    the only document of the ``manifest.json`` next to the file, if there is exactly one."""
    default_document = _single_document(path.parent / "manifest.json")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                items.append(_gold_item(json.loads(line), default_document))
            except (KeyError, TypeError, json.JSONDecodeError) as error:
                raise ValueError(f"{path}:{number}: not a gold record ({error!r})") from None
    if not items:
        raise ValueError(f"{path}: no gold records")
    return items


def _gold_item(raw: dict[str, Any], default_document: str) -> GoldItem:
    return GoldItem(
        id=str(raw["id"]),
        language=raw["language"],
        question=raw["question"],
        answer=raw["answer"],
        key_facts=tuple(raw["key_facts"]),
        sentence_ids=tuple(raw["sentence_ids"]),
        answerable=bool(raw["answerable"]),
        category=raw["category"],
        document_id=raw.get("document_id", default_document),
    )


def _single_document(manifest: Path) -> str:
    try:
        documents = json.loads(manifest.read_text(encoding="utf-8"))["documents"]
    except (OSError, ValueError, KeyError):
        return ""
    return documents[0]["id"] if len(documents) == 1 else ""


def same_sentence(ref: SentenceRef, gold: SentenceRef) -> bool:
    return ref[1] == gold[1] and (not gold[0] or ref[0] == gold[0])


def _is_gold(ref: SentenceRef, gold: Iterable[SentenceRef]) -> bool:
    return any(same_sentence(ref, g) for g in gold)


# -- metrics --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricResult:
    name: str
    score: float | None  # None when no item applies (e.g. abstention recall with no unanswerable item)
    per_item: dict[str, float] = field(default_factory=dict)


class Metric:
    """Scores the items it ``applies`` to, one by one, then aggregates (the mean by default)."""

    name = "metric"
    higher_is_better = True

    def applies(self, record: Record) -> bool:
        return True

    def item_score(self, record: Record) -> float:
        raise NotImplementedError

    def aggregate(self, scores: list[float]) -> float:
        return sum(scores) / len(scores)

    def run(self, records: Sequence[Record]) -> MetricResult:
        per_item = {r.gold.id: self.item_score(r) for r in records if self.applies(r)}
        score = self.aggregate(list(per_item.values())) if per_item else None
        return MetricResult(self.name, score, per_item)


class AnswerableMetric(Metric):
    def applies(self, record: Record) -> bool:
        return record.gold.answerable


class HitAtK(AnswerableMetric):
    """1 when any gold sentence is ranked within the first ``k`` retrieved sentences."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.name = f"hit@{k}"

    def item_score(self, record: Record) -> float:
        rank = first_gold_rank(record.observed.ranked, record.gold.gold_refs)
        return float(rank is not None and rank <= self.k)


class ReciprocalRank(AnswerableMetric):
    name = "mrr"

    def item_score(self, record: Record) -> float:
        rank = first_gold_rank(record.observed.ranked, record.gold.gold_refs)
        return 1.0 / rank if rank else 0.0


class CitationPrecision(AnswerableMetric):
    """Share of the cited sentences that are gold (items that cite nothing are not counted)."""

    name = "citation_precision"

    def applies(self, record: Record) -> bool:
        return record.gold.answerable and bool(record.observed.cited)

    def item_score(self, record: Record) -> float:
        cited = record.observed.cited
        return sum(_is_gold(ref, record.gold.gold_refs) for ref in cited) / len(cited)


class CitationRecall(AnswerableMetric):
    """Share of the gold sentences that are cited."""

    name = "citation_recall"

    def item_score(self, record: Record) -> float:
        gold = record.gold.gold_refs
        return sum(any(same_sentence(ref, g) for ref in record.observed.cited) for g in gold) / len(gold)


class KeyFactRecall(AnswerableMetric):
    """Answer correctness: share of the key facts found in the normalised answer text."""

    name = "answer_correct"

    def item_score(self, record: Record) -> float:
        return key_fact_recall(record.observed.answer_text, record.gold.key_facts)


class AnswerF1(AnswerableMetric):
    """Token F1 between the answer text and the gold answer (normalised tokens)."""

    name = "answer_f1"

    def item_score(self, record: Record) -> float:
        return token_f1(record.observed.answer_text, record.gold.answer)


class AbstentionPrecision(Metric):
    """Of the questions the assistant abstained on, the share that are unanswerable."""

    name = "abstention_precision"

    def applies(self, record: Record) -> bool:
        return record.observed.abstained

    def item_score(self, record: Record) -> float:
        return float(not record.gold.answerable)


class AbstentionRecall(Metric):
    """Of the unanswerable questions, the share the assistant abstained on."""

    name = "abstention_recall"

    def applies(self, record: Record) -> bool:
        return not record.gold.answerable

    def item_score(self, record: Record) -> float:
        return float(record.observed.abstained)


class AbstentionAUROC(Metric):
    """How well the answerability probability separates the questions: the chance that an
    answerable question gets a higher probability than an unanswerable one (ties count half)."""

    name = "abstention_auroc"

    def item_score(self, record: Record) -> float:
        return record.observed.probability

    def run(self, records: Sequence[Record]) -> MetricResult:
        per_item = {r.gold.id: self.item_score(r) for r in records}
        answerable = [per_item[r.gold.id] for r in records if r.gold.answerable]
        unanswerable = [per_item[r.gold.id] for r in records if not r.gold.answerable]
        if not answerable or not unanswerable:
            return MetricResult(self.name, None, per_item)
        wins = sum((a > u) + 0.5 * (a == u) for a in answerable for u in unanswerable)
        return MetricResult(self.name, wins / (len(answerable) * len(unanswerable)), per_item)


class LanguageMatch(Metric):
    """The answer is in the question's language: declared language and the script of its text."""

    name = "language_match"

    def item_score(self, record: Record) -> float:
        text = _MARKER.sub(" ", record.observed.answer_text)
        return float(record.observed.language == record.gold.language == answer_language(text).value)


class LatencyPercentile(Metric):
    """A percentile of ``ask`` wall-clock latency in milliseconds (lower is better)."""

    higher_is_better = False

    def __init__(self, percent: float) -> None:
        self.percent = percent
        self.name = f"latency_p{percent:g}_ms"

    def item_score(self, record: Record) -> float:
        return record.observed.latency_ms

    def aggregate(self, scores: list[float]) -> float:
        return percentile(scores, self.percent)


def default_metrics() -> list[Metric]:
    return [
        HitAtK(1), HitAtK(3), HitAtK(5), ReciprocalRank(), CitationPrecision(), CitationRecall(),
        KeyFactRecall(), AnswerF1(), AbstentionPrecision(), AbstentionRecall(), AbstentionAUROC(), LanguageMatch(),
        LatencyPercentile(50), LatencyPercentile(95),
    ]


def first_gold_rank(ranked: Sequence[SentenceRef], gold: Sequence[SentenceRef]) -> int | None:
    """1-based rank of the first gold sentence in ``ranked``; None when none is there."""
    return next((rank for rank, ref in enumerate(ranked, 1) if _is_gold(ref, gold)), None)


def key_fact_recall(text: str, key_facts: Sequence[str]) -> float:
    if not key_facts:
        return 1.0
    folded = normalize(_MARKER.sub(" ", text))
    return sum(normalize(fact) in folded for fact in key_facts) / len(key_facts)


def token_f1(prediction: str, reference: str) -> float:
    predicted = Counter(tokens(_MARKER.sub(" ", prediction)))
    expected = Counter(tokens(reference))
    overlap = sum((predicted & expected).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(predicted.values())
    recall = overlap / sum(expected.values())
    return 2 * precision * recall / (precision + recall)


def percentile(values: Sequence[float], percent: float) -> float:
    """Linear interpolation between closest ranks (numpy's default method)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * percent / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# -- running --------------------------------------------------------------------------------------

Scores = dict[str, MetricResult]


@dataclass(frozen=True)
class EvaluationResult:
    records: list[Record]
    overall: Scores
    by_language: dict[str, Scores]
    by_category: dict[str, Scores]

    def groups(self) -> list[tuple[str, str, Scores]]:
        """(section, group name, scores) rows in display order."""
        return ([("overall", "overall", self.overall)]
                + [("language", name, s) for name, s in self.by_language.items()]
                + [("category", name, s) for name, s in self.by_category.items()])

    def count(self, section: str, name: str) -> int:
        key = {"overall": lambda r: "overall", "language": lambda r: r.gold.language,
               "category": lambda r: r.gold.category}[section]
        return sum(key(r) == name for r in self.records)


def observe(assistant: Assistant, item: GoldItem, mode: RetrievalMode | None, top_k: int | None) -> Observation:
    started = time.perf_counter()
    answer = assistant.ask(item.question, top_k=top_k, mode=mode)
    latency = (time.perf_counter() - started) * 1000
    ranked = assistant.retrieve(item.question, mode=mode)
    return Observation(
        answer_text=answer.text,
        language=answer.language,
        abstained=answer.abstained,
        cited=tuple((c.document_id, c.sentence_id) for c in answer.citations),
        ranked=tuple((doc, sid) for doc, sid, _ in ranked),
        latency_ms=round(latency, 2),
        probability=answer.probability,
    )


def run_evaluation(
    assistant: Assistant,
    gold: Sequence[GoldItem],
    *,
    mode: RetrievalMode | None = None,
    top_k: int | None = None,
    progress: bool = True,
) -> EvaluationResult:
    """Ask every gold question (after one untimed warm-up question) and score the answers."""
    from tqdm import tqdm

    assistant.warm_up().ask(gold[0].question, top_k=top_k, mode=mode)
    bar = tqdm(gold, desc="eval", unit="q", file=sys.stderr, disable=not progress)
    records = [Record(item, observe(assistant, item, mode, top_k)) for item in bar]
    return score_records(records)


def score_records(records: list[Record], metrics: Sequence[Metric] | None = None) -> EvaluationResult:
    metrics = list(metrics or default_metrics())
    return EvaluationResult(
        records=records,
        overall=score_group(records, metrics),
        by_language={k: score_group(v, metrics) for k, v in _group(records, lambda r: r.gold.language).items()},
        by_category={k: score_group(v, metrics) for k, v in _group(records, lambda r: r.gold.category).items()},
    )


def score_group(records: Sequence[Record], metrics: Sequence[Metric]) -> Scores:
    return {metric.name: metric.run(records) for metric in metrics}


def _group(records: Iterable[Record], key: Callable[[Record], str]) -> dict[str, list[Record]]:
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(key(record), []).append(record)
    return dict(sorted(groups.items()))


# -- thresholds -----------------------------------------------------------------------------------

# CLI flag suffix -> metric name: ``--min-hit1`` guards hit@1, ``--max-p95-ms`` latency_p95_ms.
MIN_FLAGS = {
    "hit1": "hit@1", "hit3": "hit@3", "hit5": "hit@5", "mrr": "mrr",
    "citation-precision": "citation_precision", "citation-recall": "citation_recall",
    "answer-correct": "answer_correct", "answer-f1": "answer_f1",
    "abstention-precision": "abstention_precision", "abstention-recall": "abstention_recall",
    "language-match": "language_match",
}
MAX_FLAGS = {"p50-ms": "latency_p50_ms", "p95-ms": "latency_p95_ms"}


def below_thresholds(scores: Scores, minimums: dict[str, float], maximums: dict[str, float]) -> list[str]:
    """Readable descriptions of every overall score outside its threshold (or not measured)."""
    failures = []
    for name, limit in minimums.items():
        score = scores[name].score
        if score is None or score < limit:
            failures.append(f"{name} = {_fmt(score)} is below the minimum {limit:g}")
    for name, limit in maximums.items():
        score = scores[name].score
        if score is None or score > limit:
            failures.append(f"{name} = {_fmt(score, latency=True)} is above the maximum {limit:g}")
    return failures


# -- reporting ------------------------------------------------------------------------------------

COLUMNS = [  # metric name -> short column header
    ("hit@1", "hit@1"), ("hit@3", "hit@3"), ("hit@5", "hit@5"), ("mrr", "MRR"),
    ("citation_precision", "citP"), ("citation_recall", "citR"), ("answer_correct", "correct"),
    ("answer_f1", "F1"), ("abstention_precision", "absP"), ("abstention_recall", "absR"),
    ("abstention_auroc", "absAUC"), ("language_match", "lang"), ("latency_p50_ms", "p50ms"), ("latency_p95_ms", "p95ms"),
]
LEGEND = ("citP/citR: citation precision/recall; correct: share of key facts in the answer; "
          "F1: token F1 vs gold answer; absP/absR: abstention precision/recall (unanswerable = positive); "
          "absAUC: AUROC of the answerability probability; "
          "lang: answer in the question's language; p50ms/p95ms: ask latency; '-': no applicable item")


def _fmt(value: float | None, latency: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if latency else f"{value:.3f}"


def _row(result: EvaluationResult, section: str, name: str, scores: Scores) -> list[str]:
    cells = [name, str(result.count(section, name))]
    return cells + [_fmt(scores[metric].score, metric.startswith("latency")) for metric, _ in COLUMNS]


def text_table(result: EvaluationResult) -> str:
    header = ["group", "n"] + [label for _, label in COLUMNS]
    rows = [(section, _row(result, section, name, scores)) for section, name, scores in result.groups()]
    widths = [max(len(header[i]), *(len(cells[i]) for _, cells in rows)) for i in range(len(header))]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    out, previous = [line(header)], None
    for section, cells in rows:
        if section != previous:
            out.append("-" * len(out[0]))
            previous = section
        out.append(line(cells))
    return "\n".join(out)


def markdown_report(result: EvaluationResult, meta: dict[str, Any], failures: list[str]) -> str:
    header = ["group", "n"] + [label for _, label in COLUMNS]
    parts = [f"# Evaluation run {meta['run']}", "", _meta_lines(meta), ""]
    for title, section in (("Overall", "overall"), ("Per language", "language"), ("Per category", "category")):
        rows = [_row(result, s, name, scores) for s, name, scores in result.groups() if s == section]
        parts += [f"## {title}", "", _md_table(header, rows), ""]
    parts += ["_" + LEGEND + "_", "", "![per-category chart](chart.png)", ""]
    parts += ["## Thresholds", ""] + ([f"- FAILED: {f}" for f in failures] or ["- all thresholds met"]) + [""]
    parts += ["## Misses", "", _md_table(["id", "lang", "category", "problem", "question"], _misses(result)), ""]
    return "\n".join(parts)


def _meta_lines(meta: dict[str, Any]) -> str:
    keys = ("gold", "items", "retrieval_mode", "top_k", "abstain_threshold", "embedding_model")
    return "\n".join(f"- {key}: `{meta[key]}`" for key in keys if key in meta)


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    escape = lambda cell: cell.replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows])


def _misses(result: EvaluationResult) -> list[list[str]]:
    """Items whose answer went wrong: a wrong abstention, missed key facts, or no gold at rank 1."""
    rows = []
    for record in result.records:
        gold, seen = record.gold, record.observed
        if not gold.answerable:
            problem = "" if seen.abstained else "answered an unanswerable question"
        elif seen.abstained:
            problem = "abstained"
        else:
            problem = "; ".join(p for p, bad in (
                ("key facts missing", key_fact_recall(seen.answer_text, gold.key_facts) < 1),
                ("gold not ranked first", first_gold_rank(seen.ranked, gold.gold_refs) != 1)) if bad)
        if problem:
            rows.append([gold.id, gold.language, gold.category, problem, gold.question])
    return rows


def item_details(result: EvaluationResult) -> list[dict[str, Any]]:
    return [_item_detail(record, result.overall) for record in result.records]


def _item_detail(record: Record, scores: Scores) -> dict[str, Any]:
    gold, seen = record.gold, record.observed
    return {
        "id": gold.id, "language": gold.language, "category": gold.category, "answerable": gold.answerable,
        "question": gold.question, "gold_answer": gold.answer, "key_facts": list(gold.key_facts),
        "gold_ids": list(gold.sentence_ids), "answer": seen.answer_text, "answer_language": seen.language,
        "abstained": seen.abstained, "cited_ids": [_ref(ref, gold.document_id) for ref in seen.cited],
        "ranked_ids": [_ref(ref, gold.document_id) for ref in seen.ranked[:10]],
        "first_gold_rank": first_gold_rank(seen.ranked, gold.gold_refs) if gold.answerable else None,
        "latency_ms": seen.latency_ms,
        "scores": {name: round(m.per_item[gold.id], 4) for name, m in scores.items()
                   if gold.id in m.per_item and not name.startswith("latency")},
    }


def _ref(ref: SentenceRef, home_document: str) -> str:
    """A sentence id, prefixed with its document when that is not the gold item's document."""
    return ref[1] if not home_document or ref[0] == home_document else f"{ref[0]}#{ref[1]}"


def json_report(result: EvaluationResult, meta: dict[str, Any], failures: list[str]) -> dict[str, Any]:
    plain = lambda scores: {name: m.score for name, m in scores.items()}  # noqa: E731
    return {
        **meta,
        "thresholds_failed": failures,
        "metrics": {
            "overall": plain(result.overall),
            "by_language": {k: plain(v) for k, v in result.by_language.items()},
            "by_category": {k: plain(v) for k, v in result.by_category.items()},
        },
        "items": item_details(result),
    }


def draw_chart(result: EvaluationResult, path: Path) -> None:
    """Per-category bars of hit@1 and answer correctness, and the share of questions abstained on
    (stacked: right abstentions, on unanswerable questions, under wrong ones)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    categories = list(result.by_category)
    figure = Figure(figsize=(max(8.0, 0.95 * len(categories) + 2), 5.6), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width, positions = 0.27, range(len(categories))
    for offset, (metric, label) in enumerate([("hit@1", "hit@1"), ("answer_correct", "answer correctness")]):
        scores = [result.by_category[c][metric].score for c in categories]
        bars = axes.bar([p + (offset - 1) * width for p in positions], [v or 0.0 for v in scores], width, label=label)
        for bar, value in zip(bars, scores):
            if value is None:
                axes.text(bar.get_x() + width / 2, 0.01, "n/a", ha="center", va="bottom", fontsize=7, rotation=90)
    right, wrong = zip(*(_abstention_shares(result, c) for c in categories))
    x = [p + width for p in positions]
    axes.bar(x, right, width, label="abstained, unanswerable (right)", color="tab:green")
    axes.bar(x, wrong, width, bottom=right, label="abstained, answerable (wrong)", color="tab:red")
    axes.set_xticks(list(positions), [f"{c}\n(n={result.count('category', c)})" for c in categories],
                    rotation=35, ha="right", fontsize=8)
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("score / share of questions")
    axes.grid(axis="y", alpha=0.3)
    overall = result.overall
    axes.set_title(f"Gold Q&A per category - overall hit@1 {_fmt(overall['hit@1'].score)}, "
                   f"answer correctness {_fmt(overall['answer_correct'].score)}, "
                   f"abstention P/R {_fmt(overall['abstention_precision'].score)}/"
                   f"{_fmt(overall['abstention_recall'].score)}", fontsize=10)
    figure.legend(loc="outside lower center", ncols=4, fontsize="small")
    figure.savefig(path, dpi=120)


def _abstention_shares(result: EvaluationResult, category: str) -> tuple[float, float]:
    """(right, wrong) abstentions as shares of the category's questions."""
    records = [r for r in result.records if r.gold.category == category]
    right = sum(r.observed.abstained and not r.gold.answerable for r in records)
    wrong = sum(r.observed.abstained and r.gold.answerable for r in records)
    return right / len(records), wrong / len(records)


def write_run(result: EvaluationResult, out_dir: Path, meta: dict[str, Any], failures: list[str]) -> Path:
    """Write report.json, report.md and chart.png into a new ``out_dir/<timestamp>/``."""
    run_dir = _new_run_dir(out_dir)
    meta = {**meta, "run": run_dir.name}
    report = json_report(result, meta, failures)
    (run_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    (run_dir / "report.md").write_text(markdown_report(result, meta, failures), encoding="utf-8")
    draw_chart(result, run_dir / "chart.png")
    return run_dir


def _new_run_dir(out_dir: Path) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 100):
        run_dir = out_dir / (stamp if attempt == 1 else f"{stamp}-{attempt}")
        try:
            run_dir.mkdir(parents=True)
            return run_dir
        except FileExistsError:
            continue
    raise OSError(f"cannot create a run directory under {out_dir}")


# -- command line ---------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``assistant eval`` options (the subcommand itself is declared in cli.py)."""
    parser.add_argument("--gold", type=Path, help="gold Q&A JSONL (default: <corpus_dir>/gold_qa.jsonl)")
    parser.add_argument("--out", type=Path, default=Path("runs"), help="runs are written to OUT/<timestamp>/")
    parser.add_argument("--mode", type=RetrievalMode, choices=[mode.value for mode in RetrievalMode],
                        metavar="{" + ",".join(m.value for m in RetrievalMode) + "}", help="retrieval mode")
    parser.add_argument("--top-k", type=int, help="at most this many cited sentences")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument("--followup", type=Path,
                        help="follow-up dialogues JSONL (default: <corpus_dir>/followup_qa.jsonl, when it exists)")
    parser.add_argument("--no-followup", action="store_true", help="skip the follow-up section")
    for flag, metric in MIN_FLAGS.items():
        parser.add_argument(f"--min-{flag}", type=float, metavar="X", help=f"exit 3 if overall {metric} < X")
    for flag, metric in MAX_FLAGS.items():
        parser.add_argument(f"--max-{flag}", type=float, metavar="MS", help=f"exit 3 if {metric} > MS")


def run_cli(assistant: Assistant, args: argparse.Namespace) -> int:
    """Run, print the table, write the run directory; exit code 3 when a threshold is missed."""
    gold_path = args.gold or assistant.settings.corpus_dir / "gold_qa.jsonl"
    gold = load_gold(gold_path)
    result = run_evaluation(assistant, gold, mode=args.mode, top_k=args.top_k, progress=not args.no_progress)
    failures = below_thresholds(result.overall, _limits(args, "min", MIN_FLAGS), _limits(args, "max", MAX_FLAGS))
    run_dir = write_run(result, args.out, _run_meta(assistant, gold_path, len(gold), args), failures)
    print(text_table(result))
    print(f"\n{LEGEND}\n\nreport: {run_dir / 'report.md'}  (report.json, chart.png beside it)")
    _followup_section(assistant, args, run_dir)
    for failure in failures:
        print(f"below threshold: {failure}", file=sys.stderr)
    return EXIT_BELOW_THRESHOLD if failures else 0


def _limits(args: argparse.Namespace, kind: str, flags: dict[str, str]) -> dict[str, float]:
    values = {metric: getattr(args, f"{kind}_{flag.replace('-', '_')}") for flag, metric in flags.items()}
    return {metric: value for metric, value in values.items() if value is not None}


def _run_meta(assistant: Assistant, gold_path: Path, items: int, args: argparse.Namespace) -> dict[str, Any]:
    settings = assistant.settings
    return {
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "gold": str(gold_path),
        "items": items,
        "retrieval_mode": (args.mode or settings.retrieval_mode).value,
        "top_k": args.top_k or settings.top_k,
        "abstain_threshold": settings.abstain_threshold,
        "embedding_model": settings.embedding_model or "bundled multilingual-e5-small",
    }


# -- follow-up questions (corpus/followup_qa.jsonl) --------------------------------------------------
#
# Dialogues of 2-3 turns; each turn is a first question, a follow-up that needs the history, or a
# topic change that must not be dragged back to it. They go through ``Conversation`` as the UI and
# ``assistant chat`` do. Dialogues alternate between the half the fusion constants were fitted on
# (even positions in the file) and the held-out half (odd positions): the table reports both.

TURN_KINDS = ("first", "followup", "topic_change")


@dataclass(frozen=True)
class DialogueTurn:
    question: str
    sentence_ids: tuple[str, ...]
    key_facts: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class Dialogue:
    id: str
    language: str  # "ar", "en" or "mixed"
    turns: tuple[DialogueTurn, ...]
    split: str  # "fit" or "held-out"
    document_id: str = ""


@dataclass(frozen=True)
class TurnRecord:
    dialogue: Dialogue
    turn: DialogueTurn
    top: SentenceRef | None  # the sentence ranked first
    answer_text: str
    leaned_on: int | None

    @property
    def hit(self) -> bool:
        gold = [(self.dialogue.document_id, sid) for sid in self.turn.sentence_ids]
        return self.top is not None and _is_gold(self.top, gold)

    @property
    def dragged(self) -> bool:
        """A topic change answered from the history instead of its own words."""
        return self.turn.kind == "topic_change" and self.leaned_on is not None and not self.hit

    @property
    def language(self) -> str:
        return question_language(self.turn.question).value


def load_dialogues(path: Path) -> list[Dialogue]:
    default_document = _single_document(path.parent / "manifest.json")
    dialogues = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            turns = tuple(DialogueTurn(t["question"], tuple(t["sentence_ids"]), tuple(t["key_facts"]), t["kind"])
                          for t in raw["turns"])
            if any(t.kind not in TURN_KINDS for t in turns) or not turns:
                raise ValueError(f"turn kinds must be one of {TURN_KINDS}")
            split = "fit" if len(dialogues) % 2 == 0 else "held-out"
            dialogues.append(Dialogue(str(raw["id"]), raw["language"], turns, split,
                                      raw.get("document_id", default_document)))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path}:{number}: not a dialogue ({error!r})") from None
    if not dialogues:
        raise ValueError(f"{path}: no dialogues")
    return dialogues


def run_dialogues(assistant: Assistant, dialogues: Sequence[Dialogue], *, fusion: Any = None,
                  mode: RetrievalMode | None = None, top_k: int | None = None) -> list[TurnRecord]:
    """Each dialogue in a fresh ``Conversation``; one record per turn."""
    from .conversation import Conversation

    records = []
    for dialogue in dialogues:
        conversation = Conversation(assistant, fusion, mode=mode, top_k=top_k)
        for turn in dialogue.turns:
            answer = conversation.ask(turn.question)
            scores = conversation.turns[-1].scores
            top = max(scores, key=scores.__getitem__) if scores else None
            records.append(TurnRecord(dialogue, turn, top, answer.text, answer.leaned_on))
    return records


def followup_rows(records: Sequence[TurnRecord]) -> list[dict[str, Any]]:
    """Per half, per kind of turn and per language: n, hit@1, correctness, leaned share, dragged share."""
    rows = []
    for split in ("held-out", "fit"):
        for kind in TURN_KINDS:
            for language in ("all", "ar", "en"):
                group = [r for r in records if r.dialogue.split == split and r.turn.kind == kind
                         and language in ("all", r.language)]
                if group:
                    rows.append(_followup_row(split, kind, language, group))
    return rows


def _followup_row(split: str, kind: str, language: str, group: list[TurnRecord]) -> dict[str, Any]:
    share = lambda values: round(sum(values) / len(values), 3)  # noqa: E731
    return {
        "half": split, "turn": kind, "language": language, "n": len(group),
        "hit@1": share([r.hit for r in group]),
        "answer_correct": share([key_fact_recall(r.answer_text, r.turn.key_facts) for r in group]),
        "leaned": share([r.leaned_on is not None for r in group]),
        "dragged": share([r.dragged for r in group]) if kind == "topic_change" else None,
    }


def followup_table(rows: Sequence[dict[str, Any]]) -> str:
    header = ["half", "turn", "language", "n", "hit@1", "answer_correct", "leaned", "dragged"]
    cells = [[_fmt(row[h]) if isinstance(row[h], float) or row[h] is None else str(row[h]) for h in header]
             for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def followup_misses(records: Sequence[TurnRecord]) -> list[dict[str, Any]]:
    return [{"dialogue": r.dialogue.id, "half": r.dialogue.split, "kind": r.turn.kind, "question": r.turn.question,
             "gold": list(r.turn.sentence_ids), "top": r.top[1] if r.top else None, "leaned_on": r.leaned_on}
            for r in records if not r.hit]


def _followup_section(assistant: Assistant, args: argparse.Namespace, run_dir: Path) -> None:
    """Score the follow-up dialogues; print the table, write followup.json and add it to report.md."""
    path = getattr(args, "followup", None) or assistant.settings.corpus_dir / "followup_qa.jsonl"
    if getattr(args, "no_followup", False) or not path.is_file():
        return
    records = run_dialogues(assistant, load_dialogues(path), mode=args.mode, top_k=args.top_k)
    rows = followup_rows(records)
    table = followup_table(rows)
    print(f"\nFollow-up dialogues ({path}): per turn; 'held-out' is the half the fusion constants were not "
          f"fitted on; leaned: share answered with the history; dragged: topic changes answered from it wrongly\n"
          f"{table}")
    payload = {"followup": str(path), "rows": rows, "misses": followup_misses(records)}
    (run_dir / "followup.json").write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    header = list(rows[0])
    md_rows = [[_fmt(row[h]) if isinstance(row[h], float) or row[h] is None else str(row[h]) for h in header]
               for row in rows]
    with (run_dir / "report.md").open("a", encoding="utf-8") as report:
        report.write(f"\n## Follow-up dialogues\n\n`{path}`\n\n{_md_table(header, md_rows)}\n")
