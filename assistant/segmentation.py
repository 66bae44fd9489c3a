"""Split a document into paragraphs (one per source line) and sentences with exact offsets.

Every unit keeps ``start``/``end`` character offsets into the document text, so that
``text[unit.start:unit.end] == unit.text`` always holds: citations are verified against them.

The rules are checked on real Arabic Wikipedia paragraphs (ARCD, XQuAD-R) as well as the article:
tests/data/boundaries.json holds hand-checked boundaries and tests/test_segmentation.py measures them.
Every step is linear in the length of the text, so a multi-megabyte line without punctuation is cut
into bounded sentences quickly.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

# Bump whenever the rules below change: stored indexes record it and refuse to mix versions.
# 2: abbreviations (ق.م, initials, p./vol.), footnote markers, ellipses, "؛" inside a sentence, length caps.
# 3: lists: an item's number ("1.") is no sentence, and a run of item lines is one paragraph with the
#    line that introduces it ("The company provides:", "## Security rules").
# 4: tables: a run of "| ... |" lines is one paragraph, each row one sentence, never a label; a
#    hard-wrapped text (Markdown, e-mail, a PDF's pages) has its paragraphs' lines joined, not a
#    paragraph per line, its headings' lines standing alone.
# 5: no sentence ends inside a Markdown code span ("`ق.م`", "`os.path. join`").
# 6: a Markdown heading is a heading whatever it ends with ("## How do I get a card?"); a byline names no number and its
#    place has at most three words (a title "Harborview Transit Authority — Annual Report 2023" was
#    one); a date opening a sentence ("وفي عام 63 ق.م. ضمّ ...") does not end it.
# 7: a document's first line may be a longer label (a news headline of up to 16 words is its title).
# 8: a full stop followed by a lower-case Latin word ends no sentence ("from 5 p.m. to 9 p.m. on weekdays").
# 9: a full stop inside parentheses that close soon after ends no sentence ("(Mon.–Fri., 8 a.m. to 6 p.m. EST)");
#    a paragraph of one question heads the paragraph after it ("Q: Can I use ground coffee?").
# 10: a numbered line standing alone before running text is a section's heading ("1. Purpose and scope"),
#    not a list's item; a label's number at the start of a line ends no sentence ("Step 5. Allow ...",
#    "## 2. Treasurer's report"); a full stop after a unit in degrees does ("... low of 1 °C. Annual ...").
# 11: a line over a list, a question line and a numbered heading are read without their closing brackets and
#    bold marks ("البند السادس: التزامات الطرف الأول (المؤجر)", "**Why is there water left in the tub?**");
#    a bold line with a full stop is no label; one letter before a number abbreviates ("ط. 2");
#    a form's blank field ("Signature: ________") is no sentence.
# 12: a full stop inside a quotation in guillemets or curly quotes that closes soon after ends no sentence;
#     a numbered blank line ("1. …………") is no sentence; a one-word reply ("Yes.") joins the sentence after it.
# 13: in a text of hard-wrapped lines, a record's line ("Weight: 201 g", "09:00 - 09:30 | Room 1.04 |
#     Workshop") after another record's goes on no line: a spec sheet's fields and an agenda's rows were
#     glued into one sentence, and such lines no longer count as wrapping; a line of cells between bars
#     is one sentence, as a table row is; a question turn of several sentences ("Q: Maren, welcome to the
#     show. How did you end up studying glaciers?") heads its answer, as a one-sentence question does.
# 14: a line of code, or a line that the line before announces with a colon ("run:" over a command), is no
#     label: neither a heading nor the line that introduces the list after it.
# 15: a line lettered in abjad order ("أ.", "ب)", "هـ-") is a list item.
# 16: a footnote marker after an era's full stop ("ق.م.[8]") ends the sentence, with or without a number before.
# 17: a full stop before the close of an emphasis ("bore away safely.* It was") ends the sentence; a quoted
#     list item's number ("> 1. Renew ...") is no sentence of its own.
# 18: a definition list's entry (a term's line, then ": its definition", as Pandoc and man pages write them)
#     is one sentence; a full stop after a bracket or a code span ends a sentence before a lower-case word; a
#     line of code is one sentence, and a code fence's line ("```sh") none; an ellipsis standing apart between
#     words ("... رحلوا ... وهل يعود") ends no sentence.
# 19: a label joined to its value by a dot leader ("الإجمالي ........ 17,002.50 ريال") is one sentence, a run
#     of such lines one paragraph (``is_leader_line``); a field's line ("**DOI:** 10.5281/...") is a
#     statement, no heading, unless a section's number or rank is its label ("أولًا: رحلات الطيران");
#     a line that leads into records with a colon ("الرحلة الثانية (العودة):") is one paragraph with them;
#     a dotted abbreviation before a range's dash ("8:00 a.m. – 5:00 p.m.") ends no sentence; two short lines
#     standing alone together after the text's start (a signature's name and title) are one sentence; a line
#     lettered "أ." alone, under no line leading into a list, is no item (a title: "أ. هيفاء ...").
# 20: a plain text's table (cells between bars without the outer bars, or columns aligned by spaces, as a
#     .txt export or a PDF's text lays them out) is a table: one paragraph, each row one sentence, its
#     first row its header (``plain_table``); a line of dashes alone (a heading's underline, a rule) is
#     markup; a label alone on its line ending with a colon is one sentence with the line under it
#     ("Primary endpoint:"); an English ordinal is a section's rank only as the whole label.
# 21: a full stop inside a word is part of a field's label ("ClinicalTrials.gov ID: NCT06418827" was a heading);
#     a grid table's borders ("+-----+----+") are markup, the one under its first row marks its header; a
#     record's lines indented under a list's item are one paragraph with it (a directory's centres); a
#     numbered line over an underline, or before a table's rows, heads a section, and stands alone over a list;
#     "**Dr." and "Enc." end no sentence; "3a." numbers an item;
#     a table row's cell under a blank name is said (an infobox's values were not).
# 22: a dish's lines indented under its dot-leader line are one paragraph with it; a leader's value may
#     carry a note in brackets; a short label over records leads into them ("الفريق الأول (المؤجر)"); an
#     underlined line after a blank line or a rule is a heading whatever it ends with but a full stop;
#     "**د.", "Est.", "ext.", "Rev." and "p.m." before a time zone end no sentence; a numbered line after a
#     rule heads a new section. (And ``table_header``: bars without a separator row, three columns or
#     more, have a header, as a plain text's aligned table does.)
# 23: a short note in brackets after a sentence on its line is part of it ("... JSON Lines. (#2214)"); a
#     Markdown heading's line is one sentence; lines indented under a label ending with a colon are one
#     paragraph with it, each line a sentence (a plain text's list without bullets); "الباب الأول:" and
#     the like rank a section; a line of figures set apart in columns is no heading, and a subsection's
#     number makes one of a line ending with a bracket; "Eng.", "Capt.", "Revd.", "ref." and other titles
#     end no sentence, nor a company's "Inc." before a bracket; a plain text's table whose amounts are set
#     right under a header set left is a table, and so is one whose header row has a rule under it; "a.m."
#     before a day ends no sentence; a label's full stop before its colon ("**Accession no.:** 25-077-3391")
#     is part of a field's label.
# 24: a dot leader's value that opens with a figure may run to eight words, and a line under a leader's
#     line is one with a short leader too (a long label leaves room for three dots); "السؤال (6):" and
#     "الجواب:" are an FAQ's turns; a label over dot leaders leads into them, as over fields ("Short Stay
#     (Zone A)" over its prices); a place or part named by a letter ends a sentence ("in Zone B. Charging
#     is billed ...").
# 25: a numbered label right over its section's first sentence heads it ("1. Repairs" over "Our engineer
#     ..."); a plain table's cell may run into the next column and a row may leave its last cells blank
#     (``_column_places``); a dash after "a.m." goes on ("5:00 a.m. — Pre-run snack"); "(inc.)", "Ph.D.",
#     "Apt." end no sentence, "Stair B." and a Latin letter in Arabic text ("أقل من B.") may; a contract
#     clause's title in capitals goes with its first sentence ("3. LATE FEES. If rent ..."), and a long
#     numbered clause after a blank line under a plain label is a section of its own.
# 26: a plain table's header typed a few places off its rows, all its columns alike, is its header
#     (``_header_shifted``); a rule under a table's rows sets off its totals (``_split_at``), which name
#     no column; "Reg." ends no sentence ("VAT Reg. No.").
# 27: a name and its title on the lines under a label ("Approved by:" over "  Linda Park, P.E." and
#     "  Chief Elevator Inspector") are one sentence with it (``_signs_under_label``), and so are a
#     letter's closing and the lines signed under it ("Best wishes," over a name and titles); a line wholly
#     in italics ("*By Daniel Okafor, published 12 September 2024*") is no heading; in a hard-wrapped text a
#     line wholly in bold is a label (a catalogue's work title over its fields).
# 28: a form's blank field is no sentence in an aligned table of fields either, nor a line of several
#     ("Postcode: ______    Phone: ______"); a line of running text that stops on a word no sentence ends
#     with ("... a late cancellation fee of", eight words or more) goes on the next, in a text not
#     hard-wrapped too.
# 29: a line in capitals is a heading with a note in brackets after it or as long as a title
#     (``_in_capitals``: "FLEXI SEASON (8 DAYS IN 28)"); a field's label may run to 60 characters
#     ("Emergency line for burst pipes and break-ins: ...", a line of its own in wrapped text).
# 30: a plain table's row may stand off its columns when it has a cell for each, one row in four at
#     most (``plain_table``: a price wider than its column made a tailor's whole table one "sentence").
# 31: a plain table's header out of line with its rows (titles centred over figures, none over a column)
#     heads rows that line up among themselves, three at least; two rows of four cells or more, each
#     under the other's, are a table without a rule (``_a_grid_of_two``: a timetable's two trains); a
#     number in a field's label over a figure is no section's ("VAT (20%): £67.32": ``states_a_field``); a
#     contact line under a letter's signature goes with it ("Tel: 0116 496 0283": ``_CONTACT_LINE``).
# 32: a line in capitals may say a note in brackets and a figure's unit in small letters (``_in_capitals``:
#     "WOMEN (ALL CATEGORIES) - 56.8 km (2 laps)").
# 33: the text's last lines, up to four short ones one under another after a blank line, are one sentence,
#     a signature (``_signs_at_the_end``: a name, a title and a date under "By order of the Board").
# 34: a plain table's first row heads it when a column has words in it and figures alone under it
#     (``_words_over_figures``: "Package  1 day  3 days" over "Sport ski package  $49  $135"); a short label
#     ending with a colon over a table is its heading (``_labels_a_table``); a numbered line in capitals
#     between blank lines is a section's heading though a list follows it; a degree's dotted letters before
#     a bracket end no sentence (``_DOTTED_CAPITALS``: "B.Mus. (Royal Northern College of Music)").
SEGMENTATION_VERSION = 34

# A sentence or paragraph longer than this is cut at whitespace near the cap (text without punctuation:
# a table dump, a transcript). e5 reads at most 512 tokens; 1,000 Arabic characters are about 250-350.
MAX_SENTENCE_CHARS = 1000
MAX_PARAGRAPH_CHARS = 4000

# "؛" (the Arabic semicolon) separates clauses as ";" does: on ARCD 10 of 693 answers span one, and it
# is not a terminator here.
_TERMINATORS = ".!?؟…"
# A line ending with one leads into what follows it ("The company provides:").
COLONS = (":", "：")
# A full stop inside parentheses that close within this many characters does not end the sentence.
PARENTHESIS_MAX_CHARS = 200
# Nor one inside a quotation in guillemets or curly quotes that closes within this many: a coach's
# «... بعد الاستراحة. التبديلات غيرت شكل الفريق، وأنا فخور بردة الفعل» was cut in two, the second
# half cited without who said it.
QUOTATION_MAX_CHARS = 300
_PAIRS = (("(", ")", PARENTHESIS_MAX_CHARS), ("«", "»", QUOTATION_MAX_CHARS), ("“", "”", QUOTATION_MAX_CHARS))
_CLOSERS = "»\"')]”’›"
# Markdown's italics closing after a sentence's terminator: "*... bore away safely.* It was ...". Not bold:
# "**Step 1.** Open the lid." is a run-in label and its sentence.
_EMPHASIS = "*_"
_ARABIC_LETTER = "\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff"

# After a capital letter alone a full stop is an initial's ("George W. Bush", "U.S."), but not after a
# place or a part named by a letter ("in Zone B. Charging is billed ...", "behind Building C. Do not
# leave bags ...": a user's parking tariff and house rules had two sentences glued) when the next
# sentence opens; the place's word is checked in ``_is_sentence_end``.
_AFTER_A_LETTERED_PLACE = r"\.(?:[ \t]+[A-Z][a-z]* [a-z]|[ \t]*\n[ \t]*\d)"
_LETTERED_PLACE = re.compile(
    r"\b(?:Zone|Building|Block|Gate|Hall|Room|Terminal|Level|Floor|Wing|Tower|Platform|Pier|Bay|Lot|Car Park"
    r"|Section|Appendix|Annex|Exhibit|Schedule|Phase|Stage|Part|Unit|Area|Sector|Entrance|Door|Stand"
    r"|Stair|Staircase|Stairwell|Exit|Corridor|Lift|Elevator|Ward|Court|Field|Track|Route|Line) [A-Z]$")
# In Arabic text a Latin capital alone is no initial of a name: "دون أي تقدير أقل من B. ويُكرَّم الأوائل"
# (a school's grades) was one sentence.
_AFTER_A_LATIN_LETTER_IN_ARABIC = rf"\.[ \t]+[{_ARABIC_LETTER}]"
# A candidate end: a run of terminators (plus closing quotes/brackets) followed by whitespace, the end
# of the line, a letter glued straight onto the full stop ("ذات الصلة.ودعا") or a footnote marker
# (".[13]"). A full stop between digits ("2.5") or after a capital initial ("U.S.") is no candidate; after
# a unit in degrees ("1 °C.") it is.
_BOUNDARY = re.compile(
    rf"(?:(?<!(?<!°)\b[A-Z])|(?<=[a-z] [A-Z])(?={_AFTER_A_LETTERED_PLACE})"
    rf"|(?<=[{_ARABIC_LETTER}] [A-Z])(?={_AFTER_A_LATIN_LETTER_IN_ARABIC}))"
    rf"[{re.escape(_TERMINATORS)}]+[{re.escape(_CLOSERS)}]*(?:[{_EMPHASIS}](?![{_EMPHASIS}]))?"
    rf"(?=\s|$|[{_ARABIC_LETTER}«\"(\[]|(?<=[a-z][.!?])[A-Z])"
)
# Footnote and editorial markers after a full stop belong to the sentence they follow: ".[13][14]",
# ". [بحاجة لمصدر]".
_MARKERS = re.compile(r"(?:\s?\[[^\[\]\n]{1,40}\])+")
_ONLY_MARKERS = re.compile(r"(?:\s*\[[^\[\]\n]{1,40}\])+\s*")
# A short note in brackets without a sentence of its own: "(#2214)", "(Windows only)".
_BRACKETED_NOTE = re.compile(r"\([^()\n.!?؟]{1,40}\)")
# A Markdown code span: "`ق.م`" is one token, whatever its full stops.
_CODE_SPAN = re.compile(r"`[^`\n]+`")
_LETTER = re.compile(rf"[{_ARABIC_LETTER}A-Za-z]")
# The word just before a full stop (bounded look-back keeps the scan linear).
_LAST_TOKEN = re.compile(r"(\S{0,20})\s*$")
# One Arabic letter, or a dotted chain of them: "م", "هـ", "ق.م", "ق.ح" (BC/AD, hijri, initials).
_LETTER_ABBREVIATION = re.compile(rf"[(«\"]?(?:[{_ARABIC_LETTER}]ـ?\.)*[{_ARABIC_LETTER}]ـ?")
# A sentence's opening date, up to its era: "وفي عام 63 ق.م", "منذ سنة 204 هـ".
_FRONTED_DATE = re.compile(
    r"\s*(?:[وف]?(?:في|منذ|حوالي|نحو|قبل|بعد|حتى)\s+)?(?:عام|سنة|العام|السنة|عامي)?\s*[\d٠-٩][\d٠-٩,.،]*\s+\S{1,4}")
_NUMBER_BEFORE = re.compile(r"\d[\d,.،٫]*\s+(?:\S{1,3}\s+)?\S{0,6}$")  # "651 م", "52 ق هـ"
_NUMBER_NEXT = re.compile(r"[ \t]*[\d٠-٩]")
# Latin abbreviations that do not end a sentence, and Latin initials spelt in Arabic ("جون سي. ميسنجر").
_LATIN_ABBREVIATION = re.compile(
    r"(?:[a-z]|pp|vols?|nos?|eds?|ca|cf|fig|figs|ch|chap|approx|al|e\.g|i\.e|op|cit|ibid|viz|vs|encl?"
    r"|Dr|Mr|Mrs|Ms|Prof|Rev|Revd|St|Jr|Sr|Mt|Gen|Col|Lt|Capt|Maj|Sgt|Eng|Hon|Gov|Est|ext|tel|ref|Apt|Bldg|Ste|Reg"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)",
    re.IGNORECASE,  # "Vol.", "No."; a capital initial is no candidate anyway
)
_SPAN_CLOSERS = (")", "`")
# Letters glued after a full stop and closed by one: the rest of an abbreviation ("Ph.D.", "M.Sc.").
_GLUED_INITIALS_NEXT = re.compile(r"[A-Z][a-z]{0,2}\.")
# A company's legal form, which ends a sentence as often as not ("... bought by Apple Inc. The deal ..."),
# but not before a bracket that goes on with the name.
_COMPANY = re.compile(r"Inc|Corp|Ltd|Co|LLC|PLC|GmbH|S\.A|N\.V", re.IGNORECASE)
_BRACKET_NEXT = re.compile(r"[ \t]*\(")
# A full stop followed, on the same line, by a lower-case Latin word.
_LOWERCASE_NEXT = re.compile(r"[ \t]+[a-z]")
# A Latin abbreviation spelt with dots ("a.m", "p.m", "e.g"), and a range's dash and number after it: a
# park's "**Visitor center hours:** 8:00 a.m. – 5:00 p.m." was cut at "a.m.", its closing hour apart.
_DOTTED_ABBREVIATION = re.compile(r"[a-z](?:\.[a-z])+", re.IGNORECASE)
# A degree's or a title's letters between full stops ("B.Mus", "M.Sc", "Ph.D").
_DOTTED_CAPITALS = re.compile(r"[A-Z][a-z]{0,2}(?:\.[A-Z][a-z]{0,3})+")
_RANGE_NEXT = re.compile(r"[ \t]*[-–—][ \t]*[\d٠-٩]")
# A dash after it goes on too: an agenda's "- **5:00 a.m. — Pre-run snack:** 1 banana ..." was cut at
# "a.m.", the time apart from its meal.
_DASH_NEXT = re.compile(r"[ \t]*\**[ \t]*[–—]")
# A time zone after "p.m." ("11:59 p.m. ET", "7:00 p.m. Eastern Time"): the deadline's sentence goes on.
_TIME_ZONE_NEXT = re.compile(r"[ \t]*(?:[A-Z]{1,3}T|UTC|GMT)\b|[ \t]*(?:Eastern|Central|Mountain|Pacific|Atlantic|local)\s+[Tt]ime\b")
# A day after "a.m." or "p.m.": "Quiet hours are 10:00 p.m. to 7:00 a.m. Sunday through Thursday" was cut
# before "Sunday", the days apart from the hours.
_DAY_NEXT = re.compile(r"[ \t]+(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?s?\b")
_SPELT_INITIAL = re.compile(r"سي|بي|دي|إس|اس|أو|إف|إم|إل|جي|تي|كيه|إتش|آر|واي|زد|إكس|دبليو|جيه|كيو|يو")


@dataclass(frozen=True)
class Sentence:
    id: str  # "p13.s2": paragraph 13, sentence 2, both counted from 1
    paragraph_id: str
    text: str
    start: int
    end: int


BYLINE = "byline"
HEADING = "heading"
# A line this short without a full stop is a label of the text, not a statement in it.
LABEL_MAX_WORDS = 8
# A document's first line may be longer: a news headline ("Egypt opens solar-powered desalination plant
# on Red Sea coast", 9 words; "اكتشاف نوع جديد من الأوزاغ في جبال ظفار ...", 16) is its title.
TITLE_MAX_WORDS = 16
# A paragraph of one question this long at most heads its answer (an FAQ's "Q: ...?").
QUESTION_LINE_MAX_WORDS = 30
_MARKDOWN_HEADING = re.compile(r"#{1,6}\s")
# "place - name": a place of one to three words, a dash, a name ("الكويت - سعد العجيبان:").
_BYLINE = re.compile(r"\S+(?:\s\S+){0,2}\s[-–—]\s")
# A list item's line longer than this, set apart by a blank line, is a section of its own (``_is_a_section``).
SECTION_ITEM_WORDS = 30
# A text is taken for hard-wrapped only with at least this many lines that stop mid-sentence.
WRAPPED_MIN_LINES = 3


@dataclass(frozen=True)
class Paragraph:
    id: str  # "p13"
    text: str
    start: int
    end: int
    sentences: tuple[Sentence, ...]
    # BYLINE (a first line such as "الكويت - سعد العجيبان:"), HEADING, or "" for running text.
    role: str = ""


# A list item's line: a bullet ("-", "*", "•"), a number or letter with "." or ")" ("1.", "٢)", "a)"), or
# one of the first ten letters of the Arabic alphabet in its abjad order, as Arabic laws and forms
# letter their items, with "." or ")" or a dash ("أ. حمل الترخيص", "ب) ...", "هـ- ..."; alef in any of its
# forms): a regulation's five obligations were five paragraphs, apart from the line "يلتزم البائع المتجول
# بما يلي:" above them. A name after "د." (Dr.) opens such a line too: under a line that introduces a
# list, or after a list's items, it is taken for an item; elsewhere it stands as its own paragraph, as before.
_ABJAD_LETTER = r"[أاإبجدوزحطي]|هـ?"
_LIST_ITEM = re.compile(rf"\s*(?:[-*•·▪–]|\(?(?:\d{{1,3}}[a-z]?|[٠-٩]{{1,3}}|[A-Za-z])[.)]|\(?(?:{_ABJAD_LETTER})\s?[.)\-–])\s")
# An item's number and its full stop, at the start of its line ("1. Use the VPN.", "## 2. Treasurer's
# report", an e-mail's quoted "> 1. Renew the lease", "3a. Documents to return"): no sentence of its own.
_ITEM_NUMBER = re.compile(r"\s*(?:>\s*)*(?:#{1,6}\s+)?\(?(?:\d{1,3}[a-z]?|[٠-٩]{1,3}|[A-Za-z])")
# A numbered clause's title in capitals, at its line's start: "3. LATE FEES", "12. ENTIRE AGREEMENT".
_CLAUSE_TITLE = re.compile(
    r"\s*(?:\d{1,3}(?:\.\d{1,3})*[.)]?|[A-Z][.)])\s+[A-Z][A-Z'’-]+(?:\s+(?:[A-Z][A-Z'’-]*|&|/))*")
# A label's number opening a sentence ("Step 5. Allow the vessels to cool.", "المادة ٥. تصدر الرخصة"):
# no sentence either. Only the words that number a text's parts: "Serves 10. Prep time 20 minutes." is
# two sentences; and at a sentence's start only (a hard-wrapped line may open with "Interstate 9.").
_LABEL_NUMBER = re.compile(
    r"\s*(?:#{1,6}\s+)?(?:step|article|section|chapter|part|clause|rule|stage|phase|appendix|annex|item"
    r"|(?:ال)?(?:مادة|بند|خطوة|فصل|باب|قسم|مرحلة|جزء))\s+\(?(?:\d{1,3}|[٠-٩]{1,3})", re.IGNORECASE)
# A numbered line ("1. Purpose and scope", "٣) الرسوم", "(2) Fees"); see ``_section_numbers``.
NUMBERED_LINE = re.compile(r"\s*\(?(?:\d{1,3}|[٠-٩]{1,3})[.)]\s")


def paragraph_id(number: int) -> str:
    """The id of a document's ``number``-th paragraph (counted from 1): "p13"."""
    return f"p{number}"


