"""The conversation stage on the real assistant (real model, real Chroma) and the follow-up gold set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assistant_with

from assistant import Conversation, build_assistant
from assistant.conversation import Fusion, Lean, export_markdown, fuse, leaning_cue, passages_after
from assistant.evaluation import load_dialogues, run_dialogues
from assistant.settings import PROJECT_ROOT
from assistant.types import Hit, Ranking
from assistant.types import KIND_SENTENCE

FOLLOWUP_GOLD = PROJECT_ROOT / "corpus" / "followup_qa.jsonl"


@pytest.mark.parametrize("question", [
    "And the second one?", "What will it do in Syria?", "What about police training?", "Which talks?",
    "وماذا عن مجموعة الاتصالات؟", "ومن يقودها؟", "وأين؟", "وما الهدف من ذلك؟", "وما أولها؟",
    "ولغير الأعضاء؟", "وللأطفال؟", "وفين بالضبط داخل الجامعة؟", "وليش؟",  # a preposition on a noun; spoken words
    "وإذا تكررت المخالفة مرة ثانية؟", "ولو تأخر المستأجر عن السداد؟", "والساعة كم تبدأ المباراة؟",  # a condition; the article
    "ويوم الجمعة؟", "وطقم الهدية؟", "وإلى الفلبين؟",  # "و" on any word, two content words at most
])
def test_questions_that_lean_on_the_conversation_have_a_cue(question):
    assert leaning_cue(question)


@pytest.mark.parametrize("question", [
    "What does the Counter ISIS Finance Group focus on?", "Where is the coalition's military leadership based?",
    "ما هي مجموعات العمل التابعة للتحالف؟", "من كاتب هذا الخبر؟", "ماذا قال تيلرسون عن بشار الأسد؟",
    "وين بقدر أشتري البطاقة؟",  # "where", spoken: no "و" of its own
    "والد الملك فيصل من هو؟", "والي المدينة المنورة من يعينه؟",  # "father", "governor": no "و" and article
    "وزارة الصحة متى تأسست؟",  # a word of its own that opens with "و", and three content words
])
def test_questions_that_stand_alone_have_none(question):
    assert leaning_cue(question) == ""


def _ids(answer):
    return [c.sentence_id for c in answer.citations]


def test_an_english_follow_up_borrows_the_previous_turn(assistant):
    conversation = Conversation(assistant)
    first = conversation.ask("What does the Stabilization Working Group do?")
    assert first.leaned_on is None and _ids(first)[0] == "p19.s1"
    follow_up = conversation.ask("What will it do in Syria?")
    assert follow_up.leaned_on == 1
    assert "p21.s1" in _ids(follow_up) and "p6.s1" not in _ids(follow_up)  # not Tillerson on Syria
    alone = assistant.ask("What will it do in Syria?")
    assert "p6.s1" in _ids(alone)  # what the history changed: alone, Tillerson's remarks on Syria come in
    assert follow_up.to_dict()["leaned_on"] == 1


def test_an_arabic_follow_up_and_a_topic_change(assistant):
    conversation = Conversation(assistant)
    conversation.ask("ماذا قال تيلرسون عن العملية العسكرية التركية؟")
    follow_up = conversation.ask("وماذا عن عفرين؟")
    assert follow_up.leaned_on == 1 and follow_up.language == "ar" and _ids(follow_up)[0] == "p3.s1"
    change = conversation.ask("ما دور مجموعة العمل الخاصة بإرساء الاستقرار؟")
    assert change.leaned_on is None and _ids(change)[0] == "p19.s1"
    assert [turn.question for turn in conversation.turns][-1] == change.question


def test_a_follow_up_picks_its_sentence_inside_the_passage_the_history_gives(assistant):
    conversation = Conversation(assistant)
    first = conversation.ask("What are the pillars of the coalition's approach?")
    assert _ids(first)[0] == "p13.s1"
    # The history lifts the pillars' passage; the follow-up's own words choose inside it (the whole
    # previous ranking fused sentence by sentence ranked p13.s1 first again).
    assert conversation.turns[-1].ranking.hits[0].paragraph_id == "p13"
    second = conversation.ask("And the second one?")
    assert second.leaned_on == 1 and conversation.turns[-1].ranking.hits[0].sentence_id == "p13.s2"


def test_the_passage_after_the_cited_one_carries_the_topic(assistant):
    # p18.s1 "It said that this aims to reduce ISIS's ability to use propaganda ..." continues the
    # Communications Working Group's paragraph (p17) without naming the group.
    questions = ("ما دور مجموعة عمل الاتصالات؟", "And what does that aim at?")
    firsts = {}
    for carry in (0.0, 0.95):
        conversation = Conversation(assistant, Fusion(carry=carry))
        conversation.ask(questions[0])
        answer = conversation.ask(questions[1])
        firsts[carry] = conversation.turns[-1].ranking.hits[0].sentence_id
        assert answer.leaned_on == 1
    assert firsts == {0.0: "p17.s1", 0.95: "p18.s1"}
    assert Fusion().carry == 0.95


def test_the_passages_after_count_up_from_the_cited_one():
    assert passages_after(("report", "p9"), 3) == [("report", "p10"), ("report", "p11"), ("report", "p12")]


def _hit(sentence_id, paragraph_id, own, passage, share=0.5):
    return Hit("doc", sentence_id, paragraph_id, (1 - share) * own + share * passage, own=own, passage=passage)


def test_fusion_enters_at_the_passage_step():
    own = Ranking("and the second one?", (_hit("p9.s1", "p9", 0.80, 0.90), _hit("p2.s2", "p2", 0.78, 0.70),
                                          _hit("p2.s1", "p2", 0.70, 0.70)), 0.5)
    previous = {("doc", "p2"): 0.95, ("doc", "p5"): 0.90, ("doc", "p7"): 0.60}  # the previous turn's passages
    fused, passages = fuse(own, previous, 1.0)
    assert [h.sentence_id for h in fused.hits] == ["p2.s2", "p9.s1", "p2.s1"]  # own match orders inside p2
    assert fused.hits[0].score == pytest.approx(0.5 * 0.78 + 0.5 * (0.70 + 0.95) / 2)
    assert fused.hits[0].passage == 0.70  # the measured signals stay the question's own
    # A passage one side did not rank counts as that side's lowest (p9: the previous turn's 0.60; p5 and
    # p7: the question's own 0.70), not as 0: p9 was 0.45 and fell below every passage the history knew.
    assert passages == pytest.approx({("doc", "p9"): 0.75, ("doc", "p2"): 0.825, ("doc", "p5"): 0.80,
                                      ("doc", "p7"): 0.65})


def test_an_off_topic_question_is_not_dragged_back(assistant):
    conversation = Conversation(assistant)
    conversation.ask("What does the Counter ISIS Finance Group focus on?")
    answer = conversation.ask("What is the recipe for hummus?")
    assert answer.abstained and answer.leaned_on is None and not answer.citations


def test_never_leaning_answers_as_if_each_question_were_the_first(assistant):
    conversation = Conversation(assistant, Fusion(lean=Lean.NEVER))
    conversation.ask("What does the Stabilization Working Group do?")
    assert conversation.ask("What will it do in Syria?").leaned_on is None


def test_a_question_announced_as_another_changes_the_topic(assistant):
    conversation = Conversation(assistant)
    conversation.ask("What does the Stabilization Working Group do?")
    answer = conversation.ask("Another question: what will it do in Syria?")  # "it" alone would lean
    assert answer.leaned_on is None and conversation.turns[-1].cue == ""
    assert conversation.turns[-1].ranking.hits == assistant.rank("what will it do in Syria?").hits


def test_clear_starts_over(assistant):
    conversation = Conversation(assistant)
    conversation.ask("What does the Stabilization Working Group do?")
    conversation.clear()
    assert conversation.turns == ()
    assert conversation.ask("What will it do in Syria?").leaned_on is None  # nothing to lean on


def test_export_has_every_answer_with_its_citations(assistant):
    conversation = Conversation(assistant)
    conversation.ask("ما دور مجموعة عمل الاتصالات؟")
    conversation.ask("And what does that aim at?")
    data = json.loads(conversation.to_json())
    assert [t["turn"] for t in data["turns"]] == [1, 2] and data["turns"][1]["leaned_on"] == 1
    citation = data["turns"][0]["citations"][0]
    assert citation["sentence_id"] == "p17.s1" and citation["document_id"] == "coalition-communique"
    assert citation["document"].startswith("البيان الختامي") and "مجموعة عمل الاتصالات" in citation["quote"]
    markdown = conversation.to_markdown()
    assert "## 2. And what does that aim at? (follow-up to turn 1)" in markdown
    assert "sentence `p17.s1`" in markdown and "مجموعة عمل الاتصالات" in markdown


def test_markdown_export_escapes_html_and_line_breaks(assistant):
    answer = assistant.ask("<img src=x onerror=alert(1)>\n# heading")
    markdown = export_markdown([answer], {})
    assert "<img" not in markdown and "&lt;img src=x onerror=alert(1)&gt; \\# heading" in markdown


@pytest.mark.parametrize(("text", "line"), [("- a laptop [1]", "\\- a laptop \\[1\\]"),
                                            ("2. Lock the screen", "2\\. Lock the screen"),
                                            ("In 2. place", "In 2. place")])
def test_markdown_export_does_not_turn_an_answer_into_a_list(text, line):
    """An answer quoting a list item ("- a laptop") rendered as a bullet in the exported Markdown."""
    from assistant.types import Answer

    markdown = export_markdown([Answer("q", text, "en", (), abstained=False)], {})
    assert markdown.splitlines()[4] == line


def test_every_gold_sentence_id_exists(assistant):
    known = {(n.metadata["document_id"], n.metadata["sentence_id"]) for n in assistant._store.nodes(KIND_SENTENCE)}  # noqa: SLF001
    dialogues = load_dialogues(FOLLOWUP_GOLD)
    assert len(dialogues) >= 40
    assert {d.language for d in dialogues} == {"ar", "en", "mixed"}
    for dialogue in dialogues:
        assert 2 <= len(dialogue.turns) <= 3 and dialogue.turns[0].kind == "first"
        for turn in dialogue.turns:
            assert all((dialogue.document_id, sid) in known for sid in turn.sentence_ids), (dialogue.id, turn)
    kinds = [t.kind for d in dialogues for t in d.turns]
    assert kinds.count("followup") >= 30 and kinds.count("topic_change") >= 15


def test_dialogues_run_through_the_conversation(assistant):
    dialogues = [d for d in load_dialogues(FOLLOWUP_GOLD) if d.id in {"en02", "ar04"}]
    records = run_dialogues(assistant, dialogues)
    assert [r.turn.kind for r in records] == ["first", "followup", "first", "followup", "topic_change"]
    assert [r.leaned_on for r in records] == [None, 1, None, 1, None]
    assert all(r.hit for r in records) and not any(r.dragged for r in records)


def test_bad_dialogue_files_are_refused(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "x", "language": "en", "turns": [{"question": "q", "sentence_ids": [],
                                                                         "key_facts": [], "kind": "sideways"}]}))
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        load_dialogues(path)


@pytest.fixture(scope="module")
def arabic_and_english(tmp_path_factory, model_dir):
    """An Arabic news story and an English app guide (benchmarks/dialogues/documents) in one store."""
    from assistant import build_assistant, load_settings

    folder = tmp_path_factory.mktemp("two-languages")
    assistant = build_assistant(load_settings(env={}, data_dir=folder / "data", model_dir=model_dir,
                                              corpus_dir=folder / "no-corpus"))
    documents = PROJECT_ROOT / "benchmarks" / "dialogues" / "documents"
    assistant.ingest(documents / "digital-library-news.md", documents / "tidepool-guide.md")
    return assistant


@pytest.mark.slow
def test_a_follow_up_stays_with_documents_in_its_own_language(arabic_and_english):
    """With the offset across languages (cross_language.py), "who said that?" matched the English
    guide's sentences (lifted by 0.13) over the Arabic story the conversation is about."""
    conversation = Conversation(arabic_and_english)
    first = conversation.ask("ما دقة تقنية التعرف الضوئي التي استخدمت في رقمنة المخطوطات؟")
    assert {c.document_id for c in first.citations} == {"digital-library-news"}
    who = conversation.ask("ومن قال ذلك؟")
    # The first sentence shown (cited, or offered as related when it abstains) is the one that says it.
    shown = (who.citations or who.related)[0]
    assert who.leaned_on == 1 and shown.document_id == "digital-library-news" and "نورة الشهري" in shown.quote
    # The same follow-up ranked as before, raising the English sentences, puts the guide first.
    ranking = arabic_and_english.rank("ومن قال ذلك؟")
    assert ranking.hits[0].document_id == "tidepool-guide"


