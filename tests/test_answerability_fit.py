"""The answerability fit's operating point (benchmarks/answerability.py)."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from assistant.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def answerability():
    sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("answerability_fit", PROJECT_ROOT / "benchmarks" / "answerability.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_operating_point_keeps_the_mean_false_abstention_rate_within_the_budget(answerability):
    big = np.linspace(0.2, 1.0, 100)  # refuses one question per 0.008 of threshold
    small = np.concatenate([[0.01], np.linspace(0.5, 1.0, 49)])  # one outlier among 50
    threshold = answerability.operating_point([big, small], budget=0.02)
    refused = np.mean([(big < threshold).mean(), (small < threshold).mean()])
    assert refused <= 0.02
    # The next candidate up would break the budget; the outlier alone does not pin it to 0.01.
    assert threshold > 0.01 and np.mean([(big <= threshold).mean(), (small <= threshold).mean()]) > 0.02


def test_an_empty_budget_answers_every_fit_question(answerability):
    scores = [np.array([0.3, 0.4]), np.array([0.05, 0.9])]
    assert answerability.operating_point(scores, budget=0.0) == 0.05


def test_the_cross_language_allowance_leaves_the_floor_what_the_probability_did_not_refuse(answerability):
    scores = np.linspace(0.70, 0.89, 20)  # one question per 0.01
    nothing = np.zeros(20, dtype=bool)
    # 5% of 20 is one question: the floor may refuse the lowest one only.
    allowance = answerability.cross_lingual_allowance(scores, nothing, floor=0.8, budget=0.05)
    assert np.sum(scores < 0.8 - allowance) <= 1 and np.sum(scores <= 0.8 - allowance + 1e-9) >= 1
    # The probability already refused one: none is left to the floor, which goes under every score.
    refused = nothing.copy()
    refused[10] = True
    allowance = answerability.cross_lingual_allowance(scores, refused, floor=0.8, budget=0.05)
    assert np.sum(scores[~refused] < 0.8 - allowance) == 0
    # Scores all above the floor (retrieval raised them by its offset across languages) raise the
    # floor for them, to where it refuses the budget's one question and no more.
    allowance = answerability.cross_lingual_allowance(scores + 0.2, nothing, floor=0.8, budget=0.05)
    assert allowance < 0 and np.sum(scores + 0.2 < 0.8 - allowance) <= 1


def test_a_question_is_answerable_when_its_answering_sentence_is_stored_verbatim(answerability):
    common = "The river floods every spring."
    paragraphs = []
    for n in range(8):
        own = f"Town {n} has a stone bridge built by mason number {n}."
        context = f"{own} {common}"
        paragraphs.append({"context": context, "qas": [
            {"id": f"own-{n}", "question": f"Who built the bridge of town {n}?",
             "answers": [{"text": f"mason number {n}", "answer_start": context.index("mason")}]},
            {"id": f"common-{n}", "question": f"When does the river near town {n} flood?",
             "answers": [{"text": "every spring", "answer_start": context.index("every spring")}]},
        ]})
    data = {"data": [{"title": "Towns", "paragraphs": paragraphs}]}
    documents, questions = answerability._half_store("towns", data, {"towns": data})
    stored = {int(d.id.rsplit("-", 1)[1]) for d in documents}
    assert 0 < len(stored) < 8  # the split by hash leaves some paragraphs out
    answerable = {q.id.split(":")[1]: q.answerable for q in questions}
    # Every paragraph's copy of the common sentence answers its question; a paragraph's own sentence
    # only when that paragraph is stored.
    assert all(answerable[f"common-{n}"] for n in range(8))
    assert {n for n in range(8) if answerable[f"own-{n}"]} == stored


def test_a_paragraph_without_one_of_its_answering_sentences_makes_its_questions_unanswerable(answerability):
    paragraphs = []
    for n in range(12):
        context = (f"Town {n} has a stone bridge built by mason number {n}. The bridge opened in {1800 + n}. "
                   f"Its market sells wool.")
        paragraphs.append({"context": context, "qas": [
            {"id": f"mason-{n}", "question": f"Who built the bridge of town {n}?",
             "answers": [{"text": f"mason number {n}", "answer_start": context.index("mason")}]},
            {"id": f"opened-{n}", "question": f"When did the bridge of town {n} open?",
             "answers": [{"text": str(1800 + n), "answer_start": context.index(str(1800 + n))}]},
            # Its answer is said again in the next sentence: without its own, it is not asked.
            {"id": f"bridge-{n}", "question": f"What does town {n} have?",
             "answers": [{"text": "bridge", "answer_start": context.index("bridge")}]},
        ]})
    data = {"data": [{"title": "Towns", "paragraphs": paragraphs}]}
    half, _ = answerability._half_store("towns", data, {"towns": data})
    documents, questions = answerability._ablated_store("towns", data, {"towns-ablated": data})
    # The paragraphs the half store leaves out, each with one sentence fewer.
    assert {d.id.removesuffix("-ablated") for d in documents}.isdisjoint(d.id for d in half) and documents
    asked = {q.id.split(":")[1]: q.answerable for q in questions}
    for document in documents:
        n = int(document.id.split("-")[2])
        assert document.text.count(".") == 2 and "market sells wool" in document.text
        kept_mason = "mason" in document.text
        assert asked[f"mason-{n}"] is kept_mason and asked[f"opened-{n}"] is not kept_mason
        assert asked.get(f"bridge-{n}") is (True if kept_mason else None)


def test_a_users_trial_is_one_half_and_its_unanswerable_questions_must_be_refused(answerability):
    """A trial's questions share its documents: fitting on some and reporting on others of one trial
    would report on documents the fit saw, so a whole trial falls in one half."""
    trials = sorted((PROJECT_ROOT / "benchmarks" / "users").glob("trial*"))
    halves = set()
    for trial in trials:
        questions = answerability.user_questions(trial)
        assert len({q.half for q in questions}) == 1
        halves.add(questions[0].half)
        assert any(not q.answerable for q in questions) and any(q.answerable for q in questions)
    assert halves == {"fit", "report"}