def paragraph_number(paragraph_id: str) -> int:
    """The n of a paragraph id "p<n>"."""
    return int(paragraph_id.removeprefix("p"))


def sentence_id(paragraph_id: str, number: int) -> str:
    """The id of its paragraph's ``number``-th sentence (counted from 1): "p13.s2"."""
    return f"{paragraph_id}.s{number}"


def sentence_number(sentence_id: str) -> int:
    """The n of a sentence id "p<m>.s<n>"."""
    return int(sentence_id.rsplit(".s", 1)[1])


def is_list_item(line: str) -> bool:
    """Whether ``line`` (a sentence or a line of text) opens as an item of a list."""
    return bool(_LIST_ITEM.match(line))


# A label, a run of dots, its value: a receipt's "الإجمالي ........ 17,002.50 ريال", a table of contents'
# "Introduction ........ 3". Cut at the dots, a booking's cost summary paired each amount with the next
# line's label ("22.50 ريال\nالإجمالي ......"), and "What is the total cost?" was answered 22.50. A value
# of a few words and no full stop; three dots before a number, five before words: an ellipsis in running
# text ("ثقلهما متقارب ومتوازن... وتصل الأقليات إلى 5%.") is seldom longer.
_LEADER_LINE = re.compile(r"[ \t]*(?P<label>[^\n]{0,60}?[^\W\d_][^\n]{0,60}?)[ \t]*(?P<dots>\.{3,}|…{2,})[ \t]*"
                          r"(?P<value>[^\s.…][^\n]{0,59})")
