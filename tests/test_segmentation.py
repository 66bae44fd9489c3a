import hashlib
import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.segmentation import (
    BYLINE,
    HEADING,
    MAX_PARAGRAPH_CHARS,
    MAX_SENTENCE_CHARS,
    is_table_row,
    labels_a_list,
    named_cells,
    row_header,
    segment,
    sentences_of,
    table_header,
)
from assistant.settings import PROJECT_ROOT

BOUNDARIES = Path(__file__).parent / "data" / "boundaries.json"
SHARED = PROJECT_ROOT.parent / "shared"


def test_every_sentence_maps_back_to_the_source(article_text):
    paragraphs = segment(article_text)
    for paragraph in paragraphs:
        assert article_text[paragraph.start : paragraph.end] == paragraph.text
        for sentence in paragraph.sentences:
            assert article_text[sentence.start : sentence.end] == sentence.text


def test_paragraphs_are_the_lines_of_the_source(article_text):
    lines = [line for line in article_text.splitlines() if line.strip()]
    assert [p.text for p in segment(article_text)] == lines


def test_byline_and_heading_are_their_own_units(article_text):
    paragraphs = segment(article_text)
    assert [s.text for s in paragraphs[0].sentences] == ["الكويت - سعد العجيبان:"]
    assert [s.text for s in paragraphs[6].sentences] == ["البيان الختامي"]


def test_sentences_glued_after_a_full_stop_are_split(article_text):
    by_id = {s.id: s.text for s in sentences_of(segment(article_text))}
    assert by_id["p13.s1"].endswith("ذات الصلة.")
    assert by_id["p13.s2"].startswith("ودعا")
    assert by_id["p13.s2"].endswith("هذه الجهود.")
    assert by_id["p13.s3"].startswith("وأوضح البيان")
    assert by_id["p16.s2"].startswith("وأكد البيان")


def test_numbers_guillemets_and_parentheses_stay_inside_sentences(article_text):
    by_id = {s.id: s.text for s in sentences_of(segment(article_text))}
    assert "30 % من الأراضي" in by_id["p6.s1"]
    assert by_id["p21.s1"].endswith("رقم (2254).")
    assert "«داعش»" in by_id["p11.s1"]
    assert len(by_id) == 24


def test_ids_are_stable_and_ordered(article_text):
    ids = [s.id for s in sentences_of(segment(article_text))]
    assert ids[:3] == ["p1.s1", "p2.s1", "p3.s1"]
    assert len(set(ids)) == len(ids)
    assert ids == [s.id for s in sentences_of(segment(article_text))]


def test_arabic_and_english_terminators():
    text = "هل انتهى؟ نعم؛ انتهى! U.S. officials met for 2.5 days. Then they left!Next."
    assert [s.text for s in sentences_of(segment(text))] == [
        "هل انتهى؟", "نعم؛ انتهى!", "U.S. officials met for 2.5 days.", "Then they left!", "Next.",
    ]


def test_blank_lines_and_punctuation_only_fragments_are_skipped():
    paragraphs = segment("\n\n  first line.  \n...\n\nsecond.\n")
    assert [p.text for p in paragraphs] == ["first line.", "second."]
    assert [p.id for p in paragraphs] == ["p1", "p2"]


def test_a_forms_blank_field_is_no_sentence():
    """A lease's blank signature line "الطرف الأول (المؤجر): .............." answered "من هو المؤجر؟"
    over the clause that names him; an ellipsis after a colon is no blank."""
    text = ("حُرر هذا العقد من نسختين.\n\nالطرف الأول (المؤجر): ..............   الطرف الثاني (المستأجر): ..............\n"
            "Signature: ________\nقال: ... ثم سكت.")
    # (An ellipsis standing apart between words is words left out, no end: "قال: ... ثم سكت." is one.)
    assert [s.text for s in sentences_of(segment(text))] == ["حُرر هذا العقد من نسختين.", "قال: ... ثم سكت."]
    # Numbered blank lines under a label answered "who were the witnesses?"; a numbered item is kept.
    witnesses = "الشهود:\n1. …………\n2. …………\nالمرفقات:\n1. صورة الهوية."
    assert [s.text for s in sentences_of(segment(witnesses))] == ["الشهود:", "المرفقات:", "1. صورة الهوية."]


def test_a_line_stopping_on_a_word_no_sentence_ends_with_goes_on_the_next():
    """A notice with two lines broken mid-sentence is not hard-wrapped (three such lines are wanted), yet
    "... a late cancellation fee of" goes on: "What is the late cancellation fee?" cited it without its
    amount. A line that ends as a sentence does not, nor a label ("How to log in", "Who we are")."""
    notice = ("HOW TO BOOK\nClasses can be booked in the app up to 7 days in advance.\n"
              "If you cancel less than 2 hours before a class, a late cancellation fee of\n"
              "GBP 3.00 is charged. Three no-shows suspend booking.\nHow to log in\nOpen the app.\n"
              "يمكن دفع رسوم التسجيل في النادي نقداً في الاستقبال أو\nببطاقة مدى.\nWho we are\nA club.")
    assert [[s.text for s in p.sentences] for p in segment(notice)] == [
        ["HOW TO BOOK"], ["Classes can be booked in the app up to 7 days in advance."],
        ["If you cancel less than 2 hours before a class, a late cancellation fee of\nGBP 3.00 is charged.",
         "Three no-shows suspend booking."], ["How to log in"], ["Open the app."],
        ["يمكن دفع رسوم التسجيل في النادي نقداً في الاستقبال أو\nببطاقة مدى."], ["Who we are"], ["A club."]]


def test_a_forms_blank_fields_in_aligned_lines_are_no_sentences():
    """A warranty card's fields typed in aligned columns are read as a table's rows: its blank "Serial
    number:" answered "Where do I find the serial number?", and a line of two blank fields ("Postcode:
    ____  Phone: ____") "What is the park office's phone?"."""
    card = ("Model:            SM-700 (5.5 litre, 1200 W)\nColours:          Cream, Graphite\n"
            "Serial number:    ______________________\nDate of purchase: ______________________\n\n"
            "Name:     ________________\nPostcode: __________    Phone: _______________\n")
    assert [s.text for s in sentences_of(segment(card))] == [
        "Model:            SM-700 (5.5 litre, 1200 W)", "Colours:          Cream, Graphite"]


@given(st.text(alphabet=st.sampled_from(list("ab ج د.؟!؛«»():-*•|#`\n\t0123456789%")), max_size=300))
def test_offsets_always_map_back(text):
    for paragraph in segment(text):
        assert text[paragraph.start : paragraph.end] == paragraph.text
        for sentence in paragraph.sentences:
            assert text[sentence.start : sentence.end] == sentence.text
            assert sentence.text == sentence.text.strip()
            assert paragraph.start <= sentence.start < sentence.end <= paragraph.end


def _texts(name: str) -> list[str]:
    source = json.loads(BOUNDARIES.read_text(encoding="utf-8"))["sources"][name]
    if name == "article":
        return [(PROJECT_ROOT / source).read_text(encoding="utf-8")]
    path = SHARED / source
    if not path.exists():
        pytest.skip(f"{path} is not beside the project")
    data = json.loads(path.read_text(encoding="utf-8"))
    return [p["context"] for article in data["data"] for p in article["paragraphs"]]


def _boundary_counts(set_name: str) -> tuple[int, int, int]:
    """(found and right, found, expected) over the hand-checked texts of one set."""
    texts = _texts(set_name)
    right = found = expected = 0
    for entry in json.loads(BOUNDARIES.read_text(encoding="utf-8"))["texts"]:
        if entry["set"] != set_name:
            continue
        text = texts[entry["paragraph"]]
        assert hashlib.sha1(text.encode()).hexdigest()[:12] == entry["sha1"], entry
        predicted = {s.end for s in sentences_of(segment(text))[:-1]}
        gold = set(entry["boundaries"])
        right, found, expected = right + len(predicted & gold), found + len(predicted), expected + len(gold)
    return right, found, expected


