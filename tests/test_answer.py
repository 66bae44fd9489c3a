from llama_index.core.schema import NodeWithScore, TextNode

from assistant.answer import ExtractiveAnswerer
from assistant.normalize import Language
from assistant.segmentation import BYLINE, HEADING, segment
from assistant.store import ROLE_GLOSS

DOCUMENT = (
    "الروبوت آلة تنفذ أعمالا مبرمجة. يعمل الروبوت في المصانع بدل الإنسان. استخدم أول روبوت صناعي عام 1956.\n"
    "تطورت الروبوتات كثيرا في القرن العشرين."
)


def _answerer_and_nodes(text: str = DOCUMENT, document_id: str = "robots",
                        lang: str = "ar") -> tuple[ExtractiveAnswerer, dict[str, TextNode]]:
    paragraphs, sentences = {}, {}
    for paragraph in segment(text):
        paragraphs[(document_id, paragraph.id)] = TextNode(
            text=paragraph.text, metadata={"start": paragraph.start, "end": paragraph.end})
        for s in paragraph.sentences:
            sentences[s.id] = TextNode(id_=s.id, text=s.text, metadata={
                "document_id": document_id, "paragraph_id": paragraph.id, "sentence_id": s.id,
                "start": s.start, "end": s.end, "lang": lang})
    return ExtractiveAnswerer(paragraphs, top_k=3), sentences


def _in_another_document(answerer: ExtractiveAnswerer, node: TextNode, document_id: str) -> TextNode:
    """``node`` as the same sentence of another document (its paragraph too)."""
    meta = node.metadata
    answerer._paragraphs[(document_id, meta["paragraph_id"])] = answerer._paragraphs[  # noqa: SLF001
        (meta["document_id"], meta["paragraph_id"])]
    return node.model_copy(update={"id_": f"{document_id}-{node.node_id}", "metadata": {**meta, "document_id": document_id}})


def _mark_headings(answerer: ExtractiveAnswerer, nodes: dict[str, TextNode], document_id: str, *paragraphs: str) -> None:
    """``paragraphs`` (and their one sentence) labelled headings, as the store labels them."""
    for paragraph_id in paragraphs:
        sentence = nodes[f"{paragraph_id}.s1"]
        nodes[sentence.node_id] = sentence.model_copy(update={"metadata": {**sentence.metadata, "role": ROLE_GLOSS[HEADING]}})
        answerer._paragraphs[(document_id, paragraph_id)].metadata["role"] = ROLE_GLOSS[HEADING]  # noqa: SLF001


def _hits(nodes: dict[str, TextNode], ranked: list[tuple[str, float]]) -> list[NodeWithScore]:
    return [NodeWithScore(node=nodes[sentence_id], score=score) for sentence_id, score in ranked]


def test_a_date_in_a_runner_up_of_the_best_paragraph_is_found_and_cited():
    answerer, nodes = _answerer_and_nodes()
    hits = _hits(nodes, [("p1.s2", 0.90), ("p1.s1", 0.85), ("p1.s3", 0.84)])
    draft = answerer.answer("متى تم استعمال الروبوت في المصانع؟", Language.ARABIC, hits)
    assert not draft.abstained
    assert "p1.s3" in [c.sentence_id for c in draft.citations]
    assert "1956" in draft.text


def test_the_sentence_that_holds_what_is_asked_comes_first():
    """A sentence without the date a "when" question asks for does not answer it: cited first ahead of
    the one that does, it read as the answer ("How long do discus live?" opened with "Discus are tall
    fish that live in groups.", the table's "| Lifespan | 10–15 years |" second)."""
    answerer, nodes = _answerer_and_nodes()
    hits = _hits(nodes, [("p1.s2", 0.90), ("p1.s3", 0.85), ("p1.s1", 0.84)])
    draft = answerer.answer("متى تم استعمال الروبوت في المصانع؟", Language.ARABIC, hits)
    assert [c.sentence_id for c in draft.citations][:2] == ["p1.s3", "p1.s2"]
    # A question that wants no date keeps the ranking's order.
    draft = answerer.answer("أين يعمل الروبوت؟", Language.ARABIC, hits)
    assert draft.citations[0].sentence_id == "p1.s2"


def test_a_date_only_in_another_paragraph_is_no_evidence():
    answerer, nodes = _answerer_and_nodes()
    hits = _hits(nodes, [("p1.s2", 0.90), ("p2.s1", 0.89), ("p1.s1", 0.85)])
    draft = answerer.answer("متى تم استعمال الروبوت في المصانع؟", Language.ARABIC, hits)
    assert draft.abstained


def test_a_date_in_another_paragraph_that_matches_the_question_as_well_by_itself_is_evidence():
    """A council's vote ranked first on its paragraph's score ("Voting in favor: ..."), and "When did the
    council pass the budget?" was refused, though the sentence with the date matched the question better
    by itself: a sentence of another paragraph is evidence when its own match is at least the best's."""
    from assistant.retrieval import RankedSentence
    answerer, nodes = _answerer_and_nodes("The budget passed on a 6–3 vote. Voting in favor: Mayor Linda Okafor.\n"
                                          "The City Council adopted the budget on June 18, 2024.", "budget", "en")
    def ranked(own_of_the_date: float) -> list[NodeWithScore]:
        return [RankedSentence(node=nodes["p1.s2"], score=0.935, own=0.875),
                RankedSentence(node=nodes["p2.s1"], score=0.925, own=own_of_the_date)]
    draft = answerer.answer("When did the council pass the budget?", Language.ENGLISH, ranked(0.915))
    assert not draft.abstained and "p2.s1" in [c.sentence_id for c in draft.citations]
    # Matched less well by itself, it is a runner-up of another paragraph, no evidence (the article's
    # one-sentence paragraphs: resolution 2254 answered how many died in Afrin).
    assert answerer.answer("When did the council pass the budget?", Language.ENGLISH, ranked(0.86)).abstained


def test_a_number_on_the_line_under_the_best_field_is_evidence():
    """A block of fields is a paragraph a line: "What is the building manager's phone number?" matched
    "Management office: ..." best and was refused for want of a number on the line under it. A line
    after a blank one is another block, and its number no evidence."""
    question = "What is the building manager's phone number?"
    office = "Management office: Sarah Okafor, Building Manager\n"
    for between, answered in (("", True), ("\n", False)):
        answerer, nodes = _answerer_and_nodes(f"{office}{between}Phone: 0113 496 0725\nEmail: office@example.com",
                                              "notice", "en")
        draft = answerer.answer(question, Language.ENGLISH, _hits(nodes, [("p1.s1", 0.93), ("p2.s1", 0.89)]))
        assert draft.abstained is not answered
        if answered:
            assert [c.sentence_id for c in draft.citations][0] == "p2.s1"


def test_an_ordinary_what_is_question_is_not_answered_as_a_list():
    answerer, nodes = _answerer_and_nodes()
    hits = _hits(nodes, [("p1.s1", 0.90), ("p1.s2", 0.80), ("p1.s3", 0.79), ("p2.s1", 0.78)])
    draft = answerer.answer("ما هي الآلة التي تعمل في المصانع بدل الإنسان؟", Language.ARABIC, hits)
    assert [c.sentence_id for c in draft.citations] == ["p1.s1"]  # the old "ما هي" trigger added p1.s2