LEADER_VALUE_MAX_WORDS = 4
# A value that opens with a figure may say more ("Forfeit (winning side) ...... 3 points, recorded as 3-0":
# cut at the dots, its value went with the next line).
LEADER_FIGURE_VALUE_MAX_WORDS = 8


def is_leader_line(line: str) -> bool:
    """Whether ``line`` is a label and its value joined by a dot leader (``_LEADER_LINE``)."""
    leader = _leader(line)
    if leader is None:
        return False
    figure = bool(re.match(r"[$€£¥]?[\d٠-٩]", leader["value"]))
    longest = LEADER_FIGURE_VALUE_MAX_WORDS if figure else LEADER_VALUE_MAX_WORDS
    return _value_words(leader["value"]) <= longest and (len(leader["dots"]) >= 5 or figure)


def _leader(line: str) -> re.Match[str] | None:
    """``line`` as a label, dots and a value that ends no sentence (``_LEADER_LINE``), whatever their lengths."""
    if ".." not in line and "…" not in line:
        return None  # most lines: no regex
    leader = _LEADER_LINE.fullmatch(line.rstrip())
    return leader if leader and leader["value"][-1] not in _TERMINATORS else None


def _value_words(value: str) -> int:
    """A leader's value's words, a note in brackets and dashes or slashes between amounts left out:
    "12:00 – 22:30 (kitchen closes 21:30)" and "regular £16.50 / large £19.50" are values of a menu's
    lines; counted whole they were text, cut at the dots, and Sunday's label went with Saturday's hours."""
    return sum(1 for word in re.sub(r"\([^()\n]*\)", " ", value).split() if re.search(r"\w", word))


def is_table_row(line: str) -> bool:
    """Whether ``line`` is a row of a Markdown table ("| Kuwait | 2.1 | Thermal |")."""
    return line.lstrip().startswith("|")


# A plain text's table, as a .txt export or a PDF's text lays it out: cells between bars without the
# outer bars ("البطاقة العادية (الزرقاء)   | 2.000 دينار  | 50%"), or columns aligned by spaces
# ("Gold        600                    50%"), a rule of dashes under its header or none.
_PLAIN_RULE = re.compile(r"[-=+|: \t]*-{3,}[-=+|: \t]*")
_COLUMN_GAP = re.compile(r"[ \t]{2,}")
# How far a cell may start or end from its column's place in the first row (a number set right, a
# typist's slip).
COLUMN_SLACK = 2
# How far a header row may stand off its rows, all its columns alike (``_header_shifted``).
HEADER_SHIFT = 4


def table_cells(row: str) -> list[str]:
    """The cells of a table row, stripped: between bars ("| Kuwait | 2.1 |" -> ["Kuwait", "2.1"]), or,
    in a table without bars, between gaps of two spaces or more ("Gold    600    50%")."""
    row = row.strip()
    if "|" in row:
        return [cell.strip() for cell in row.strip("|").split("|")]
    return _COLUMN_GAP.split(row)


def may_be_a_table_row(line: str) -> bool:
    """Whether ``line`` may be a table's row (its paragraph says: ``table_header``): it has a bar, or
    two spaces or more between words. A cheap test for the many lines that are not."""
    return "|" in line or bool(_COLUMN_GAP.search(line.strip()))


def _cell_spans(line: str) -> list[tuple[int, int]]:
    """Where the cells of a line without bars start and end (columns of the line as written)."""
    return [(match.start(), match.end()) for match in re.finditer(r"\S+(?: \S+)*", line)]


def plain_table(lines: Sequence[str]) -> bool:
    """Whether ``lines`` (as written, indentation kept) are a plain text's table: at least two rows of
    two cells or more, as many in each, with a rule of dashes under the first or three rows at least;
    cells between bars (no outer bars: a Markdown table is ``is_table_row``'s), or, without bars, each
    cell starting or ending where the first row's does (words spaced twice after a full stop do not
    line up)."""
    rows = [line for line in lines if line.strip() and not _PLAIN_RULE.fullmatch(line)]
    ruled = len(rows) < len([line for line in lines if line.strip()])
    if len(rows) < 2 or any(is_table_row(row) for row in rows):
        return False
    if len(rows) < 3 and not ruled and not _a_grid_of_two(rows):
        return False
    if all("|" in row for row in rows):
        counts = {len(table_cells(row)) for row in rows}
        return len(counts) == 1 and counts.pop() >= 2 and all(all(table_cells(row)) for row in rows)
    if any("|" in row for row in rows):
        return False
    columns = _cell_spans(rows[0])
    if len(columns) < 2:
        return False
    def lines_up(row: str, reference: list[tuple[int, int]]) -> bool:
        return _column_places(_cell_spans(row), reference) is not None
    # The first row's cells, or the second's: a header set left over amounts set right ("Amount" over
    # "£3,212.75" and "£38.40") lines up with the first amount, and the amounts with each other.
    first_row = _cell_spans(rows[1])
    if not lines_up(rows[1], columns):
        columns = _header_shifted(columns, first_row)
    if not lines_up(rows[1], columns):
        # A header over its rows out of line with them (titles centred over narrower figures, none over
        # a column of "dep" / "arr"): the rows, three at least, line up among themselves. An optician's
        # lens prices and a train timetable were one "sentence" each, no row citable.
        return len(rows) >= 4 and all(lines_up(row, first_row) for row in rows[2:])
    # A row may stand off its columns when it has a cell for each and one row in four at most does: a
    # price wider than its column ("من 380 إلى 650 ريال" under "السعر") made a tailor's whole price table
    # one "sentence", its six rows unnamed.
    astray = [row for row in rows[2:] if not (lines_up(row, columns) or lines_up(row, first_row))]
    return not astray or (4 * len(astray) <= len(rows) and all(len(_cell_spans(row)) == len(columns) for row in astray))


def _a_grid_of_two(rows: list[str]) -> bool:
    """Whether two rows are a table without a rule: four cells or more, each under the other's (a
    timetable's "Harrowgate dep   08:00   11:00   14:00 ..." over "Pellbridge arr   08:54 ...", a
    "sentence" of both before)."""
    columns = _cell_spans(rows[0])
    return len(columns) >= 4 and _column_places(_cell_spans(rows[1]), columns) == [
        range(n, n + 1) for n in range(len(columns))]