@pytest.mark.parametrize("set_name", ["arcd", "xquad-r", "article"])
def test_hand_checked_boundaries(set_name):
    """Boundary precision and recall on real paragraphs (tests/data/boundaries.json, 194 boundaries).

    Version 1 had precision 0.81 (ARCD) and 0.80 (XQuAD-R) at recall 1.00; version 2 has 1.00 / 0.99
    precision and 1.00 / 0.98 recall. The three errors left are a spelt initial, "et al." and a
    variable ("بي سكاي بي.", "وآخرون. 1998", "موجب ن."). Most texts were chosen for a known
    difficulty; on the 8 drawn at random (27 boundaries) both versions are right everywhere.
    """
    right, found, expected = _boundary_counts(set_name)
    assert expected >= 20
    assert right / found >= 0.97 and right / expected >= 0.97, (right, found, expected)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("حكم من 931 ق.م حتى 499 ق.م. ثم سقط.", ["حكم من 931 ق.م حتى 499 ق.م.", "ثم سقط."]),
        ("توفي سنة 204 هـ. وفي مصر دفن.", ["توفي سنة 204 هـ.", "وفي مصر دفن."]),
        ("قال د. أحمد إن م. ثيو وصل. ثم غادر.", ["قال د. أحمد إن م. ثيو وصل.", "ثم غادر."]),
        ("حمض الهيدروكلوريك (أو حمض كلور الماء؛ HCl) قوي. وهو سائل.",
         ["حمض الهيدروكلوريك (أو حمض كلور الماء؛ HCl) قوي.", "وهو سائل."]),
        ("التي تلت ذلك.[13] واعتمدت الخطة.[2][3]", ["التي تلت ذلك.[13]", "واعتمدت الخطة.[2][3]"]),
        ("انتهى الأمر. [2][3] ثم بدأ.", ["انتهى الأمر. [2][3]", "ثم بدأ."]),
        # After an era with no number before it, a footnote marker still says the sentence ended there.
        ("بدأ الضعف في القرن الأول ق.م.[8] ثم تعرضت العاصمة لزلزال.",
         ["بدأ الضعف في القرن الأول ق.م.[8]", "ثم تعرضت العاصمة لزلزال."]),
        # A full stop before the close of an emphasis ends the sentence (a user's story glued a logbook's
        # italic entry to the sentence after it).
        ("*Steamer sighted 2 a.m., bore away safely.* It was the first time.",
         ["*Steamer sighted 2 a.m., bore away safely.*", "It was the first time."]),
        ("**Note.** Bring your card. _Closed on Fridays._ Open daily.",
         ["**Note.** Bring your card.", "_Closed on Fridays._", "Open daily."]),
        # A quoted list item's number is no sentence of its own (a user's e-mail: "> 1." and its text apart).
        ("> 1. Renew at Wellington Place.", ["> 1. Renew at Wellington Place."]),
        ("> > 2. Move to Aire Street.", ["> > 2. Move to Aire Street."]),
        ('قال: "سيرتفع ... بالتأكيد" ثم سكت.', ['قال: "سيرتفع ... بالتأكيد" ثم سكت.']),
        # An ellipsis standing apart parts a verse's halves; one after a word ends its sentence.
        ("> يا نخلَ الحصنِ هل تذكرُ من رحلوا ... وهل يعودُ إلى أفيائكَ الأملُ",
         ["> يا نخلَ الحصنِ هل تذكرُ من رحلوا ... وهل يعودُ إلى أفيائكَ الأملُ"]),
        ("ثقلهما متقارب ومتوازن... وتصل الأقليات إلى 5%.", ["ثقلهما متقارب ومتوازن...", "وتصل الأقليات إلى 5%."]),
        ("See Smith, I, 1993, p. 12 and vol. 2 of it. Then stop.",
         ["See Smith, I, 1993, p. 12 and vol. 2 of it.", "Then stop."]),
        # A date opening a sentence does not end it at its era.
        ("وفي عام 63 ق.م. ضمّ القائد بومبيوس المنطقة. ثم سقطت.", ["وفي عام 63 ق.م. ضمّ القائد بومبيوس المنطقة.", "ثم سقطت."]),
        # Markdown code spans are one token: "`ق.م`" was cut at its full stop.
        ("يُكتب قبل الميلاد `ق.م` في النصوص. وهذا مثال.", ["يُكتب قبل الميلاد `ق.م` في النصوص.", "وهذا مثال."]),
        ("Run `a. B` now. Then `c`. End.", ["Run `a. B` now.", "Then `c`.", "End."]),
        # A full stop before a lower-case word ends no sentence: a user's report was cut into "Evening
        # hours run from 5 p.m.", "to 9 p.m.", "on weekdays." (XQuAD-R en.json: "Inc. founder", "etc. are").
        ("Evening hours run from 5 p.m. to 9 p.m. on weekdays. The clinic is closed on Sundays.",
         ["Evening hours run from 5 p.m. to 9 p.m. on weekdays.", "The clinic is closed on Sundays."]),
        ("The meeting starts at 9 a.m. The doors open at 8.", ["The meeting starts at 9 a.m.", "The doors open at 8."]),
        # Nor before a range's dash: a park guide's "**Visitor center hours:** 8:00 a.m." was cut from its
        # closing hour.
        ("**Visitor center hours:** 8:00 a.m. – 5:00 p.m. daily. Closed on Mondays.",
         ["**Visitor center hours:** 8:00 a.m. – 5:00 p.m. daily.", "Closed on Mondays."]),
        # Inside parentheses that close soon after, a full stop ends nothing (a user's manual: "call us
        # (Mon.–Fri., 8 a.m. to 6 p.m. EST) or email ..." was cut after "p.m."); one that closes them may.
        ("Call +1 800 555 0199 (Mon.–Fri., 8 a.m. to 6 p.m. EST) or email help@example.com. Thanks.",
         ["Call +1 800 555 0199 (Mon.–Fri., 8 a.m. to 6 p.m. EST) or email help@example.com.", "Thanks."]),
        # Nor before a dash that goes on with the line: a runner's plan "- **5:00 a.m. — Pre-run snack:** ..."
        # was cut at "a.m.", the time apart from its meal.
        ("- **5:00 a.m. — Pre-run snack:** 1 banana. Keep fiber low.",
         ["- **5:00 a.m. — Pre-run snack:** 1 banana.", "Keep fiber low."]),
        ("Doors open at 7 p.m.** – Bring your ticket.", ["Doors open at 7 p.m.** – Bring your ticket."]),
        # A degree's letters, an apartment, an incumbent's "(inc.)" before the figures of a results row.
        ("She earned a Ph.D. in zoology in 1967. She then moved.", ["She earned a Ph.D. in zoology in 1967.", "She then moved."]),
        ("Address: 1125 Garrison St., Apt. 6B, Lakewood.", ["Address: 1125 Garrison St., Apt. 6B, Lakewood."]),
        ("Gregory T. FENWICK (inc.)      19,741     42.7%", ["Gregory T. FENWICK (inc.)      19,741     42.7%"]),
        ("He joined Acme Inc. He left in 2001.", ["He joined Acme Inc.", "He left in 2001."]),
        # A stair or an exit named by a letter ends a sentence (as a zone does), and in Arabic text a Latin
        # letter is no initial: a school's "أقل من B." and a fire plan's "Stair B." were glued to what followed.
        ("Use Stair B. A warden will meet you.", ["Use Stair B.", "A warden will meet you."]),
        ("دون أي تقدير أقل من B. ويُكرَّم الأوائل الثلاثة.", ["دون أي تقدير أقل من B.", "ويُكرَّم الأوائل الثلاثة."]),
        ("George W. Bush spoke.", ["George W. Bush spoke."]),
        ("He left. (See chapter 3.) Then he came back.", ["He left.", "(See chapter 3.)", "Then he came back."]),
        ("It was open (for a while. Then it closed.", ["It was open (for a while.", "Then it closed."]),
        # A label's number opening a sentence ends none: a user's procedure was cut into "Step 5." and
        # "Allow the vessels ...", and "Step 5." ranked second for "What is step 5?".
        ("Step 5. Allow the vessels to cool. Opening a hot vessel is unsafe.",
         ["Step 5. Allow the vessels to cool.", "Opening a hot vessel is unsafe."]),
        ("المادة ٥. تصدر الرخصة لمدة سنة. وتجدد سنويا.", ["المادة ٥. تصدر الرخصة لمدة سنة.", "وتجدد سنويا."]),
        ("## 2. Treasurer's report", ["## 2. Treasurer's report"]),
        # Inside a sentence, or after a word that numbers no part, a number before a full stop may end it.
        ("He scored 2. Then he left.", ["He scored 2.", "Then he left."]),
        ("Posted on 12 February 2024. Serves 10. Prep time 20 minutes.",
         ["Posted on 12 February 2024.", "Serves 10.", "Prep time 20 minutes."]),
        # A full stop after a unit in degrees ends the sentence (a capital initial does not: "J. K.").
        ("The average low is 1 °C. Annual rainfall is 870 mm.", ["The average low is 1 °C.", "Annual rainfall is 870 mm."]),
        ("It was written by J. K. Rowling. Then filmed.", ["It was written by J. K. Rowling.", "Then filmed."]),
        # One letter before a number abbreviates an edition, a page, a volume: a user's biography was
        # cut into "... (1973 م)، ط." and "2 عام 1980 م.".
        ("صدر كتابه (1973 م)، ط. 2 عام 1980 م. ثم ترجم.", ["صدر كتابه (1973 م)، ط. 2 عام 1980 م.", "ثم ترجم."]),
        # Nor inside a quotation that closes soon after: a match report's coach was cut in two, the second
        # half ("التبديلات غيرت شكل الفريق ...»") cited without who said it.
        ("وقال المدرب: «لم نكن في مستوانا. التبديلات غيرت شكل الفريق». ثم غادر.",
         ["وقال المدرب: «لم نكن في مستوانا. التبديلات غيرت شكل الفريق».", "ثم غادر."]),
        ("The coach said: “We were slow. The changes helped.” Then he left.",
         ["The coach said: “We were slow. The changes helped.”", "Then he left."]),
        ("«لم نكن في مستوانا. ثم تحسن الأداء كثيرا.", ["«لم نكن في مستوانا.", "ثم تحسن الأداء كثيرا."]),  # never closed
        # A one-word reply joins what follows it on its line: an FAQ's "Yes." from another answer was
        # the answer to "Is there a web version?".
        ("A: Yes. Both beans and ground coffee work.", ["A: Yes. Both beans and ground coffee work."]),
        ("ج: لا. لا تقبل المراكز الدفع النقدي. ويمكن الدفع بالبطاقة.",
         ["ج: لا. لا تقبل المراكز الدفع النقدي.", "ويمكن الدفع بالبطاقة."]),
        ("Can I print?\nYes.\nIt costs 10 cents.", ["Can I print?", "Yes.", "It costs 10 cents."]),  # its own line
        ("He said yes. Then he left.", ["He said yes.", "Then he left."]),  # a sentence that ends with the word
        # A title in bold is still a title; an enclosure's "Enc." ends no sentence.
        ("- **Dr. Lena Vasquez** leads it. She founded it.", ["- **Dr. Lena Vasquez** leads it.", "She founded it."]),
        ("Enc. Registration form, consent form", ["Enc. Registration form, consent form"]),
    ],
)
def test_real_text_faults(text, sentences):
    assert [s.text for s in sentences_of(segment(text))] == sentences


def test_text_without_punctuation_is_cut_at_whitespace_into_bounded_units():
    text = "كلمة " * 1_000_000 + "\n" + "x" * 5000  # a 5 MB line, then a line with no whitespace at all
    paragraphs = segment(text)
    sentences = sentences_of(paragraphs)
    assert all(len(s.text) <= MAX_SENTENCE_CHARS for s in sentences)
    assert all(len(p.text) <= MAX_PARAGRAPH_CHARS for p in paragraphs)
    assert all(s.text.startswith("كلمة") and s.text.endswith("كلمة") for s in sentences[:-5])
    assert "".join(s.text for s in sentences[-5:]) == "x" * 5000
    assert sum(len(s.text) + 1 for s in sentences[:-5]) == len("كلمة ") * 1_000_000
    for unit in (*paragraphs, *sentences):
        assert text[unit.start : unit.end] == unit.text


def test_overlong_paragraph_keeps_every_sentence_once():
    line = " ".join(f"الجملة رقم {n} هنا." for n in range(2000))
    paragraphs = segment(line)
    assert len(paragraphs) > 1
    assert [s.text for s in sentences_of(paragraphs)] == [f"الجملة رقم {n} هنا." for n in range(2000)]
    assert [s.id for s in paragraphs[1].sentences][:1] == ["p2.s1"]


def test_byline_and_heading_are_labelled(article_text):
    roles = {p.id: p.role for p in segment(article_text) if p.role}
    assert roles == {"p1": BYLINE, "p7": HEADING}


@pytest.mark.parametrize(("text", "roles"), [
    ("Paris - Jane Doe:\nThe talks ended today.", [BYLINE, ""]),
    ("Results\nThe talks ended today.\nNext steps\nThey meet again.", [HEADING, "", HEADING, ""]),
    ("A short line.\nThe talks ended today.", ["", ""]),  # a full stop: a statement, not a label
    ("Only a title", [""]),  # nothing follows it
    ("He said:\nThe talks ended today.", ["", ""]),  # a colon after the first line introduces, not labels
    # A Markdown heading, whatever it ends with (a FAQ's question headings were cited as answers).
    ("# Library FAQ\n\n## How do I get a card?\n\nBring an ID.", [HEADING, HEADING, ""]),
    # A paragraph of one question heads its answer, as a Markdown heading does (an FAQ's "Q:" line was
    # cited for the question it repeats); a question in running text, or closing the text, does not.
    ("Q: Can I use ground coffee?\nA: Yes. Both work.\nQ: كم كوباً يتسع الخزان؟\nA: ثلاثين.",
     [HEADING, "", HEADING, ""]),
    ("# Guide\n\nQ: Can I use ground coffee?\n\nA: Yes. Both work.", [HEADING, HEADING, ""]),
    ("Why did it fail? Nobody knows.\nThe end.", ["", ""]),
    # An interviewer's turn of several sentences heads its answer too (it was cited for the question it asks).
    ("Q: Maren, welcome to the show. How did you end up studying glaciers?\nA: I grew up in Lagos.\n"
     "س: شكراً لحضورك. ما الذي يميز هذا الموسم؟\nج: الأمطار.", [HEADING, "", HEADING, ""]),
    ("Thanks for coming. How did it start?\nIt started in May.", ["", ""]),  # no turn: a question in running text
    # Bold marks do not hide a question or a full stop: an FAQ's bold question line was cited as the
    # answer to itself. A closing bracket ends a field's value, a statement (the helpline's number was
    # no longer cited when it was taken for a heading).
    ("# Kettle\nCustomer helpline: 0300 123 4400 (24 hours)\nCall us any time.", [HEADING, "", ""]),
    ("# Advisory\n**Heat stroke is an emergency.**\nCall 911.", [HEADING, "", ""]),
    ("# Dishwasher FAQ\n**Why is there water left in the bottom of the tub after a program?**\nA little water is normal.",
     [HEADING, HEADING, ""]),
    ("**Symptoms:**\nHeavy sweating and a fast pulse.", ["", ""]),
    ("The talks ended today.\nWhat comes next?", ["", ""]),
    # A field's line says its value, it heads nothing ("**DOI:** ..." as a heading was embedded as one and
    # lost its question to another document's line); a section's number or rank before a colon heads.
    ("# Dataset\n**DOI:** 10.5281/zenodo.9914273\nالعنوان: شارع تشيراغان رقم 48، بشكتاش\nThe data is open.",
     [HEADING, "", "", ""]),
    # A full stop inside a word is part of the label ("ClinicalTrials.gov ID:" headed a trial's fields).
    ("# Synopsis\nClinicalTrials.gov ID: NCT06418827\nPhase: 2b\nIt runs for a year.", [HEADING, "", "", ""]),
    ("أولًا: رحلات الطيران\nرقم الرحلة: TK 143\nPart 2: Methods\nWe sampled 40 wells.\nSummary\nIt works.",
     [HEADING, "", HEADING, "", HEADING, ""]),
    # An ordinal is a whole word, a Roman numeral in capitals: "أولياء" (guardians) and "Cc" label fields.
    ("# النشرة\n**أولياء الأمور:** يرجى الحضور\nCc: Helen Ashworth\nShe will attend.", [HEADING, "", "", ""]),
    # An English ordinal is a section's rank only as the whole label ("First:"), not "First published".
    ("# Advisory\n**First published:** 2025-04-03 16:00 UTC\nFirst: the scope\nIt covers two products.",
     [HEADING, "", HEADING, ""]),
    # A number in the label over a figure is a field's ("VAT (20%):" was a heading in a quote, and gave way to
    # its "section" when asked how much the discount was); over words, or with a section's word, a heading.
    ("# Quote\n**Multi-room discount (10%):** –£37.40\nPhase 2 fee: £400\nDay 1: Arrival\nPart 2: 2024 results\n"
     "Totals follow.", [HEADING, "", "", HEADING, HEADING, ""]),
    # A title is no byline: its "place" is four words and it names a year.
    ("Harborview Regional Transit Authority — Annual Report 2023\nRidership grew.", [HEADING, ""]),
    # A news headline is the document's title; a line as long further down is running text.
    ("Egypt opens solar-powered desalination plant on Red Sea coast\nCAIRO — Egypt on Sunday opened a plant.\n"
     "and the new plant on the coast will now serve the town\nIt cost $68 million.",
     [HEADING, "", "", ""]),
])
def test_label_lines(text, roles):
    assert [p.role for p in segment(text)] == roles