@pytest.mark.slow
def test_a_follow_up_across_languages_keeps_the_offset(arabic_and_english):
    conversation = Conversation(arabic_and_english)
    conversation.ask("How many devices can Tidepool Notes sync across?")
    follow_up = conversation.ask("وكم مساحة التخزين في الخطة المجانية؟")  # Arabic, about the English guide
    assert follow_up.leaned_on == 1
    assert follow_up.citations and follow_up.citations[0].document_id == "tidepool-guide"


HARBOUR = """# Annual Report 2025: Port of Velden Harbour Authority

The Port of Velden Harbour Authority manages the commercial port of Velden, on the northern coast.

## Finances
Revenue rose to 188 million euros. The authority borrowed 75 million euros from the European Investment Bank to deepen the main channel. The loan runs for 20 years at a fixed rate.

## Challenges
The authority faces three main challenges: silting of the outer channel, a shortage of qualified crane operators, and rising insurance costs.
"""


@pytest.mark.slow
def test_a_follow_up_with_no_words_of_its_own_is_ranked_with_the_previous_ones(fresh_settings, tmp_path):
    """"From whom?" after "How much did the authority borrow?" was refused, the report's headings
    first among what it offered: on its own words alone, short texts win."""
    assistant = assistant_with(fresh_settings, tmp_path, "harbour.md", HARBOUR)
    conversation = Conversation(assistant)
    conversation.ask("How much did the authority borrow?")
    for follow_up in ("From whom?", "What for?"):  # the second leans on the first's words too
        answer = conversation.ask(follow_up)
        assert not answer.abstained and answer.leaned_on
        assert "European Investment Bank" in answer.citations[0].quote
    assert conversation.turns[-1].words == "How much did the authority borrow? From whom? What for?"
    # A follow-up with words of its own is ranked by them.
    assert conversation.ask("And the revenue?").citations[0].quote.startswith("Revenue rose")
    assert conversation.turns[-1].words == "And the revenue?"


