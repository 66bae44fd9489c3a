"""The new users' trial runner (benchmarks/new_users.py), on a small trial made here: real store, real model."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from assistant.settings import PROJECT_ROOT

DOCUMENT = """# Harbour Dental Clinic

Opening hours: Sunday to Thursday, 9:00 to 17:00.

A check-up costs 150 dirhams. Teeth whitening costs 900 dirhams and takes one hour.

The clinic is run by Dr. Hanan Saeed, who trained in Amman.
"""


@pytest.fixture(scope="module")
def new_users():
    spec = importlib.util.spec_from_file_location("new_users", PROJECT_ROOT / "benchmarks" / "new_users.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["new_users"] = module
    spec.loader.exec_module(module)
    return module


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


@pytest.fixture
def trial(tmp_path):
    folder = tmp_path / "trial1"
    (folder / "documents").mkdir(parents=True)
    (folder / "documents" / "clinic.md").write_text(DOCUMENT, encoding="utf-8")
    _write_jsonl(folder / "questions.jsonl", [
        {"id": "q1", "document": "clinic.md", "question": "How much does teeth whitening cost?",
         "answers": ["900 dirhams"], "kind": "same"},
        {"id": "q2", "document": "clinic.md", "question": "كم تكلفة الفحص الدوري؟", "answers": ["150 dirhams"],
         "kind": "other"},
        {"id": "q3", "document": "clinic.md", "question": "Where does the clinic park its ambulances?",
         "answers": [], "kind": "unanswerable"},
    ])
    _write_jsonl(folder / "dialogues.jsonl", [
        {"id": "d1", "document": "clinic.md", "turns": [
            {"question": "Who runs the clinic?", "answers": ["Dr. Hanan Saeed"]},
            {"question": "Where did she train?", "answers": ["Amman"]}]},
    ])
    return folder


def test_a_trial_is_asked_of_a_store_of_its_own_and_scored_by_the_answer_texts(new_users, trial, model_dir):
    rows = {row["id"]: row for row in new_users.run_trial(trial, model_dir)}
    assert set(rows) == {"q1", "q2", "q3", "d1.1", "d1.2"}
    assert rows["q1"]["first"] and rows["q1"]["any"] and not rows["q1"]["refused"]
    assert "900 dirhams" in rows["q1"]["top"]["quote"] and rows["q1"]["top"]["document"] == "clinic"
    assert rows["d1.1"]["first"] and rows["d1.2"]["kind"] == "dialogue"
    assert rows["q3"]["first"] is False and rows["q3"]["any"] is False  # no answer text can be held


def test_totals_count_each_kind_and_compare_shows_what_changed(new_users, tmp_path):
    def row(id_, kind, first, refused=False):
        return {"trial": "t", "id": id_, "kind": kind, "question": id_, "first": first, "any": first,
                "refused": refused, "top": {"document": "d", "quote": "q"}}

    before = [row("q1", "same", True), row("q2", "same", False), row("q3", "unanswerable", False)]
    after = [row("q1", "same", True), row("q2", "same", True), row("q3", "unanswerable", False, refused=True)]
    assert new_users.totals(before) == {"same first/any": "1/1 of 2", "other first/any": "0/0 of 0",
                                        "answerable refused": "0+0", "unanswerable refused": "0 of 1",
                                        "dialogue first": "0 of 0"}
    for name, rows in (("a", before), ("b", after)):
        (tmp_path / name).mkdir()
        _write_jsonl(tmp_path / name / "items.jsonl", rows)
    report = new_users.compare(tmp_path / "a", tmp_path / "b")
    changed = [line for line in report.splitlines() if " -> " in line]
    assert [line.split()[1] for line in changed] == ["q2", "q3"]
    assert "unanswerable refused 1 of 1" in report