POLICY = """# Remote work policy

The company provides:
- a laptop with encrypted storage
- a headset for video calls

Employees must return all equipment within two weeks of leaving.

## Security rules

1. Use the company VPN for all work traffic.
2. Lock the screen when away from the computer.
"""


def test_a_list_is_one_paragraph_with_the_line_that_introduces_it():
    paragraphs = segment(POLICY)
    texts = [[s.text for s in p.sentences] for p in paragraphs]
    assert texts == [
        ["# Remote work policy"],
        ["The company provides:", "- a laptop with encrypted storage", "- a headset for video calls"],
        ["Employees must return all equipment within two weeks of leaving."],
        # An item's number is no sentence of its own ("1." was one).
        ["## Security rules", "1. Use the company VPN for all work traffic.",
         "2. Lock the screen when away from the computer."],
    ]
    assert [p.role for p in paragraphs] == [HEADING, "", "", ""]  # an item is no heading
    assert all(POLICY[p.start:p.end] == p.text for p in paragraphs)


@pytest.mark.parametrize(("text", "sentences"), [
    # Items without a line that introduces them are still one list; a full-stop line does not introduce.
    ("- red\n- blue\nThe end.", [["- red", "- blue"], ["The end."]]),
    ("We met twice.\n- once in May\n- once in June", [["We met twice."], ["- once in May", "- once in June"]]),
    # Numbered lines, Arabic too: the number stays with its item.
    ("الشروط:\n١. أن يكون المتقدم بالغا.\n٢. أن يقدم طلبا مكتوبا.",
     [["الشروط:", "١. أن يكون المتقدم بالغا.", "٢. أن يقدم طلبا مكتوبا."]]),
    # Items lettered in abjad order, as an Arabic regulation letters them ("هـ" with its tatweel).
    ("يلتزم البائع بما يلي:\nأ. حمل الترخيص.\nب. المحافظة على النظافة.\nهـ. الالتزام بالأسعار.",
     [["يلتزم البائع بما يلي:", "أ. حمل الترخيص.", "ب. المحافظة على النظافة.", "هـ. الالتزام بالأسعار."]]),
    ("الشروط:\nأ) أن يكون بالغا\nب- أن يقدم طلبا", [["الشروط:", "أ) أن يكون بالغا", "ب- أن يقدم طلبا"]]),
    # A line that opens with a word, not a letter standing alone, is no item.
    ("الشروط:\nأ. حمل الترخيص.\nوقال المدير إن الشروط واضحة.",
     [["الشروط:", "أ. حمل الترخيص."], ["وقال المدير إن الشروط واضحة."]]),
    # A hyphen inside running text is no item; a number ending a line's sentence is no item's number.
    ("الكويت - سعد العجيبان:\nقال الوزير إن المحادثات انتهت.", [["الكويت - سعد العجيبان:"], ["قال الوزير إن المحادثات انتهت."]]),
    ("The group was founded in 2014. It trains police.", [["The group was founded in 2014.", "It trains police."]]),
])
def test_list_lines(text, sentences):
    assert [[s.text for s in p.sentences] for p in segment(text)] == sentences


PROCEDURE = """Acid digestion of soil samples
Environmental Chemistry Laboratory, Room B214

1. Responsibilities

The laboratory manager, Dr. Priya Raman, approves new users.

2. Chemicals used

- Nitric acid, 65-70%: corrosive.
- Sodium bicarbonate: neutralises spills.

3. Personal protective equipment

Wear goggles and a face shield when pouring acids.
"""


def test_a_numbered_line_standing_alone_before_running_text_heads_a_section():
    """A user's procedure numbered its sections: "1. Responsibilities" was joined to the line above it
    as a list's item, "3. Personal protective equipment" to the chemicals list, and each was cited alone
    as the answer ("What protective equipment do I need?" got "3. Personal protective equipment")."""
    paragraphs = segment(PROCEDURE)
    assert [[s.text for s in p.sentences] for p in paragraphs] == [
        ["Acid digestion of soil samples"], ["Environmental Chemistry Laboratory, Room B214"],
        ["1. Responsibilities"], ["The laboratory manager, Dr. Priya Raman, approves new users."],
        ["2. Chemicals used", "- Nitric acid, 65-70%: corrosive.", "- Sodium bicarbonate: neutralises spills."],
        ["3. Personal protective equipment"], ["Wear goggles and a face shield when pouring acids."],
    ]
    assert [p.role for p in paragraphs] == [HEADING, HEADING, HEADING, "", "", HEADING, ""]


def test_a_numbered_line_right_over_its_sections_text_heads_it():
    """A claim letter numbered its sections with the text on the next line: "1. Repairs" was an item of
    a list of its own and no heading, so "What does the courtesy car cost?" had no section to read. A
    wrapped item's line ("back cover.", no sentence's opening) goes on as before."""
    text = ("Claim decision\n\nWe have assessed your claim.\n\n1. Repairs\nOur engineer approved the repairs. "
            "The garage starts on Monday.\n\n2. Courtesy car\nA car is provided for 14 days.\n\n"
            "Steps\n\n1. Remove the four screws on the\nback cover.")
    paragraphs = segment(text)
    assert [[s.text for s in p.sentences] for p in paragraphs] == [
        ["Claim decision"], ["We have assessed your claim."], ["1. Repairs"],
        ["Our engineer approved the repairs.", "The garage starts on Monday."],
        ["2. Courtesy car"], ["A car is provided for 14 days."],
        ["Steps", "1. Remove the four screws on the"], ["back cover."],
    ]
    assert [p.role for p in paragraphs][:6] == [HEADING, "", HEADING, "", HEADING, ""]


def test_a_contracts_numbered_clauses_are_sections_with_their_titles():
    """A storage contract's clauses under "TERMS AND CONDITIONS", one per line with blank lines between:
    one paragraph of 48 sentences, each clause's title ("3. LATE FEES.") a sentence alone, which ranked
    first for "How much is the late fee?" and holds no amount. A list announced by a colon keeps its items."""
    text = ("TERMS AND CONDITIONS\n\n1. TERM. This Agreement is month-to-month, beginning on the Date of Agreement. "
            "Either party may end it by giving the other at least ten (10) days' written notice before the end of a rental month.\n\n"
            "3. LATE FEES. If rent is not received by the 6th day of the month, a late fee of $25.00 will be "
            "charged. A returned-check fee of $35.00 applies to every failed payment, whatever its cause.\n\n"
            "Follow these steps:\n\n1. Check your meter. Compare the reading on the meter with the current reading "
            "on your bill, and write down both numbers with the date and the time you read them.\n\n"
            "2. Turn off every tap. If the small red dial on the meter still moves after ten minutes, you may "
            "have a leak somewhere between the meter and the house.")
    paragraphs = segment(text)
    assert [[s.text for s in p.sentences] for p in paragraphs][:3] == [
        ["TERMS AND CONDITIONS"],
        ["1. TERM. This Agreement is month-to-month, beginning on the Date of Agreement.",
         "Either party may end it by giving the other at least ten (10) days' written notice before the end of a rental month."],
        ["3. LATE FEES. If rent is not received by the 6th day of the month, a late fee of $25.00 will be charged.",
         "A returned-check fee of $35.00 applies to every failed payment, whatever its cause."],
    ]
    assert paragraphs[0].role == HEADING
    assert len(paragraphs) == 4 and paragraphs[3].text.startswith("Follow these steps:") and len(paragraphs[3].sentences) == 5


def test_a_subsections_numbered_title_over_its_indented_text_in_a_wrapped_text_is_a_heading():
    """A printer manual, hard-wrapped: "6.1  The printer does not appear on the network" was glued to the
    first sentence of the text indented under it. A clause's first line that runs to the text's width
    goes on, as before."""
    text = ("SECTION 6. CONNECTIVITY\n\n"
            "6.1  The printer does not appear on the network\n"
            "     Make sure the printer and the computer are on the same 2.4 GHz\n"
            "     or 5 GHz network. Guest networks usually block printing. Print\n"
            "     a Network Configuration Report and check that an IP address is set.\n\n"
            "6.2  After the Minimum Term, a Contract membership continues month to\n"
            "     month and may be cancelled with 30 days' written notice by email.\n")
    paragraphs = segment(text)
    assert [[s.text for s in p.sentences] for p in paragraphs][1:3] == [
        ["6.1  The printer does not appear on the network"],
        ["Make sure the printer and the computer are on the same 2.4 GHz\n     or 5 GHz network.",
         "Guest networks usually block printing.",
         "Print\n     a Network Configuration Report and check that an IP address is set."]]
    assert paragraphs[1].role == HEADING
    assert paragraphs[-1].sentences[0].text.startswith("6.2  After the Minimum Term, a Contract membership continues month to\n")


def test_a_calendars_long_labelled_lines_are_fields_of_their_own():
    """An academic calendar's dates, one "label: date" a line with no full stop: a label of seven words
    ("آخر موعد للانسحاب من مقرر دراسي دون رسوب") was taken for wrapped text and glued the lines under it
    into one sentence, cited for "When do mid-terms start?"."""
    lines = ["الفصل الدراسي الأول", "-------------------",
             "آخر موعد لسداد رسوم الفصل الأول دون غرامة: الخميس 11 سبتمبر 2025م",
             "آخر موعد لسداد رسوم الفصل الثاني دون غرامة: الخميس 12 فبراير 2026م",
             "آخر موعد للانسحاب من مقرر دراسي دون رسوب: الخميس 16 أكتوبر 2025م",
             "اختبارات منتصف الفصل: من الأحد 12 أكتوبر إلى الخميس 23 أكتوبر 2025م",
             "آخر موعد لتقديم طلب التخرج للفصل الأول: الخميس 30 أكتوبر 2025م",
             "آخر موعد لتقديم طلب التخرج للفصل الثاني: الخميس 26 مارس 2026م",
             "حفل التخرج السنوي: الثلاثاء 23 يونيو 2026م، الساعة 7:30 مساءً"]
    sentences = [s.text for p in segment("\n".join(lines)) for s in p.sentences]
    assert sentences == [lines[0], *lines[2:]]


