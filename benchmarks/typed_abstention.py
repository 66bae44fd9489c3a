"""How often the assistant abstains on answerable "when" / "how many" questions (SQuAD-format data).

    python benchmarks/typed_abstention.py --data ../shared/benchmarks/arcd/arcd-train.json
                                          [--data-dir /tmp/typed] [--model-dir .data/models] [--json OUT]

Every paragraph is ingested as its own document (``Assistant.ingest_documents``) into a fresh store;
every question that wants a date or a quantity (``question_type.wanted_answer_types``, or the
patterns it replaced, ``LEGACY`` below) is asked with ``Assistant.ask`` at default settings. All
questions are answerable from their own paragraph, so every abstention is wrong. For comparison the
same ranking is judged by the rule this replaced: the legacy patterns, and abstain when the best
sentence alone holds no date / number. Reported for all questions and for the second
half of the articles (the half not read while choosing the rule).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import build_assistant, load_settings  # noqa: E402
from assistant.corpus import Document  # noqa: E402
from assistant.normalize import normalize  # noqa: E402
from assistant.question_type import holds_answer_type, wanted_answer_types  # noqa: E402
from assistant.segmentation import segment, sentences_of  # noqa: E402

LEGACY = {
    "quantity": re.compile(r"\bhow (many|much)\b|\bwhat (percentage|share|amount)\b|\bnumber of\b|\bbudget\b"
                           r"|(^|\s)(كم|بكم)\s|عدد|نسبة|نسبه|مبلغ|ميزاني", re.IGNORECASE),
    "date": re.compile(r"\bwhen\b|\bwhat (date|year|day|month)\b|\bwhich (date|year|day|month)\b"
                       r"|متى|امتى|إمتى|موعد|تاريخ|(أي|اي) (عام|سنة|يوم|شهر)", re.IGNORECASE),
}
LEGACY_DATE = re.compile(r"\d{4}|\b(yesterday|today|tomorrow|this year|current year|january|february|march|april|may"
                         r"|june|july|august|september|october|november|december|monday|tuesday|wednesday|thursday"
                         r"|friday|saturday|sunday)\b|أمس|امس|اليوم|غدا|العام الحالي|يناير|فبراير|مارس|أبريل|مايو"
                         r"|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر|الاثنين|الثلاثاء|الأربعاء|الخميس|الجمعة"
                         r"|السبت|الأحد", re.IGNORECASE)


def legacy_kinds(question: str) -> tuple[str, ...]:
    return tuple(kind for kind, pattern in LEGACY.items() if pattern.search(question))


def legacy_holds(kind: str, text: str) -> bool:
    return bool(LEGACY_DATE.search(text)) if kind == "date" else holds_answer_type(kind, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, help="store location (default: a fresh temporary folder)")
    parser.add_argument("--model-dir", type=Path, default=ROOT / ".data" / "models")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = run(args.data, args.data_dir or Path(tmp), args.model_dir)
    report = {name: summary([r for r in rows if keep(r)]) for name, keep in
              [("all", lambda r: True), ("second half", lambda r: r["second_half"])]}
    for name, s in report.items():
        print(f"{name}: {s['questions']} when/how-many questions; abstained {s['abstained_before']} before "
              f"(the best sentence only) -> {s['abstained_after']} now; answer in a citation "
              f"{s['answer_cited_before']} -> {s['answer_cited_after']}")
    if args.json:
        args.json.write_text(json.dumps({"report": report, "rows": rows}, ensure_ascii=False, indent=1), encoding="utf-8")


def run(data: Path, data_dir: Path, model_dir: Path) -> list[dict]:
    squad = json.loads(data.read_text(encoding="utf-8"))["data"]
    assistant = build_assistant(load_settings(env={}, data_dir=data_dir, model_dir=model_dir))
    documents, questions, texts = [], [], {}
    for a, article in enumerate(squad):
        for p, paragraph in enumerate(article["paragraphs"]):
            doc_id = f"arcd-{a}-{p}"
            documents.append(Document(id=doc_id, text=paragraph["context"], title=article.get("title", "")))
            texts.update({(doc_id, s.id): s.text for s in sentences_of(segment(paragraph["context"]))})
            questions += [(q, doc_id, a >= len(squad) // 2) for q in paragraph["qas"]
                          if wanted_answer_types(q["question"]) or legacy_kinds(q["question"])]
    assistant.ingest_documents(documents)
    threshold = assistant.settings.abstain_threshold
    rows = []
    for q, doc_id, second_half in questions:
        answer = assistant.ask(q["question"])
        ranking = assistant.retrieve(q["question"])
        gold = [normalize(a["text"]).strip(" .،,") for a in q["answers"]]
        best = texts[ranking[0][:2]] if ranking else ""
        before = (not ranking or ranking[0][2] < threshold
                  or any(not legacy_holds(kind, best) for kind in legacy_kinds(q["question"])))
        cited = [normalize(c.quote) for c in answer.citations]
        rows.append({
            "id": q["id"], "question": q["question"], "second_half": second_half,
            "kinds_before": legacy_kinds(q["question"]), "kinds_after": wanted_answer_types(q["question"]),
            "abstained_before": before, "abstained_after": answer.abstained,
            "answer_cited_after": any(g and g in c for g in gold for c in cited),
            "answer_in_best_sentence": any(g and g in normalize(best) for g in gold),
            "cited": [c.sentence_id for c in answer.citations], "own_paragraph_first": bool(ranking) and ranking[0][0] == doc_id,
        })
    return rows


def summary(rows: list[dict]) -> dict:
    return {
        "questions": len(rows),
        "abstained_before": sum(r["abstained_before"] for r in rows),
        "abstained_after": sum(r["abstained_after"] for r in rows),
        # before: the rule cited the best sentence (and its close runners-up); the best one is counted
        "answer_cited_before": sum(not r["abstained_before"] and r["answer_in_best_sentence"] for r in rows),
        "answer_cited_after": sum(not r["abstained_after"] and r["answer_cited_after"] for r in rows),
    }


if __name__ == "__main__":
    main()