MUSEUM = """# Velden Maritime Museum: visitor guide

The Velden Maritime Museum opens at 10:00 and closes at 18:00, Tuesday to Sunday.

Photography without flash is allowed in every gallery except the map room.

Pushchairs can be left at the cloakroom by the main entrance.
"""

ZOO = """# Northgate Wildlife Park: visitor guide

Northgate Wildlife Park opens at 9:00 and closes at 17:30 every day of the year.

Photography is allowed everywhere in the park except inside the reptile house.

Dogs are not allowed in the park, except assistance dogs.
"""


@pytest.mark.slow
def test_a_follow_up_without_a_cue_stays_on_the_conversations_document(fresh_settings, tmp_path):
    """"Is photography allowed?" names no place: on its own words both guides answer it, and the
    museum's came first. After a question about the park, the history tips it to the park; a question
    that names the museum still goes to the museum."""
    assistant = assistant_with(fresh_settings, tmp_path, "museum.md", MUSEUM)
    (tmp_path / "zoo.md").write_text(ZOO, encoding="utf-8")
    assistant.ingest(tmp_path / "zoo.md")
    assert "map room" in assistant.ask("Is photography allowed?").citations[0].quote
    conversation = Conversation(assistant)
    conversation.ask("When does the wildlife park open?")
    follow_up = conversation.ask("Is photography allowed?")
    assert "reptile house" in follow_up.citations[0].quote and follow_up.leaned_on == 1
    change = conversation.ask("When does the maritime museum close?")
    assert "18:00" in change.citations[0].quote and change.leaned_on is None
    unmarked_alone = Conversation(assistant, Fusion(unmarked_weight=0.0))
    unmarked_alone.ask("When does the wildlife park open?")
    assert "map room" in unmarked_alone.ask("Is photography allowed?").citations[0].quote