def test_a_field_with_a_long_label_is_a_line_of_its_own_in_wrapped_text():
    """A claim guide wrapped at a width: "Emergency line for burst pipes and break-ins" (45 characters, seven
    words) was no field's label, and its line went on the helpline's, which every burst-pipe answer quoted."""
    text = ("If you disagree with our decision, you can ask for a review by our\nCustomer Relations team, who "
            "will reply in writing within eight weeks\nof receiving your request, and explain how they reached "
            "their\nview of the claim and what you can do next if you are still unhappy\nwith the result.\n\n"
            "CONTACT US\n\nClaims helpline: 0800 046 7719 (Monday to Friday 8am-8pm, Saturday 9am-1pm)\n"
            "Emergency line for burst pipes and break-ins: 0800 046 7700 (24 hours)\n")
    sentences = [s.text for p in segment(text) for s in p.sentences]
    assert sentences[-2:] == ["Claims helpline: 0800 046 7719 (Monday to Friday 8am-8pm, Saturday 9am-1pm)",
                              "Emergency line for burst pipes and break-ins: 0800 046 7700 (24 hours)"]


def test_a_command_announced_by_a_colon_is_no_label():
    """An install guide's commands, short and without a full stop, were headings, and each took the next
    step for its own list's label ("sudo dnf install ..." and "4. Run the wizard." one paragraph)."""
    text = ("1. Install the package. On RHEL, run:\n\n   sudo dnf install ./agent.rpm\n\n2. Run the wizard.\n\n"
            "Opening hours:\n\nMon-Fri 9:00-17:00\n\n```\nagent-cli status\n```\n\n3. Sign in.")
    paragraphs = segment(text)
    assert [[s.text for s in p.sentences] for p in paragraphs] == [
        ["1. Install the package.", "On RHEL, run:"], ["sudo dnf install ./agent.rpm"], ["2. Run the wizard."],
        ["Opening hours:"], ["Mon-Fri 9:00-17:00"], ["agent-cli status"], ["3. Sign in."],
    ]
    assert [p.role for p in paragraphs] == ["", "", "", "", "", "", ""]


def test_a_line_of_code_is_one_sentence_and_a_fence_none():
    """A man page's synopsis was cut at "SOURCE...", and each "```sh" fence was a paragraph of its own."""
    text = ("## SYNOPSIS\n\n```sh\npakrat [OPTIONS] snapshot SOURCE... --repo REPO\nls -la. cd /tmp\n```\n\n"
            "See the examples.")
    assert [[s.text for s in p.sentences] for p in segment(text)] == [
        ["## SYNOPSIS"], ["pakrat [OPTIONS] snapshot SOURCE... --repo REPO"], ["ls -la. cd /tmp"], ["See the examples."]]


@pytest.mark.parametrize(("text", "sentences"), [
    # A loose list (items between blank lines) stays items, its last one too.
    ("1. Download the app\n\n2. Open it\n\nYou are done.", [["1. Download the app", "2. Open it"], ["You are done."]]),
    # A numbered line after a line leading into a list is its item.
    ("Steps:\n\n1. Download the app\n\nThen open it.", [["Steps:", "1. Download the app"], ["Then open it."]]),
])
def test_a_numbered_line_in_a_list_heads_nothing(text, sentences):
    paragraphs = segment(text)
    assert [[s.text for s in p.sentences] for p in paragraphs] == sentences
    assert HEADING not in [p.role for p in paragraphs[1:]]


def test_a_table_is_one_paragraph_with_a_sentence_per_row():
    text = ("The largest producers in 2020.\n| Country | Capacity |\n| --- | --- |\n| Saudi Arabia | 5.6 |\n"
            "| Kuwait | 2.1 |\nCapacity has doubled since 2005.")
    paragraphs = segment(text)
    assert [[s.text for s in p.sentences] for p in paragraphs] == [
        ["The largest producers in 2020."],
        ["| Country | Capacity |", "| Saudi Arabia | 5.6 |", "| Kuwait | 2.1 |"],  # the separator row is no sentence
        ["Capacity has doubled since 2005."],
    ]
    assert [p.role for p in paragraphs] == ["", "", ""]  # a short row is no heading
    assert named_cells("| Country | Capacity |", "| Kuwait | 2.1 |") == "Country: Kuwait; Capacity: 2.1"
    assert named_cells("| Country | |", "| Kuwait | 2.1 |") == "Country: Kuwait; 2.1"  # a nameless column's cell as it is
    assert table_header("| Country | Capacity |\n| --- | :---: |\n| Kuwait | 2.1 |") == "| Country | Capacity |"
    assert table_header("| Kuwait | 2.1 |\n| Oman | 0.4 |") == ""  # no separator row: no header (a long table's rest)


def test_a_dot_leader_joins_a_label_to_its_value_in_one_sentence():
    # A booking's cost summary: cut at the dots, each amount went with the next line's label.
    text = ("رابعًا: ملخص التكلفة\n\nتذاكر الطيران (3 مسافرين) ............ 7,860 ريال\n"
            "ضريبة القيمة المضافة (15% على رسوم الخدمة) ... 22.50 ريال\nالإجمالي ................ 17,002.50 ريال\n\n"
            "يُلغى الحجز تلقائيًا إذا لم يُسدد المبلغ المتبقي. ويرجى الاحتفاظ بهذا التأكيد.")
    paragraphs = segment(text)
    assert [[s.text for s in p.sentences] for p in paragraphs] == [
        ["رابعًا: ملخص التكلفة"],
        ["تذاكر الطيران (3 مسافرين) ............ 7,860 ريال",
         "ضريبة القيمة المضافة (15% على رسوم الخدمة) ... 22.50 ريال",
         "الإجمالي ................ 17,002.50 ريال"],
        ["يُلغى الحجز تلقائيًا إذا لم يُسدد المبلغ المتبقي.", "ويرجى الاحتفاظ بهذا التأكيد."],
    ]
    assert [p.role for p in paragraphs] == ["heading", "", ""]
    (entry,) = segment("Contents\n\nIntroduction ........ 3")[1:]  # a table of contents' line alone: no label
    assert entry.role == "" and entry.sentences[0].text == "Introduction ........ 3"
    # An ellipsis in running text still ends its sentence, and a blank field is still none.
    assert [s.text for s in segment("He waited... 20 minutes passed before the bus came.")[0].sentences] == [
        "He waited...", "20 minutes passed before the bus came."]
    assert segment("الشهود: ..........") == ()


@pytest.mark.parametrize("table, header", [
    # Columns aligned by spaces, a rule under the header (a .txt export, a PDF's text).
    ("  Tier        Points   Lounge access\n  ---------   ------   -------------\n  Blue        0        no\n"
     "  Gold        600      yes, + 1 guest\n", "Tier        Points   Lounge access"),
    # No rule: the header is the row without figures over rows with them.
    ("Cabin / fare family     Miles per mile   Tier Points\nEconomy Light           25%              5\n"
     "Business                200%             40\n", "Cabin / fare family     Miles per mile   Tier Points"),
    # No rule, figures in the header too: its columns have words, and figures alone under them (a ski
    # rental's rows were said without their days: "And for five days?" cited the header).
    ("Package               1 day    3 days\nSport ski package     $49      $135\n"
     "Snowboard package     $52      $144\n", "Package               1 day    3 days"),
    # Cells between bars without the outer bars.
    ("نوع البطاقة    | ثمن الإصدار   | الخصم\n---------------|--------------|------\n"
     "البطاقة العادية | 2.000 دينار  | لا يوجد\nبطاقة الطالب   | 1.000 دينار  | 50%\n", "نوع البطاقة    | ثمن الإصدار   | الخصم"),
    # Bars without a separator row: a weather bulletin's days under the names of its columns (its header
    # was cited as the answer to "What is the weather on Monday?", and no row named its columns).
    ("| اليوم | العظمى/الصغرى (°م) | الرياح |\n| الأحد | 24/13 | شمالية غربية، 10 – 20 كم/س |\n"
     "| الاثنين | 25/14 | جنوبية شرقية، 15 – 25 كم/س |\n", "| اليوم | العظمى/الصغرى (°م) | الرياح |"),
])
def test_a_plain_texts_table_is_a_table(table, header):
    # Line by line, an aligned table's rows were headings or text, each a paragraph of its own, and no row
    # named its columns: "How many Tier Points do I need for Gold?" met "Gold  600  yes".
    text = f"3.1 There are four tiers:\n\n{table}\n3.2 Status is reviewed every year."
    paragraphs = segment(text)
    assert len(paragraphs) == 3
    lead, rows, after = paragraphs
    # The lead ending with a colon heads a table between bars (``_labels_a_table``).
    assert [p.role for p in paragraphs] == ["heading" if is_table_row(table.partition("\n")[0]) else "", "", ""]
    assert [s.text for s in rows.sentences] == [line.strip() for line in table.splitlines() if "---" not in line]
    assert table_header(rows.text) == header
    assert named_cells(header, rows.sentences[-1].text).count(":") == 3
    # Words spaced twice after a full stop do not line up: running text, not a table.
    prose = "It rained.  We left early.\nThe bus was late.  Nobody minded.\nWe sang.  It was fun.\n"
    assert [len(p.sentences) for p in segment(prose)] == [2, 2, 2]
    assert table_header(segment(prose)[0].text) == ""


def test_a_plain_tables_first_row_of_figures_heads_nothing():
    # Figures under figures, words under words: no column sets the first row off from the others.
    rows = "Gold tier        600      50%\nSilver tier      400      30%\nBronze tier      100      10%\n"
    assert table_header(segment(rows)[0].text) == ""
    rooms = "Room 1    2 beds    $90\nRoom 2    1 bed     $70\nRoom 3    3 beds    $120\n"
    assert table_header(segment(rooms)[0].text) == ""
    # A row that leaves a column blank (its last cells) has no figure in it, and breaks nothing.
    blank = ("Package     Code     Notes    1 day\nSport       A1       ok       49\nDemo        B2       late\n"
             "Snowboard   C3       ok       52\n")
    assert table_header(segment(blank)[0].text) == ""


def test_a_plain_tables_cell_may_run_into_the_next_column():
    """A regulation's size table: one species' name ran into the next column ("الجيذر (التونة) ٧٠ سم" with
    one space between), and every row was a paragraph of its own, "ما الحد الأدنى لطول التونة؟" citing the
    header alone. A row whose cell runs over is the table's, named by the whole header; a blank cell
    still breaks the table."""
    table = ("  النوع          الحد الأدنى للطول   الحد اليومي\n  -------------  ------------------  -----------\n"
             "  الكنعد         ٦٥ سم               ٥ أسماك\n  الجيذر (التونة) ٧٠ سم               ٢ سمكة\n"
             "  الكوفر         ٣٥ سم               ٥ أسماك\n")
    (lead, rows) = segment(f"المادة (١٠)\n\n{table}")
    assert [s.text for s in rows.sentences] == [line.strip() for line in table.splitlines() if "---" not in line]
    header = table_header(rows.text)
    assert header.startswith("النوع")
    assert named_cells(header, rows.sentences[1].text) == "النوع: الكنعد; الحد الأدنى للطول: ٦٥ سم; الحد اليومي: ٥ أسماك"
    assert named_cells(header, rows.sentences[2].text) == (
        "النوع / الحد الأدنى للطول / الحد اليومي: الجيذر (التونة) ٧٠ سم; ٢ سمكة")
    assert named_cells(header, rows.sentences[2].text, rows.text) == (
        "النوع / الحد الأدنى للطول: الجيذر (التونة) ٧٠ سم; الحد اليومي: ٢ سمكة")
    # A schedule's last column left blank names no cell of it.
    schedule = "Time    Programme                 Notes\n05:10   Dawn prayer live\n06:30   Cartoons                  repeat\n" \
               "07:15   Documentary               repeat\n"
    (rows,) = segment(schedule)
    assert named_cells(table_header(rows.text), rows.sentences[1].text, rows.text) == (
        "Time: 05:10; Programme: Dawn prayer live")
    blank = "Name     Phone      Room\nAhmed    555-0101   12\nSara                12\nOmar     555-0102   14\n"
    assert [table_header(p.text) for p in segment(blank)] == [""]


