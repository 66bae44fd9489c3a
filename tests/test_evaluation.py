"""Evaluation against the gold Q&A set: each metric on hand-made cases, then the CI guard on the
real system (thresholds just below what it achieves today), then ``assistant eval`` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.evaluation import (
    EXIT_BELOW_THRESHOLD,
    AbstentionPrecision,
    AbstentionRecall,
    AnswerF1,
    CitationPrecision,
    CitationRecall,
    GoldItem,
    HitAtK,
    KeyFactRecall,
    LanguageMatch,
    LatencyPercentile,
    Observation,
    Record,
    ReciprocalRank,
    below_thresholds,
    first_gold_rank,
    key_fact_recall,
    load_gold,
    percentile,
    run_evaluation,
    score_records,
    text_table,
    token_f1,
    write_run,
)
from assistant.settings import PROJECT_ROOT

GOLD = PROJECT_ROOT / "corpus" / "gold_qa.jsonl"
DOC = "doc"

# The CI guard: about 0.03 below what the system achieved when the guard was set (hybrid retrieval
# with late interaction, top_k 3): hit@1 .894, hit@3 .979, hit@5 1.000, MRR .940, citation P/R
# .836/.838, answer correctness .858, token F1 .205, abstention P/R .722/.464 (before late
# interaction .778/.500: one unanswerable question answered, one misspelled answerable one under the
# score floor, docs/benchmarks.md "Late interaction"), language 1.000.
# Latency is not guarded here: it depends on the machine and on what else runs on it.
THRESHOLDS = {
    "hit@1": 0.86,
    "hit@3": 0.95,
    "hit@5": 0.97,
    "mrr": 0.91,
    "citation_precision": 0.80,
    "citation_recall": 0.80,
    "answer_correct": 0.82,
    "answer_f1": 0.17,
    "abstention_precision": 0.69,
    "abstention_recall": 0.43,
    "language_match": 0.97,
}


def item(id_: str = "q1", *, answerable: bool = True, gold_ids: tuple[str, ...] = ("p1.s1",),
         key_facts: tuple[str, ...] = (), answer: str = "", language: str = "en", category: str = "c") -> GoldItem:
    return GoldItem(id=id_, language=language, question=f"question {id_}?", answer=answer, key_facts=key_facts,
                    sentence_ids=gold_ids if answerable else (), answerable=answerable, category=category,
                    document_id=DOC)


def seen(*, ranked: tuple[str, ...] = (), cited: tuple[str, ...] = (), text: str = "", abstained: bool = False,
         language: str = "en", latency: float = 10.0) -> Observation:
    return Observation(answer_text=text, language=language, abstained=abstained,
                       cited=tuple((DOC, s) for s in cited), ranked=tuple((DOC, s) for s in ranked),
                       latency_ms=latency)


def rec(gold: GoldItem, observed: Observation) -> Record:
    return Record(gold, observed)


# -- retrieval --------------------------------------------------------------------------------------


def test_hit_at_k_counts_any_gold_sentence_within_k():
    records = [
        rec(item("a", gold_ids=("p2.s1", "p9.s1")), seen(ranked=("p5.s1", "p9.s1", "p2.s1"))),  # first gold at 2
        rec(item("b"), seen(ranked=("p1.s1",))),  # at 1
        rec(item("c"), seen(ranked=("p3.s1", "p4.s1", "p5.s1", "p6.s1"))),  # absent
        rec(item("u", answerable=False), seen(ranked=("p1.s1",))),  # ignored
    ]
    hit1, hit3 = HitAtK(1).run(records), HitAtK(3).run(records)
    assert hit1.name == "hit@1" and hit1.per_item == {"a": 0.0, "b": 1.0, "c": 0.0}
    assert hit1.score == pytest.approx(1 / 3)
    assert hit3.per_item == {"a": 1.0, "b": 1.0, "c": 0.0} and hit3.score == pytest.approx(2 / 3)


def test_mrr_uses_the_first_gold_rank():
    records = [
        rec(item("a", gold_ids=("p2.s1", "p9.s1")), seen(ranked=("p5.s1", "p6.s1", "p9.s1", "p2.s1"))),
        rec(item("b"), seen(ranked=("p1.s1",))),
        rec(item("c"), seen(ranked=("p3.s1",))),
    ]
    result = ReciprocalRank().run(records)
    assert result.per_item == {"a": pytest.approx(1 / 3), "b": 1.0, "c": 0.0}
    assert result.score == pytest.approx((1 / 3 + 1) / 3)


def test_gold_matches_the_document_too():
    gold = [(DOC, "p1.s1")]
    assert first_gold_rank([("other", "p1.s1"), (DOC, "p1.s1")], gold) == 2
    assert first_gold_rank([("other", "p1.s1")], [("", "p1.s1")]) == 1  # no document: any matches
    assert first_gold_rank([(DOC, "p2.s1")], gold) is None


# -- citations --------------------------------------------------------------------------------------


def test_citation_precision_and_recall():
    records = [
        rec(item("a", gold_ids=("p1.s1", "p2.s1")), seen(cited=("p1.s1", "p7.s1", "p8.s1"))),
        rec(item("b", gold_ids=("p3.s1",)), seen(cited=("p3.s1",))),
        rec(item("c", gold_ids=("p4.s1",)), seen(abstained=True)),  # nothing cited
        rec(item("u", answerable=False), seen(cited=("p9.s1",))),  # ignored
    ]
    precision, recall = CitationPrecision().run(records), CitationRecall().run(records)
    assert precision.per_item == {"a": pytest.approx(1 / 3), "b": 1.0}  # no citation: no precision
    assert precision.score == pytest.approx(2 / 3)
    assert recall.per_item == {"a": 0.5, "b": 1.0, "c": 0.0}
    assert recall.score == pytest.approx(0.5)


# -- answers ----------------------------------------------------------------------------------------


def test_key_facts_are_matched_after_normalisation():
    # Diacritics, hamza forms and ta marbuta fold away; case too; citation markers are ignored.
    text = "أعلنَ التحالفُ أن مجموعة العمل [1] تعمل مع الإنتربول. Counter ISIS Finance Group [2]"
    assert key_fact_recall(text, ["مجموعه العمل", "الانتربول"]) == 1.0
    assert key_fact_recall(text, ["counter isis finance group", "Kuwait"]) == 0.5
    assert key_fact_recall(text, ["2"]) == 0.0  # "[2]" is a marker, not a fact
    records = [rec(item("a", key_facts=("Kuwait", "Tillerson")), seen(text="Tillerson spoke in KUWAIT [1].")),
               rec(item("b", key_facts=("Kuwait", "Tillerson")), seen(text="Tillerson [1]")),
               rec(item("u", answerable=False), seen(text="Kuwait"))]
    result = KeyFactRecall().run(records)
    assert result.name == "answer_correct" and result.per_item == {"a": 1.0, "b": 0.5}
    assert result.score == pytest.approx(0.75)


def test_token_f1():
    assert token_f1("Rex Tillerson [1]", "rex tillerson") == 1.0
    # 3 shared tokens: precision 3/4, recall 3/3 -> F1 = 2 * .75 / 1.75 = 0.857
    assert token_f1("the Secretary Rex Tillerson", "Rex Tillerson, Secretary") == pytest.approx(0.857, abs=1e-3)
    assert token_f1("a b c d", "c d e") == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert token_f1("الكويت", "من الكويت.") == pytest.approx(2 / 3)
    assert token_f1("nothing", "in common") == 0.0
    result = AnswerF1().run([rec(item("a", answer="from Kuwait"), seen(text="Kuwait")),
                             rec(item("u", answerable=False, answer="x"), seen(text="x"))])
    assert result.per_item == {"a": pytest.approx(2 / 3)}


# -- abstention and language -------------------------------------------------------------------------


def test_abstention_precision_and_recall():
    records = [
        rec(item("u1", answerable=False), seen(abstained=True)),  # true positive
        rec(item("u2", answerable=False), seen(abstained=False)),  # false negative
        rec(item("u3", answerable=False), seen(abstained=True)),  # true positive
        rec(item("a1"), seen(abstained=True)),  # false positive
        rec(item("a2"), seen(abstained=False)),  # true negative
    ]
    precision, recall = AbstentionPrecision().run(records), AbstentionRecall().run(records)
    assert precision.per_item == {"u1": 1.0, "u3": 1.0, "a1": 0.0} and precision.score == pytest.approx(2 / 3)
    assert recall.per_item == {"u1": 1.0, "u2": 0.0, "u3": 1.0} and recall.score == pytest.approx(2 / 3)
    # Nothing abstained on / no unanswerable question: undefined, not 0 or 1.
    assert AbstentionPrecision().run(records[4:]).score is None
    assert AbstentionRecall().run(records[3:]).score is None


def test_language_match_checks_declared_language_and_script():
    records = [
        rec(item("en", language="en"), seen(text="The coalition met in Kuwait [1].", language="en")),
        rec(item("ar", language="ar"), seen(text="اجتمع التحالف في الكويت [1].", language="ar")),
        rec(item("quoted", language="en"), seen(text="اجتمع التحالف في الكويت [1].", language="en")),
        rec(item("wrong", language="ar"), seen(text="The coalition met [1].", language="en")),
    ]
    result = LanguageMatch().run(records)
    assert result.per_item == {"en": 1.0, "ar": 1.0, "quoted": 0.0, "wrong": 0.0} and result.score == 0.5


def test_latency_percentiles():
    assert percentile([float(v) for v in range(1, 101)], 50) == pytest.approx(50.5)
    assert percentile([float(v) for v in range(1, 101)], 95) == pytest.approx(95.05)
    assert percentile([7.0], 95) == 7.0
    records = [rec(item(str(i)), seen(latency=float(i))) for i in range(1, 21)]
    result = LatencyPercentile(95).run(records)
    assert result.name == "latency_p95_ms" and result.score == pytest.approx(19.05) and len(result.per_item) == 20


# -- grouping, thresholds, files -------------------------------------------------------------------


def _small_run() -> list[Record]:
    return [
        rec(item("a", language="en", category="x", key_facts=("Kuwait",), answer="Kuwait"),
            seen(ranked=("p1.s1",), cited=("p1.s1",), text="In Kuwait [1].")),
        rec(item("b", language="ar", category="x", key_facts=("الكويت",), answer="الكويت"),
            seen(ranked=("p2.s1", "p1.s1"), cited=("p2.s1",), text="في الرياض [1].", language="ar")),
        rec(item("u", language="ar", category="unanswerable", answerable=False, answer="لا يذكر"),
            seen(ranked=("p2.s1",), text="لا يذكر المقال ذلك.", abstained=True, language="ar")),
    ]


def test_scores_per_language_and_category():
    result = score_records(_small_run())
    assert result.overall["hit@1"].score == 0.5 and result.overall["mrr"].score == 0.75
    assert result.by_language["en"]["hit@1"].score == 1.0 and result.by_language["ar"]["hit@1"].score == 0.0
    assert result.by_language["ar"]["abstention_recall"].score == 1.0
    assert result.by_category["x"]["answer_correct"].score == 0.5
    assert result.by_category["unanswerable"]["hit@1"].score is None  # answerable-only metric
    table = text_table(result)
    assert "overall" in table and "unanswerable" in table and "hit@1" in table


def test_thresholds_name_the_failing_metrics():
    scores = score_records(_small_run()).overall
    assert below_thresholds(scores, {"hit@1": 0.5, "abstention_recall": 1.0}, {"latency_p95_ms": 100}) == []
    failures = below_thresholds(scores, {"hit@1": 0.51, "mrr": 0.5}, {"latency_p50_ms": 1})
    assert len(failures) == 2 and failures[0].startswith("hit@1 = 0.500") and "latency_p50_ms" in failures[1]
    empty = score_records(_small_run()[2:]).overall  # no answerable item: hit@1 was not measured
    assert below_thresholds(empty, {"hit@1": 0.0}, {}) == ["hit@1 = - is below the minimum 0"]


def test_write_run(tmp_path):
    result = score_records(_small_run())
    run_dir = write_run(result, tmp_path / "runs", {"gold": "gold.jsonl", "items": 3}, ["hit@1 = 0.500 ..."])
    second = write_run(result, tmp_path / "runs", {"gold": "gold.jsonl", "items": 3}, [])
    assert run_dir.parent == tmp_path / "runs" and second != run_dir  # never overwrites a run
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert report["metrics"]["overall"]["hit@1"] == 0.5 and report["thresholds_failed"] == ["hit@1 = 0.500 ..."]
    assert set(report["metrics"]["by_category"]) == {"x", "unanswerable"}
    b = next(i for i in report["items"] if i["id"] == "b")
    assert b["cited_ids"] == ["p2.s1"] and b["gold_ids"] == ["p1.s1"] and b["scores"]["hit@1"] == 0.0
    assert b["first_gold_rank"] == 2 and b["answer"] == "في الرياض [1]." and not b["abstained"]
    markdown = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "## Per category" in markdown and "FAILED: hit@1" in markdown and "| b | ar | x |" in markdown
    assert (run_dir / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gold_file_loads():
    gold = load_gold(GOLD)
    assert len(gold) == 170 and len({g.id for g in gold}) == 170
    assert {g.document_id for g in gold} == {"coalition-communique"}  # from the manifest beside it
    assert all(g.sentence_ids and g.key_facts for g in gold if g.answerable)


def test_bad_gold_file_is_a_readable_error(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text('{"id": "q1", "question": "?"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="gold.jsonl:1: not a gold record"):
        load_gold(path)


# -- the real system ------------------------------------------------------------------------------


@pytest.mark.slow
def test_gold_set_quality_does_not_regress(assistant):
    result = run_evaluation(assistant, load_gold(GOLD), progress=False)
    print("\n" + text_table(result))
    achieved = {name: metric.score for name, metric in result.overall.items()}
    print("achieved:", {name: round(score, 3) for name, score in achieved.items() if score is not None})
    failures = below_thresholds(result.overall, THRESHOLDS, {})
    assert not failures, "quality regressed on the gold set:\n" + "\n".join(failures)
    assert len(result.records) == 170 and result.overall["latency_p50_ms"].score > 0


@pytest.mark.slow
def test_cli_eval_exits_3_under_an_impossible_threshold(tmp_path, model_dir):
    gold = tmp_path / "gold.jsonl"
    lines = GOLD.read_text(encoding="utf-8").splitlines()
    gold.write_text("\n".join(lines[:6] + lines[142:146]) + "\n", encoding="utf-8")  # ar+en, 4 unanswerable
    followup = tmp_path / "followup.jsonl"
    dialogues = (GOLD.parent / "followup_qa.jsonl").read_text(encoding="utf-8").splitlines()
    followup.write_text("\n".join(line for line in dialogues if '"id": "en02"' in line or '"id": "ar04"' in line) + "\n",
                        encoding="utf-8")
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(tmp_path / "data"), ASSISTANT_MODEL_DIR=str(model_dir))
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "eval", "--gold", str(gold), "--out", str(tmp_path / "runs"),
         "--min-hit1", "1.01", "--min-language-match", "0.5", "--followup", str(followup)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert result.returncode == EXIT_BELOW_THRESHOLD, result.stderr
    assert "below threshold: hit@1" in result.stderr and "language_match" not in result.stderr
    assert "overall" in result.stdout and "hit@1" in result.stdout and "Traceback" not in result.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert {p.name for p in run_dir.iterdir()} == {"report.json", "report.md", "chart.png", "followup.json"}
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert len(report["items"]) == 10 and report["thresholds_failed"][0].startswith("hit@1")
    # The follow-up section: en02 is in the fit half, ar04 held out (alternating from the first line).
    assert "Follow-up dialogues" in result.stdout and "## Follow-up dialogues" in (run_dir / "report.md").read_text()
    rows = json.loads((run_dir / "followup.json").read_text(encoding="utf-8"))["rows"]
    held_out = {(r["turn"], r["language"]): r for r in rows if r["half"] == "held-out"}
    assert held_out["followup", "ar"]["n"] == 1 and held_out["followup", "ar"]["leaned"] == 1.0
    assert held_out["topic_change", "all"]["dragged"] == 0.0 and held_out["topic_change", "all"]["hit@1"] == 1.0