def test_a_follow_up_borrows_what_the_previous_answer_cited(fresh_settings):
    """"What about dogs?" after a question on stall fees cited the dogs paragraph, but its passage
    scores, fused with the fees question, kept the fees paragraph first; "وماذا عن الكلاب؟" next
    borrowed those and was refused, the fees paragraph first among the related sentences."""
    assistant = build_assistant(fresh_settings)
    assistant.ingest(Path(__file__).parent / "data" / "users" / "souq_faq.md")  # a helper's FAQ, as a user wrote it
    conversation = Conversation(assistant)
    conversation.ask("How much is the stall fee at the night market?")
    dogs = conversation.ask("What about dogs?")
    assert dogs.citations[0].quote == "Dogs are allowed if they are kept on a leash."
    again = conversation.ask("وماذا عن الكلاب؟")
    assert not again.abstained and again.citations[0].quote == "Dogs are allowed if they are kept on a leash."
    assert again.leaned_on == 2


TIERS = """# SkyLark Rewards: terms

3.1 There are four tiers. Status is reviewed at the end of each membership year.

| Tier | Tier Points required | Bonus on award miles | Lounge access |
|---|---|---|---|
| Blue | 0 | none | no |
| Silver | 300 | 25% | no |
| Gold | 600 | 50% | yes, with 1 guest |
| Platinum | 1,200 | 100% | yes, with 2 guests |

3.2 Members who earn the Tier Points for a higher tier are upgraded within 5 working days.
"""