def test_a_plain_tables_row_may_stand_off_its_columns_with_a_cell_for_each():
    """A tailor's price list: one price wider than its column ("من 380 إلى 650 ريال" under "السعر") and the
    whole table was one "sentence", "كم مدة تفصيل فستان الزفاف؟" refused beside its header. One row in
    four may stand off when it has a cell for each column; two such rows in five do not make a table."""
    table = ("الصنف                       السعر         مدة التسليم\n"
             "عباية سادة                  150 ريال      8 أيام\n"
             "عباية مطرزة يدوياً           من 380 إلى 650 ريال   15 يوماً\n"
             "فستان سهرة                  400 ريال      14 يوماً\n"
             "جلابية رمضانية              170 ريال      7 أيام\n")
    (rows,) = segment(table)
    assert [s.text for s in rows.sentences] == [line.strip() for line in table.splitlines()]
    assert named_cells(table_header(rows.text), rows.sentences[2].text, rows.text) == (
        "الصنف: عباية مطرزة يدوياً; السعر: من 380 إلى 650 ريال; مدة التسليم: 15 يوماً")
    astray = "Item        Price      Days\nShirt       5 GBP      2\nSuit jacket with lining   12 GBP   4\n" \
             "Coat        9 GBP      3\nEvening gown, hand beaded   40 GBP   9\n"
    assert [len(p.sentences) for p in segment(astray)] == [1]


def test_a_plain_tables_header_out_of_line_with_rows_that_line_up_among_themselves():
    """An optician's lens prices: the column titles centred over narrower figures; the rows line up with
    one another, and each was one "sentence" with the others. Three rows at least: two lines that
    happen to share a gap with a third are no table."""
    table = ("نوع العدسة                     عادية     مضادة للانعكاس    فوتوكروميك\n"
             "أحادية البؤرة 1.56              150         250               450\n"
             "ثنائية البؤرة                   300         420               650\n"
             "متعددة البؤرة – مميزة           1,600       1,900             2,400\n")
    (rows,) = segment(table)
    assert [s.text for s in rows.sentences] == [line.strip() for line in table.splitlines()]
    assert named_cells(table_header(rows.text), rows.sentences[2].text, rows.text) == (
        "نوع العدسة: ثنائية البؤرة; عادية: 300; مضادة للانعكاس: 420; فوتوكروميك: 650")
    few = "Name of the guest      Room\nAhmed    12      2 nights\nSara     14      3 nights\n"
    assert [len(p.sentences) for p in segment(few)] == [1, 1, 1]  # lines, each alone


def test_two_rows_of_four_columns_or_more_are_a_table():
    """A timetable's Saturday trains: two rows each under the other, one "sentence" of both before; two
    lines of two or three cells still need a rule under the first."""
    grid = "Harrowgate dep   08:00   11:00   14:00   17:00\nPellbridge arr   08:54   11:54   14:54   17:54\n"
    assert [len(p.sentences) for p in segment(grid)] == [2]
    pair = "Harrowgate   08:00   11:00\nPellbridge   08:54   11:54\n"
    assert [len(p.sentences) for p in segment(pair)] == [1, 1]  # lines, each alone


def test_two_columns_between_bars_without_a_separator_are_no_header_and_its_value():
    # An infobox's label and value: its first row names no column.
    assert table_header("| Name | Nevado Quellahuasi |\n| Elevation | 5,672 m |\n| First ascent | 1961 |") == ""


def test_a_grid_tables_borders_are_markup():
    # Its borders cut the header from its rows, and the last border went with the list after it, whose
    # first item then read as the list's label.
    text = ("Fees\n\n+--------------+---------+\n| Licence      | Fee     |\n+==============+=========+\n"
            "| Private, 5 y | 200 SAR |\n| Motorcycle   | 150 SAR |\n+--------------+---------+\n\n"
            "* A late fee of 100 SAR a year applies.\n* Fees are not refunded.")
    heading, table, notes = segment(text)
    assert [s.text for s in table.sentences] == ["| Licence      | Fee     |", "| Private, 5 y | 200 SAR |",
                                                 "| Motorcycle   | 150 SAR |"]
    assert table_header(table.text) == "| Licence      | Fee     |"
    assert named_cells(table_header(table.text), table.sentences[2].text) == "Licence: Motorcycle; Fee: 150 SAR"
    assert notes.text.startswith("* A late fee")


def test_a_cell_under_a_blank_name_is_said_as_it_is():
    # An infobox's title row names one column: its rows' values went unsaid ("The Cartographer's
    # Daughter: Music by"), the answer showed the label alone.
    infobox = "| Nevado Quellahuasi | |\n|---|---|\n| Elevation | 6,012 m |\n| Prominence | 1,418 m |"
    (table,) = segment(infobox)
    assert named_cells(table_header(table.text), table.sentences[1].text) == "Nevado Quellahuasi: Elevation; 6,012 m"
    assert named_cells("| | 2023 | 2024 |", "| Revenue | 10 | 12 |") == "Revenue; 2023: 10; 2024: 12"


def test_a_heading_underline_is_markup():
    # Under a heading and over a list, the underline was taken for a list item: it joined the list and made
    # the list's first item its label.
    text = "خامسًا: الديون والأسهم\n--------------------\n- الدين الذي لك تُزكيه كل عام.\n- الأقساط الشهرية يُخصم منها قسط العام.\n"
    (paragraph,) = segment(text)
    assert [s.text for s in paragraph.sentences] == [
        "خامسًا: الديون والأسهم", "- الدين الذي لك تُزكيه كل عام.", "- الأقساط الشهرية يُخصم منها قسط العام."]
    assert labels_a_list(paragraph.text)
    assert [p.role for p in segment("Introduction\n============\n\nThe study ran for a year.")] == ["heading", ""]


def test_a_label_alone_on_its_line_is_one_sentence_with_its_value():
    # "Primary endpoint:" alone was cited as the answer to "What is the primary endpoint?".
    text = ("STUDY SYNOPSIS\n\nPrimary endpoint:\nProportion of participants in remission at Week 12.\n\n"
            "Key secondary endpoints:\na) Endoscopic improvement.\nb) Mucosal healing.\n")
    paragraphs = segment(text)
    assert [[s.text for s in p.sentences] for p in paragraphs] == [
        ["STUDY SYNOPSIS"],
        ["Primary endpoint:\nProportion of participants in remission at Week 12."],
        ["Key secondary endpoints:", "a) Endoscopic improvement.", "b) Mucosal healing."],
    ]
    # A byline is no label of the text's first sentence, and a field's line stays a sentence of its own.
    assert len(segment("الكويت - سعد العجيبان:\nأكد الوزير أن العملية أدت إلى حرف المسار.")) == 2
    assert [s.text for s in segment("Intro.\n\nContact:\nPhone: 555 0100")[1].sentences] == ["Contact:", "Phone: 555 0100"]


def test_records_go_with_the_line_that_leads_into_them():
    # A booking's two flights have the same fields: apart from their header lines, the return flight's
    # arrival could not be told from the outbound one's.
    text = ("الرحلة الأولى (الذهاب):\n  رقم الرحلة: TK 143\n  الوصول: إسطنبول – الساعة 06:50 صباحًا\n\n"
            "الرحلة الثانية (العودة):\n  رقم الرحلة: TK 144\n  الوصول: الرياض – الساعة 23:55 مساءً\n\n"
            "Contact:\nPlease call us.")
    paragraphs = segment(text)
    assert [[s.text for s in p.sentences] for p in paragraphs] == [
        ["الرحلة الأولى (الذهاب):", "رقم الرحلة: TK 143", "الوصول: إسطنبول – الساعة 06:50 صباحًا"],
        ["الرحلة الثانية (العودة):", "رقم الرحلة: TK 144", "الوصول: الرياض – الساعة 23:55 مساءً"],
        ["Contact:\nPlease call us."],  # a sentence after a label's colon is no record: the label's value
    ]


def test_a_records_lines_indented_under_an_item_go_with_it():
    # A directory of centres: apart, each field was a paragraph naming no centre, and the next centre's
    # name went with the phone line above it ("What is the Jeddah centre's phone number?").
    text = ("يمكن مراجعة أحد المراكز التالية:\n\n1) مركز حي الملز، الرياض\n   العنوان: طريق الأمير عبدالرحمن\n"
            "   الهاتف: 011 477 0990\n\n2) مركز حي الروضة، جدة\n   أوقات العمل: الأحد – الخميس\n   الهاتف: 012 665 3311\n\n"
            "Bring your ID.")
    assert [[s.text for s in p.sentences] for p in segment(text)] == [
        ["يمكن مراجعة أحد المراكز التالية:"],
        ["1) مركز حي الملز، الرياض", "العنوان: طريق الأمير عبدالرحمن", "الهاتف: 011 477 0990"],
        ["2) مركز حي الروضة، جدة", "أوقات العمل: الأحد – الخميس", "الهاتف: 012 665 3311"],
        ["Bring your ID."],
    ]


def test_a_short_label_over_records_leads_into_them():
    # A lease's two parties have the same fields; apart from their labels, "Who is the landlord?" found
    # neither name.
    text = ("تم الاتفاق بين كل من:\n\nالفريق الأول (المؤجر)\nالاسم: خالد محمود النسور\nالهاتف: 0795 412 236\n\n"
            "الفريق الثاني (المستأجر)\nالاسم: رامي سليم الحداد\nالهاتف: 0778 305 919")
    assert [[s.text for s in p.sentences] for p in segment(text)] == [
        ["تم الاتفاق بين كل من:"],
        ["الفريق الأول (المؤجر)", "الاسم: خالد محمود النسور", "الهاتف: 0795 412 236"],
        ["الفريق الثاني (المستأجر)", "الاسم: رامي سليم الحداد", "الهاتف: 0778 305 919"],
    ]
    # The text's first line stays its title over the fields under it.
    first = segment("Customer chat log\nChat ID: CH-58213407\nDate: 14 May 2024")[0]
    assert first.role == HEADING and [s.text for s in first.sentences] == ["Customer chat log"]


def test_an_entrys_lines_indented_under_its_dot_leader_go_with_it():
    # A menu: each dish was its name and price alone, and "What's in the fisherman's pie?" was answered
    # with the price; an opening hour with a note in brackets was cut at the dots, and Sunday's label went
    # with Saturday's hours.
    text = ("OPENING HOURS\n  Monday ........................ Closed\n"
            "  Friday – Saturday ............. 12:00 – 22:30 (kitchen closes 21:30)\n"
            "  Sunday ........................ 12:00 – 18:00 (roasts served until sold out)\n\n"
            "We cannot guarantee that any dish is completely free from traces of nuts, and we ask every\n"
            "guest to tell the server about any allergy or intolerance before they order their food.\n\n"
            "FROM THE SEA\n"
            "Fisherman's Pie ...................................... £18.25\n"
            "  Salmon, smoked haddock and king prawns in a white wine and dill sauce,\n"
            "  topped with mature Cheddar mash.\n  (F)(C)(D)(SU)\n\n"
            "Beer-Battered Haddock & Chips ........ regular £16.50 / large £19.50\n  Line-caught North Sea haddock.")
    paragraphs = segment(text)
    sentences = [[s.text for s in p.sentences] for p in paragraphs]
    assert sentences[1:2] + sentences[5:] == [
        ["Monday ........................ Closed",
         "Friday – Saturday ............. 12:00 – 22:30 (kitchen closes 21:30)",
         "Sunday ........................ 12:00 – 18:00 (roasts served until sold out)"],
        ["Fisherman's Pie ...................................... £18.25",
         # (a text this short is not taken for a hard-wrapped one: each line is a sentence)
         "Salmon, smoked haddock and king prawns in a white wine and dill sauce,", "topped with mature Cheddar mash.",
         "(F)(C)(D)(SU)"],
        ["Beer-Battered Haddock & Chips ........ regular £16.50 / large £19.50", "Line-caught North Sea haddock."],
    ]
    assert sentences[4] == ["FROM THE SEA"]


