"""The open-QA benchmark's data loading and metric functions, on a small SQuAD-format file made here."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from assistant.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def open_qa():
    spec = importlib.util.spec_from_file_location("open_qa", PROJECT_ROOT / "benchmarks" / "open_qa.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["open_qa"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


CONTEXT_1 = "تأسست المدينة عام 499 ق.م على يد الفينيقيين. وكانت مركزاً للتجارة. وصار اسمها قرطاجة."
CONTEXT_2 = "الرئيسُ الحالي لسنغافورة هو حليمة يعقوب. وهي أول امرأة تتولى المنصب."


@pytest.fixture
def squad_file(tmp_path):
    data = {"data": [
        {"title": "مدينة", "paragraphs": [{"context": CONTEXT_1, "qas": [
            {"id": "q1", "question": "ما كانت المدينة؟", "answers": [{"text": "مركزا للتجارة",
                                                                    "answer_start": CONTEXT_1.index("مركزاً")}]},
            {"id": "q2", "question": "ما اسمها؟", "answers": [{"text": "اسمها قرطاجة. X", "answer_start":
                                                               CONTEXT_1.index("اسمها")}]},
        ]}]},
        {"title": "سنغافورة", "paragraphs": [{"context": CONTEXT_2, "qas": [
            {"id": "q3", "question": "من هو رئيس سنغافورة؟", "answers": [{"text": "حليمة يعقوب",
                                                                       "answer_start": CONTEXT_2.index("حليمة")}]},
            {"id": "q4", "question": "سؤال بلا جواب", "answers": []},
        ]}]},
    ]}
    path = tmp_path / "tiny-squad.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_load_squad_makes_one_document_per_paragraph_and_finds_the_gold_sentences(open_qa, squad_file):
    documents, questions = open_qa.load_squad(squad_file, "tiny")
    assert [d.id for d in documents] == ["tiny-001-1", "tiny-002-1"]
    assert [q.id for q in questions] == ["q1", "q2", "q3"]  # a question without answers is left out
    q1, q2, q3 = questions
    # Folding: "مركزاً" (tanween) holds "مركزا".
    sentence_of = {s.id: s.text for p in documents[0].paragraphs() for s in p.sentences}
    assert len(q1.gold) == 1 and "مركزاً" in sentence_of[next(iter(q1.gold))[1]]
    # No sentence holds "اسمها قرطاجة. X": the one holding answer_start is gold.
    assert q2.gold == {("tiny-001-1", next(sid for sid, text in sentence_of.items() if "اسمها" in text))}
    assert q3.document_id == "tiny-002-1" and q3.gold == {("tiny-002-1", "p1.s1")}


def test_whole_articles_are_one_document_each_with_each_question_placed_in_its_paragraph(open_qa, tmp_path):
    data = {"data": [{"title": "مدينة", "paragraphs": [
        {"context": CONTEXT_2, "qas": []},
        {"context": CONTEXT_1, "qas": [{"id": "q", "question": "ما اسمها؟", "answers": [
            {"text": "اسمها قرطاجة. X", "answer_start": CONTEXT_1.index("اسمها")}]}]}]}]}
    path = tmp_path / "article.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    [document], [q] = open_qa.load_squad(path, "w", whole_articles=True)
    assert document.id == "w-001" and document.text == CONTEXT_2 + "\n\n" + CONTEXT_1
    assert q.paragraphs == {"p2"}
    # No sentence holds the answer text whole: the one holding answer_start, counted in the document.
    (gold,) = q.gold
    assert gold[0] == "w-001" and "اسمها" in {s.id: s.text for p in document.paragraphs() for s in p.sentences}[gold[1]]
    assert open_qa.rank_scores([("w-001", gold[1])], q)["para1"] == 1.0
    assert open_qa.rank_scores([("w-001", "p1.s1"), ("w-001", gold[1])], q) == {
        "para1": 0.0, "para1_text": 0.0, "r1": 0.0, "r5": 1.0, "mrr": 0.5}
    # With its title as a heading first, the same question lands in the paragraph after it.
    [titled], [q] = open_qa.load_squad(path, "w", whole_articles=True, titled=True)
    assert titled.text == "# مدينة\n\n" + document.text and q.paragraphs == {"p3"}
    (gold,) = q.gold
    assert "اسمها" in {s.id: s.text for p in titled.paragraphs() for s in p.sentences}[gold[1]]


def test_questions_asked_in_a_parallel_file_keep_the_stored_paragraphs_gold(open_qa, squad_file, tmp_path):
    parallel = {"data": [{"paragraphs": [{"context": "The city was a trade centre.", "qas": [
        {"id": "q3", "question": "  Who is the president of Singapore? ", "answers": []},
        {"id": "q1", "question": "What was the city?", "answers": []}]}]}]}
    path = tmp_path / "tiny-en.json"
    path.write_text(json.dumps(parallel), encoding="utf-8")
    _, questions = open_qa.load_squad(squad_file, "tiny")
    asked = open_qa.asked_in(questions, path)
    assert [(q.id, q.text) for q in asked] == [("q1", "What was the city?"), ("q3", "Who is the president of Singapore?")]
    assert [q.gold for q in asked] == [questions[0].gold, questions[2].gold]  # q2 has no wording there: left out


def test_holds_answer_folds_diacritics_alef_ya_and_ta_marbuta(open_qa):
    assert open_qa.holds_answer("الرئيسُ الحالي لسنغافورة هو حليمة يعقوب.", ["حليمه يعقوب"])
    assert open_qa.holds_answer("قال إن المدينة كبيرة", ["ان المدينه"])
    assert not open_qa.holds_answer("قال إن المدينة كبيرة", ["القرية"])
    assert not open_qa.holds_answer("any text", [""])  # an empty answer holds nothing


def question(open_qa, gold, document_id="d1", right=frozenset()):
    return open_qa.Question("q", "?", document_id, ("x",), frozenset(gold), frozenset(right))


def test_rank_scores(open_qa):
    q = question(open_qa, {("d1", "p1.s2")})
    assert open_qa.rank_scores([("d1", "p1.s2"), ("d2", "p1.s1")], q) == {
        "para1": 1.0, "para1_text": 1.0, "r1": 1.0, "r5": 1.0, "mrr": 1.0}
    ranked = [("d1", "p1.s1"), ("d2", "p1.s1"), ("d1", "p1.s2")]
    assert open_qa.rank_scores(ranked, q) == {"para1": 1.0, "para1_text": 1.0, "r1": 0.0, "r5": 1.0,
                                              "mrr": pytest.approx(1 / 3)}
    late = [("d2", f"p1.s{n}") for n in range(1, 6)] + [("d1", "p1.s2")]
    assert open_qa.rank_scores(late, q) == {"para1": 0.0, "para1_text": 0.0, "r1": 0.0, "r5": 0.0,
                                            "mrr": pytest.approx(1 / 6)}
    assert open_qa.rank_scores([], q) == {"para1": 0.0, "para1_text": 0.0, "r1": 0.0, "r5": 0.0, "mrr": 0.0}


def test_a_verbatim_copy_of_the_gold_sentence_in_another_paragraph_counts_as_right(open_qa, tmp_path):
    """As in ARCD-train, where one paragraph can contain another whole."""
    longer = CONTEXT_2 + " وقد انتخبت عام 2017."
    data = {"data": [{"title": "t", "paragraphs": [
        {"context": CONTEXT_2, "qas": [{"id": "q", "question": "من هو رئيس سنغافورة؟", "answers": [
            {"text": "حليمة يعقوب", "answer_start": CONTEXT_2.index("حليمة")}]}]},
        {"context": longer, "qas": []}]}]}
    path = tmp_path / "nested.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    _, [q] = open_qa.load_squad(path, "n")
    assert q.gold == {("n-001-1", "p1.s1"), ("n-001-2", "p1.s1")} and q.right_documents == {"n-001-2"}
    assert open_qa.rank_scores([("n-001-2", "p1.s1")], q) == {"para1": 0.0, "para1_text": 1.0, "r1": 1.0,
                                                              "r5": 1.0, "mrr": 1.0}


def test_answer_scores_a_citation_is_right_when_it_holds_the_answer(open_qa, squad_file):
    _, (q1, _, q3) = open_qa.load_squad(squad_file, "tiny")
    right = ("tiny-002-1", "الرئيس الحالي لسنغافورة هو حليمة يعقوب.")
    wrong = ("tiny-002-1", "وهي أول امرأة تتولى المنصب.")
    assert open_qa.answer_scores([right], False, q3) == {"top_cit": 1.0, "any_cit": 1.0, "abstained": 0.0}
    assert open_qa.answer_scores([wrong, right], False, q3) == {"top_cit": 0.0, "any_cit": 1.0, "abstained": 0.0}
    assert open_qa.answer_scores([wrong], False, q3) == {"top_cit": 0.0, "any_cit": 0.0, "abstained": 0.0}
    assert open_qa.answer_scores([], True, q1) == {"top_cit": 0.0, "any_cit": 0.0, "abstained": 1.0}


def test_mean_rows_counts_citations_over_answered_questions_only(open_qa):
    rows = [{"r1": 1.0, "abstained": 0.0, "citations": 3.0}, {"r1": 0.0, "abstained": 1.0, "citations": 0.0}]
    assert open_qa.mean_rows(rows) == {"r1": 0.5, "abstained": 0.5, "citations": 3.0, "n": 2}
    assert open_qa.mean_rows([]) == {"n": 0}


def test_half_of_is_stable_and_splits_about_evenly(open_qa):
    keys = [f"arcd-{a:03d}-{n}" for a in range(1, 78) for n in range(1, 4)]
    halves = [open_qa.half_of(key) for key in keys]
    assert halves == [open_qa.half_of(key) for key in keys]
    assert set(halves) == {"fit", "report"} and 0.35 < halves.count("fit") / len(halves) < 0.65


def test_percentiles(open_qa):
    assert open_qa.percentiles([5.0, 1.0, 3.0]) == {"p50": 3.0, "p95": 4.8}
    assert open_qa.percentiles([]) == {}