def _header_shifted(header: list[tuple[int, int]], row: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The header's columns moved to the first row's when all of its cells after the first stand the
    same few places off (a header typed apart from the rows: a price list's "الخدمة  السعر (ريال)  المدة"
    three places right of every row under it, each of its six tables one "sentence"); else as it is."""
    shifts = {start - column for (column, _), (start, _) in zip(header[1:], row[1:])}
    if len(header) != len(row) or len(shifts) != 1 or abs(shift := shifts.pop()) > HEADER_SHIFT:
        return header
    return [header[0], *((start + shift, end + shift) for start, end in header[1:])]


def _column_places(spans: list[tuple[int, int]], columns: list[tuple[int, int]]) -> list[range] | None:
    """The columns each cell (``spans``, two at least) falls in, in order: a cell starts at its column's
    place or ends at its end (a number set right); one too long for its column runs into the next ones
    ("Division 1 Intermediate     8" under "Division   Level   Teams", "الجيذر (التونة) ٧٠ سم   ٢ سمكة" under
    "النوع   الحد الأدنى للطول   الحد اليومي": each such row was a paragraph of its own, without its
    header). None when they do not: a column between two cells that neither covers (a blank cell), a
    cell out of every column. Columns after the last cell may stay blank (a schedule's notes)."""
    if len(spans) < 2:
        return None
    places: list[range] = []
    column, covered_to = 0, -1
    for start, end in spans:
        place = next((n for n in range(column, len(columns))
                      if abs(start - columns[n][0]) <= COLUMN_SLACK or abs(end - columns[n][1]) <= COLUMN_SLACK), None)
        if place is None or any(columns[n][0] > covered_to + COLUMN_SLACK for n in range(column, place)):
            return None
        if places and place > column:  # the cell before ran into the columns up to this one
            places[-1] = range(places[-1].start, place)
        column, covered_to = place + 1, end
        while column < len(columns) and columns[column][0] < end:
            column += 1
        places.append(range(place, column))
    return places


_TABLE_SEPARATOR = re.compile(r"\|?(?:\s*:?-+:?\s*\|)+\s*(?::?-+:?)?\s*")
# A grid table's border, above and below it and under its header: "+--------+-------+", "+=====+====+".
_GRID_BORDER = re.compile(r"\+(?:[-=:]{3,}\+)+")


def table_header(paragraph: str) -> str:
    """The header row of a table (a paragraph of rows): its first row when a separator row ("| --- |")
    follows it, else "" (a table without one, or the rest of a long table cut into paragraphs). A plain
    text's table (``plain_table``'s cells, taken as they are, its first row's indentation lost with the
    paragraph's start) has its first row for header under a rule, or with no figure in it over rows with
    figures ("Tier  Tier Points  Bonus" over "Gold  600  50%"); so has a table between bars without a
    separator row, of three columns or more."""
    rows = _above_totals([row.strip() for row in paragraph.splitlines() if row.strip()])
    if len(rows) < 2:
        return ""
    if is_table_row(rows[0]) and (_TABLE_SEPARATOR.fullmatch(rows[1]) or _GRID_BORDER.fullmatch(rows[1])):
        return rows[0]
    body = [row for row in rows[1:] if not _PLAIN_RULE.fullmatch(row)]
    columns = len(table_cells(rows[0]))
    counts = {len(table_cells(row)) for row in body}
    # Bars without a separator row (a plain text's "| اليوم | التاريخ | العظمى/الصغرى |" over its days): as
    # a plain table, but never two columns, a label's and its value's ("| Elevation | 5,672 m |"). Without
    # bars, a cell may run into the next column (``_column_places``): fewer cells in some rows.
    fewest = 3 if is_table_row(rows[0]) else 2
    if "|" not in rows[0] and columns in counts and min(counts) >= 2 and max(counts) == columns \
            and _as_written_a_plain_table(paragraph):
        counts = {columns}
    if counts != {columns} or columns < fewest:
        return ""
    ruled = bool(_PLAIN_RULE.fullmatch(rows[1]))
    figures = ruled or (not re.search(r"\d", rows[0]) and any(re.search(r"\d", row) for row in body))
    return rows[0] if figures or _words_over_figures(rows[0], body) else ""


def _words_over_figures(first: str, body: list[str]) -> bool:
    """Whether some column but the first has words in ``first`` row and figures alone in every row of
    ``body``: a header whose labels hold numbers ("Package  1 day  3 days  5 days" over "Sport ski
    package  $49  $135  $210", a user's ski rental prices, whose rows were said without their days). A
    row that leaves the column blank has no figure in it."""
    cells = [table_cells(row) for row in [first, *body]]
    return any(_LETTER.search(cells[0][column])
               and all(column < len(row) and _figures_alone(row[column]) for row in cells[1:])
               for column in range(1, len(cells[0])))


def _figures_alone(cell: str) -> bool:
    return bool(re.search(r"\d", cell)) and not _LETTER.search(cell)


def _as_written_a_plain_table(paragraph: str) -> bool:
    """``plain_table`` of a paragraph's lines, its first line indented as the others are (a paragraph
    starts at its first line's first word)."""
    lines = _above_totals(paragraph.splitlines())
    return plain_table([_indented_as_the_rest(lines), *lines[1:]])


# A rule of dashes alone: not a grid table's border ("+----+----+"), which runs between all its rows.
_TOTALS_RULE = re.compile(r"[-= \t]*-{3,}[-= \t]*")


def _above_totals(lines: list[str]) -> list[str]:
    """A plain table's lines above the one rule under its rows: its totals follow (``_split_at``), and
    they name no column of their own. Rules between all the rows set off nothing."""
    written = [n for n, line in enumerate(lines) if line.strip()]
    rules = [n for n in written[2:] if _TOTALS_RULE.fullmatch(lines[n].strip())]
    return lines[:rules[0]] if len(rules) == 1 else lines


def row_header(paragraph: str, line: str) -> str:
    """The header row of the table ``line`` is a row of, in its ``paragraph``; "" when ``line`` is no row
    under a header (or is the header itself, or a total under a rule below the rows)."""
    header = table_header(paragraph) if may_be_a_table_row(line) else ""
    if not header or line.strip() == header:
        return ""
    return header if line.strip() in {row.strip() for row in _above_totals(paragraph.splitlines())} else ""


def named_cells(header: str, row: str, paragraph: str = "") -> str:
    """A table row's cells named by its table's header row: "Country: Kuwait; Capacity: 2.1" (a row
    says what its cells are only by its place under the header); a cell under a blank name as it is: an
    infobox's title row over "| Elevation | 5,672 m |" says "Nevado Quellahuasi: Elevation; 5,672 m" (its
    values went unsaid), "| | 2023 |" over "| Revenue | 10 |" "Revenue; 2023: 10". In a plain text's
    table (its ``paragraph``) a row of fewer cells is named by where its cells stand: a cell left blank
    at the end names none, one that runs into the next column names both ("Division / Level: Division 1
    Intermediate"); without the paragraph, by the whole header."""
    names, cells = table_cells(header), table_cells(row)
    if len(cells) < len(names):
        places = _places_in(paragraph, row) if paragraph and "|" not in row else None
        if places is None or len(places) != len(cells):
            return f"{' / '.join(names)}: {'; '.join(cells)}"
        names = [" / ".join(names[n] for n in place) for place in places]
    return "; ".join(f"{name}: {cell}" if name else cell for name, cell in zip(names, cells) if cell)


def _indented_as_the_rest(lines: list[str]) -> str:
    """A paragraph's first line indented as its other lines are (a paragraph starts at its first word)."""
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    return " " * min(indents, default=0) + lines[0]


def _places_in(paragraph: str, row: str) -> list[range] | None:
    """The columns of ``paragraph``'s plain table each cell of its line ``row`` falls in (``_column_places``)."""
    lines = paragraph.splitlines()
    header = _indented_as_the_rest(lines)
    line = next((line for line in lines[1:] if line.strip() == row.strip()), None)
    return _column_places(_cell_spans(line), _cell_spans(header)) if line is not None else None


def segment(text: str) -> tuple[Paragraph, ...]:
    """Paragraphs are the non-blank lines of ``text`` (an overlong line is cut into several), except
    that a run of list item lines is one paragraph with the line before it when that line introduces
    it (ends with a colon, or is as short as a heading), a table's rows are one, and a hard-wrapped
    text's lines go on their paragraph; each is split into sentences (a table row is one)."""
    paragraphs: list[Paragraph] = []
    source = _source_lines(text)
    sections = _section_numbers(text, source)
    blocks, plain = _blocks(text, source, sections)
    code = {line.start for line in source if line.kind is _Line.CODE}
    rows = {line.start for line in source if line.kind is _Line.ROW}
    for lines in blocks:
        (start, _), (_, end) = lines[0], lines[-1]
        spans = [span for line in lines
                 for span in _line_sentences(text, *line, code=line[0] in code, row=line[0] in rows)]
        groups = _paragraph_groups(spans)
        for piece, spans in enumerate(groups):
            pid = paragraph_id(len(paragraphs) + 1)
            sentences = tuple(
                Sentence(sentence_id(pid, n), pid, text[s:e], s, e)
                for n, (s, e) in enumerate(spans, start=1)
            )
            # The whole line, unless an overlong line is cut: then each piece from its first sentence to its last.
            p_start = start if piece == 0 else spans[0][0]
            p_end = end if piece == len(groups) - 1 else spans[-1][1]
            paragraphs.append(Paragraph(pid, text[p_start:p_end], p_start, p_end, sentences))
    headings = sections | {p.start for p in paragraphs if _is_underlined(text, p)} | {
        p.start for p, after in zip(paragraphs, paragraphs[1:]) if _labels_a_table(p.text, after.text)}
    return tuple(dataclasses.replace(p, role=HEADING if p.start in headings else _role(p, n, len(paragraphs), p.start in plain))
                 for n, p in enumerate(paragraphs))


def _labels_a_table(label: str, after: str) -> bool:
    """Whether ``label`` is a short line ending with a colon over a table (a blank line between, as Markdown
    needs): the table's heading. "Opening hours:" over "| Day | Hours |" was a statement of its own, the
    answer to "Opening hours on Sunday?" (a user's lost-property page)."""
    return ("\n" not in label and _last_mark(label) in COLONS and len(label.split()) <= LABEL_MAX_WORDS
            and not states_a_field(label) and is_table_row(after.partition("\n")[0]))


def _is_underlined(text: str, paragraph: Paragraph) -> bool:
    """Whether ``paragraph`` is a line as short as a heading over an underline (a setext heading), at
    the text's start or after a blank line or a rule, whatever it ends with but a full stop (and no
    label with its value): a leaflet's "PUPPY SCHEDULE (DOGS)" over its table and a bulletin's "درجات
    الحرارة المتوقعة في المحافظات (العظمى/الصغرى)" were text (a closing bracket ends a field's value),
    and the rows under them named neither."""
    line, before = paragraph.text, text[max(0, paragraph.start - 200):paragraph.start]
    at_start = paragraph.start <= 200 and not before.strip()
    return ("\n" not in line and len(line.split()) <= LABEL_MAX_WORDS and _last_mark(line) not in ".!…"
            and not is_leader_line(line) and bool(_UNDERLINE.match(text, paragraph.end))
            and (at_start or bool(_BLANK_LINE_BEFORE.search(before))))


class _Line(enum.Enum):
    TEXT = "text"
    ITEM = "list item"
    ROW = "table row"
    LEADER = "label, dot leader, value"  # ``is_leader_line``
    CODE = "code"  # inside a Markdown code fence (```): each line stands alone


def _line_kind(line: str) -> _Line:
    if is_table_row(line):
        return _Line.ROW
    if is_leader_line(line):
        return _Line.LEADER
    return _Line.ITEM if is_list_item(line) else _Line.TEXT


class _SourceLine(NamedTuple):
    start: int
    end: int
    kind: _Line
    after_blank: bool  # a blank line stands between it and the line before


# A line of dashes or equals signs alone: a setext heading's underline, a rule ("-----", "=====", "***").
_UNDERLINE_MARKS = r"-{3,}|={3,}"
_RULE_LINE = re.compile(rf"(?:{_UNDERLINE_MARKS}|\*{{3,}}|_{{3,}})")
# The underline of the line before: a setext heading's.
_UNDERLINE = re.compile(rf"[ \t]*\n[ \t]*(?:{_UNDERLINE_MARKS})[ \t]*(?:\n|$)")
# A rule on a line of its own between two lines: what follows it is a new section ("8. TROUBLESHOOTING"
# under the rule after a list of steps was that list's last item).
_RULE_BETWEEN = re.compile(rf"\n[ \t]*{_RULE_LINE.pattern}[ \t]*\n")
# Only a rule's line between two lines.
_RULE_ONLY_BETWEEN = re.compile(rf"[ \t]*\n[ \t]*(?:{_UNDERLINE_MARKS})[ \t]*\n[ \t]*")
# A blank line or a rule just before a line (or the text's start): a setext heading stands apart from
# the lines above it, or between two rules (a chat log's last header field over the rule under its
# header is none).
_BLANK_LINE_BEFORE = re.compile(rf"\n[ \t]*(?:{_UNDERLINE_MARKS})?[ \t]*\n[ \t]*$")


def _source_lines(text: str) -> list[_SourceLine]:
    lines: list[_SourceLine] = []
    previous_end, in_fence = 0, False
    for match in re.finditer(r"[^\n]+", text):
        start, end = _strip_span(text, match.start(), match.end())
        if start == end:
            continue
        if text.startswith(("```", "~~~"), start):
            in_fence = not in_fence  # a fence's line ("```sh") is markup, no text of the document
            continue
        if not in_fence and _RULE_LINE.fullmatch(text, start, end):
            # A heading's underline or a rule between sections: markup. Under a heading, taken for a
            # list's item, it joined the list after it and made the first item the list's label.
            continue
        if not in_fence and _GRID_BORDER.fullmatch(text, start, end):
            # A grid table's border: markup, and no blank line between the rows it separates.
            if lines and lines[-1].kind is _Line.ROW:
                previous_end = end
            continue
        kind = _Line.CODE if in_fence else _line_kind(text[match.start():end])
        after_blank = bool(lines) and text.count("\n", previous_end, start) >= 2
        lines.append(_SourceLine(start, end, kind, after_blank))
        previous_end = end
    return _with_leader_runs(text, _without_lone_letters(text, _with_plain_tables(text, lines)))


def _with_plain_tables(text: str, lines: list[_SourceLine]) -> list[_SourceLine]:
    """``lines`` with each run of lines that is a plain text's table (``plain_table``: lines one after
    the other, each a rule or with two cells or more) taken for a table's rows. Line by line, a
    whitespace-aligned table's rows were headings or text, each a paragraph of its own, and the rows
    never named their columns: "How many Tier Points do I need for Gold?" met "Gold  600  50%  yes"."""
    def as_written(line: _SourceLine) -> str:
        return text[text.rfind("\n", 0, line.start) + 1:line.end]
    def may_be_a_row(line: _SourceLine) -> bool:
        written = as_written(line)
        return line.kind in (_Line.TEXT, _Line.ITEM) and (
            may_be_a_table_row(written) or bool(_PLAIN_RULE.fullmatch(written.strip())))
    runs: list[list[int]] = []
    for n, line in enumerate(lines):
        if not may_be_a_row(line):
            continue
        # A rule under the header row ("Violation   First   Repeat" over a line of dashes) is no blank line.
        if runs and runs[-1][-1] == n - 1 and (not line.after_blank
                                                or _RULE_ONLY_BETWEEN.fullmatch(text, lines[n - 1].end, line.start)):
            runs[-1].append(n)
        else:
            runs.append([n])
    def is_table(run: list[int]) -> bool:
        return plain_table([as_written(lines[n]) for n in run])
    def ruled_off(n: int) -> bool:
        return _RULE_ONLY_BETWEEN.fullmatch(text, lines[n - 1].end, lines[n].start) is not None
    rows = {n for run in runs for piece in ([run] if is_table(run) else _split_at(run, ruled_off))
            if is_table(piece) for n in piece}
    return [line._replace(kind=_Line.ROW) if n in rows else line for n, line in enumerate(lines)]


def _split_at(run: list[int], ruled_off: Callable[[int], bool]) -> list[list[int]]:
    """A run of lines cut before each line with a rule above it but the header's underline: a rule
    under a table's rows sets off its totals ("Subtotal ... £2,031.00" under a quote's items leaves the
    quantity's column blank: taken together, neither was a table, and the six items were one sentence)."""
    pieces = [run[:2]]
    for n in run[2:]:
        if ruled_off(n):
            pieces.append([])
        pieces[-1].append(n)
    return pieces


# A line lettered in abjad order ("أ. ...", "ب) ..."): an item only beside another one or under a line
# that leads into a list with a colon. Alone, "أ." is a title ("أ. هيفاء بنت محمد الزهراني", أستاذة),
# and a school principal's signature was taken for a list's item.
_ABJAD_ITEM = re.compile(rf"\s*\(?(?:{_ABJAD_LETTER})\s?[.)\-–]\s")


def _without_lone_letters(text: str, lines: list[_SourceLine]) -> list[_SourceLine]:
    def lettered(line: _SourceLine | None) -> bool:
        return line is not None and line.kind is _Line.ITEM and bool(_ABJAD_ITEM.match(text, line.start))
    def introduces(line: _SourceLine | None) -> bool:
        return line is not None and _last_mark(text[line.start:line.end]) in COLONS
    return [line._replace(kind=_Line.TEXT)
            if lettered(line) and not lettered(before) and not lettered(after) and not introduces(before) else line
            for before, line, after in zip([None, *lines], lines, [*lines[1:], None])]


def _with_leader_runs(text: str, lines: list[_SourceLine]) -> list[_SourceLine]:
    """``lines`` with a line under a dot leader's line, no blank between, taken for one too when it is
    one but for its short leader: a long label leaves room for few dots ("Forfeit (forfeiting side) ...
    minus 1 point" under "Forfeit (winning side) ...... 3 points" was a heading)."""
    def short_leader(line: _SourceLine) -> bool:
        leader = _leader(text[line.start:line.end]) if line.kind is _Line.TEXT else None
        return leader is not None and _value_words(leader["value"]) <= LEADER_VALUE_MAX_WORDS
    kept: list[_SourceLine] = []
    for line in lines:
        if kept and kept[-1].kind is _Line.LEADER and not line.after_blank and short_leader(line):
            line = line._replace(kind=_Line.LEADER)
        kept.append(line)
    return kept


def _section_numbers(text: str, lines: list[_SourceLine]) -> frozenset[int]:
    """Where the lines that number a section start: a numbered line standing alone between blank lines
    before running text or a table, short and without a terminator ("1. Purpose and scope", then its
    paragraph), after anything but another numbered line or a line that leads into a list; or a numbered
    line over an underline ("4. QUIET HOURS" over "-----"). A procedure's "4. Personal
    protective equipment" was taken for an item of the chemicals list above it and cited alone as the
    answer to "What protective equipment do I need?"."""
    starts = set()
    for before, line, after in zip([None, *lines], lines, [*lines[1:], None]):
        label = text[line.start:line.end]
        previous = text[before.start:before.end] if before else ""
        if line.kind is _Line.ITEM and NUMBERED_LINE.match(label) and _UNDERLINE.match(text, line.end):
            starts.add(line.start)  # "4. A TYPICAL MORNING" over a line of dashes: a heading by its markup
        elif (line.kind is _Line.ITEM and NUMBERED_LINE.match(label) and _is_short_label(label) and _in_capitals(label)
              and line.after_blank and after is not None and after.after_blank and not NUMBERED_LINE.match(previous)):
            # In capitals between blank lines, over a list: "8. WHAT WE CANNOT ACCEPT" between a store's
            # seasonal items and the items it will not take back was an item of the first list.
            starts.add(line.start)
        elif (line.kind is _Line.ITEM and NUMBERED_LINE.match(label) and _is_short_label(label)
                and after is not None and after.kind in (_Line.TEXT, _Line.ROW, _Line.LEADER)
                and (after.after_blank or _states_under(text, after))
                and (before is None or line.after_blank and (
                    _RULE_BETWEEN.search(text, before.end, line.start)
                    or not NUMBERED_LINE.match(previous) and not previous.endswith(COLONS)))):
            starts.add(line.start)
    return frozenset(starts)


def _states_under(text: str, line: _SourceLine) -> bool:
    """Whether ``line``, right under a numbered label, is running text: a statement that opens as a
    sentence does ("1. Repairs" over "Our engineer replaced the pump seal. ..." on the next line: the
    label was an item of a list of one, its section's text no part of it; a wrapped item's "back
    cover." goes on its line)."""
    words = text[line.start:line.end]
    return line.kind is _Line.TEXT and _last_mark(words) in _TERMINATORS and not words[:1].islower()


def _is_short_label(line: str) -> bool:
    """As short as a heading, and ending with no terminator or colon."""
    return len(line.split()) <= LABEL_MAX_WORDS and _last_mark(line) not in (_TERMINATORS + "".join(COLONS))


def is_question(sentence: str) -> bool:
    """Whether ``sentence`` asks rather than tells: it ends with a question mark."""
    return _last_mark(sentence.rstrip()) in ("?", "؟")


def _last_mark(line: str) -> str:
    """The last character of ``line`` before closing quotes and brackets and Markdown's bold or italic
    marks: what says whether it ends a sentence. A lease's "البند السادس: التزامات الطرف الأول (المؤجر)"
    ends with a bracket and was not the label over its list of obligations; an FAQ's "**Why is there
    water left in the tub?**" was no question line."""
    return line.rstrip(_CLOSERS + "*")[-1:]


def _blocks(text: str, lines: list[_SourceLine], sections: frozenset[int]
            ) -> tuple[list[list[tuple[int, int]]], frozenset[int]]:
    """The lines of each paragraph of ``text``: each non-blank line alone, but a list's item lines
    together, with the line that introduces them, a table's rows together, and in a hard-wrapped
    text the lines of a sentence together. A line numbering a section (``sections``) stands alone.
    Also where the paragraphs start that are no label (``_announced``)."""
    width = _width(lines)
    wrapped = _hard_wrapped(text, lines, width)
    blocks: list[list[tuple[int, int]]] = []
    plain: set[int] = set()
    last, last_text = _Line.CODE, ""  # what the line before was taken for, and its text
    said = ""  # the last line with a word
    apart = {line.start: line.after_blank for line in lines}  # a blank line before it
    for n, line in enumerate(lines):
        kind, line_text = line.kind, text[line.start:line.end]
        if n >= 2 and (_signs_off(text, lines[n - 1], line, lines[n + 1] if n + 1 < len(lines) else None, sections)
                       or _signs_at_the_end(text, lines, n, sections)):
            blocks[-1][-1] = (blocks[-1][-1][0], line.end)  # a name and a title: one line, one sentence
        elif blocks and _signs_after_a_closing(text, blocks[-1], line, sections, apart.get(blocks[-1][0][0], False)):
            blocks[-1][-1] = (blocks[-1][-1][0], line.end)  # "Best wishes," and the name and titles under it
        elif n >= 2 and blocks and _signs_under_label(text, lines[n - 2:n + 2], blocks[-1], sections):
            blocks[-1] = [(blocks[-1][0][0], line.end)]  # a label, a name and a title: one sentence
        elif blocks and not line.after_blank and _DEFINITION.match(line_text) and last is not _Line.CODE:
            blocks[-1][-1] = (blocks[-1][-1][0], line.end)  # one line with its term: ``_DEFINITION``
            kind = last
        elif not line.after_blank and (wrapped and _goes_on(kind, line_text, last, last_text, width)
                                       or kind is last is _Line.TEXT and _left_hanging(last_text)):
            # One line with the one before, cut into sentences by their punctuation only.
            blocks[-1][-1] = (blocks[-1][-1][0], line.end)
            kind = last
        elif (blocks and kind is _Line.TEXT and not line.after_blank and line.start not in sections
              and _indented_under_label(text, blocks[-1], line, lines[n + 1] if n + 1 < len(lines) else None)):
            blocks[-1].append((line.start, line.end))
        elif (len(blocks) > 1 and kind is _Line.TEXT and last is _Line.TEXT and not line.after_blank
              and len(blocks[-1]) == 1 and line.start not in sections and blocks[-1][0][0] not in sections
              and _labels_the_next_line(text[blocks[-1][0][0]:blocks[-1][0][1]], line_text)):
            blocks[-1][-1] = (blocks[-1][-1][0], line.end)  # a label and its value: one line, one sentence
        elif blocks and line.start not in sections and blocks[-1][0][0] not in sections and not (
                kind is _Line.ITEM and line.after_blank and _is_a_section(line_text, text[slice(*blocks[-1][0])])) and (
                (kind in (_Line.ITEM, _Line.ROW, _Line.LEADER) and kind is last) or (
                kind is _Line.ITEM and blocks[-1][0][0] not in plain and _introduces(text[blocks[-1][0][0]:blocks[-1][-1][1]]))):
            blocks[-1].append((line.start, line.end))
        elif (blocks and not line.after_blank and line.start not in sections
              and kind in (_Line.TEXT, _Line.LEADER)
              and _heads_records(text, [*blocks[-1], (line.start, line.end)], first=len(blocks) == 1)):
            blocks[-1].append((line.start, line.end))
        elif (blocks and kind is _Line.TEXT and not line.after_blank and line.start not in sections
              and _is_record(line_text.strip()) and (item := _item_over(text, blocks[-1], line.start)) is not None):
            # A record's lines indented under a list's item: the item's own paragraph, with them.
            if item:
                blocks.append(blocks[-1][item:])
                del blocks[-2][item:]
            blocks[-1].append((line.start, line.end))
        elif (blocks and kind is _Line.TEXT and not line.after_blank and line.start not in sections
              and _under_entry(text, blocks[-1], line.start)):
            blocks[-1].append((line.start, line.end))
        else:
            blocks.append([(line.start, line.end)])
            if _announced(kind, said):
                plain.add(line.start)
        last, last_text = kind, line_text
        said = line_text if _has_word(line_text) else said
    return blocks, frozenset(plain)


def _is_a_section(item: str, label: str) -> bool:
    """Whether a list item's line, after a blank line, is as long as a paragraph (``SECTION_ITEM_WORDS``)
    under a plain label: a contract's "3. LATE FEES. If rent is not received ... (50 words)" under "TERMS
    AND CONDITIONS" is a numbered section of its own, not an item of one paragraph with every other clause
    (48 sentences). A label that announces a list ("Follow these steps:", a Markdown heading) keeps it."""
    return (len(item.split()) > SECTION_ITEM_WORDS and _last_mark(label) not in COLONS
            and not _MARKDOWN_HEADING.match(label))


def _signs_after_a_closing(text: str, block: list[tuple[int, int]], line: _SourceLine,
                           sections: frozenset[int], closing_apart: bool) -> bool:
    """Whether ``line`` is a name or a title signed under a letter's closing ("Best wishes," over "Priya
    Raman", "Volunteer Coordinator" and "Riverside Community Food Bank"; "مع خالص التحية،"), at most
    ``SIGNATURE_MAX_LINES`` lines with it. Apart, each was a heading, and "Who is the volunteer
    coordinator?" had no sentence to cite."""
    start, end = block[-1]
    closing = text[start:end].split("\n", 1)[0].strip()
    return (len(block) == 1 and not line.after_blank and closing[-1:] in _COMMAS
            and len(closing.split()) <= CLOSING_MAX_WORDS and closing_apart
            and text.count("\n", start, end) < SIGNATURE_MAX_LINES - 1
            and (_is_short_line(text, line, sections) or bool(_CONTACT_LINE.match(text, line.start, line.end))))


_COMMAS = (",", "،")
# A way to reach the one who signed, under the name ("Tel: 0116 496 0283 (Mon–Fri 8:30–17:30)"): apart, the
# number was a field of nobody's, and "What is the phone number for Oakline customer care?" was refused.
_CONTACT_LINE = re.compile(r"\s*[*_]*(?:tel|telephone|phone|mobile|mob|fax|e-?mail|(?:ال)?(?:هاتف|جوال|فاكس|بريد)"
                           r"(?: الإلكتروني| الالكتروني)?)\.?[*_]*\s*[:：]", re.IGNORECASE)
CLOSING_MAX_WORDS = 4
SIGNATURE_MAX_LINES = 4


def _signs_under_label(text: str, around: list[_SourceLine], block: list[tuple[int, int]],
                       sections: frozenset[int]) -> bool:
    """Whether the last two of ``around`` (a label, a name, this line, the line after) are a name and its
    title under a label ending with a colon, the block's only lines, with nothing after them but a blank
    line ("Approved by:" over "  Linda Park, P.E." and "  Chief Elevator Inspector, City of Riverton",
    indented or not). Apart, the label was a sentence of its own and "Who approved the certificate?"
    cited it, or the title was a heading."""
    label, name, line, after = (*around, None)[:4]
    label_text = text[label.start:label.end].strip()
    return (block[0][0] == label.start and len(block) <= 2 and not name.after_blank and not line.after_blank
            and (after is None or after.after_blank) and _is_short_line(text, name, sections)
            and _is_short_line(text, line, sections) and _labels_the_next_line(label_text, text[name.start:name.end]))


def _is_short_line(text: str, source: _SourceLine, sections: frozenset[int]) -> bool:
    """A line as short as a signature's, no heading, field or sentence: a name, or a title. A dotted
    abbreviation's full stop ends none ("Linda Park, P.E.")."""
    words = text[source.start:source.end].strip()
    return (source.kind is _Line.TEXT and source.start not in sections and len(words.split()) <= SIGNATURE_LINE_MAX_WORDS
            and not _MARKDOWN_HEADING.match(words) and not _FIELD_LINE.match(words)
            and (_last_mark(words) not in (*_TERMINATORS, *COLONS)
                 or bool(_DOTTED_ABBREVIATION.fullmatch(words.split()[-1].rstrip(".")))))


def _signs_off(text: str, before: _SourceLine, line: _SourceLine, after: _SourceLine | None,
               sections: frozenset[int]) -> bool:
    """Whether ``before`` and ``line`` are two short lines standing alone together, blank lines around
    them and not at the text's start: a signature's name and title ("**عبد الله بن راشد الكعبي**" over
    "**رئيس مجلس الإدارة**", "أ. هيفاء بنت محمد الزهراني" over "مديرة المدرسة"). Apart, the title was a
    heading with nothing under it and the name a line of its own, and "من مديرة المدرسة؟" cited her
    letter instead of her name; together they are one sentence."""
    return (before.after_blank and not line.after_blank and (after is None or after.after_blank)
            and _is_short_line(text, before, sections) and _is_short_line(text, line, sections))


def _signs_at_the_end(text: str, lines: list[_SourceLine], n: int, sections: frozenset[int]) -> bool:
    """Whether ``lines[n]`` is one of the last lines of the text, a run of short lines one under another
    after a blank line, ``SIGNATURE_MAX_LINES`` at most (not the text's start): a signature's name,
    title, and organisation or date ("Catherine Moyo" over "Company Secretary" and "2 May 2025" under a
    notice's "By order of the Board"). Apart, the title was a heading and answered "Who is the company
    secretary?" with the date under it."""
    last = range(max(len(lines) - SIGNATURE_MAX_LINES, 0), len(lines))
    first = max((k for k in last if lines[k].after_blank), default=None)  # where the run starts
    return (first is not None and 2 <= first < n
            and all(_is_short_line(text, lines[k], sections) for k in range(first, len(lines))))


def _labels_the_next_line(label: str, line: str) -> bool:
    """Whether ``label`` is a field's name alone on its line, its value on the next ("Primary endpoint:"
    over "Proportion of participants in clinical remission at Week 12, ...", "مثال (٣) – تاجر ملابس:" over
    its figures): as short as a heading, ending with a colon, no field, list item or byline ("الكويت -
    سعد العجيبان:") itself, over a line that is no field or list item (quoted or not) either. Apart, the
    name was a sentence of its own and answered "What is the primary endpoint?"."""
    label = label.strip()
    return (_last_mark(label) in COLONS and "\n" not in label and len(label.split()) <= LABEL_MAX_WORDS
            and not _FIELD_LINE.match(label) and not is_list_item(label) and not _MARKDOWN_HEADING.match(label)
            and not _BYLINE.match(label) and not _is_record(line.strip()) and not is_list_item(line.lstrip("> ")))


def _heads_records(text: str, block: list[tuple[int, int]], first: bool) -> bool:
    """Whether ``block`` is a line that leads into records with a colon, no field itself, and the
    records' lines after it ("الرحلة الثانية (العودة):" over "رقم الرحلة: TK 144", "الوصول: الرياض ..."):
    a record's lines go with it, each a sentence, as a list's items go with the line that introduces
    them. Apart, a booking's outbound and return flights had the same lines, and "When do we land in
    Riyadh on the way back?" could not tell them apart. So do a price list's dot leaders ("Short Stay
    (Zone A)" over "1 - 2 hours ...... GBP 12.00": apart, five zones had the same lines). The text's
    ``first`` line leads into them only with a colon: without one, it is the text's title over its fields."""
    label = text[block[0][0]:block[0][1]]
    def under_it(start: int, end: int) -> bool:
        line = text[start:end]
        if not is_leader_line(line):
            return _is_record(line.strip())
        # Without a colon, a label heads leaders indented under it: a menu's "FROM THE SEA" over its
        # first dish's line heads every dish of the section, not that one.
        return _last_mark(label) in COLONS or _indent(text, start) > _indent(text, block[0][0])
    return _leads_into_records(label, labels=not first) and all(under_it(s, e) for s, e in block[1:])


def _item_over(text: str, block: list[tuple[int, int]], start: int) -> int | None:
    """Where in ``block`` the list item is that the record line at ``start`` is indented under, the
    lines after the item being records indented as well, or None ("1) مركز خدمات المرور – حي الروضة، جدة"
    over "   العنوان: شارع الأمير سلطان" and "   الهاتف: 012 665 3311"). Apart, each field was a paragraph
    of its own naming no centre, and the next centre's name went with the phone line above it."""
    if not re.match(r"[*_]*[^\W\d_]", text[start:start + 3]):
        return None  # a field opens with a word (a wrapped item's "`{"id", "turns": ...`" is none)
    for n in range(len(block) - 1, -1, -1):
        line = text[block[n][0]:block[n][1]]
        if is_list_item(line):
            return n if _indent(text, start) > _indent(text, block[n][0]) else None
        if not (_is_record(line.strip()) and _indent(text, block[n][0]) == _indent(text, start)):
            return None
    return None


def _indented_under_label(text: str, block: list[tuple[int, int]], line: _SourceLine,
                          after: _SourceLine | None) -> bool:
    """Whether ``line`` is one of the lines indented under the line that ``block`` opens with, a label
    ending with a colon, as the lines between them are: a plain text's list without bullets ("Board of
    Trustees (as at 31 March 2024):" over "  David Brennan (Treasurer, from 14 November 2023)", ...).
    Apart, each name was a paragraph of its own, the short ones headings, and none under its list's
    name. The first line under the label goes with it only when the next one is indented as well (a
    label's value alone on the line under it is one sentence with it: ``_labels_the_next_line``)."""
    label = text[block[0][0]:block[0][1]]
    if _last_mark(label) not in COLONS or "\n" in label or _FIELD_LINE.match(label.strip()):
        return False
    depth, indent = _indent(text, block[0][0]), _indent(text, line.start)
    if indent <= depth or any(_indent(text, s) != indent for s, _ in block[1:]):
        return False
    return len(block) > 1 or (after is not None and not after.after_blank and after.kind is _Line.TEXT
                              and _indent(text, after.start) == indent)


def _under_entry(text: str, block: list[tuple[int, int]], start: int) -> bool:
    """Whether the line at ``start`` is indented under the dot-leader line of the entry that ``block``
    ends with, as the lines between them are ("Fisherman's Pie ...... £18.25" over "  Salmon, smoked
    haddock and king prawns ..." and "  (F)(C)(D)"). Apart, each of a menu's dishes was its name and
    price alone, and "What's in the fisherman's pie?" was answered with the price."""
    leaders = [n for n, (s, e) in enumerate(block) if is_leader_line(text[s:e])]
    if not leaders:
        return False
    entry = _indent(text, block[leaders[-1]][0])
    return all(_indent(text, s) > entry for s, _ in block[leaders[-1] + 1:]) and _indent(text, start) > entry


def _indent(text: str, position: int) -> int:
    """How far into its line ``position`` is."""
    return position - (text.rfind("\n", 0, position) + 1)


def _leads_into_records(line: str, labels: bool = True) -> bool:
    """A line that leads into records: it ends with a colon ("الرحلة الثانية (العودة):", "Shipping
    address:") or, when ``labels``, is as short as a heading ("الفريق الأول (المؤجر)" over its party's
    name, number and phone: apart, a lease's two parties had the same lines, and "Who is the landlord?"
    found neither), and is no field itself."""
    line = line.strip()
    return ((_last_mark(line) in COLONS or labels and _is_short_label(line))
            and not _FIELD_LINE.match(line) and "\n" not in line)


def _announced(kind: _Line, before: str) -> bool:
    """Whether a line (of ``kind``, after the line ``before``) says what it says, no label of what
    follows: a line of code, or a text line that the line before announced ("To install it on Ubuntu,
    run:" over "sudo apt install ./agent.deb", "Opening hours:" over "Mon-Fri 9:00-17:00"). Short and
    without a full stop, an install guide's commands were headings, and each took the next step's list
    for its own."""
    return kind is _Line.CODE or (kind is _Line.TEXT and _last_mark(before) in COLONS)


def _wraps(line: str, width: int) -> bool:
    """A line of running text that stops mid-sentence: at least half the text's width (a label or a
    heading is shorter), not a Markdown heading, and no terminator at its end (closing quotes and
    brackets aside; a colon too goes on, unless a list follows)."""
    end = line.rstrip(_CLOSERS)
    ellipsis = end.endswith(("..", "…"))  # words left out, mid-sentence as often as not: the splitter decides
    return 2 * len(line) >= width and not line.startswith("#") and (ellipsis or end[-1:] not in _TERMINATORS)


# The words a sentence never ends with: a preposition, an article, a conjunction, a relative pronoun
# (no verb: "Who we are" is a heading). Only at the end of a line as long as running text: a short one
# may be a label ("How to log in").
_HANGING_WORDS = frozenset(
    "of the a an to and or for with in on at by from into about including as than that which whose per via"
    " our your their its his her my"
    " في من على إلى الى عن مع أو او ثم التي الذي الذين أن بأن لأن إن بين عند حتى لدى و".split())
HANGING_LINE_MIN_WORDS = 8


def _left_hanging(line: str) -> bool:
    """Whether a line of running text stops on a word no sentence ends with ("... a late cancellation fee
    of" over "GBP 3.00 is charged."): the text goes on on the next line, whether or not the whole text is
    hard-wrapped (``_hard_wrapped`` wants three such lines; a gym's notice broke two, and "What is the late
    cancellation fee?" cited the line without the amount)."""
    words = line.split()
    return len(words) >= HANGING_LINE_MIN_WORDS and words[-1].lower() in _HANGING_WORDS


def _goes_on(kind: _Line, line: str, last: _Line, before: str, width: int) -> bool:
    """In a hard-wrapped text, whether ``line`` goes on the line ``before`` (taken for ``last``): a
    list item's text goes on at a text line when the item stopped mid-sentence; after a text line, a
    text line goes on its paragraph unless either is a heading's, and a line that opens like a list
    item goes on only when ``before`` stopped mid-sentence and introduces no list ("(22 April 571\n-
    8 June 632)")."""
    if last is _Line.ITEM:
        return kind is _Line.TEXT and _wraps(before, width)
    if last is not _Line.TEXT:
        return False
    if kind is _Line.TEXT:
        return not _is_label(before, width) and not _heads(line, before, width) and not _records(before, line)
    return kind is _Line.ITEM and _wraps(before, width) and not _introduces(before)


# A record's line: a field ("Battery: 5000 mAh", "الوزن: 201 غرام": a short label with a letter, a colon,
# its value; a full stop in the label only inside a word, "ClinicalTrials.gov ID: NCT06418827"), or cells
# between bars ("09:00 - 09:30 | Tejo Auditorium | Welcome address").
_FIELD_LINE = re.compile(r"(?P<label>[*_]*(?=[^:：\n]*[^\W\d_])(?:[^:：\n.!?؟]|\.(?=\w|[*_]*[:：])){1,60})[:：][*_]*[ \t]+\S")
_CELLS_LINE = re.compile(r"[^|\n]*\S[ \t]+\|[ \t]+\S[^|\n]*\|[ \t]+\S")
FIELD_LABEL_MAX_WORDS = 5
SIGNATURE_LINE_MAX_WORDS = 6


def _is_record(line: str, label_words: int = FIELD_LABEL_MAX_WORDS) -> bool:
    """A field's line or a line of cells between bars (``_FIELD_LINE``, ``_CELLS_LINE``)."""
    field = _FIELD_LINE.match(line)
    if field:
        return len(field["label"].split()) <= label_words
    return bool(_CELLS_LINE.match(line))


def _records(before: str, line: str) -> bool:
    """Two records' lines in a row, each a line of its own: running text wrapped at a width seldom opens
    two lines running with a label and a colon, or with cells between bars. Beside a record, a label may
    be as long as a heading: a calendar's "آخر موعد للانسحاب من مقرر دراسي دون رسوب: الخميس 16 أكتوبر"
    (seven words) took the dates under it into its sentence."""
    return _is_record(before, LABEL_MAX_WORDS) and _is_record(line, LABEL_MAX_WORDS)


def _heads(line: str, before: str, width: int) -> bool:
    """In a hard-wrapped text, whether ``line`` is a heading of what follows rather than the end of the
    paragraph before: a label after a line that ended its sentence (or introduced something)."""
    return _is_label(line, width) and (not _wraps(before, width) or before.endswith(COLONS))


def _is_label(line: str, width: int) -> bool:
    """In a hard-wrapped text, a heading's line: a Markdown heading, or short and without a terminator, or
    a subsection's numbered title (a manual's "6.1  The printer does not appear on the network" over its
    indented text was glued to its first sentence), or a line wholly in bold (a catalogue's "**العمل رقم
    2 – "وقل ربِّ زدني علماً"**" over its fields took the first into its sentence, and the others, apart,
    named no work)."""
    return line.startswith("#") or line.rstrip(_CLOSERS)[-1:] not in _TERMINATORS and (
        2 * len(line) < width or bool(_SUBSECTION_NUMBER.match(line)) and len(line.split()) <= LABEL_MAX_WORDS + 1
        and 4 * len(line) < 3 * width  # well short of the width: a clause's first line, wrapped, runs to it
        or bool(_BOLD_LINE.fullmatch(line.strip())))


_BOLD_LINE = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")


def _width(lines: list[_SourceLine]) -> int:
    """How long the text's long lines of running text are (the 90th percentile): its wrapping width."""
    lengths = sorted(line.end - line.start for line in lines if line.kind is _Line.TEXT)
    return lengths[(len(lengths) - 1) * 9 // 10] if lengths else 0


def _hard_wrapped(text: str, lines: list[_SourceLine], width: int) -> bool:
    """Whether ``text`` breaks its lines at a width (Markdown, e-mail, exported notes), so that a line
    break inside a run of text lines is no paragraph's end: most of its long text (or list item) lines
    that a text line follows stop mid-sentence. One paragraph per line (the article, Wikipedia dumps) ends
    nearly every line with a full stop; a few lines say too little to tell (a byline and one line)."""
    followed = [text[a.start:a.end] for a, b in zip(lines, lines[1:])
                if a.kind in (_Line.TEXT, _Line.ITEM) and b.kind is _Line.TEXT and not b.after_blank
                and 2 * (a.end - a.start) >= width and not _records(text[a.start:a.end], text[b.start:b.end])]
    wrapping = sum(_wraps(line, width) and not line.endswith(COLONS) for line in followed)
    return wrapping >= WRAPPED_MIN_LINES and wrapping * 2 >= len(followed)


# A definition's line under its term's line: "`--exclude-caches`" over ": Skip directories containing a
# CACHEDIR.TAG file." (a man page's options, a glossary in Pandoc's Markdown). Apart, the term was a
# heading and its definition a sentence without it: "Which option skips directories with a CACHEDIR.TAG
# file?" cited the definition without the option. An entry this short is one sentence, its "Default: 4."
# with it ("How many upload workers by default?" found the definition, the default apart).
_DEFINITION = re.compile(r"[ \t]*:[ \t]+\S")
DEFINITION_MAX_WORDS = 60


def _is_definition_entry(line: str) -> bool:
    _, newline, definition = line.partition("\n")
    return bool(newline) and bool(_DEFINITION.match(definition)) and len(line.split()) <= DEFINITION_MAX_WORDS


def _line_sentences(text: str, start: int, end: int, code: bool = False, row: bool = False) -> list[tuple[int, int]]:
    """The sentences of one line: a table row is one (its separator row, "| --- |", none), and so are a
    line of ``code`` ("pakrat snapshot SOURCE... --repo REPO" was cut at its dots), a definition list's
    entry (``_DEFINITION``) and a line of cells between bars ("13:30 - 15:00 | Tejo Auditorium | Panel:
    Who owns street data? Moderated by Sofia Costa": the moderator's name was a sentence of its own)."""
    line = text[start:end]
    if code or _is_definition_entry(line) or is_leader_line(line) or _is_heading_line(line):
        return _capped(text, start, end, MAX_SENTENCE_CHARS)
    if not row and not is_table_row(line) and not ("\n" not in line and _CELLS_LINE.match(line)):
        return _sentence_spans(text, start, end)
    return [(start, end)] if _says_something(line) else []


def _is_heading_line(line: str) -> bool:
    """A Markdown heading's line is one sentence: an FAQ's "### س6: كيف أسجّل؟ وهل أحتاج إلى مراجعة أحد
    الفروع؟" is one question, its second half no statement of its own."""
    return "\n" not in line and bool(_MARKDOWN_HEADING.match(line.lstrip()))


def _introduces(line: str) -> bool:
    """A line that leads into a list after it: it ends with a colon, or is as short as a heading."""
    return _last_mark(line) in COLONS or (
        "\n" not in line and len(line.split()) <= LABEL_MAX_WORDS and _last_mark(line) not in _TERMINATORS)


def ends_as_a_statement(line: str) -> bool:
    """Whether ``line`` ends with a sentence's terminator or with a colon that leads into what follows
    (``_last_mark``): a label ends with neither."""
    return _last_mark(line) in (*_TERMINATORS, *COLONS)


def opens_with_a_heading(paragraph: str) -> bool:
    """Whether ``paragraph`` opens with a Markdown heading line, alone or over the list kept with it
    ("## How to stay safe" and its steps): a section ends before it."""
    return bool(_MARKDOWN_HEADING.match(paragraph))


def labels_a_list(paragraph: str) -> bool:
    """Whether ``paragraph`` opens with a label over the list it holds: a heading's line ("## Keyboard
    shortcuts", "سادساً: الموازنة والإنفاق"), kept with its items (see ``_blocks``), which names the
    list and answers nothing by itself. A line ending with a colon ("The company provides:") is a
    sentence leading into the list, not a label. So is a record's name in bold over its fields (a
    catalogue's "**العمل رقم 6 – "حروف في الريح"**" over "المقاس: 120 × 150 سم", ...): "ما مقاس لوحة حروف
    في الريح؟" matched the name, which says no size; so is a Markdown heading over a course's fields ("###
    IELTS Preparation" answered "Who teaches IELTS preparation?"), and a line in capitals over them (a
    results sheet's "FASTEST LAP" over "Men: Thomas Reid, lap 3, 40:51"). Not any line over fields: "Registered in
    England and Wales, Company No. 08473215" over "Registered office: ..." says the number asked for."""
    first, _, rest = paragraph.partition("\n")
    first, rest = first.strip(), "\n".join(line for line in rest.splitlines() if not _RULE_LINE.fullmatch(line.strip()))
    over_records = bool(_BOLD_LINE.fullmatch(first) or _MARKDOWN_HEADING.match(first) or _in_capitals(first)) and all(
        _is_record(line.strip()) for line in rest.splitlines() if line.strip())
    return (bool(rest) and (is_list_item(rest.lstrip("\n")) or over_records) and _introduces(first)
            and (bool(_MARKDOWN_HEADING.match(first)) or _last_mark(first) not in COLONS))


def sentences_of(paragraphs: tuple[Paragraph, ...]) -> tuple[Sentence, ...]:
    return tuple(s for p in paragraphs for s in p.sentences)


def _role(paragraph: Paragraph, index: int, count: int, announced: bool = False) -> str:
    """A short line without a full stop before running text is a label: the first one a byline when it
    reads "place - name", any other a heading unless it ends with a colon (it introduces what follows)
    or is ``announced`` (``_announced``). A Markdown heading line is a heading whatever it ends with."""
    text = paragraph.text
    if _MARKDOWN_HEADING.match(text) and "\n" not in text:
        return HEADING
    if index < count - 1 and _asks(paragraph):
        return HEADING
    if announced:
        return ""
    # A line in capitals may be as long as a title and end with a note in brackets (``_in_capitals``).
    capitals = _in_capitals(text)
    longest = TITLE_MAX_WORDS if index == 0 or capitals else LABEL_MAX_WORDS
    # A closing bracket ends a field's value ("Customer helpline: 0300 123 4400 (24 hours)"), a statement;
    # the same line over a list is the list's label (``_introduces``).
    words = len(text.split()) - bool(_SUBSECTION_NUMBER.match(text))  # "6.1" is the label's number, no word
    if (index == count - 1 or words > longest or _last_mark(text) in _TERMINATORS
            or text.rstrip("*")[-1:] in _CLOSERS and not _SUBSECTION_NUMBER.match(text) and not capitals
            or _FIGURES_IN_COLUMNS.search(text)
            or "\n" in text or is_list_item(text) or is_table_row(text) or is_leader_line(text)):  # no label
        return ""
    if capitals and not states_a_field(text):
        return HEADING  # whatever it ends with, and its document's first line too (no "place - name" byline)
    if index == 0 and _BYLINE.match(text) and not re.search(r"\d", text):
        return BYLINE
    if index > 0 and states_a_field(text) or _ITALIC_LINE.fullmatch(text.strip()):
        return ""
    return "" if _last_mark(text) in COLONS else HEADING


def _in_capitals(line: str) -> bool:
    """Whether ``line`` is typed in capitals, as a plain text's headings are: two words of Latin capitals
    at least and no small letter. "FLEXI SEASON (8 DAYS IN 28)" (a closing bracket ends a field's value)
    and "WEEKLY, MONTHLY AND ANNUAL SEASON TICKETS FROM HARLOW CENTRAL" (nine words) were statements, and
    the price tables under them had no heading (``_role``). A note in brackets and a figure's unit may
    be in small letters (``_NOTE_IN_BRACKETS``, ``_UNIT_AFTER_FIGURE``)."""
    outside = _UNIT_AFTER_FIGURE.sub("", _NOTE_IN_BRACKETS.sub("", line))
    return (not re.search(r"[a-z\u00df-\u00ff]", outside)
            and sum(bool(re.fullmatch(r"[^\w]*[A-Z][A-Z'’-]+[^\w]*", word)) for word in line.split()) >= 2)


# What a line in capitals may say in small letters: a note in brackets and a figure's unit. A results
# sheet's "WOMEN (ALL CATEGORIES) - 56.8 km (2 laps)" and "KING OF THE MOUNTAINS (Surprise View climb,
# each lap)" were statements, and they, not the rows under them, answered "Who won the women's race?".
_NOTE_IN_BRACKETS = re.compile(r"\([^()\n]*\)")
_UNIT_AFTER_FIGURE = re.compile(r"(?<=\d)\s?[a-z]{1,3}\b")


# A line wholly in italics (one "*" or "_" each side; bold is two): a byline, a note or a caption
# ("*By Daniel Okafor, published 12 September 2024*", "_Prices include VAT_"), no heading.
_ITALIC_LINE = re.compile(r"([*_])(?![*_\s])[^\n]*[^*_\s]\1")


# A subsection's number ("2.3 Adult Reading Skills (ARS)": a heading, though it ends with a bracket).
_SUBSECTION_NUMBER = re.compile(r"\s*\d{1,3}(?:\.\d{1,3})+\.?[ \t]+\S")
# Figures set apart in columns: a table's lone line ("Net surplus for the year     £50,220     £31,240")
# states its values, it heads nothing.
_FIGURES_IN_COLUMNS = re.compile(r"\S[ \t]{2,}[-+(]?[£$€¥]?[\d٠-٩]")


# A section's number or rank as a label: "أولًا: رحلات الطيران", "Part 2: Methods", "Chapter III: ..."
# (an ordinal as a whole word, a Roman numeral in capitals: "أولياء الأمور: ...", "الرابط: ...", "Cc: ..."
# are fields; an English ordinal is the whole label: "**First published:** 2025-04-03" is a field).
_SECTION_LABEL = re.compile(
    r"[*_#\s]*(?:[^:：\n]*[\d٠-٩]|(?:(?:ال)?(?:باب|فصل|قسم|جزء|مبحث|مادة|بند)\s+)?"
    r"(?:ال)?(?:أول|ثاني|ثالث|رابع|خامس|سادس|سابع|ثامن|تاسع|عاشر|حادي)[ًا]*(?!\w)"
    r"|(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)[*_\s]*$"
    r"|(?:part|chapter|section|appendix|annex)\b"
    r"|(?-i:[IVXLC]+)\b)", re.IGNORECASE)


def states_a_field(line: str) -> bool:
    """Whether ``line`` is a field, a label and its value ("العنوان: شارع تشيراغان رقم 48", "**DOI:**
    10.5281/zenodo.9914273"): it says the value, it heads nothing; a section's number or rank before the colon
    ("أولًا: رحلات الطيران") makes it a heading, unless the number is a label's over a figure ("VAT (20%): £67.32")."""
    field = _FIELD_LINE.match(line)
    if not field or "\n" in line or not _is_record(line):
        return False
    # A number in the label is a section's over words ("Part 2: Methods"), not over a figure: "**VAT
    # (20%):** £67.32", "Phase 2 fee: £400" (a quote's discount line was a heading, and gave way to its
    # "section" when asked how much the discount was).
    label, value = field["label"], line[field.end() - 1:]
    return not _SECTION_LABEL.match(label) or (
        not _SECTION_LABEL.match(re.sub(r"[\d٠-٩]", "", label)) and bool(re.search(r"[\d٠-٩]", value)))


def _turn_label(words: str) -> re.Pattern[str]:
    """A turn's label, numbered or not, in bold or not: "Q:", "Q3:", "س8:", "**سؤال 2:**", "السؤال (6):"
    (a tender's clarifications: their questions were headings but the first, which asks two things, and
    "الجواب:" was read as a field's label)."""
    return re.compile(rf"[*_]*(?:ال)?(?:{words})\s?(?:[\d٠-٩]+|\([\d٠-٩]+\))?[*_]*\s*[:：][*_]*\s*", re.IGNORECASE)


_ASKING_WORDS = "Q|Question|س|سؤال"  # Arabic's "س" and "سؤال": question
_REPLYING_WORDS = "A|Answer|ج|جواب"  # "ج" and "جواب": answer
# An interviewer's or an FAQ's turn: "Q: Maren, welcome to the show. How did you end up studying glaciers?"
_QUESTION_TURN = _turn_label(_ASKING_WORDS)
# The label of an FAQ's question or answer line. It names no field: "س15: خُصم مني مبلغ بالخطأ، كيف أعترض؟"
# is a question.
_FAQ_LABEL = _turn_label(f"{_ASKING_WORDS}|{_REPLYING_WORDS}")


def faq_label(line: str) -> str:
    """The FAQ label ``line`` opens with ("س8: ", "A: "), or ""."""
    match = _FAQ_LABEL.match(line)
    return match.group(0) if match else ""


def _asks(paragraph: Paragraph) -> bool:
    """A paragraph of one question ("Q: Can I use ground coffee?", "كيف أقدّم الطلب؟"), or a question turn
    that ends with one ("Q: Maren, welcome to the show. How did you end up studying glaciers?"), heads the
    text that answers it, as an FAQ's "## How do I apply?" does: cited alone it answered the question it
    repeats (the interviewer's question was cited for "What did she study before glaciers?")."""
    text = paragraph.text
    return (is_question(text) and "\n" not in text and len(text.split()) <= QUESTION_LINE_MAX_WORDS
            and (len(paragraph.sentences) == 1 or bool(_QUESTION_TURN.match(text))))


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = start
    quotes = _QuoteDepth(text, start)
    code = [span.span() for span in _CODE_SPAN.finditer(text, start, end)]
    for match in _BOUNDARY.finditer(text, start, end):
        if match.start() < cursor or any(s < match.start() < e - 1 for s, e in code):
            continue
        if (not _is_sentence_end(text, match, max(start, cursor), end, quotes.inside(match.start()))
                or any(_inside_pair(text, match, max(start, cursor), end, *pair) for pair in _PAIRS)):
            continue
        stop = _after_markers(text, match.end(), end)
        spans.extend(_capped(text, *_strip_span(text, cursor, stop), MAX_SENTENCE_CHARS))
        cursor = stop
    spans.extend(_capped(text, *_strip_span(text, cursor, end), MAX_SENTENCE_CHARS))
    return _joined_replies(text, _attach_markers(text, [(s, e) for s, e in spans if e > s and _says_something(text[s:e])]))


class _QuoteDepth:
    """Whether a position is inside a quotation, counted forward once (linear over a paragraph)."""

    def __init__(self, text: str, start: int) -> None:
        self._text, self._position, self._straight, self._guillemets = text, start, 0, 0

    def inside(self, position: int) -> bool:
        span = self._text[self._position : position]
        self._straight += span.count('"')
        self._guillemets += span.count("«") - span.count("»")
        self._position = max(self._position, position)
        return self._straight % 2 == 1 or self._guillemets > 0


def _inside_pair(text: str, match: re.Match[str], start: int, end: int, opener: str, closer: str,
                 limit: int) -> bool:
    """Whether the terminator ``match`` stands inside parentheses (or quotation marks) opened in its
    sentence and closed within ``limit`` characters ("(Mon.–Fri., 8 a.m. to 6 p.m. EST) or email
    ..."): no end. One that closes them ("(see below.)", "... بردة الفعل».") may end the sentence."""
    opened = text.rfind(opener, start, match.start())
    if opened < 0 or closer in text[opened : match.end()]:
        return False
    closing = text.find(closer, match.end(), min(end, match.end() + limit))
    return closing >= 0 and opener not in text[match.end() : closing]


def _is_sentence_end(text: str, match: re.Match[str], start: int, end: int, in_quotation: bool) -> bool:
    """Whether the terminator ``match`` ends the sentence that began at ``start``."""
    run = match.group()
    following = text[match.end() : match.end() + 1]
    if ".." in run or "…" in run:
        # Inside a quotation an ellipsis marks words left out ("سيرتفع ... بالتأكيد"), not an end; so does
        # one standing apart between words of a line, as it parts a verse's halves ("يا نخلَ الحصنِ هل
        # تذكرُ من رحلوا ... وهل يعودُ إلى أفيائكَ الأملُ", a user's biography of a poet).
        goes_on = bool(_LETTER.match(text[match.end() : match.end() + 2].lstrip() or " "))
        return not goes_on or not (in_quotation or text[match.start() - 1 : match.start()].isspace())
    if run[0] != ".":
        return True
    if _GLUED_INITIALS_NEXT.match(text, match.end(), end):
        return False  # "Ph.D.", "M.Sc.", "B.Sc.": a degree's letters, cut into "She earned a Ph." and "D. in zoology"
    if re.search(r"(?<!°)\b[A-Z]$", text[max(start, match.start() - 2):match.start()]):
        return bool(_LETTERED_PLACE.search(text, max(start, match.start() - 20), match.start())
                    or re.search(rf"[{_ARABIC_LETTER}] [A-Z]$", text[max(start, match.start() - 3):match.start()])
                    and re.match(_AFTER_A_LATIN_LETTER_IN_ARABIC, text[match.start():end]))
    if _LOWERCASE_NEXT.match(text, match.end(), end) and text[match.start() - 1 : match.start()] not in _SPAN_CLOSERS:
        # "from 5 p.m. to 9 p.m.", "approx. twice": English opens no sentence in lower case; but no
        # abbreviation ends with a bracket or a code span, so a name written in lower case opens the next one
        # ("(`s3://bucket/prefix`). pakrat never modifies ...").
        return False
    line_start = text.rfind("\n", start, match.start()) + 1 or start
    if (_ITEM_NUMBER.fullmatch(text, max(start, line_start), match.start())
            or _LABEL_NUMBER.fullmatch(text, start, match.start())):
        return False  # "1. Use the company VPN.", "Step 5. Allow ...": the item's or the label's number
    if _CLAUSE_TITLE.fullmatch(text, max(start, line_start), match.start()):
        # "3. LATE FEES. If rent is not received ..., a late fee of $25.00 will be charged.": a contract's
        # clause title in capitals goes with its first sentence; alone, it ranked first for "How much is
        # the late fee?" and holds no amount.
        return False
    before = text[max(start, match.start() - 40) : match.start()]
    token = _LAST_TOKEN.search(before).group(1).lstrip("*_")  # type: ignore[union-attr]  # "**Dr.", "**د."
    if _LETTER_ABBREVIATION.fullmatch(token):
        # "ق.م" glued, or an initial ("م. ثيو كيرني"); after a number it is an era ("سنة 651 م. وخلال"),
        # unless the date opens the sentence ("وفي عام 63 ق.م. ضمّ القائد ...") or a number follows: an
        # edition, a page, a volume ("(1973 م)، ط. 2 عام 1980 م.", "ص. 45").
        # A footnote marker after the full stop ("في القرن الأول ق.م.[8] ثم ...") is put where a sentence
        # ends, whether a number comes before the era or not.
        ends_here = bool(_NUMBER_BEFORE.search(before)) or bool(_MARKERS.match(text, match.end(), end))
        return (not (following and _LETTER.match(following)) and ends_here
                and not _FRONTED_DATE.fullmatch(text, start, match.start())
                and not _NUMBER_NEXT.match(text, match.end(), end))
    token = token.lstrip("(")  # "(vol."
    if _LATIN_ABBREVIATION.fullmatch(token):
        return False
    if _COMPANY.fullmatch(token) and (_BRACKET_NEXT.match(text, match.end(), end)
                                      or _NUMBER_NEXT.match(text, match.end(), end)):
        # "Veranox Systems, Inc. (NASDAQ: VRNX), a provider of ...": the name goes on; so does a results
        # row's "Gregory T. FENWICK (inc.)      19,741     42.7%" (incumbent), cut from its votes.
        return False
    if _DOTTED_CAPITALS.fullmatch(token) and _BRACKET_NEXT.match(text, match.end(), end):
        return False  # "Clara Mendes, B.Mus. (Royal Northern College of Music), LRSM": a degree, its college after
    if _DOTTED_ABBREVIATION.fullmatch(token) and (_RANGE_NEXT.match(text, match.end(), end)
                                                  or _DASH_NEXT.match(text, match.end(), end)
                                                  or _TIME_ZONE_NEXT.match(text, match.end(), end)
                                                  or _DAY_NEXT.match(text, match.end(), end)):
        return False  # "8:00 a.m. – 5:00 p.m. daily", "11:59 p.m. ET", "7:00 a.m. Sunday through Thursday"
    return not (_SPELT_INITIAL.fullmatch(token) and not _NUMBER_BEFORE.search(before))


# A reply of one word ("Yes.", "A: No.", "نعم.") says nothing alone: an FAQ's "Yes." from another answer
# was the answer to "Is there a web version of PocketLedger?".
_REPLY = re.compile(r"(?:(?:Q|A|س|ج)\s?[:：]\s*)?(?:yes|no|yeah|sure|correct|absolutely|نعم|لا|كلا|أجل|اجل|بلى)[.!؟?]+",
                    re.IGNORECASE)


def _joined_replies(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A one-word reply joins the sentence after it on its line ("Yes. Both beans and ground coffee work.")."""
    return _joined(spans, lambda before, span: bool(_REPLY.fullmatch(text, *before))
                   and "\n" not in text[before[1]:span[0]])


def _joined(spans: list[tuple[int, int]],
            joins: Callable[[tuple[int, int], tuple[int, int]], bool]) -> list[tuple[int, int]]:
    """``spans`` with each one that ``joins`` the span before it (as joined so far) made one with it."""
    joined: list[tuple[int, int]] = []
    for span in spans:
        if joined and joins(joined[-1], span):
            joined[-1] = (joined[-1][0], span[1])
        else:
            joined.append(span)
    return joined


def _after_markers(text: str, position: int, end: int) -> int:
    markers = _MARKERS.match(text, position, end)
    return markers.end() if markers else position


def _attach_markers(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A fragment of markers alone ("[2][3]") is no sentence: it joins the sentence before it; so does a
    short note in brackets after it on its line ("... to CSV or JSON Lines. (#2214)", a changelog's issue)."""
    return _joined(spans, lambda before, span: bool(_ONLY_MARKERS.fullmatch(text, *span)) or (
        bool(_BRACKETED_NOTE.fullmatch(text, *span)) and "\n" not in text[before[1]:span[0]]))


def _capped(text: str, start: int, end: int, cap: int) -> list[tuple[int, int]]:
    """``[start, end)`` cut into pieces of at most ``cap`` characters, at the last whitespace in the
    second half of each window (or hard at the cap when there is none)."""
    pieces = []
    while end - start > cap:
        cut = max(text.rfind(" ", start + cap // 2, start + cap), text.rfind("\t", start + cap // 2, start + cap))
        cut = cut if cut > start else start + cap
        pieces.append(_strip_span(text, start, cut))
        start = _strip_span(text, cut, end)[0]
    pieces.append((start, end))
    return pieces


def _paragraph_groups(spans: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Consecutive sentences grouped into paragraphs of at most ``MAX_PARAGRAPH_CHARS``."""
    groups: list[list[tuple[int, int]]] = []
    for span in spans:
        if groups and span[1] - groups[-1][0][0] <= MAX_PARAGRAPH_CHARS:
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


# A form's field left blank: a short label, a colon, and only dots or underscores to write on
# ("الطرف الأول (المؤجر): ..............", "Signature: ________"). It says nothing, and a lease's blank
# signature line was the answer to "من هو المؤجر؟" over the clause that names him.
# An ellipsis ("Note: ...") is no blank: the run is five or more.
# So is a numbered blank line under a label ("الشهود:" then "1. …………"): it answered who the witnesses were.
# So are a line of several ("Postcode: __________    Phone: ___________" answered "What is the park
# office's phone?") and a form's blank field among aligned fields, read as a table row ("Serial number:
# ______" answered "Where do I find the serial number?" over the sentence that says where).
_BLANK_FIELD = re.compile(r"(?:(?:[^\n:：]{1,60}[:：]|\(?(?:\d{1,3}|[٠-٩]{1,3})[.)])[ \t]*"
                          r"(?:(?:[._ـ][ \t]*){5,}|(?:…[ \t]*){2,}))+")


def _says_something(fragment: str) -> bool:
    """Whether a sentence's text has a word and is no form's blank field (``_BLANK_FIELD``)."""
    return _has_word(fragment) and not _BLANK_FIELD.fullmatch(fragment)


def _has_word(fragment: str) -> bool:
    return any(ch.isalnum() for ch in fragment)


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