def test_a_title_in_bold_before_a_name_ends_no_sentence():
    # "**د." was cut from the name it titles: the office went with "د." and the name lost it.
    text = ("والله ولي التوفيق.\n\n**رئيس الجهاز المركزي للتنظيم والإدارة**\n**د. حسام الدين فؤاد عبد الغني**\n\n"
            "Kitchen & Bar · Est. 2011")
    assert [[s.text for s in p.sentences] for p in segment(text)][1:] == [
        ["**رئيس الجهاز المركزي للتنظيم والإدارة**\n**د. حسام الدين فؤاد عبد الغني**"], ["Kitchen & Bar · Est. 2011"]]
    # A reverend's name, and a deadline's time zone, go on their sentence.
    assert [s.text for s in segment("- Rev. Samuel Brooks asked the Council to act. Apply by 11:59 p.m. ET on 10 January. "
                                    "We close at 7 p.m. The next day we open at 9.")[0].sentences] == [
        "- Rev. Samuel Brooks asked the Council to act.", "Apply by 11:59 p.m. ET on 10 January.", "We close at 7 p.m.",
        "The next day we open at 9."]
    # An extension's number goes with its phone number.
    assert [s.text for s in segment("Call our nurses at (541) 555-0183, ext. 2, or e-mail us. Tel. 01947 602 338.")[0].sentences] == [
        "Call our nurses at (541) 555-0183, ext. 2, or e-mail us.", "Tel. 01947 602 338."]


def test_a_numbered_line_after_a_rule_heads_a_new_section():
    # Under the rule after a list of steps, "8. TROUBLESHOOTING" was the list's last step.
    text = ("To descale the machine:\n5. Press 2 CUP to start.\n6. Rinse the tank.\n\n=======================\n\n"
            "8. TROUBLESHOOTING\n\nPROBLEM          | CAUSE          | SOLUTION\n"
            "---------------- | -------------- | --------------\nNo coffee        | Empty tank     | Fill the tank\n"
            "Weak coffee      | Coarse grind   | Grind finer\n")
    paragraphs = segment(text)
    assert [p.sentences[0].text for p in paragraphs if p.role == HEADING] == ["8. TROUBLESHOOTING"]
    assert [s.text for s in paragraphs[0].sentences] == [
        "To descale the machine:", "5. Press 2 CUP to start.", "6. Rinse the tank."]


def test_an_underlined_line_heads_its_section_whatever_it_ends_with():
    # A closing bracket ends a field's value; over an underline it ends a heading, and the table under
    # "PUPPY SCHEDULE (DOGS)" was no puppy's.
    text = ("Vaccines protect your pet.\n\nPUPPY SCHEDULE (DOGS)\n---------------------\nAge | Vaccine | Notes\n"
            "6 weeks | DHPP #1 | First exam\n\nCALL US IF YOU SEE:\n-------------------\nSwelling of the face.\n\n"
            "Chat ID: 58213407\nDept: Billing\n-------------\nAgent: Hello.")
    roles = {p.sentences[0].text: p.role for p in segment(text)}
    assert roles["PUPPY SCHEDULE (DOGS)"] == HEADING and roles["CALL US IF YOU SEE:"] == HEADING
    assert roles["Age | Vaccine | Notes"] == "" and roles["Dept: Billing"] == ""  # a field over a rule heads nothing


def test_a_line_in_capitals_heads_its_section_whatever_it_ends_with():
    # A price list in plain text: its tables' titles, one with a note in brackets, one of nine words, were
    # statements, and "Monthly season ticket to Eastbrook?" cited the title over the row.
    text = ("Valid from 2 January 2025.\n\nWEEKLY, MONTHLY AND ANNUAL SEASON TICKETS FROM HARLOW CENTRAL\n\n"
            "Destination     Weekly     Monthly\n------------------------------------\n"
            "Ashby Road      £28.40     £109.10\nEastbrook       £64.30     £246.90\n\n"
            "FLEXI SEASON (8 DAYS IN 28)\n\nEight days of travel within 28 days.\n\n"
            "Call us: 0345 600 7721 (8am to 8pm)\n\nWe reply within a day.\n\nID CARD REQUIRED.\n\nBring it along.")
    roles = {p.sentences[0].text: p.role for p in segment(text)}
    assert roles["WEEKLY, MONTHLY AND ANNUAL SEASON TICKETS FROM HARLOW CENTRAL"] == HEADING
    assert roles["FLEXI SEASON (8 DAYS IN 28)"] == HEADING
    # A field's value in brackets and a statement in capitals head nothing.
    assert roles["Call us: 0345 600 7721 (8am to 8pm)"] == "" and roles["ID CARD REQUIRED."] == ""


def test_a_line_in_capitals_heads_with_its_note_in_brackets_and_its_units_in_small_letters():
    """A results sheet's captions answered "Who won the women's race?" as statements, over their rows."""
    text = ("WOMEN (ALL CATEGORIES) - 56.8 km (2 laps)\n\nPos  Rider          Time\n1    Emily Carter   1:38:22\n"
            "2    Sophie Nair    1:38:50\n\nKING OF THE MOUNTAINS (Surprise View climb, each lap)\n\n"
            "Pos  Rider          Points\n1    Oliver Brandt  13\n\nWomen only (see the rules).\n\nAll riders start.")
    roles = {p.sentences[0].text: p.role for p in segment(text)}
    assert roles["WOMEN (ALL CATEGORIES) - 56.8 km (2 laps)"] == HEADING
    assert roles["KING OF THE MOUNTAINS (Surprise View climb, each lap)"] == HEADING
    # Small letters outside the brackets: no line in capitals.
    assert roles["Women only (see the rules)."] == ""


def test_a_numbered_line_over_an_underline_heads_a_section():
    # Under a list, "4. A TYPICAL MORNING" was taken for the list's last item; "3a." for a sentence.
    text = ("3a. Documents to return by Friday:\n  - Copy of birth certificate\n  - Consent form\n\n"
            "4. A TYPICAL MORNING\n--------------------\nThe day starts at 8:30 with free play.")
    paragraphs = segment(text)
    assert [[s.text for s in p.sentences] for p in paragraphs] == [
        ["3a. Documents to return by Friday:", "- Copy of birth certificate", "- Consent form"],
        ["4. A TYPICAL MORNING"], ["The day starts at 8:30 with free play."]]
    assert [p.role for p in paragraphs] == ["", HEADING, ""]
    # Over a list it stays alone: the list under it was one paragraph with it, every item a heading's
    # sentence (a campsite's "We do not accept stag or hen parties." was never an answer).
    quiet = "4. QUIET HOURS\n-------------\n\n* Quiet hours are 10:30pm to 7:30am.\n* No stag or hen parties."
    assert [(p.role, len(p.sentences)) for p in segment(quiet)] == [(HEADING, 1), ("", 2)]


def test_a_numbered_line_before_a_table_or_fields_heads_a_section():
    # An insurance schedule's "10. HOW TO MAKE A CLAIM" over its aligned lines was running text, cited as
    # the answer to "What number do I call to make a claim?".
    text = ("9. ENDORSEMENTS\n\nE04 applies to flat roofs.\n\n10. HOW TO MAKE A CLAIM\n\n"
            "   Claims line               0345 602 7700\n   Home emergency helpline   0800 118 4632\n"
            "   Legal advice helpline     0345 602 7755\n")
    assert [p.role for p in segment(text)] == [HEADING, "", HEADING, ""]


def test_a_signatures_name_and_title_are_one_sentence():
    # Apart, the title was a heading with nothing under it, and "من هو رئيس مجلس الإدارة؟" cited the
    # chairman's letter instead of his name.
    text = ("## كلمة رئيس مجلس الإدارة\n\nوأتقدم بالشكر إلى جميع موظفينا على جهودهم.\n\n"
            "**عبد الله بن راشد الكعبي**\n**رئيس مجلس الإدارة**\n\n## الأداء المالي\n\nارتفعت الإيرادات.\n\n"
            "Thanks,\nPriya")
    paragraphs = segment(text)
    assert [([s.text for s in p.sentences], p.role) for p in paragraphs] == [
        (["## كلمة رئيس مجلس الإدارة"], HEADING),
        (["وأتقدم بالشكر إلى جميع موظفينا على جهودهم."], ""),
        (["**عبد الله بن راشد الكعبي**\n**رئيس مجلس الإدارة**"], ""),
        (["## الأداء المالي"], HEADING),
        (["ارتفعت الإيرادات."], ""),
        (["Thanks,\nPriya"], ""),
    ]
    # "أ." alone is a title (أستاذة), no list's letter: the principal's name and title are one sentence too.
    assert [s.text for p in segment("نص الرسالة.\n\nأ. هيفاء بنت محمد الزهراني\nمديرة المدرسة\n\nالأنشطة")
            for s in p.sentences] == ["نص الرسالة.", "أ. هيفاء بنت محمد الزهراني\nمديرة المدرسة", "الأنشطة"]
    # A title over a subtitle opening the text, and a heading over its text, stay apart.
    assert [p.role for p in segment("PART ONE\nThe Storm\n\nIt rained all night.")] == [HEADING, HEADING, ""]
    assert len(segment("Intro.\n\nOpening hours\nThe library opens at nine.")) == 3


def test_a_signature_of_three_lines_at_the_texts_end_is_one_sentence():
    # Apart, "Company Secretary" was a heading, and "Who is the company secretary?" was answered with the
    # date under it.
    text = "The meeting starts at 11:00.\n\nBy order of the Board\n\nCatherine Moyo\nCompany Secretary\n2 May 2025"
    assert [s.text for p in segment(text) for s in p.sentences][-1] == "Catherine Moyo\nCompany Secretary\n2 May 2025"
    # Not in the middle of the text, nor more than four lines.
    for text in ("Intro.\n\nCatherine Moyo\nCompany Secretary\n2 May 2025\n\nThe agenda follows.",
                 "Intro.\n\nCatherine Moyo\nCompany Secretary\nBoard Office\nLondon\n2 May 2025"):
        assert not any("Catherine" in s.text and "2 May" in s.text for p in segment(text) for s in p.sentences)


def test_a_letters_closing_and_the_name_and_titles_under_it_are_one_sentence():
    # A volunteer roster e-mail: apart, "Best wishes," and the name were headings, and "Who is the volunteer
    # coordinator?" had no sentence to cite.
    signature = "Best wishes,\nPriya Raman\nVolunteer Coordinator\nRiverside Community Food Bank"
    text = f"Thanks again for your help.\n\n{signature}\nRegistered charity no. 1187345\nTel: 01632 960 771\n"
    sentences = [s.text for p in segment(text) for s in p.sentences]
    assert sentences[0] == "Thanks again for your help." and sentences[1].startswith(signature)
    assert [s.text for p in segment("نص الرسالة.\n\nمع خالص التحية،\nأ. هيفاء الزهراني\nمديرة المدرسة\n")
            for s in p.sentences] == ["نص الرسالة.", "مع خالص التحية،\nأ. هيفاء الزهراني\nمديرة المدرسة"]
    # A way to reach the one who signed goes with the name (an e-mail thread's "What is the phone number for
    # Oakline customer care?" was refused, the "Tel:" line nobody's); four lines at most.
    for signature in ("Kind regards,\nPriya Desai\nCustomer Care Team, Oakline Furniture\nTel: 0116 496 0283",
                      "مع التحية،\nسارة الحربي\nالبريد الإلكتروني: sara@example.org"):
        assert [s.text for p in segment(f"Thanks.\n\n{signature}\n") for s in p.sentences] == ["Thanks.", signature]
    # A greeting over the letter's first sentence stays apart from it.
    assert len(segment("Hi everyone,\nThe roster is ready and the shifts are below for all of you.")) == 2