def test_which_year_wants_a_year_where_when_takes_any_time():
    answerer, nodes = _answerer_and_nodes()
    century = _hits(nodes, [("p2.s1", 0.90)])  # "in the twentieth century": a time, not a year
    assert not answerer.answer("متى تطورت الروبوتات كثيرا؟", Language.ARABIC, century).abstained
    assert answerer.answer("في أي عام تطورت الروبوتات كثيرا؟", Language.ARABIC, century).abstained
    year = _hits(nodes, [("p1.s3", 0.90), ("p1.s2", 0.88)])
    draft = answerer.answer("في أي عام استخدم أول روبوت صناعي؟", Language.ARABIC, year)
    assert not draft.abstained and "1956" in draft.text


def test_a_sentence_two_documents_hold_word_for_word_is_said_once_with_both_markers():
    answerer, nodes = _answerer_and_nodes()
    copy = _in_another_document(answerer, nodes["p1.s2"], "copy")
    hits = [NodeWithScore(node=nodes["p1.s2"], score=0.9), NodeWithScore(node=copy, score=0.9)]
    draft = answerer.answer("أين يعمل الروبوت؟", Language.ARABIC, hits)
    assert [c.document_id for c in draft.citations] == ["robots", "copy"]  # the best-ranked document first
    assert draft.text == "يعمل الروبوت في المصانع بدل الإنسان. [1][2]"