@pytest.mark.slow
def test_a_follow_up_stays_on_the_row_it_asks_about(fresh_settings, tmp_path):
    """"Does it come with lounge access?" after the Gold row: every row names lounge access alike, and
    another row was cited (a user's airline terms)."""
    assistant = assistant_with(fresh_settings, tmp_path, "terms.md", TIERS)
    conversation = Conversation(assistant)
    first = conversation.ask("How many Tier Points do I need for Gold?")
    assert first.citations[0].quote == "| Gold | 600 | 50% | yes, with 1 guest |"
    lounge = conversation.ask("Does it come with lounge access?")
    assert lounge.leaned_on == 1 and lounge.citations[0].quote == "| Gold | 600 | 50% | yes, with 1 guest |"
    other = conversation.ask("What about Platinum?")  # a row the follow-up names wins by its own words
    assert other.citations[0].quote.startswith("| Platinum |")


LESSONS = """# برنامج جامع الروضة في شهر شعبان

## الدروس الأسبوعية

- درس في أحكام الصيام يومي الاثنين والأربعاء بعد صلاة العشاء، ابتداءً من 10 شعبان، يلقيه د. عبد الله العمري.
- درس في التفسير يوم الثلاثاء بعد صلاة المغرب، يلقيه الشيخ سالم الحربي.
- حلقة تحفيظ القرآن الكريم للأطفال يومياً بعد صلاة العصر.

## خطبة الجمعة

تُقام صلاة الجمعة في الساعة 12:15 ظهراً، ويُفتح المصلى النسائي قبلها بساعة.
"""


@pytest.mark.slow
def test_a_follow_up_to_a_follow_up_is_judged_with_the_question_before_both(fresh_settings, tmp_path):
    """"ومتى يبدأ؟" after "وفي أي أيام؟" after "من يلقي درس أحكام الصيام؟" was judged by "days" and "start"
    alone, the lesson named nowhere, and refused with its answer first."""
    assistant = assistant_with(fresh_settings, tmp_path, "lessons.md", LESSONS)
    conversation = Conversation(assistant)
    for question in ("من يلقي درس أحكام الصيام؟", "وفي أي أيام؟", "ومتى يبدأ؟"):
        answer = conversation.ask(question)
        assert not answer.abstained and "10 شعبان" in answer.citations[0].quote
    assert conversation.turns[-1].context == ("من يلقي درس أحكام الصيام؟", "وفي أي أيام؟")