def test_a_name_and_title_under_a_label_are_one_sentence_with_it():
    # An elevator certificate's "Approved by:" over its inspector's name and title: apart, the label was a
    # sentence of its own, and "Who approved the certificate?" cited it.
    for lines in ("Approved by:\n  Linda Park, P.E.\n  Chief Elevator Inspector, City of Riverton",
                  "Approved by:\nLinda Park, P.E.\nChief Elevator Inspector, City of Riverton",
                  "اعتمده:\n  م. خالد العتيبي\n  مدير إدارة السلامة"):
        text = f"The lift passed its inspection.\n\n{lines}\n\nQuestions go to the Bureau."
        assert [[s.text for s in p.sentences] for p in segment(text)] == [
            ["The lift passed its inspection."], [lines], ["Questions go to the Bureau."]]
    # Three names under a label are its list, and so are two lines with more after them.
    board = "Board members:\n  David Brennan (Treasurer)\n  Sara Ali (Chair)\n  Tom Hale (Secretary)"
    assert [len(p.sentences) for p in segment(f"Intro.\n\n{board}\n\nMore text.")] == [1, 4, 1]
    assert [len(p.sentences) for p in segment("Intro.\n\nSteps:\n  Open the lid\n  Fill the tank\n  "
                                              "Close it\n\nMore text.")] == [1, 4, 1]


def test_a_bold_title_over_fields_heads_them_in_a_hard_wrapped_text():
    # A catalogue's works: a bold title over its fields. In a text wrapped at a width, the title, long for
    # a label there, took the first field into its sentence, and the others, apart, named no work.
    intro = ("The exhibition brings together nine works by six calligraphers from Jordan,\nIraq, Turkey and "
             "Palestine, and this guide gives for each work its script,\nits materials, its size and its price "
             "where it is offered for sale, so that\nvisitors can find their way around the two halls without "
             "a printed map and\nbuy a work at the desk by the entrance before the exhibition closes.\n\n")
    work = ('**Work 2 – "Illuminated Manuscripts of Andalusia"**\nCalligrapher: Mehmet Ozcay\n'
            "Script: Thuluth and Naskh\nPrice: 3,200 JOD")
    assert [[s.text for s in p.sentences] for p in segment(intro + work)][1] == work.split("\n")


def test_a_line_wholly_in_italics_is_no_heading():
    # A review's byline: a heading, it could never be cited for "Who wrote the review?".
    text = "# Review: Sigmar 35mm\n\n*By Daniel Okafor, published 12 September 2024*\n\nI shot with it for weeks."
    assert [p.role for p in segment(text)] == [HEADING, "", ""]
    assert [p.role for p in segment("Intro.\n\n_Prices include VAT_\n\nA coffee is 3 euros.")] == ["", "", ""]
    # Bold is a heading's mark still.
    assert [p.role for p in segment("Intro.\n\n**Prices**\n\nA coffee is 3 euros.")] == ["", HEADING, ""]


def test_a_definition_lists_entry_is_one_sentence_with_its_term():
    """A man page's options: the term alone was a heading, and "Which option skips directories with a
    CACHEDIR.TAG file?" cited the definition without the option; "Default: 4." was a sentence apart."""
    text = ("### Options\n\n`-j`, `--jobs` *N*\n: Number of parallel upload workers. Default: 4.\n\n"
            "`--exclude-caches`\n: Skip directories containing a `CACHEDIR.TAG` file.\n\n"
            "الطرفية\n: برنامج يقرأ الأوامر. ويعرض نتائجها.\n: وتسمى أيضاً سطر الأوامر.")
    paragraphs = segment(text)
    assert [[s.text for s in p.sentences] for p in paragraphs] == [
        ["### Options"],
        ["`-j`, `--jobs` *N*\n: Number of parallel upload workers. Default: 4."],
        ["`--exclude-caches`\n: Skip directories containing a `CACHEDIR.TAG` file."],
        ["الطرفية\n: برنامج يقرأ الأوامر. ويعرض نتائجها.\n: وتسمى أيضاً سطر الأوامر."],
    ]
    assert [p.role for p in paragraphs] == [HEADING, "", "", ""]
    # A definition too long for one sentence is cut into its sentences, its term with the first.
    long = "Term\n: " + " ".join(["This sentence is long enough."] * 15)
    assert [s.text for s in sentences_of(segment(long))][:2] == ["Term\n: This sentence is long enough.",
                                                                "This sentence is long enough."]
    # A colon opening a line after a blank line, or in code, is no definition.
    assert [s.text for s in sentences_of(segment("Term\n\n: a note."))] == ["Term", ": a note."]


def test_a_lower_case_name_after_a_bracket_opens_a_sentence():
    text = "It may be a bucket (`s3://bucket/prefix`). pakrat never modifies chunks. See (below). npm works."
    assert [s.text for s in sentences_of(segment(text))] == [
        "It may be a bucket (`s3://bucket/prefix`).", "pakrat never modifies chunks.", "See (below).", "npm works."]
    assert len(sentences_of(segment("Open from 5 p.m. to 9 p.m. daily."))) == 1


@pytest.mark.parametrize("set_name", ["arcd", "xquad-r"])
def test_hard_wrapped_text_gives_the_sentences_of_its_paragraphs(set_name):
    """Markdown, e-mail and exported notes break lines at a width: a line break inside a paragraph is
    no sentence's end. The hand-checked paragraphs, wrapped at 72 columns with a blank line between
    them, give the same sentences as one paragraph per line (whitespace aside)."""
    entries = [e for e in json.loads(BOUNDARIES.read_text(encoding="utf-8"))["texts"] if e["set"] == set_name]
    texts = [_texts(set_name)[e["paragraph"]] for e in entries]
    flat = lambda paragraphs: [" ".join(s.text.split()) for p in paragraphs for s in p.sentences]  # noqa: E731
    wrapped = "\n\n".join(textwrap.fill(text, 72) for text in texts)
    assert flat(segment(wrapped)) == flat(segment("\n".join(texts)))
    assert len(segment(wrapped)) == len(segment("\n".join(texts)))  # the same paragraphs (long ones cut alike)


def test_records_lines_in_a_wrapped_text_stay_lines_of_their_own():
    """A spec sheet's fields and an agenda's rows end with no full stop, as wrapped lines do: they were
    glued into one sentence ("What is the battery capacity?" quoted four fields). Two record lines in a
    row stay apart; the wrapped prose around them still joins; a row of cells is one sentence."""
    text = ("The Nova X5 is the maker's first phone with a titanium frame, and it is sold in three colours\n"
            "from the first of September in all of its usual shops and online.\n\n"
            "Screen: 6.7 inch AMOLED panel with a 120 Hz refresh rate\n"
            "Battery: 5000 mAh with 67 W wired charging support\n"
            "الوزن: 201 غرام مع الغطاء الخلفي المصنوع من الزجاج المقوى\n\n"
            "09:00 - 09:30 | Tejo Auditorium | Welcome address by Ana Ferreira\n"
            "13:30 - 15:00 | Tejo Auditorium | Panel: Who owns street data? Moderated by Sofia Costa\n\n"
            "Workshops have thirty seats each and must be booked in advance through the app, which\n"
            "opens a week before the summit and closes when the seats are gone, so book early if\n"
            "you can.\n")
    sentences = [" ".join(s.text.split()) for p in segment(text) for s in p.sentences]
    assert sentences == [
        "The Nova X5 is the maker's first phone with a titanium frame, and it is sold in three colours from the "
        "first of September in all of its usual shops and online.",
        "Screen: 6.7 inch AMOLED panel with a 120 Hz refresh rate",
        "Battery: 5000 mAh with 67 W wired charging support",
        "الوزن: 201 غرام مع الغطاء الخلفي المصنوع من الزجاج المقوى",
        "09:00 - 09:30 | Tejo Auditorium | Welcome address by Ana Ferreira",
        "13:30 - 15:00 | Tejo Auditorium | Panel: Who owns street data? Moderated by Sofia Costa",
        "Workshops have thirty seats each and must be booked in advance through the app, which opens a week "
        "before the summit and closes when the seats are gone, so book early if you can.",
    ]


def test_one_paragraph_per_line_is_not_taken_for_wrapping(article_text):
    """The article ends nearly every line with a full stop: each line stays a paragraph."""
    assert len(segment(article_text)) == len([line for line in article_text.splitlines() if line.strip()])


def test_a_wrapped_list_item_goes_on_at_its_next_line():
    """Markdown wraps a long item onto indented lines: "- **store.py** — paragraph, sentence and\n  English
    nodes ..." was an item cut in two, its second half a paragraph of its own."""
    text = ("The pipeline runs one module per stage, each found by its file name, and wired in one place so\n"
            "that a newcomer can read it in an afternoon; the stages it passes through are these, in order:\n"
            "- **segmentation.py** cuts paragraphs and sentences with exact offsets, so that every quote\n"
            "  can be checked against its source.\n"
            "- **store.py** keeps paragraph, sentence and rendering nodes in a Chroma collection, with\n"
            "  the index parameters beside them.\n"
            "- **retrieval.py** ranks passages first and then the sentences inside them, fusing dense and\n"
            "  lexical scores.\n")
    paragraphs = segment(text)
    assert [[" ".join(s.text.split()) for s in p.sentences] for p in paragraphs] == [[
        "The pipeline runs one module per stage, each found by its file name, and wired in one place so that a "
        "newcomer can read it in an afternoon; the stages it passes through are these, in order:",
        "- **segmentation.py** cuts paragraphs and sentences with exact offsets, so that every quote can be "
        "checked against its source.",
        "- **store.py** keeps paragraph, sentence and rendering nodes in a Chroma collection, with the index "
        "parameters beside them.",
        "- **retrieval.py** ranks passages first and then the sentences inside them, fusing dense and lexical "
        "scores.",
    ]]


def test_a_heading_kept_with_its_list_is_told_from_a_sentence_that_leads_into_it():
    for text in ("## Keyboard shortcuts\n\n- Ctrl+N creates a new note.\n- Ctrl+Alt+P pins a note.",
                 "سادساً: الموازنة والإنفاق\n1. بلغت الموازنة 312 مليون دينار.\n2. استحوذت مشاريع المياه على 46%.",
                 "البند السادس: التزامات الطرف الأول (المؤجر)\n1. تسليم الشقة صالحة للاستعمال.\n2. صيانة المصعد."):
        (paragraph,) = segment(text)
        assert labels_a_list(paragraph.text), text
    # A record's name in bold over its fields (the text's first line is its title: after an intro here).
    assert labels_a_list(segment("Intro.\n\n**Work 7 – Nun**\nCalligrapher: Samer Khatib\nMaterial: copper")[1].text)
    assert labels_a_list(segment("Intro.\n\n### IELTS Preparation\nHours: 20 per week\nTeacher: Siobhan Keane")[1].text)
    # And a line in capitals over them (a results sheet's: "What was the fastest men's lap?" cited it).
    sheet = "Intro.\n\nFASTEST LAP\nMen:   Thomas Reid, lap 3, 40:51\nWomen: Emily Carter, 48:44"
    assert labels_a_list(segment(sheet)[1].text)
    for text in ("The company provides:\n- a laptop\n- a headset",  # leads into its list
                 "Opening hours\nThe library opens at nine.",  # no list
                 "1. Download the installer.\n2. Sign in.",  # a list without a label
                 "Registered in England, Company No. 08473215\nRegistered office: 42 Harcourt Street"):  # says it
        assert not any(labels_a_list(p.text) for p in segment(text)), text


def test_a_short_note_in_brackets_goes_with_the_sentence_before_it():
    text = ("- `tess-admin audit export` writes the audit log to CSV. (#2214)\n"
            "- Upload progress showed over 100% for large files. (Windows only)\n"
            "- Thumbnails were rotated. (See the FAQ.) Rotation is fixed.")
    assert [s.text for s in sentences_of(segment(text))] == [
        "- `tess-admin audit export` writes the audit log to CSV. (#2214)",
        "- Upload progress showed over 100% for large files. (Windows only)",
        "- Thumbnails were rotated.", "(See the FAQ.)", "Rotation is fixed."]