def test_a_list_question_cites_the_items_a_sentence_announces():
    """"Which technologies are used?" was answered with "Today two main technologies are used." alone:
    its two items, in the sentences after it, share none of the question's words."""
    text = ("Desalination removes salt from seawater.\n"
            "Today two main technologies are used. Thermal plants reuse waste heat. Reverse osmosis plants "
            "push seawater through membranes. The plants employ local engineers.")
    answerer, nodes = _answerer_and_nodes(text, "desal", "en")
    hits = _hits(nodes, [("p2.s1", 0.90), ("p1.s1", 0.80), ("p2.s4", 0.75), ("p2.s2", 0.60), ("p2.s3", 0.58)])
    listed = answerer.answer("Which technologies are used today?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in listed.citations] == ["p2.s1", "p2.s2", "p2.s3"]  # not the fourth
    single = answerer.answer("How is desalination done today?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in single.citations] == ["p2.s1"]  # no list asked for


def test_a_line_that_introduces_a_list_is_cited_with_its_items():
    """"What equipment does the company provide?" was answered "The company provides:" and no more."""
    text = "The company provides:\n- a laptop with encrypted storage\n- a headset for video calls\nIt pays for both."
    answerer, nodes = _answerer_and_nodes(text, "policy", "en")
    hits = _hits(nodes, [("p1.s1", 0.90), ("p2.s1", 0.70), ("p1.s2", 0.65), ("p1.s3", 0.64)])
    draft = answerer.answer("What equipment does the company provide?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in draft.citations] == ["p1.s1", "p1.s2", "p1.s3"]
    # An item asked about is cited alone: it does not bring the items after it.
    hits = _hits(nodes, [("p1.s2", 0.90), ("p1.s3", 0.70), ("p1.s1", 0.65)])
    draft = answerer.answer("Is the laptop's storage encrypted?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in draft.citations] == ["p1.s2"]


def test_a_sentence_across_line_breaks_is_said_on_one_line_and_its_quote_kept():
    text = ("Much of southern California is famous for its large, spread-\nout, suburban communities and use of\n"
            "automobiles and highways, which shape the daily lives of many residents and\nvisitors across the region.")
    answerer, nodes = _answerer_and_nodes(text, "region", "en")
    assert list(nodes) == ["p1.s1"]  # the wrapped lines are one sentence
    draft = answerer.answer("What is southern California famous for?", Language.ENGLISH, _hits(nodes, [("p1.s1", 0.9)]))
    assert draft.citations[0].quote == text  # verbatim, line breaks and all
    assert draft.text.startswith("Much of southern California is famous for its large, spread-out, suburban communities and use of "
                                 "automobiles")


def test_the_best_ranked_document_opens_the_answer():
    """Sentences were ordered by document id: a runner-up from another document could open the answer."""
    answerer, nodes = _answerer_and_nodes()
    other = _in_another_document(answerer, nodes["p2.s1"], "aaa")
    hits = [NodeWithScore(node=nodes["p1.s2"], score=0.9), NodeWithScore(node=other, score=0.89)]
    draft = answerer.answer("أين يعمل الروبوت؟", Language.ARABIC, hits)
    assert [c.document_id for c in draft.citations] == ["robots", "aaa"]


def test_a_heading_is_shown_without_its_markdown_marks():
    answerer, nodes = _answerer_and_nodes("## Opening hours\nThe library opens at nine.", "faq", "en")
    draft = answerer.answer("Opening hours?", Language.ENGLISH, _hits(nodes, [("p1.s1", 0.9)]))
    assert draft.text == "Opening hours [1]" and draft.citations[0].quote == "## Opening hours"


def test_a_list_item_is_shown_without_its_bullet_and_a_step_with_its_number():
    answerer, nodes = _answerer_and_nodes("The box holds:\n- One filter head\n- Two cartridges\n\n1. Open the valve.",
                                          "manual", "en")
    item = [s for s, node in nodes.items() if node.get_content() == "- Two cartridges"][0]
    draft = answerer.answer("How many cartridges are in the box?", Language.ENGLISH, _hits(nodes, [(item, 0.9)]))
    assert draft.text == "Two cartridges [1]" and draft.citations[0].quote == "- Two cartridges"
    step = [s for s, node in nodes.items() if node.get_content() == "1. Open the valve."][0]
    draft = answerer.answer("What is the first step?", Language.ENGLISH, _hits(nodes, [(step, 0.9)]))
    assert draft.text.startswith("1. Open the valve.")


def test_inline_markdown_is_shown_as_its_words():
    """A user's manual was answered "**Important:** Descale ..." and "see [the support site](https://...)"."""
    text = "**Important:** Descale the *BQ-7* every 2 months, see [the manual](https://bq.example/m.html)."
    answerer, nodes = _answerer_and_nodes(text, "manual", "en")
    draft = answerer.answer("How often should I descale it?", Language.ENGLISH, _hits(nodes, [("p1.s1", 0.9)]))
    assert draft.text == "Important: Descale the BQ-7 every 2 months, see the manual (https://bq.example/m.html). [1]"
    assert draft.citations[0].quote == text


def test_an_faq_answer_line_is_shown_without_its_label():
    answerer, nodes = _answerer_and_nodes("Q: How big is the tank?\nA: The tank holds 1.8 litres.", "faq", "en")
    draft = answerer.answer("How big is the tank?", Language.ENGLISH, _hits(nodes, [("p2.s1", 0.9)]))
    assert draft.text == "The tank holds 1.8 litres. [1]" and draft.citations[0].quote == "A: The tank holds 1.8 litres."
    answerer, nodes = _answerer_and_nodes("س: ما سعة الخزان؟\nج: يتسع الخزان لـ 1.8 لتر.", "faq", "ar")
    draft = answerer.answer("ما سعة الخزان؟", Language.ARABIC, _hits(nodes, [("p2.s1", 0.9)]))
    assert draft.text == "يتسع الخزان لـ 1.8 لتر. [1]"


def test_a_runner_up_without_a_word_of_content_is_not_cited():
    """"And colour?" was answered "Yes. [1] Black-and-white printing costs 10 cents ... [2]"."""
    answerer, nodes = _answerer_and_nodes("Can I print?\nYes!\nColour printing costs 50 cents a page.", "faq", "en")
    hits = _hits(nodes, [("p3.s1", 0.90), ("p2.s1", 0.89)])
    assert [c.sentence_id for c in answerer.answer("And colour?", Language.ENGLISH, hits).citations] == ["p3.s1"]


def test_a_step_of_a_list_brings_its_list_when_several_are_asked_for():
    """"What are the steps to install it?" was answered with the one step that ranked first."""
    answerer, nodes = _answerer_and_nodes("## How do I install it?\n\n1. Download the installer.\n"
                                          "2. Open it and accept the licence.\n3. Sign in with your email.", "guide", "en")
    hits = _hits(nodes, [("p2.s2", 0.90), ("p1.s1", 0.80), ("p2.s1", 0.70), ("p2.s3", 0.69)])
    steps = answerer.answer("What are the steps to install it?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in steps.citations] == ["p2.s1", "p2.s2", "p2.s3"]
    one = answerer.answer("How do I accept the licence?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in one.citations] == ["p2.s2"]


def test_a_steps_title_brings_what_its_line_says_next():
    """"How do I check that the download is not corrupted?" was answered with the step's name alone."""
    answerer, nodes = _answerer_and_nodes("## Installation\n1. Download the package from the admin console.\n"
                                          "2. Verify the download. Each package is published with a checksum.\n"
                                          "3. Sign in.\n4. Start the service.", "guide", "en")
    hits = _hits(nodes, [("p1.s3", 0.90), ("p1.s2", 0.80), ("p1.s5", 0.79), ("p1.s4", 0.70), ("p1.s6", 0.69)])
    answer = answerer.answer("How do I check that the download is not corrupted?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in answer.citations] == ["p1.s3", "p1.s4"]
    # A title followed by the next step brings nothing.
    hits = _hits(nodes, [("p1.s5", 0.90), ("p1.s2", 0.80), ("p1.s3", 0.79), ("p1.s4", 0.70), ("p1.s6", 0.69)])
    answer = answerer.answer("How do I sign in?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in answer.citations] == ["p1.s5"]


def test_a_line_ending_with_a_colon_brings_the_line_under_it():
    """"6. Start the service and enable it at boot:" answered "How do I make it start at boot?" alone,
    the command on the line under it left out."""
    answerer, nodes = _answerer_and_nodes("1. Start the service and enable it at boot:\n\n"
                                          "   sudo systemctl enable --now agent\n\n2. Check that it runs.", "guide", "en")
    hits = _hits(nodes, [("p1.s1", 0.90), ("p3.s1", 0.80), ("p2.s1", 0.60)])
    answer = answerer.answer("How do I make the service start at boot?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in answer.citations] == ["p1.s1", "p2.s1"]
    # A byline's colon leads into the whole report: the dateline question cited the first sentence too.
    news, lines = _answerer_and_nodes("الكويت - سعد العجيبان:\nأكد وزير الخارجية أن العملية حرفت مسار الحرب.", "news", "ar")
    lines["p1.s1"] = lines["p1.s1"].model_copy(update={"metadata": {**lines["p1.s1"].metadata, "role": ROLE_GLOSS[BYLINE]}})
    byline = news.answer("ما مدينة الخبر؟", Language.ARABIC, _hits(lines, [("p1.s1", 0.90), ("p2.s1", 0.80)]))
    assert [c.sentence_id for c in byline.citations] == ["p1.s1"]


def test_a_heading_gives_way_to_its_section_and_its_year_answers_no_how_much():
    """A title's year ("Festival 2025") held the heading in place for "how much?", beside the price."""
    answerer, nodes = _answerer_and_nodes("# Harbour Festival 2025\nConcert tickets cost 50 riyals for adults.\n"
                                          "The parade starts at the port.", "festival", "en")
    _mark_headings(answerer, nodes, "festival", "p1")
    hits = _hits(nodes, [("p1.s1", 0.95), ("p2.s1", 0.90), ("p3.s1", 0.85)])
    draft = answerer.answer("How much does a concert ticket cost at the Harbour Festival?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in draft.citations] == ["p2.s1"]


def test_a_section_headings_date_answers_when_though_nothing_of_its_section_was_found():
    """"When was version 2.7.1 released?": "## 2.7.1 — 2024-12-02" ranked first and its list of fixes
    not at all; the heading was left out for saying nothing alone (a user's release notes). A title's
    year still answers no "when" (it names the edition the document is about)."""
    answerer, nodes = _answerer_and_nodes("# Tessellate 2025\nTessellate renders map tiles.\n## 2.7.1 — 2024-12-02\n"
                                          "### Fixed\nReading large files is faster.\nThe next release is planned.",
                                          "notes", "en")
    _mark_headings(answerer, nodes, "notes", "p1", "p3", "p4")
    hits = _hits(nodes, [("p3.s1", 0.95), ("p6.s1", 0.80)])
    draft = answerer.answer("When was version 2.7.1 released?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in draft.citations][:1] == ["p3.s1"] and not draft.abstained
    title = answerer.answer("When was Tessellate released?", Language.ENGLISH, _hits(nodes, [("p1.s1", 0.95), ("p2.s1", 0.90)]))
    assert title.abstained


def test_an_faq_questions_number_answers_no_how_many():
    """"### س13: كم سنة يجب أن أحتفظ بالفواتير؟" held "13", so it stayed before its answer (a user's VAT
    guide): its answer is cited first."""
    answerer, nodes = _answerer_and_nodes("### س13: كم سنة يجب أن أحتفظ بالفواتير؟\n\n"
                                          "ج: يجب الاحتفاظ بالفواتير مدة لا تقل عن 6 سنوات.", "vat", "ar")
    _mark_headings(answerer, nodes, "vat", "p1")
    draft = answerer.answer("كم سنة أحتفظ بالفواتير؟", Language.ARABIC, _hits(nodes, [("p1.s1", 0.85), ("p2.s1", 0.84)]))
    assert [c.sentence_id for c in draft.citations] == ["p2.s1"]


def test_what_time_cites_a_time_of_day_before_a_span():
    """"What time is judging?" was answered by "Students give a short talk of about 5 minutes", a span
    that passes for a "when" but says no time of the day (a user's science fair)."""
    answerer, nodes = _answerer_and_nodes("Students give a short talk of about 5 minutes to the judges. "
                                          "Judging runs from 9:00 am to 12:00 pm.", "fair", "en")
    hits = _hits(nodes, [("p1.s1", 0.9), ("p1.s2", 0.8)])
    assert answerer.answer("What time is judging?", Language.ENGLISH, hits).citations[0].sentence_id == "p1.s2"
    assert answerer.answer("When is judging?", Language.ENGLISH, hits).citations[0].sentence_id == "p1.s1"


def test_an_abstention_for_want_of_a_date_says_so():
    """"When does cover start?" was refused with "Related: ... probability 0.98" under it, which read
    as a contradiction: the note says what the closest sentences lack."""
    answerer, nodes = _answerer_and_nodes("Cover applies to every trip abroad.\nClaims are made online.", "policy", "en")
    draft = answerer.answer("When does cover start?", Language.ENGLISH, _hits(nodes, [("p1.s1", 0.9), ("p2.s1", 0.8)]))
    assert draft.abstained and draft.note == "The question asks for a date or a time, which the best-matching passage does not give."
    arabic = answerer.answer("كم عدد المطالبات؟", Language.ARABIC, _hits(nodes, [("p2.s1", 0.9)]))
    assert arabic.abstained and arabic.note == "يسأل السؤال عن رقم، ولا يذكره المقطع الأقرب إليه."


def test_a_title_gives_way_to_a_section_heading_of_its_document_beside_it():
    """"How do I apply for remote work?" matched an FAQ's title first and "## How do I apply?" second;
    the title's section is the whole document, and it gave way to the intro ("It applies to ...")."""
    answerer, nodes = _answerer_and_nodes("# Remote Work FAQ\nThis FAQ applies to all permanent employees.\n"
                                          "## How do I apply?\nSubmit the remote work form in the HR portal.", "faq", "en")
    _mark_headings(answerer, nodes, "faq", "p1", "p3")
    hits = _hits(nodes, [("p1.s1", 1.00), ("p3.s1", 0.97), ("p2.s1", 0.90), ("p4.s1", 0.88)])
    draft = answerer.answer("How do I apply for remote work?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in draft.citations] == ["p4.s1"]
    # Without a section heading among the best, the title still gives way to its best sentences.
    alone = answerer.answer("Who does this FAQ apply to?", Language.ENGLISH, _hits(nodes, [("p1.s1", 1.00), ("p2.s1", 0.95)]))
    assert [c.sentence_id for c in alone.citations] == ["p2.s1"]


def test_a_runner_up_the_rerank_stage_gives_next_to_no_share_is_not_cited():
    """Within the margin by retrieval's score, but ten times less likely than the best to hold the
    answer (an Arabic question about an English document had two unrelated Arabic sentences cited
    at .0002 beside the answer's .88); a runner-up with a comparable share is cited."""
    from assistant.retrieval import RankedSentence

    answerer, nodes = _answerer_and_nodes()
    question = "ما الذي يعمل في المصانع بدل الإنسان؟"

    def cited(shares: list[float]) -> list[str]:
        hits = [RankedSentence(node=nodes[sentence], score=score, share=share)
                for (sentence, score), share in zip([("p1.s2", 0.90), ("p2.s1", 0.89)], shares)]
        return [c.sentence_id for c in answerer.answer(question, Language.ARABIC, hits).citations]

    assert cited([0.95, 0.002]) == ["p1.s2"]
    assert cited([0.6, 0.3]) == ["p1.s2", "p2.s1"]


def test_a_runner_up_of_another_document_in_the_other_language_needs_half_the_best_share():
    """"متى يبدأ التنبيه البرتقالي؟" cited a job posting's "Interviews will take place ..." at a fifth of
    the bulletin's share, and the follow-up was then ranked among the posting's sentences."""
    from assistant.retrieval import RankedSentence

    answerer, nodes = _answerer_and_nodes("يسري التنبيه من الساعة 18:00 يوم الأحد.\nتهب رياح قوية على الشمال.",
                                          "bulletin", "ar")
    posting, others = _answerer_and_nodes("Interviews take place in the weeks of 24 February.", "posting", "en")
    answerer._paragraphs.update(posting._paragraphs)  # noqa: SLF001 - one store holds both
    english = others["p1.s1"].model_copy(update={"id_": "posting-p1.s1"})  # store ids name the document
    question = "متى يبدأ التنبيه؟"

    def cited(runner_up: TextNode, share: float) -> list[str]:
        hits = [RankedSentence(node=nodes["p1.s1"], score=0.90, share=0.09),
                RankedSentence(node=runner_up, score=0.89, share=share)]
        return [c.document_id for c in answerer.answer(question, Language.ARABIC, hits).citations]

    assert cited(english, 0.02) == ["bulletin"]
    assert cited(english, 0.06) == ["bulletin", "posting"]
    assert cited(nodes["p2.s1"], 0.02) == ["bulletin", "bulletin"]  # its own document: a tenth is enough


def test_a_heading_whose_section_was_not_found_gives_way_to_the_next_sentence():
    """"## Challenges", a short label of another document, came first for an unrelated question; a
    heading alone says nothing, and none of its section was ranked."""
    answerer, nodes = _answerer_and_nodes("## Challenges\nDrought cut seed yields by a third.\n## Outlook\n"
                                          "The alliance expects to reach 6,000 farmers next year.", "report", "en")
    _mark_headings(answerer, nodes, "report", "p1", "p3")
    hits = _hits(nodes, [("p1.s1", 0.95), ("p4.s1", 0.90)])
    draft = answerer.answer("How many farmers will the alliance reach?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in draft.citations] == ["p4.s1"]


def test_the_parts_of_an_answer_come_best_first():
    """Adjacent sentences too: a catalogue's "Which storm is recorded in Verhulst's sheet?" opened with
    the lead its answer ("It records the storm of ...") was tied with, in reading order."""
    answerer, nodes = _answerer_and_nodes("The steam light blinks while the boiler heats.\nPurge the steam wand "
                                          "first.\nThe drip tray holds 0.5 litres.\nWait until the steam light "
                                          "stops blinking.", "manual", "en")

    def order(ranked: list[tuple[str, float]]) -> list[str]:
        draft = answerer.answer("What should I do about the steam light?", Language.ENGLISH, _hits(nodes, ranked))
        return [c.sentence_id for c in draft.citations]

    assert order([("p4.s1", 0.90), ("p1.s1", 0.89)]) == ["p4.s1", "p1.s1"]  # two parts: the best first
    assert order([("p2.s1", 0.90), ("p1.s1", 0.89)]) == ["p2.s1", "p1.s1"]  # adjacent: the best first too


def test_the_number_of_a_numbered_heading_answers_no_how_much():
    """"المادة (7): التكلفة" answered how much a service cost, which its article does not say."""
    answerer, nodes = _answerer_and_nodes("المادة (7): التكلفة\nيتحمل المنظمون تكلفة الرحلة كاملة.\n", "circular")
    _mark_headings(answerer, nodes, "circular", "p1")
    draft = answerer.answer("كم تبلغ تكلفة الرحلة؟", Language.ARABIC, _hits(nodes, [("p1.s1", 0.95), ("p2.s1", 0.90)]))
    assert draft.abstained


def test_the_sentence_between_two_items_is_an_item_of_a_list_only():
    """"Who runs the authority?" cited "It was established in 1962." between two close candidates."""
    answerer, nodes = _answerer_and_nodes(
        "The Harbour Authority manages the port. It was established in 1962. It has been led by its director, "
        "Marta Koenig, since 2023.", "harbour", "en")
    hits = _hits(nodes, [("p1.s3", 0.90), ("p1.s1", 0.89), ("p1.s2", 0.70)])
    one = answerer.answer("Who runs the Harbour Authority?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in one.citations] == ["p1.s3", "p1.s1"]  # the best first, nothing between
    several = answerer.answer("What are the facts about the Harbour Authority?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in several.citations] == ["p1.s1", "p1.s2", "p1.s3"]


def test_a_list_answer_opens_with_the_paragraph_of_its_best_sentence():
    """A kennel's "Which vaccinations do cats need?" ranked "Cats must be vaccinated ..." first, and the
    list answer opened with the price table's cat rows above it, each paragraph in reading order."""
    answerer, nodes = _answerer_and_nodes(
        "| Pet | Per night |\n|---|---|\n| Cat | £15.00 |\n| Second cat sharing a pen | £10.00 |\n\n"
        "Cats must be vaccinated against cat flu and enteritis. Dogs must be vaccinated against kennel cough.",
        "kennel", "en")
    hits = _hits(nodes, [("p2.s1", 0.95), ("p1.s2", 0.94), ("p1.s3", 0.93), ("p2.s2", 0.80)])
    draft = answerer.answer("Which vaccinations do cats need?", Language.ENGLISH, hits)
    # The best sentence's paragraph first; inside a paragraph, its order (a list's items stay in theirs).
    cited = [c.sentence_id for c in draft.citations]
    assert cited[0] == "p2.s1" and cited == sorted(cited, key=lambda sentence: (sentence[:2] != "p2", sentence))


def test_an_amount_of_money_is_answered_by_a_sentence_that_names_a_currency():
    """"كم تكلفة بناء السد؟" was answered by the dam's 5150 megawatts: a number, but no money."""
    answerer, nodes = _answerer_and_nodes("تبلغ قدرة السد المخططة 5150 ميغاواط.\nوبلغت تكلفة المشروع 350 مليون ريال.",
                                          "dam")
    power_first = _hits(nodes, [("p1.s1", 0.95), ("p2.s1", 0.80)])
    assert answerer.answer("كم تكلفة بناء السد؟", Language.ARABIC, power_first[:1]).abstained
    draft = answerer.answer("كم تكلفة بناء السد؟", Language.ARABIC, _hits(nodes, [("p2.s1", 0.95), ("p1.s1", 0.80)]))
    assert [c.sentence_id for c in draft.citations] == ["p2.s1"]
    assert not answerer.answer("كم تبلغ قدرة السد؟", Language.ARABIC, power_first[:1]).abstained
    # The cost is in the next paragraph: a currency in the document's top sentences answers, alone.
    draft = answerer.answer("كم تكلفة بناء السد؟", Language.ARABIC, power_first)
    assert [c.sentence_id for c in draft.citations] == ["p2.s1"]


def test_a_number_the_question_names_answers_no_how_many():
    """"How many people died in the fire of 1702?" was answered by the town history's "The fire of 1702
    destroyed the harbour.": its only number was the question's year."""
    answerer, nodes = _answerer_and_nodes("The fire of 1702 destroyed the harbour.\nThe fire of 1702 killed 40 people.",
                                          "town", "en")
    question = "How many people died in the fire of 1702?"
    assert answerer.answer(question, Language.ENGLISH, _hits(nodes, [("p1.s1", 0.95)])).abstained
    draft = answerer.answer(question, Language.ENGLISH, _hits(nodes, [("p2.s1", 0.95), ("p1.s1", 0.94)]))
    assert "p2.s1" in [c.sentence_id for c in draft.citations]
    assert not answerer.answer("When was the harbour destroyed?", Language.ENGLISH,
                               _hits(nodes, [("p1.s1", 0.95)])).abstained


def test_a_section_ends_at_a_markdown_heading_kept_with_its_list():
    """A health advisory's "## What to do if someone shows signs of heat stroke" ran on over "## How to
    stay safe" (kept with its steps, so no heading paragraph), whose step answered the heat-stroke question."""
    answerer, nodes = _answerer_and_nodes(
        "## What to do if someone shows signs of heat stroke\n\n1. Call 911 immediately.\n2. Move the person "
        "to a cooler place.\n\n## How to stay safe\n\n1. Drink water regularly.\n2. Avoid alcohol.", "advisory", "en")
    _mark_headings(answerer, nodes, "advisory", "p1")
    hits = _hits(nodes, [("p1.s1", 0.95), ("p3.s2", 0.90), ("p2.s1", 0.80)])
    draft = answerer.answer("What should I do if someone has heat stroke?", Language.ENGLISH, hits)
    assert [c.paragraph_id for c in draft.citations] == ["p2"]


def test_an_abstention_offers_no_heading_as_related():
    """"What did she do before?" offered "## Traffic" as a nearby sentence: a heading names its section."""
    answerer, nodes = _answerer_and_nodes("## Traffic\nThe port handled 14.2 million tonnes.\n## People\n"
                                          "Marta Koenig previously ran the inland waterways office.", "report", "en")
    _mark_headings(answerer, nodes, "report", "p1", "p3")
    draft = answerer.abstain(Language.ENGLISH, _hits(nodes, [("p4.s1", 0.9), ("p1.s1", 0.89), ("p3.s1", 0.88),
                                                            ("p2.s1", 0.80)]))
    assert [c.sentence_id for c in draft.related] == ["p4.s1", "p2.s1"]
    # A field's line says its value: it is offered ("Is the phone waterproof?", a user's spec sheet).
    answerer, nodes = _answerer_and_nodes("# Nova X5\n\nWater resistance: IP68\n\nColours: black and olive green",
                                          "phone", "en")
    _mark_headings(answerer, nodes, "phone", "p1", "p2")
    draft = answerer.abstain(Language.ENGLISH, _hits(nodes, [("p2.s1", 0.81), ("p1.s1", 0.80), ("p3.s1", 0.78)]))
    assert [c.sentence_id for c in draft.related] == ["p2.s1", "p3.s1"]


def test_a_list_question_that_matches_a_heading_is_answered_by_its_whole_section():
    """"What are the effects of the dam?" matched "## Effects"; the sentences elsewhere that name the
    dam, and the title heading, are no items of it."""
    answerer, nodes = _answerer_and_nodes(
        "# The High Dam\n"
        "The High Dam was built across the Nile between 1960 and 1970. The dam was inaugurated in 1971.\n"
        "## Effects\n"
        "The annual flood ended. Its turbines produce 2.1 gigawatts. The delta is slowly eroding.\n"
        "## The lake\n"
        "The lake is 550 kilometres long. It stretches into Sudan. About 90,000 people moved.", "dam", "en")
    _mark_headings(answerer, nodes, "dam", "p1", "p3", "p5")
    hits = _hits(nodes, [("p3.s1", 0.90), ("p4.s3", 0.84), ("p2.s2", 0.83), ("p4.s1", 0.83), ("p1.s1", 0.82),
                         ("p6.s1", 0.81), ("p6.s2", 0.80), ("p6.s3", 0.80), ("p4.s2", 0.75)])
    draft = answerer.answer("What are the effects of the dam?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in draft.citations] == ["p4.s1", "p4.s2", "p4.s3"]



def test_a_list_question_that_names_a_field_is_answered_by_the_field():
    """"What are the annual property taxes?" was answered with every line of a listing's details."""
    answerer, nodes = _answerer_and_nodes("## Property details\n- Bedrooms: 4\n- Lot size: 0.42 acres\n"
                                          "- Annual property taxes: $11,240 (2023)\n- Year built: 2006", "listing", "en")
    _mark_headings(answerer, nodes, "listing", "p1")
    hits = _hits(nodes, [("p1.s4", 0.90), ("p1.s2", 0.85), ("p1.s3", 0.85), ("p1.s5", 0.84), ("p1.s1", 0.80)])
    draft = answerer.answer("What are the annual property taxes?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in draft.citations] == ["p1.s4"]
    # A list question that names no field is still answered by the list.
    draft = answerer.answer("What are the property details?", Language.ENGLISH, hits)
    assert len(draft.citations) == 4


def test_a_list_question_that_matches_a_documents_title_is_not_answered_by_the_whole_document():
    answerer, nodes = _answerer_and_nodes(
        "# The High Dam\nThe dam ended the annual flood. Its turbines produce 2.1 gigawatts.\n"
        "The lake is 550 kilometres long. About 90,000 people moved.", "dam", "en")
    _mark_headings(answerer, nodes, "dam", "p1")
    hits = _hits(nodes, [("p1.s1", 0.90), ("p2.s1", 0.85), ("p3.s1", 0.80), ("p2.s2", 0.79), ("p3.s2", 0.70)])
    draft = answerer.answer("What are the effects of the High Dam?", Language.ENGLISH, hits)
    assert "p3.s2" not in [c.sentence_id for c in draft.citations]


def test_a_number_the_question_names_in_a_heading_answers_no_how_many():
    """"Acme Water Utility — Quarterly Report Q3 2024" stayed as the answer to "How many homes does
    Acme Water supply, according to its Q3 2024 report?": its "Q3" read as a quantity."""
    answerer, nodes = _answerer_and_nodes("Acme Water Utility — Quarterly Report Q3 2024\n"
                                          "Acme Water served 412,000 households in the quarter.", "acme", "en")
    _mark_headings(answerer, nodes, "acme", "p1")
    hits = _hits(nodes, [("p1.s1", 0.95), ("p2.s1", 0.90)])
    question = "How many homes does Acme Water supply, according to its Q3 2024 report?"
    assert [c.sentence_id for c in answerer.answer(question, Language.ENGLISH, hits).citations] == ["p2.s1"]
    # A quarter the question does not name is still a number the heading holds.
    own = answerer.answer("How many quarters does the report cover?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in own.citations][0] == "p1.s1"


def test_a_label_over_a_list_gives_way_to_the_item_asked_about():
    """"Is there a shortcut to pin a note?" was answered "## Keyboard shortcuts" and every shortcut after
    it (segmentation keeps the label with its items); a question for the whole list keeps it all."""
    text = ("## Keyboard shortcuts\n\n- Ctrl+N creates a new note.\n- Ctrl+Shift+F searches all notebooks.\n"
            "- Ctrl+Alt+P pins the current note to the top of the list.")
    answerer, nodes = _answerer_and_nodes(text, "guide", "en")
    assert list(nodes) == ["p1.s1", "p1.s2", "p1.s3", "p1.s4"]  # one paragraph, the label first
    hits = _hits(nodes, [("p1.s1", 0.90), ("p1.s4", 0.86), ("p1.s2", 0.80), ("p1.s3", 0.79)])
    one = answerer.answer("Is there a shortcut to pin a note?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in one.citations] == ["p1.s4"]
    # A close runner-up item comes after it: items do not read on from one another.
    hits = _hits(nodes, [("p1.s1", 0.90), ("p1.s4", 0.86), ("p1.s2", 0.85), ("p1.s3", 0.70)])
    one = answerer.answer("Is there a shortcut to pin a note?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in one.citations] == ["p1.s4", "p1.s2"]
    listed = answerer.answer("What are the keyboard shortcuts?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in listed.citations] == ["p1.s1", "p1.s2", "p1.s3", "p1.s4"]
    # A sentence leading into its list ("The company provides:") is no label: it stays with its items.
    answerer, nodes = _answerer_and_nodes("The app offers:\n- dark mode\n- offline notes", "app", "en")
    hits = _hits(nodes, [("p1.s1", 0.90), ("p1.s3", 0.85), ("p1.s2", 0.80)])
    draft = answerer.answer("Does the app work offline?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in draft.citations] == ["p1.s1", "p1.s2", "p1.s3"]


def test_a_records_bold_name_gives_way_to_the_field_asked_about():
    """A catalogue's work, its name in bold over its fields: "ما مقاس لوحة حروف في الريح؟" matched the
    name, which says no size; the size field is the answer. A line over fields that says something
    itself ("Registered in England and Wales, Company No. 08473215") is the answer when it ranks first."""
    text = ('يضم المعرض تسعة أعمال.\n\n**العمل رقم 6 – "حروف في الريح"**\nالخطاطة: ليلى منصور\n'
            "الخامة: أكريليك على قماش\nالمقاس: 120 × 150 سم")
    answerer, nodes = _answerer_and_nodes(text, "catalogue", "ar")
    assert list(nodes) == ["p1.s1", "p2.s1", "p2.s2", "p2.s3", "p2.s4"]
    hits = _hits(nodes, [("p2.s1", 0.90), ("p2.s2", 0.84), ("p2.s4", 0.83), ("p2.s3", 0.82)])
    answer = answerer.answer("ما مقاس لوحة حروف في الريح؟", Language.ARABIC, hits)
    assert [c.sentence_id for c in answer.citations][0] == "p2.s4"
    # The work's number ("رقم 9") is no answer to "how many".
    text = ('يضم المعرض تسعة أعمال.\n\n**العمل رقم 9 – "ظلال الحرف"**\nالخطاطة: ليلى منصور\n'
            "الأسلوب: طباعة حريرية بإصدار محدود (15 نسخة)\nالمقاس: 50 × 50 سم")
    answerer, nodes = _answerer_and_nodes(text, "catalogue", "ar")
    hits = _hits(nodes, [("p2.s1", 0.90), ("p2.s3", 0.84), ("p2.s2", 0.80), ("p2.s4", 0.79)])
    answer = answerer.answer("كم نسخة طُبعت من ظلال الحرف؟", Language.ARABIC, hits)
    assert [c.sentence_id for c in answer.citations][0] == "p2.s3"
    text = ("Our terms.\n\nRegistered in England and Wales, Company No. 08473215\nRegistered office: 42 Harcourt "
            "Street\nLast updated: 1 June 2024")
    answerer, nodes = _answerer_and_nodes(text, "terms", "en")
    hits = _hits(nodes, [("p2.s1", 0.90), ("p2.s2", 0.89), ("p2.s3", 0.80)])
    answer = answerer.answer("Company registration number?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in answer.citations][0] == "p2.s1"
    # So does a Markdown heading over a course's fields ("Who teaches IELTS preparation?" was answered
    # "IELTS Preparation" in a language school's catalogue).
    text = "Our courses.\n\n### IELTS Preparation\nHours: 20 per week\nEntry level: B1\nTeacher: Siobhan Keane"
    answerer, nodes = _answerer_and_nodes(text, "catalogue", "en")
    assert list(nodes) == ["p1.s1", "p2.s1", "p2.s2", "p2.s3", "p2.s4"]
    hits = _hits(nodes, [("p2.s1", 0.95), ("p2.s4", 0.80), ("p2.s3", 0.78), ("p1.s1", 0.70)])
    answer = answerer.answer("Who teaches IELTS preparation?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in answer.citations][0] == "p2.s4"


def test_a_table_header_row_is_not_cited_its_rows_are():
    """"| Nutrient | Amount |" opened the answer to "How many calories are in a slice?" (a user's recipe),
    and "| Action | Owner | Due date |" answered "What is the date of the meeting?"."""
    answerer, nodes = _answerer_and_nodes("## Nutrition (per slice)\n| Nutrient | Amount |\n|---|---|\n"
                                          "| Energy | 310 kcal |\n| Fat | 15 g |\n## Storage\nKeep it in a tin.",
                                          "recipe", "en")
    _mark_headings(answerer, nodes, "recipe", "p1", "p3")
    in_its_section = _hits(nodes, [("p1.s1", 0.89), ("p2.s2", 0.85), ("p2.s1", 0.84), ("p2.s3", 0.84)])
    draft = answerer.answer("How many calories are in a slice?", Language.ENGLISH, in_its_section)
    assert [c.sentence_id for c in draft.citations][0] == "p2.s2" and "p2.s1" not in [c.sentence_id for c in draft.citations]
    first = _hits(nodes, [("p2.s1", 0.90), ("p4.s1", 0.80)])
    assert [c.sentence_id for c in answerer.answer("What is the date?", Language.ENGLISH, first).citations] == ["p4.s1"]


def test_a_field_line_under_a_heading_does_not_end_its_section():
    """A forum thread's "**Views:** 4,812" under its title ended the title's section, so "At what time
    does the NAS drop off the network?" matched the title and was answered by the breadcrumb line
    between them; the opening post after the field is the title's section too."""
    answerer, nodes = _answerer_and_nodes("# NAS drops off the network every night\n\nForum: Storage\n\n"
                                          "Views: 4,812\n\nEvery night it disappears from the network.\n\n"
                                          "## Replies\n\nCheck the scheduler.", "forum", "en")
    _mark_headings(answerer, nodes, "forum", "p1", "p3", "p5")
    hits = _hits(nodes, [("p1.s1", 0.90), ("p2.s1", 0.70), ("p4.s1", 0.69), ("p6.s1", 0.60)])
    cited = [c.sentence_id for c in answerer.answer("Why does the NAS drop off?", Language.ENGLISH, hits).citations]
    assert "p4.s1" in cited and "p6.s1" not in cited


def test_a_sentence_that_asks_is_not_cited():
    """A forum moderator's "- Is link aggregation turned on in the NAS network settings?" was the answer
    to "Was link aggregation enabled on the NAS?", over the reply "Link aggregation is off."; an FAQ's
    question heading still gives way to the answer under it."""
    answerer, nodes = _answerer_and_nodes("Two questions:\n- Is EEE enabled on the switch port?\n"
                                          "- Is link aggregation turned on in the NAS network settings?\n\n"
                                          "Yes, EEE was on. Link aggregation is off.", "forum", "en")
    hits = _hits(nodes, [("p1.s3", 0.90), ("p2.s2", 0.85), ("p1.s1", 0.60)])
    draft = answerer.answer("Was link aggregation enabled on the NAS?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in draft.citations][0] == "p2.s2"
    assert "p1.s3" not in [c.sentence_id for c in draft.citations]
    # Nothing else ranked: the question is cited rather than nothing.
    alone = answerer.answer("Was link aggregation enabled?", Language.ENGLISH, _hits(nodes, [("p1.s3", 0.90)]))
    assert [c.sentence_id for c in alone.citations] == ["p1.s3"]
    faq, lines = _answerer_and_nodes("How do I reset it?\n\nHold the button for ten seconds.", "faq", "en")
    _mark_headings(faq, lines, "faq", "p1")
    ranked = _hits(lines, [("p1.s1", 0.90), ("p2.s1", 0.80)])
    assert [c.sentence_id for c in faq.answer("How do I reset the router?", Language.ENGLISH, ranked).citations] == ["p2.s1"]


def test_a_field_line_is_cited_when_the_question_names_its_label():
    """"Prep time: 20 minutes" is short and has no full stop, so it is a heading; with no section it was
    left out and "What is the prep time?" was answered from another document. A field the question
    does not name stays out: a memo's "To: All staff, Leeds office" is no answer to where it moves."""
    answerer, nodes = _answerer_and_nodes("# Lemon Loaf\n\nPrep time: 20 minutes\n\nServes: 10 slices\n\n## Method\n\n"
                                          "Heat the oven to 180 °C.\n\nTo: All staff, Leeds office\n\nSubject: Move\n\n"
                                          "The Leeds office moves to Park Row in May.", "recipe", "en")
    _mark_headings(answerer, nodes, "recipe", "p1", "p2", "p3", "p4", "p6", "p7")
    ranked = _hits(nodes, [("p2.s1", 0.90), ("p5.s1", 0.80)])
    assert [c.sentence_id for c in answerer.answer("What is the prep time?", Language.ENGLISH, ranked).citations] == ["p2.s1"]
    serves = _hits(nodes, [("p3.s1", 0.90), ("p5.s1", 0.80)])
    assert [c.sentence_id for c in answerer.answer("How many people does it serve?", Language.ENGLISH, serves).citations] == ["p3.s1"]
    # With a paragraph under it, it is still no heading of that paragraph (a hotel's check-out time).
    heated = _hits(nodes, [("p4.s1", 0.92), ("p5.s1", 0.85)])
    assert answerer.answer("What is the method?", Language.ENGLISH, heated).citations[0].sentence_id == "p5.s1"
    hotel, lines = _answerer_and_nodes("Check-out time: until 12:00 noon\n\nLate check-out can be requested at the desk.",
                                       "hotel", "en")
    _mark_headings(hotel, lines, "hotel", "p1")
    ranked = _hits(lines, [("p1.s1", 0.90), ("p2.s1", 0.88)])
    assert hotel.answer("What is the check-out time?", Language.ENGLISH, ranked).citations[0].sentence_id == "p1.s1"
    memo = _hits(nodes, [("p6.s1", 0.90), ("p8.s1", 0.85)])
    assert [c.sentence_id for c in answerer.answer("Where is the Leeds office moving to?", Language.ENGLISH, memo).citations] == ["p8.s1"]


def test_an_infobox_field_is_passed_over_by_the_short_line_above_it():
    """Segmentation reads an infobox's "Date: 14–15 September 1652" as a statement, no heading; still
    the short line above it ("Part of the Aller War", a heading) gives way to the text after the
    fields, not to the date: "Which war was the battle part of?" was answered with the date."""
    answerer, nodes = _answerer_and_nodes("# Battle of Kessler Ford\n\nPart of the Aller War\n\n"
                                          "Date: 14–15 September 1652\n\nLocation: Kessler Ford, near Aldenburg\n\n"
                                          "It was the last major engagement of the Aller War.", "battle", "en")
    _mark_headings(answerer, nodes, "battle", "p1", "p2")
    ranked = _hits(nodes, [("p2.s1", 0.90), ("p3.s1", 0.86), ("p5.s1", 0.80)])
    cited = answerer.answer("Which war was the battle part of?", Language.ENGLISH, ranked).citations
    assert [c.sentence_id for c in cited] == ["p5.s1"]


def test_a_field_named_in_another_form_of_its_label_is_cited():
    """A spec sheet's "الوزن: 201 غرام" ranked first for "كم يزن الهاتف؟" and gave way to the next field,
    the price: the question names the label as a verb, which stems apart from the noun."""
    answerer, nodes = _answerer_and_nodes("# هاتف نوفا إكس 5\n\nالوزن: 201 غرام\n\nتاريخ الإطلاق: 15 سبتمبر 2023\n\n"
                                          "السعر: 2899 ريالا", "phone", "ar")
    _mark_headings(answerer, nodes, "phone", "p1", "p2", "p3")
    weighed = _hits(nodes, [("p2.s1", 0.90), ("p4.s1", 0.85)])
    assert [c.sentence_id for c in answerer.answer("كم يزن الهاتف؟", Language.ARABIC, weighed).citations] == ["p2.s1"]
    launched = _hits(nodes, [("p3.s1", 0.90), ("p4.s1", 0.85)])
    assert [c.sentence_id for c in answerer.answer("متى أطلق الهاتف؟", Language.ARABIC, launched).citations] == ["p3.s1"]
    english, lines = _answerer_and_nodes("# Nova X5\n\nWeight: 201 g\n\nColours: black and olive green", "phone", "en")
    _mark_headings(english, lines, "phone", "p1", "p2")
    ranked = _hits(lines, [("p2.s1", 0.90), ("p3.s1", 0.85)])
    assert [c.sentence_id for c in english.answer("How much does it weigh?", Language.ENGLISH, ranked).citations] == ["p2.s1"]


CATALOGUE = ("# Harbour Light\n\n### 1. Herring Fleet at Dawn\n\n**Artist:** Thomas Ellery (1841–1909)\n**Year:** 1874\n"
             "**Medium:** Oil on canvas\n**Dimensions:** 92 × 138 cm\n\nEllery's largest surviving canvas shows "
             "more than forty boats leaving the harbour before sunrise.\n\n### 2. Storm off Kelder Point\n\n"
             "**Artist:** Johan Verhulst (1850–1912)")


def test_a_field_of_a_headings_section_the_question_names_is_cited():
    """A museum catalogue's entry: "What medium is Storm off Kelder Point?" matched the entry's heading,
    which gave way to the description under it, ranked above the "**Medium:** ..." line (the fields
    were passed over as no part of the section); "What are the dimensions of ...?" reads as a list
    question and cited the whole entry, the artist first."""
    answerer, nodes = _answerer_and_nodes(CATALOGUE, "catalogue", "en")
    _mark_headings(answerer, nodes, "catalogue", "p1", "p2", "p4", "p5", "p6", "p8")
    ranked = _hits(nodes, [("p2.s1", 0.95), ("p7.s1", 0.85), ("p3.s1", 0.76), ("p5.s1", 0.75), ("p6.s1", 0.74)])
    medium = answerer.answer("What medium is Herring Fleet at Dawn painted in?", Language.ENGLISH, ranked)
    assert [c.sentence_id for c in medium.citations] == ["p5.s1"]
    dimensions = answerer.answer("What are the dimensions of Herring Fleet at Dawn?", Language.ENGLISH, ranked)
    assert [c.sentence_id for c in dimensions.citations] == ["p6.s1"]
    # A question naming no field gets the section's best, as before.
    boats = answerer.answer("How many boats does Herring Fleet at Dawn show?", Language.ENGLISH, ranked)
    assert boats.citations[0].sentence_id == "p7.s1"


def test_a_records_header_line_gives_way_to_the_record():
    """A review's header line under its heading names the reviewer and says nothing else: "What was
    Priya Raman's main complaint?" cited "**Priya Raman** · Reviewed on February 18, 2024 ...", above
    the review's sentences. It gives way to them as a heading does, unless it holds what is asked."""
    answerer, nodes = _answerer_and_nodes("# Reviews\n\n### ★★★★☆ Great suction, awkward emptying\n\n**Priya Raman** · "
                                          "Reviewed on February 18, 2024 · Verified Purchase\n\nSuction is excellent on "
                                          "carpet. My only real complaint is emptying the bin.\n\n### ★★☆☆☆ Battery died\n\n"
                                          "It worked at first.", "reviews", "en")
    _mark_headings(answerer, nodes, "reviews", "p1", "p2", "p5")
    ranked = _hits(nodes, [("p3.s1", 0.90), ("p4.s1", 0.80), ("p4.s2", 0.79), ("p6.s1", 0.70)])
    complaint = answerer.answer("What was Priya Raman's main complaint?", Language.ENGLISH, ranked)
    assert complaint.citations[0].sentence_id in ("p4.s1", "p4.s2")
    assert "p3.s1" not in [c.sentence_id for c in complaint.citations]
    when = answerer.answer("When did Priya Raman write her review?", Language.ENGLISH, ranked)
    assert when.citations[0].sentence_id == "p3.s1"
    verified = answerer.answer("Was Priya Raman's review a verified purchase?", Language.ENGLISH, ranked)
    assert verified.citations[0].sentence_id == "p3.s1"
    # A statement under a heading is no header line, nor a line introducing a quotation: they answer.
    for line in ("The museum opens at nine every day.", "The museum's first poster read:"):
        plain, lines = _answerer_and_nodes(f"## Opening hours\n\n{line}\n\nTickets cost ten dollars.", "museum", "en")
        _mark_headings(plain, lines, "museum", "p1")
        opened = _hits(lines, [("p2.s1", 0.90), ("p3.s1", 0.80)])
        assert plain.answer("What does the museum do every day?", Language.ENGLISH, opened).citations[0].sentence_id == "p2.s1"


def test_a_tables_best_row_is_cited_first():
    """Rows do not read on from one another: "Which party won 6 seats?" opened with the 14 seats' row and
    cited the answer third, in the table's order (a new user's election results)."""
    text = ("# Election results\n\n| Party | Seats | Votes |\n|---|---|---|\n| Renewal Party | 14 | 31,250 |\n"
            "| Civic Alliance | 9 | 20,480 |\n| Loyalty Movement | 6 | 13,900 |")
    answerer, nodes = _answerer_and_nodes(text, "results", "en")
    _mark_headings(answerer, nodes, "results", "p1")
    hits = _hits(nodes, [("p2.s4", 0.90), ("p2.s2", 0.89), ("p2.s3", 0.885)])
    answer = answerer.answer("Which party won 6 seats?", Language.ENGLISH, hits)
    assert [c.sentence_id for c in answer.citations][0] == "p2.s4"


def test_a_condition_answers_when():
    """A leaflet's "متى يجب إيقاف الدواء فوراً؟" was refused for holding no date beside its answer."""
    answerer, nodes = _answerer_and_nodes("أوقف استعمال الدواء فوراً واتصل بالطبيب إذا ظهر احمرار في الجلد.\n"
                                          "يحفظ الدواء في درجة حرارة الغرفة.", "leaflet")
    draft = answerer.answer("متى يجب إيقاف الدواء فوراً؟", Language.ARABIC, _hits(nodes, [("p1.s1", 0.9), ("p2.s1", 0.8)]))
    assert not draft.abstained and draft.citations[0].sentence_id == "p1.s1"


def test_a_table_row_is_said_with_its_cells_named_and_quoted_as_written():
    """"| جواز عادي | 10 سنوات | 600 ريال |" said nothing of what each cell is (a user's passport FAQ)."""
    answerer, nodes = _answerer_and_nodes("| Passport | Validity | Fee |\n|---|---|---|\n| Regular | 10 years | 600 SAR |\n"
                                          "| Child | 5 years | 150 SAR |", "faq", "en")
    draft = answerer.answer("How much does a regular passport cost?", Language.ENGLISH, _hits(nodes, [("p1.s2", 0.9)]))
    assert draft.text == "Passport: Regular; Validity: 10 years; Fee: 600 SAR [1]"
    assert draft.citations[0].quote == "| Regular | 10 years | 600 SAR |"
    # A plain text's table, its columns aligned by spaces: the header row is not cited, a row is said with
    # its cells named (an airline's "Gold   600   50%" answered "How many Tier Points do I need for Gold?").
    answerer, nodes = _answerer_and_nodes("3.1 There are four tiers:\n\n  Tier     Tier Points   Bonus\n"
                                          "  ------   -----------   -----\n  Silver   300           25%\n"
                                          "  Gold     600           50%\n", "terms", "en")
    draft = answerer.answer("How many Tier Points do I need for Gold?", Language.ENGLISH,
                            _hits(nodes, [("p2.s1", 0.92), ("p2.s3", 0.9), ("p2.s2", 0.88)]))
    assert draft.citations[0].sentence_id == "p2.s3" and "p2.s1" not in [c.sentence_id for c in draft.citations]
    assert draft.text.startswith("Tier: Gold; Tier Points: 600; Bonus: 50% [1]")
    assert draft.citations[0].quote == "Gold     600           50%"


def test_a_table_rows_amount_is_money_under_a_header_that_names_the_currency():
    """A traffic-fines table said its currency once, in its header ("الغرامة (درهم)"): "ما غرامة القيادة
    بدون رخصة؟" was refused beside the right row, whose cells are bare figures. A row is read with its
    cells named, as the store embeds it (``store.nodes_for_document``)."""
    from assistant.corpus import Document
    from assistant.store import KIND_SENTENCE, nodes_for_document
    text = ("جدول المخالفات\n\nم    المخالفة                      الغرامة (درهم)   النقاط\n"
            "--   ---------------------------   --------------   ------\n"
            "28   الوقوف خلف المركبات المتوقفة   500              -\n"
            "29   القيادة بدون رخصة قيادة        5,000            -\n"
            "30   قيادة مركبة غير مسجلة          500              4\n")
    document = Document(id="fines", text=text)
    stored = [node for node in nodes_for_document(document, 0.0) if node.metadata["kind"] == KIND_SENTENCE]
    nodes = {node.metadata["sentence_id"]: node for node in stored}
    paragraphs = {("fines", p.id): TextNode(text=p.text, metadata={"start": p.start}) for p in document.paragraphs()}
    row = next(key for key, node in nodes.items() if "بدون رخصة" in node.get_content())
    draft = ExtractiveAnswerer(paragraphs, top_k=3).answer("ما غرامة القيادة بدون رخصة؟", Language.ARABIC,
                                                           _hits(nodes, [(row, 0.9)]))
    assert not draft.abstained
    assert "5,000" in draft.text and "الغرامة (درهم): 5,000" in draft.text