def test_a_markdown_headings_line_is_one_sentence():
    (heading, answer) = segment("### س6: كيف أسجّل؟ وهل أحتاج إلى مراجعة أحد الفروع؟\n\nج: يتم التسجيل إلكترونيًا.")
    assert [s.text for s in heading.sentences] == ["### س6: كيف أسجّل؟ وهل أحتاج إلى مراجعة أحد الفروع؟"]
    assert heading.role == "heading"


def test_lines_indented_under_a_label_are_its_list():
    text = ("Board of Trustees (as at 31 March 2024):\n"
            "  Dr Alan Whitcombe (Chair)\n"
            "  David Brennan (Treasurer, from 14 November 2023)\n"
            "  Revd. Claire Mott\n"
            "  Laura Fenwick\n\n"
            "Trustees are unpaid.")
    board, unpaid = segment(text)
    assert [s.text for s in board.sentences] == [
        "Board of Trustees (as at 31 March 2024):", "Dr Alan Whitcombe (Chair)",
        "David Brennan (Treasurer, from 14 November 2023)", "Revd. Claire Mott", "Laura Fenwick"]
    assert board.role == "" and unpaid.text == "Trustees are unpaid."
    # One line alone under its label is the label's value: one sentence with it.
    _, endpoint = segment("The trial is randomised.\n\nPrimary endpoint:\n  Clinical remission at Week 12.")
    assert len(endpoint.sentences) == 1


def test_section_labels_figures_and_titles_in_plain_text():
    text = ("الباب الأول: أحكام عامة\n\nالمادة (1): التعريفات\nيُقصد بالجامعة جامعة الملك فهد.\n\n"
            "2.3 Adult Reading Skills (ARS)\nA 12-week course for adults, run with Northfield College.\n\n"
            "Net surplus for the year        £50,220      £31,240\n\nReserves stood at £118,600.\n\n"
            "Panel: Eng. Saif Al-Harthy (moderator). Timetable ref. GWR-HW-04/24 applies.")
    roles = {p.sentences[0].text: p.role for p in segment(text)}
    assert roles["الباب الأول: أحكام عامة"] == "heading"
    assert roles["2.3 Adult Reading Skills (ARS)"] == "heading"
    assert roles["Net surplus for the year        £50,220      £31,240"] == ""
    assert "Panel: Eng. Saif Al-Harthy (moderator)." in roles
    assert any(s.text == "Timetable ref. GWR-HW-04/24 applies." for s in sentences_of(segment(text)))


def test_a_companys_name_and_amounts_set_right():
    (release,) = segment("Veranox Systems, Inc. (NASDAQ: VRNX) reported results. It was bought by Apple Inc. The deal closed.")
    assert [s.text for s in release.sentences] == [
        "Veranox Systems, Inc. (NASDAQ: VRNX) reported results.", "It was bought by Apple Inc.", "The deal closed."]
    table = ("4. Settlement summary\n\n"
             "  Item                                   Amount\n"
             "  -------------------------------------  ---------\n"
             "  Agreed repair cost (incl. VAT)         £3,212.75\n"
             "  Travel to GP and physiotherapy            £38.40\n"
             "  Payable to you                           £448.39\n")
    rows = segment(table)[1]
    assert table_header(rows.text).split() == ["Item", "Amount"] and len(rows.sentences) == 4


def test_a_plain_tables_ruled_header_a_day_after_am_and_a_labels_full_stop():
    rules = ("Fines are added to the next month's rent statement. Schedule:\n\n"
             "   Violation                                   First     Repeat\n"
             "   ---------------------------------------------------------------\n"
             "   Noise during quiet hours                    $50       $100\n"
             "   Unregistered pet                            $200      $400\n"
             "   Pet waste not picked up                     $50       $100\n")
    table = segment(rules)[1]
    assert table.role == "" and table_header(table.text).split() == ["Violation", "First", "Repeat"]
    assert len(table.sentences) == 4
    (hours,) = segment("Quiet hours are 10:00 p.m. to 7:00 a.m. Sunday through Thursday, and later on Fridays.")
    assert len(hours.sentences) == 1
    fields = segment("Intro line here.\n\n**Accession no.:** 25-077-3391\n\nFlags: H is high.")
    assert [p.role for p in fields] == ["", "", ""]


def test_leader_lines_with_long_labels_or_values_and_numbered_question_turns():
    points = ("Points are awarded as follows:\n"
              "  Win ......................... 3 points\n"
              "  Forfeit (winning side) ...... 3 points, recorded as 3-0\n"
              "  Forfeit (forfeiting side) ... minus 1 point\n")
    (paragraph,) = segment(points)
    assert [s.text for s in paragraph.sentences][1:] == [
        "Win ......................... 3 points", "Forfeit (winning side) ...... 3 points, recorded as 3-0",
        "Forfeit (forfeiting side) ... minus 1 point"]
    clarifications = ("السؤال (1): ما عدد المباني المشمولة بالعطاء؟ وهل تتوفر مخططات لها؟\n"
                      "الجواب: يشمل العطاء 14 مبنًى موزعة على أربع مناطق.\n")
    question, answer = segment(clarifications)
    assert question.role == "heading" and answer.role == ""


def test_a_label_over_dot_leaders_and_a_place_named_by_a_letter():
    tariff = ("2. TARIFF\n\nShort Stay (Zone A)\n  Up to 30 minutes ............. GBP 5.00\n"
              "  1 - 2 hours .................. GBP 12.00\n\nMid Stay (Zone B)\n  Up to 24 hours ............... GBP 29.00\n")
    _, short, mid = segment(tariff)
    assert [s.text for s in short.sentences] == ["Short Stay (Zone A)", "Up to 30 minutes ............. GBP 5.00",
                                                 "1 - 2 hours .................. GBP 12.00"]
    assert mid.sentences[0].text == "Mid Stay (Zone B)"
    text = "Rapid chargers are in Zone B. Charging is billed per kWh. George W. Bush opened it."
    assert [s.text for s in sentences_of(segment(text))] == [
        "Rapid chargers are in Zone B.", "Charging is billed per kWh.", "George W. Bush opened it."]


def test_a_plain_tables_header_typed_off_its_rows_and_totals_ruled_off_under_them():
    """A dental price list's header stood three places right of every row under it (typed apart), and
    each of its six tables was one "sentence", its prices refused for holding no one amount; a removal
    quote's totals under a rule left the quantity's column blank, and its six items were one sentence.
    Both are tables now, each row a sentence; so is one under a header off by different amounts, its
    rows lined up among themselves (``test_a_plain_tables_header_out_of_line_with_rows_that_line_up_among_themselves``)."""
    prices = ("الخدمة                                   السعر (ريال)     المدة التقريبية\n"
              "تبييض الأسنان بالليزر                       1,500            90 دقيقة\n"
              "تبييض منزلي (قوالب وجل)                     800              أسبوعان\n"
              "تاج زيركون                                  1,300            زيارتان\n")
    (table,) = segment(prices)
    assert [s.text for s in table.sentences] == [line.strip() for line in prices.splitlines()]
    assert named_cells(table_header(table.text), table.sentences[1].text) == (
        "الخدمة: تبييض الأسنان بالليزر; السعر (ريال): 1,500; المدة التقريبية: 90 دقيقة")
    uneven = prices.replace("السعر (ريال)     ", "السعر (ريال)  ", 1)  # the third column off by three more
    assert len(segment(uneven)[0].sentences) == 4
    quote = ("PRICE BREAKDOWN\n\n"
             "  Item                                          Qty       Price (GBP)\n"
             "  ------------------------------------------------------------------\n"
             "  Removal service (lorry + 3 crew, 1 day)       1           £1,180.00\n"
             "  Full packing service (day before move)        1             £420.00\n"
             "  Wardrobe cartons (hanging garments)           4              £36.00\n"
             "  ------------------------------------------------------------------\n"
             "  Subtotal                                                  £1,636.00\n"
             "  VAT at 20%                                                  £327.20\n"
             "  TOTAL                                                     £1,963.20\n")
    heading, rows = segment(quote)
    assert [s.text.split("  ")[0] for s in rows.sentences] == [
        "Item", "Removal service (lorry + 3 crew, 1 day)", "Full packing service (day before move)",
        "Wardrobe cartons (hanging garments)", "Subtotal", "VAT at 20%", "TOTAL"]
    assert row_header(rows.text, rows.sentences[1].text).split() == ["Item", "Qty", "Price", "(GBP)"]
    assert row_header(rows.text, rows.sentences[5].text) == ""  # a total names no item
    # Rules between all the rows, dashes alone or a grid table's borders, set off nothing.
    for rule in ("-------  -----", "+--------+-------+"):
        bars = "|" if rule.startswith("+") else ""
        table = "\n".join([f"{bars}Name      Price{bars}", rule.replace("-", "="), f"{bars}Tea       2.00 {bars}", rule,
                           f"{bars}Coffee    3.00 {bars}", rule, f"{bars}Cake      4.50 {bars}"]) + "\n"
        (rows,) = segment(table)
        assert [bool(row_header(rows.text, s.text)) for s in rows.sentences] == [False, True, True, True], table


def test_a_registration_numbers_abbreviation_ends_no_sentence():
    (*_, registration) = segment("27 Halford Street, Leicester LE1 6JA\nVAT Reg. No.: GB 284 5519 03")
    assert [s.text for s in registration.sentences] == ["VAT Reg. No.: GB 284 5519 03"]


def test_a_label_ending_with_a_colon_over_a_table_is_its_heading():
    """"Opening hours:" over "| Day | Hours |", a blank line between as Markdown needs, was a statement of
    its own and the answer to "Opening hours on Sunday?" (a user's lost-property page)."""
    table = "| Day | Hours |\n|---|---|\n| Monday to Friday | 10:00 – 16:00 |\n| Sunday | Closed |"
    lead = "Lost items are kept for 90 days."
    _, label, rows, after = segment(f"{lead}\n\nOpening hours:\n\n{table}\n\nBring photo ID.")
    assert (label.role, rows.role, after.role) == ("heading", "", "")
    # A field that says its value is no heading, nor is a label over running text.
    assert segment(f"{lead}\n\nOffice: Hyde Road Depot\n\n{table}")[1].role == ""
    assert segment(f"{lead}\n\nOpening hours:\n\nWe open at ten.\n\nBring photo ID.")[1].role == ""


def test_a_numbered_line_in_capitals_between_two_lists_is_a_section():
    """A store's "8. WHAT WE CANNOT ACCEPT", between its seasonal items and the items it will not take back,
    was an item of the first list, and "Can I return batteries?" had no heading over its answer."""
    text = ("7. SEASONAL ITEMS\n\nGrills bought during their season can be returned until its end:\n"
            "  - Grills: until September 15.\n  - Snow blowers: until March 1.\n\n\n"
            "8. WHAT WE CANNOT ACCEPT\n\n  - Keys cut in the store.\n  - Batteries once removed from sealed packaging.\n")
    paragraphs = segment(text)
    assert [(p.role, p.sentences[0].text) for p in paragraphs] == [
        ("heading", "7. SEASONAL ITEMS"), ("", "Grills bought during their season can be returned until its end:"),
        ("heading", "8. WHAT WE CANNOT ACCEPT"), ("", "- Keys cut in the store.")]
    # Numbered items in capitals one under another stay a list.
    assert len(segment("Rules:\n1. NO SMOKING\n2. NO PETS\n")) == 1


def test_a_degrees_letters_before_a_bracket_end_no_sentence():
    """"Teacher: Clara Mendes, B.Mus. (Royal Northern College of Music), LRSM" was cut after "B.Mus."."""
    line = "Teacher: Clara Mendes, B.Mus. (Royal Northern College of Music), LRSM"
    assert [s.text for s in segment(f"{line}\nPhone: 07700 913 442")[0].sentences][0] == line
    assert [s.text for s in segment("She holds a B.Mus. She teaches piano.")[0].sentences] == [
        "She holds a B.Mus.", "She teaches piano."]
