"""The answer stage: turn ranked sentences into a cited answer, or abstain.

The default answerer is extractive (no LLM ships offline): the answer is the supporting sentences
themselves, each followed by its citation marker. LLM answerers share the ``Answerer`` protocol.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from llama_index.core.schema import NodeWithScore, TextNode

from .evidence import across_languages, node_terms
from .normalize import Language, content_terms, forms_of_one_word
from .question_type import (CALENDAR_DATE, DATE, MONEY, QUANTITY, TIME_OF_DAY, announced_count, asks_for_several,
                            gives_answer_type, wanted_answer_types, without_years)
from .segmentation import (COLONS, HEADING, ends_as_a_statement, faq_label, is_list_item, is_question, labels_a_list,
                           may_be_a_table_row, named_cells, opens_with_a_heading, paragraph_id, paragraph_number,
                           row_header, sentence_id, sentence_number, table_header)
from .store import role_of
from .types import Citation, as_said, sentence_ref, with_rendering

ABSTENTION = {
    Language.ARABIC: "لا تذكر المستندات ذلك: لم أجد فيها ما يجيب عن هذا السؤال.",
    Language.ENGLISH: "The documents do not say: I found nothing in them that answers this question.",
}
# How many nearby sentences an abstention offers as "related, not an answer".
RELATED = 3
# How far below the best score a sentence may be and still be cited beside it. Retrieval scores a
# sentence half by its own match and half by its passage's, and late interaction moves the top
# candidates apart by how much less each matches token by token. Gold set citation precision /
# recall / correct with late interaction at 0.015: .855 / .802 / .824 (384 dimensions, before the
# answerability refit); 0.02: .836 / .835 / .854; 0.025: .813 / .850 / .873, but it also cites
# near-identical siblings ("station 1" beside "station 5", tests/test_store.py). Before late
# interaction, 0.015: .823 / .843 / .863.
RUNNER_UP_MARGIN = 0.02
# A runner-up needs this many content words to be cited ("Yes." has one).
MIN_RUNNER_UP_TERMS = 2
# A runner-up whose share of the answer (rerank.py) is under this part of the best one's is not cited:
# an Arabic question about an English document had two Arabic sentences of other documents, within
# the margin by retrieval's score, cited at .0002 beside the answer's .88. Gold set citation precision
# at 0 / 0.1 / 0.2 / 0.3 / 0.5: .852 / .852 / .862 / .867 / .879, recall .869 until 0.3, .847 at 0.5;
# 0.1 (ten times less likely than the best) is not chosen on it (docs/benchmarks.md).
MIN_SHARE_RATIO = 0.1
# A runner-up from another document, in the other language, needs half the best one's share: "متى يبدأ
# التنبيه البرتقالي؟" cited a job posting's "Interviews will take place ..." (.017 beside the weather
# bulletin's .087), and the follow-up "ومتى ينتهي؟" was then ranked among that posting's sentences (a
# user's store of six documents: answers citing two documents 9 -> 7, none right lost). A store of both
# languages (benchmarks/mixed_languages.py --ask), citation precision fit .939 / .800 -> .941 / .805
# (same language / across), report .955 / .803 -> .956 / .804; stores of one language are unchanged.
MIN_SHARE_RATIO_ELSEWHERE = 0.5
# How far below the best score a sentence may be and still be an item of a list. 0.15 before late
# interaction, which spreads the top candidates; with it, gold citation recall / correct at 0.15:
# .835 / .854 ("ما هي مجموعات العمل التابعة للتحالف؟" lost two of its groups), at 0.2: .838 / .858.
LIST_SCORE_MARGIN = 0.2
# The most items a sentence brings after it (a list it introduces, or the count it announces).
MAX_ITEMS = 10
# A list item this short (its number aside) is a step's title ("5. Sign in."), and what follows it in its
# line says how (``_is_a_steps_title``).
STEP_TITLE_MAX_WORDS = 5
# How many lines above and below the best sentence's paragraph a block of fields is looked through.
MAX_FIELD_BLOCK = 8
# How many paragraphs after a heading are looked through for its section's end (the next heading).
MAX_SECTION = 20
# Why the answer stage abstained though the evidence was judged likely to answer: what the question
# asks for is in none of the sentences it would cite ("When does cover start?" refused, then "Related:
# ... probability 0.98" read as a contradiction to a user).
# Only the best passage's top sentences are looked through (``_evidence``), so the note says that much:
# a related sentence further down may hold one (a blind trial's "When are fees collected?").
_ASKED_EN = {QUANTITY: "a number", MONEY: "an amount of money", DATE: "a date or a time", CALENDAR_DATE: "a date",
             TIME_OF_DAY: "a time of day"}
_ASKED_AR = {QUANTITY: "رقم", MONEY: "مبلغ من المال", DATE: "تاريخ أو وقت", CALENDAR_DATE: "تاريخ",
             TIME_OF_DAY: "وقت من اليوم"}
MISSING_TYPE_NOTE = {
    Language.ENGLISH: {kind: f"The question asks for {what}, which the best-matching passage does not give."
                       for kind, what in _ASKED_EN.items()},
    Language.ARABIC: {kind: f"يسأل السؤال عن {what}، ولا يذكره المقطع الأقرب إليه."
                      for kind, what in _ASKED_AR.items()},
}
NO_RENDERING_NOTE = {
    Language.ENGLISH: "No English rendering is available for some cited sentences, so they are quoted in the "
                      "original; an LLM answer backend can translate them.",
    Language.ARABIC: "لا تتوفر ترجمة عربية لبعض الجمل المستشهد بها، فنُقلت بلغتها الأصلية؛ "
                     "يمكن لواجهة نموذج لغوي أن تترجمها.",
}

@dataclass(frozen=True)
class Draft:
    """What an answerer produces; the assistant adds the question, timings and language."""

    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    note: str = ""
    # (document_id, sentence_id) of a cited sentence -> that of the line that introduced it (an item of
    # a list after "The company provides:", a section's sentence after its heading): the sentence is
    # part of that line's answer and carries its score.
    introduced_by: Mapping[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    related: tuple[Citation, ...] = ()  # with an abstention: the closest sentences, not an answer


class Answerer(Protocol):
    def answer(self, question: str, language: Language, hits: list[NodeWithScore]) -> Draft: ...

    def abstain(self, language: Language, hits: list[NodeWithScore]) -> Draft: ...


# A list (or the items a chosen line introduces) is cited up to this many times top_k sentences: a
# list of up to nine items at the default top_k (3), without a long one flooding the answer.
LIST_CITATIONS_PER_TOP_K = 3


def _without_questions(hits: list[NodeWithScore]) -> list[NodeWithScore]:
    """The ranking without the sentences that ask instead of tell: a forum's "- Is link aggregation
    turned on in the NAS network settings?" was the answer to "Was link aggregation enabled on the
    NAS?", over the reply "Link aggregation is off." None of the 3,057 sentences of ARCD-train and
    XQuAD-R asks; no answer of benchmarks/dialogues/ is said in one of its documents' questions. A
    question heading (an FAQ's) stays: it gives way to the text under it (``_sections_for_headings``).
    Kept when nothing else is ranked."""
    return [hit for hit in hits if role_of(hit.node) == HEADING or not is_question(hit.node.get_content())] or hits


class ExtractiveAnswerer:
    """Quotes the best supporting sentences. Whether to answer at all is the evidence stage's call
    (assistant/evidence.py); this one still abstains when a question that wants a number, money or a date
    finds none in what it would cite."""

    def __init__(self, paragraphs: Mapping[tuple[str, str], TextNode], top_k: int) -> None:
        self._paragraphs = paragraphs
        self._top_k = top_k

    def answer(self, question: str, language: Language, hits: list[NodeWithScore]) -> Draft:
        if not hits:
            return self.abstain(language, hits)
        hits = _without_questions(self._without_table_headers(hits))
        several = asks_for_several(question) and not _names_whole_label(question, hits[0].node)
        hits, headed_by = self._sections_for_headings(question, several, hits)
        chosen, introduced_by = self._select(question, several, hits, headed_by)
        introduced_by = headed_by | introduced_by
        for kind in _answer_types(question):
            # The date or number may be in any sentence of the evidence, not only the best one: cite that one.
            holder = next((hit for hit in _evidence(hits[: self._top_k], kind, self._lines_with(hits[0].node))
                           if gives_answer_type(kind, question, as_said(hit.node))), None)
            if holder is None:
                # Said, so that the related sentences' high probabilities do not read as an answer.
                return replace(self.abstain(language, hits), note=MISSING_TYPE_NOTE[language][kind])
            if kind == MONEY and not several:  # a sentence with no currency does not say how much it cost
                chosen = [hit for hit in chosen if gives_answer_type(kind, question, as_said(hit.node))]
            if not several and chosen and not gives_answer_type(kind, question, as_said(chosen[0].node)):
                # The sentence that holds what is asked comes first: the best one, without it, read as the
                # answer ("How long do discus live?" opened with "Discus are tall fish that live in groups.").
                chosen = [holder, *chosen]
            chosen = _reading_order([*chosen, holder], by_rank=not several)
        citations = tuple(self._citation(n, hit) for n, hit in enumerate(chosen, start=1))
        wants_english = language is Language.ENGLISH
        # A sentence that several documents hold word for word (a file ingested under two names) is
        # said once, with each citation's marker: "The oasis has 3 wells. [1][2]".
        markers: dict[str, str] = {}
        for c in citations:
            text = _shown_text(c, wants_english)
            markers[text] = f"{markers[text]}[{c.n}]" if text in markers else f"{text} [{c.n}]"
        missing = any(across_languages(wants_english, hit.node) for hit in chosen)
        cited = {(c.document_id, c.sentence_id) for c in citations}
        return Draft(" ".join(markers.values()), citations, abstained=False,
                     note=NO_RENDERING_NOTE[language] if missing else "",
                     introduced_by={item: line for item, line in introduced_by.items() if item in cited})

    def abstain(self, language: Language, hits: list[NodeWithScore]) -> Draft:
        """The documents do not say; the closest sentences come along as ``related`` (no markers)."""
        # A heading only names what its section is about ("## Traffic" offered for "What did she do before?");
        # a field's line says its value ("Water resistance: IP68" ranked first for "Is the phone waterproof?"
        # and the spec sheet's colours were offered instead).
        nearby = [hit for hit in hits if role_of(hit.node) != HEADING or _is_field(hit.node)][:RELATED]
        related = tuple(self._citation(n, hit) for n, hit in enumerate(nearby, start=1))
        return Draft(ABSTENTION[language], (), abstained=True, related=related)

    def _select(self, question: str, several: bool, hits: list[NodeWithScore],
                headed_by: Mapping[tuple[str, str], tuple[str, str]]
                ) -> tuple[list[NodeWithScore], dict[tuple[str, str], tuple[str, str]]]:
        """The top sentence and close runners-up, in reading order; lists (a question that asks for
        ``several``) gather their items, in their order: a section whose heading the question matched
        is the list. Also which chosen item each introducing line brought (item -> line)."""
        top = hits[0].score or 0.0
        # A runner-up of one word ("Yes.", "No.") says nothing beside the best sentence.
        chosen = hits[:1] + [hit for hit in hits[1: self._top_k] if (hit.score or 0.0) >= top - RUNNER_UP_MARGIN
                             and len(content_terms(with_rendering(hit.node))) >= MIN_RUNNER_UP_TERMS
                             and _holds_a_share(hit, hits[0])]
        introduced = _items_after(question, several, chosen, hits)
        heading = headed_by.get(sentence_ref(hits[0]))
        if several and heading:  # the section stands for its heading, all of it
            chosen += [hit for hit in hits if headed_by.get(sentence_ref(hit)) == heading and hit not in chosen]
        elif several and not introduced:  # a list the best sentences introduce is the list
            chosen += _list_items(question, hits, top)
        ordered = _reading_order(chosen + [item for item, _ in introduced], by_rank=not several)
        # Only a list has items between its items: for one answer the sentence between two close
        # candidates is neither ("Who runs the authority?" cited "It was established in 1962" between
        # the authority's task and its director). ARCD report half: citations per answer 1.91 -> 1.84,
        # the answer in some citation .863 either way; gold set unchanged.
        selected = _fill_enumeration_gaps(ordered, hits) if several else ordered
        chosen_keys = {sentence_ref(hit) for hit in chosen}
        brought = {sentence_ref(item): sentence_ref(line) for item, line in reversed(introduced)
                   if sentence_ref(item) not in chosen_keys}
        return selected[: self._top_k * LIST_CITATIONS_PER_TOP_K], brought

    def _sections_for_headings(self, question: str, several: bool, hits: list[NodeWithScore]
                               ) -> tuple[list[NodeWithScore], dict[tuple[str, str], tuple[str, str]]]:
        """The ranking with each heading among the top ones giving way to the best-ranked sentences of
        the section it heads (the best and its close runners-up), when the ranking holds any: they take
        the heading's place (and score) if they ranked below it. A heading answers nothing by itself: "## How do I get a library
        card?" was the answer to "What do I need to bring to get a library card?", whose answer is the
        section's "Bring a photo ID ...". A heading that holds what the question asks for (a headline's
        "بمشاركة 40 جامعة" for "how many universities ...?") stays, its section's sentences after it.
        For a question that asks for ``several``, every ranked sentence of the section stands for it:
        "What are the effects of the dam?" matched "## Effects", whose section is the answer (not for
        a document's title line: its section is the whole document). For a question that wants one
        thing, the label line over a list in its own paragraph ("## Keyboard shortcuts") is a heading
        too, its items its section.
        Also which sentence stands for which heading (it carries the heading's score, as an item
        carries the score of the line that introduced it)."""
        ranked, headed_by = list(hits), {}
        wanted = wanted_answer_types(question)
        for hit in hits:  # the top ones as they stand: a heading left out lets the next one up
            place = _position(hit, ranked)
            if place is None or place >= self._top_k:
                continue
            members = self._standing_for(question, several, hit, ranked)
            if members is None:
                continue
            answers = any(gives_answer_type(kind, question, _heading_label(hit.node, kind)) for kind in wanted)
            # A record's header that holds every word of the question says it ("Was Tom Baxter's review a
            # verified purchase?" over "**Tom Baxter** · Reviewed ... · Not a Verified Purchase").
            answers = answers or (self._heads_a_record(hit.node) and content_terms(question) <= node_terms(hit.node))
            if not members:
                # Nothing of its section was found: the heading alone says nothing ("## Challenges", a
                # short English label, came first for an Arabic question about another document; "المادة
                # (7): التكلفة" answered how much a service cost, which its article does not say), unless
                # it holds what is asked ("## 2.7.1 — 2024-12-02" for "when was 2.7.1 released?").
                if not answers and len(ranked) > 1:
                    del ranked[place]
                continue
            # The section's best, and its close runners-up as the answer's would be ("Library cards are
            # free ..." .892 beside "Bring a photo ID ..." .888).
            top = members[0].score or 0.0
            whole = several and not _is_title(hit.node)  # a title heads all
            standing = members if whole else [h for h in members if (h.score or 0.0) >= top - RUNNER_UP_MARGIN]
            # A field of the section the question names is what it asks for: "What medium is Storm off
            # Kelder Point?" matched a catalogue entry's heading, whose "**Medium:** Watercolour ..."
            # ranked below the entry's description (and "What are the dimensions of ...?" is no list).
            standing = [h for h in members if _names_its_field(question, h.node)] or standing
            moved = [h for h in standing if _position(h, ranked) > place]
            ranked = [h for h in ranked if not any(h is m for m in moved)]
            ranked[place:place + 1] = [hit] * answers + [NodeWithScore(node=h.node, score=hit.score) for h in moved]
            headed_by |= {sentence_ref(h): sentence_ref(hit) for h in standing if sentence_ref(h) not in headed_by}
        return ranked, headed_by

    def _standing_for(self, question: str, several: bool, hit: NodeWithScore,
                      ranked: list[NodeWithScore]) -> list[NodeWithScore] | None:
        """The ranked sentences of the section ``hit`` heads (a heading, or a record's header line) or of
        the list it labels, best first; [] when none was ranked (it says nothing alone); None when it is
        nothing to give way (a sentence, a field the question names, a list label whose items come with it)."""
        if role_of(hit.node) == HEADING:
            if _names_its_field(question, hit.node):
                return None  # a field the question asks about says its value: cited as a sentence is
            if not several and _is_title(hit.node) and _another_heading_of_its_document(hit, ranked[: self._top_k]):
                # The title names the whole document; a section heading of it beside names the part
                # asked about: "How do I apply for remote work?" matched an FAQ's title first and
                # "## How do I apply?" second, and the title gave way to the intro ("It applies to ...").
                return []
        if role_of(hit.node) == HEADING or self._heads_a_record(hit.node):
            section = self._section(hit.node)
            return [h for h in ranked if _paragraph_key(h) in section]
        if not several and self._labels_a_list(hit.node):
            members = [h for h in ranked if _paragraph_key(h) == _paragraph_key(hit) and h is not hit]
            return members or None  # without them, its items come with it (``_items_after``)
        return None

    def _heads_a_record(self, node: TextNode) -> bool:
        """Whether ``node`` is a record's header line: a paragraph of one line right under a Markdown
        heading, with running text after it ("**Daniel Okafor** · Reviewed on March 3, 2024 · Verified
        Purchase" under a review's "### ★★★★★ Finally ditched my corded vacuum"), not ended as a
        statement is (nor with a colon: "نشر القطّان أولى قصائده ... :" over the verse it quotes). It
        names the record and says nothing else: "What was Priya Raman's main complaint?" cited her
        review's header."""
        meta = node.metadata
        document, number = meta["document_id"], paragraph_number(meta["paragraph_id"])
        above = self._paragraphs.get((document, paragraph_id(number - 1)))
        below = self._paragraphs.get((document, paragraph_id(number + 1)))
        line = node.get_content().strip()
        return (role_of(node) != HEADING and not ends_as_a_statement(line)
                and self._opens_its_paragraph(node, lambda text: text.strip() == line)
                and above is not None and role_of(above) == HEADING and opens_with_a_heading(above.get_content())
                and below is not None and role_of(below) != HEADING and not _is_field(node))

    def _lines_with(self, node: TextNode) -> frozenset[str]:
        """When ``node`` is a field's line, the ids of the fields' paragraphs typed on the lines right
        above and below its paragraph with no blank line between (a block: "Date: ...", "Time: ...",
        "Affected: ..."), its own among them. Not lines of running text: the article's one-sentence
        paragraphs are a line each."""
        meta = node.metadata
        document, number = meta["document_id"], paragraph_number(meta["paragraph_id"])
        found = {meta["paragraph_id"]}
        if not _is_field(node):
            return frozenset(found)
        for step in (-1, 1):
            here = self._paragraphs.get((document, meta["paragraph_id"]))
            for distance in range(1, MAX_FIELD_BLOCK + 1):
                there_id = paragraph_id(number + step * distance)
                there = self._paragraphs.get((document, there_id))
                if (here is None or there is None or not _is_field(there)
                        or not _next_line(*((here, there) if step > 0 else (there, here)))):
                    break
                found.add(there_id)
                here = there
        return frozenset(found)

    def _labels_a_list(self, node: TextNode) -> bool:
        """Whether ``node`` is the label line over a list in its own paragraph (segmentation keeps "##
        Keyboard shortcuts" with its items): for a question that wants one thing it is a heading whose
        section is its items. "Is there a shortcut to pin a note?" was answered "## Keyboard
        shortcuts" and every shortcut after it; the item that pins a note is the answer."""
        return self._opens_its_paragraph(node, labels_a_list)

    def _without_table_headers(self, hits: list[NodeWithScore]) -> list[NodeWithScore]:
        """The ranking without tables' header rows, which name columns and answer nothing: "| Action |
        Owner | Due date |" was the answer to "What is the date of the meeting?" (a user's minutes), and
        "| Nutrient | Amount |" opened the answer to "How many calories are in a slice?" (its rows name
        their cells for the ranking, ``segmentation.named_cells``). Kept when nothing else is ranked."""
        def is_header(node: TextNode) -> bool:
            # A row's text first: its paragraph may be a fetch from the store, and most hits are no row.
            return may_be_a_table_row(node.get_content()) and self._opens_its_paragraph(
                node, lambda text: table_header(text) == node.get_content().strip())
        return [hit for hit in hits if not is_header(hit.node)] or hits

    def _opens_its_paragraph(self, node: TextNode, test: Callable[[str], bool]) -> bool:
        """Whether ``node`` is the first sentence of its paragraph and the paragraph's text passes ``test``."""
        meta = node.metadata
        paragraph = self._paragraphs.get((meta["document_id"], meta["paragraph_id"]))
        return sentence_number(meta["sentence_id"]) == 1 and paragraph is not None and test(paragraph.get_content())

    def _section(self, heading: TextNode) -> set[tuple[str, str]]:
        """The paragraphs (document id, paragraph id) after ``heading`` up to the next heading (a field's
        line is none: it is one of them under a Markdown heading, passed over under any other), or the
        next Markdown heading kept with its list: a health advisory's "## What to do if someone shows
        signs of heat stroke" ran on over "## How to stay safe" and its steps, which answered "What
        should I do if someone has heat stroke?"."""
        document, number = heading.metadata["document_id"], paragraph_number(heading.metadata["paragraph_id"])
        following = [(document, paragraph_id(n)) for n in range(number + 1, number + 1 + MAX_SECTION)]
        prefetch = getattr(self._paragraphs, "prefetch", None)
        if prefetch:
            prefetch(following)
        section = set()
        for key in following:
            paragraph = self._paragraphs.get(key)
            if paragraph is not None and _is_field(paragraph):
                # A field's line, a heading or not (segmentation v19 reads most as statements):
                # "**Views:** 4,812" under a forum thread's title starts no section of its own, and a
                # catalogue entry's "**Dimensions:** 92 × 138 cm" is its Markdown heading's to say. Not
                # a short line's: an infobox's "Part of the Aller War" gave way to "Date: 14–15 September
                # 1652" for "Which war was the battle part of?" (and a field heads no field).
                if opens_with_a_heading(heading.get_content()):
                    section.add(key)
                continue
            if paragraph is None or role_of(paragraph) == HEADING or opens_with_a_heading(paragraph.get_content()):
                break
            section.add(key)
        return section

    def _citation(self, n: int, hit: NodeWithScore) -> Citation:
        meta = hit.node.metadata
        paragraph = self._paragraphs[(meta["document_id"], meta["paragraph_id"])]
        citation = Citation.from_node(n, hit, paragraph.get_content(), int(paragraph.metadata["start"]))
        _verify_quote(citation)
        return citation


# A numbered heading's number: "المادة (7):", "Article 7:", "3.", "(iv)" (one word at most before it, bold
# marks aside), or a record's after "رقم" / "No.": "**العمل رقم 9 –", "**Work No. 9 –".
_HEADING_NUMBER = re.compile(r"^[#*_\s]*(?:\S+\s+)?(?:\((?:\d+|[ivxlc]+)\)|(?:(?:رقم|no\.?|number)\s*)?\d+(?:\.\d+)*\s*[:.)\-–—])",
                             re.IGNORECASE)


def _heading_label(node: TextNode, kind: str) -> str:
    """What a heading says as an answer of ``kind``. A number may count its sections ("المادة (7):
    التكلفة", "## 3.0.0 — 2025-03-11"), and a year dates its section ("Harbour Lights Festival 2025"):
    neither answers "how much", nor does a title's year answer "when" (it names the edition the whole
    document is about), but a section heading's date does ("When was version 3.0.0 released?" gave way
    to the release's list of changes, a user's release notes). Nor does an FAQ question's number ("###
    س13: كم سنة يجب أن أحتفظ بالفواتير؟" was cited before its answer for holding "13"), nor a record's
    ("**العمل رقم 9 – "ظلال الحرف"**" answered "كم نسخة طُبعت من ظلال الحرف؟" before its "15 نسخة")."""
    label = with_rendering(node).lstrip("#").lstrip()
    label = _HEADING_NUMBER.sub("", label[len(faq_label(label)):])
    return label if kind not in (QUANTITY, MONEY) and not _is_title(node) else without_years(label)


# A field's line: a short label, a colon, its value ("Prep time: 20 minutes", "Date: Tuesday 11 March").
_FIELD = re.compile(r"^[#*\s]*(?P<label>[^:：\n]{1,40})[:：]\s*(?P<value>\S.*)$")


def _is_field(node: TextNode) -> bool:
    """Whether ``node`` is a field's line ("Weight: 201 g"), not a Markdown heading ("## Contact: HR")."""
    text = node.get_content()
    return not text.startswith("#") and bool(_FIELD.match(text)) and not faq_label(text)


def _names_its_field(question: str, heading: TextNode) -> bool:
    """Whether ``heading`` is a field ("label: value") whose label the question names: segmentation reads
    a field as a statement (``states_a_field``) but for a document's first line or a numbered label,
    which it takes for a heading, and still it says its value. "What is the prep time?"
    ranked a recipe's "Prep time: 20 minutes" first, and a heading with no section was left out (the
    answer quoted another document); a hotel's "وقت تسجيل المغادرة: حتى الساعة 12:00 ظهراً" gave way to
    the paragraph under it. Only when the question names the label: a memo's "To: All staff, Leeds
    office" as a statement outranked the answer to "Where is the Leeds office moving to?". Named in
    another form counts ("Is the phone waterproof?" names "Water resistance: IP68", "كم يزن الهاتف؟"
    names "الوزن: 201 غرام": ``forms_of_one_word``; they gave way to the next field). (Most of the
    question's words in the label, or the number or date it wants in the value, lost two questions of a
    blind trial that name the course around a syllabus's field, "ما هو المتطلب السابق لهذا المقرر؟".)"""
    return bool(_label_words(question, heading)[1])


def _names_whole_label(question: str, best: TextNode) -> bool:
    """Whether ``best`` is a field whose every label word the question names: then the field is what
    it asks for, whatever its words ("What are the annual property taxes?", "ما هي الأطباق النباتية؟"
    over "- الأطباق النباتية: الحمص والمتبل ..." were answered with every line of their lists, the
    field among them). Not one word of the label: "What are the property details?" asks for the list."""
    label, named = _label_words(question, best)
    return bool(label) and named == label


def _label_words(question: str, node: TextNode) -> tuple[frozenset[str], frozenset[str]]:
    """The content words of ``node``'s label when it is a field's line, and those of them the question
    names in some form (``forms_of_one_word``); both empty for any other line."""
    field = _FIELD.match(node.get_content())
    if not field:
        return frozenset(), frozenset()
    asked = content_terms(question)
    label = content_terms(field["label"])
    return label, frozenset(word for word in label if any(forms_of_one_word(word, term) for term in asked))


def _holds_a_share(hit: NodeWithScore, best: NodeWithScore) -> bool:
    """Whether the rerank stage gave ``hit`` at least ``MIN_SHARE_RATIO`` of the best sentence's share
    (True when it gave none: a follow-up's ranking is ordered by its history)."""
    share, top = getattr(hit, "share", None), getattr(best, "share", None)
    ratio = MIN_SHARE_RATIO_ELSEWHERE if _from_elsewhere(hit, best) else MIN_SHARE_RATIO
    return share is None or not top or share >= ratio * top


def _next_line(above: TextNode, below: TextNode) -> bool:
    """Whether paragraph ``below`` starts on the line after the one ``above`` ends on (one line break
    between them, no blank line)."""
    return below.metadata.get("start", -1) - above.metadata.get("end", -2) == 1


def _from_elsewhere(hit: NodeWithScore, best: NodeWithScore) -> bool:
    """Whether ``hit`` is in another document than ``best`` and in another language."""
    mine, theirs = hit.node.metadata, best.node.metadata
    return mine.get("document_id") != theirs.get("document_id") and mine.get("lang") != theirs.get("lang")


def _answer_types(question: str) -> list[str]:
    """The answer types the question wants, an amount of money standing for the quantity it is."""
    kinds = wanted_answer_types(question)
    return [kind for kind in kinds if not (kind == QUANTITY and MONEY in kinds)]


def _evidence(top: list[NodeWithScore], kind: str, lines: frozenset[str] = frozenset()) -> list[NodeWithScore]:
    """The sentences that may carry a wanted date, number or amount of money, best first: the top ones
    of the best sentence's paragraph, or of the paragraphs typed on the ``lines`` next to it (a block
    of fields, each a paragraph: "What is the building manager's phone number?" matched "Management
    office: Sarah Okafor, Building Manager" best and was refused for want of a number, the line under
    it being "Phone: 0113 496 0725"). Not every top-k sentence: on the article (one sentence a
    paragraph) "how many civilians died in Afrin?" would be answered by a close runner-up citing
    resolution 2254. A currency says more than a number: for money, the top ones of the best
    sentence's document ("How much did the plant cost to build?" ranked the news story's lead, with
    its 250,000 residents, over the next paragraph's "built at a cost of 2.1 billion Egyptian pounds").
    Also any top-k sentence that matches the question at least as well by itself (``own``, the score
    before its passage's), ranked lower only for its passage: a council's "Voting in favor: ..." ranked
    first on its paragraph, and "When did the council pass the budget?" was refused beside "adopted
    the budget on June 18, 2024" (five users' trials: 8 of 750 answerable questions fewer refused, 3
    of them then answered right, no unanswerable one answered).
    """
    best = top[0].node.metadata
    key = ("document_id",) if kind == MONEY else ("document_id", "paragraph_id")
    near = [hit for hit in top if all(hit.node.metadata[name] == best[name] for name in key)
            or hit.node.metadata["document_id"] == best["document_id"] and hit.node.metadata["paragraph_id"] in lines]
    alone = getattr(top[0], "own", 0.0)  # 0: no sentence score of its own (a hit that is no RankedSentence)
    return near + [hit for hit in top if hit not in near and alone and getattr(hit, "own", 0.0) >= alone]


def _list_items(question: str, hits: list[NodeWithScore], top: float) -> list[NodeWithScore]:
    """Candidates that share most of the question's distinctive terms (an item of the list).

    Terms found in more than half of the candidates ("coalition", "ISIS") say nothing about which
    sentence is an item, so they are left out before the overlap is measured.
    """
    # A heading names its section, it is no item ("# The Aswan High Dam" for "What are the effects of
    # the dam?").
    candidates = [hit for hit in hits if (hit.score or 0.0) >= top - LIST_SCORE_MARGIN and role_of(hit.node) != HEADING]
    terms = {hit.node.node_id: node_terms(hit.node) for hit in candidates}
    document_frequency = Counter(term for found in terms.values() for term in found)
    wanted = {t for t in content_terms(question) if document_frequency[t] <= len(candidates) / 2}
    if not wanted:
        return []
    return [hit for hit in candidates if len(wanted & terms[hit.node.node_id]) / len(wanted) >= 0.5]


def _items_after(question: str, several: bool, chosen: list[NodeWithScore],
                 hits: list[NodeWithScore]) -> list[tuple[NodeWithScore, NodeWithScore]]:
    """The items a chosen sentence introduces, after it in its paragraph: the list that follows a line
    such as "The company provides:" or "## Security rules" (segmentation keeps a list with that line),
    or, for a question that asks for ``several``, as many sentences as it announces ("Today two main
    technologies are used. Thermal plants ... Reverse osmosis plants ..."). An enumeration's items
    seldom repeat the question's words, and the line that introduces them answers nothing alone.
    For a question that asks for ``several``, a chosen item of a list brings the other items ("What
    are the steps to install it?" was answered with step 1 alone); a step's title brings what its line
    says next (``_is_a_steps_title``), and a line ending with a colon at the end of its paragraph the
    line under it ("6. Start the service and enable it at boot:" answered "How do I make it start at
    boot?" without the command). Each item comes paired with the sentence that brought it."""
    by_position = {sentence_ref(h): h for h in hits}
    added: list[tuple[NodeWithScore, NodeWithScore]] = []
    for hit in chosen:
        text = hit.node.get_content()
        following = _around(hit, by_position, 1)
        # Not a label's colon: a byline's ("الكويت - سعد العجيبان:") leads into the whole report.
        announces = not following and not role_of(hit.node) and text.rstrip().endswith(COLONS)
        under = by_position.get(_first_of_next_paragraph(hit)) if announces else None
        if under is not None and role_of(under.node) != HEADING:
            added.append((under, hit))
            continue
        if is_list_item(text):
            if several:
                items = [*_list_run(_around(hit, by_position, -1)), *_list_run(following)]
                added += [(item, hit) for item in items]
            elif _is_a_steps_title(text) and following and not is_list_item(following[0].node.get_content()):
                added.append((following[0], hit))
            continue  # an item of a list does not introduce the list that follows it
        items = _list_run(following)
        if not items and several:
            items = following[: announced_count(question, with_rendering(hit.node))]
        added += [(item, hit) for item in items]
    return added


def _first_of_next_paragraph(hit: NodeWithScore) -> tuple[str, str]:
    meta = hit.node.metadata
    return meta["document_id"], sentence_id(paragraph_id(paragraph_number(meta["paragraph_id"]) + 1), 1)


def _is_a_steps_title(sentence: str) -> bool:
    """Whether ``sentence`` is a step's short title ("2. Verify the download."), what its line says next
    the step itself ("Each package is published with a SHA-256 checksum."): cited alone, the title
    answered "How do I check that the download is not corrupted?" with the step's name."""
    return is_list_item(sentence) and len(sentence.split()) <= STEP_TITLE_MAX_WORDS + 1


def _around(hit: NodeWithScore, by_position: Mapping[tuple[str, str], NodeWithScore],
            step: int) -> list[NodeWithScore]:
    """The ranked sentences of ``hit``'s paragraph after it (``step`` 1) or before it (-1), nearest
    first, up to the first one the ranking lacks (at most ``MAX_ITEMS``)."""
    meta = hit.node.metadata
    number = sentence_number(meta["sentence_id"])
    nearby = [by_position.get((meta["document_id"], sentence_id(meta["paragraph_id"], number + step * n)))
              for n in range(1, MAX_ITEMS + 1)]
    return list(itertools.takewhile(lambda h: h is not None, nearby))


def _list_run(sentences: list[NodeWithScore]) -> list[NodeWithScore]:
    """The items of a list at the start of ``sentences``."""
    return list(itertools.takewhile(lambda h: is_list_item(h.node.get_content()), sentences))


def _is_title(node: TextNode) -> bool:
    """A heading that opens its document: the title line (its section is the whole document)."""
    return role_of(node) == HEADING and paragraph_number(node.metadata["paragraph_id"]) == 1


def _another_heading_of_its_document(title: NodeWithScore, hits: list[NodeWithScore]) -> bool:
    document = title.node.metadata["document_id"]
    return any(hit is not title and role_of(hit.node) == HEADING and hit.node.metadata["document_id"] == document
               for hit in hits)


def _position(hit: NodeWithScore, ranked: list[NodeWithScore]) -> int | None:
    """Where this very ``hit`` stands in ``ranked``. By identity: ``NodeWithScore``'s == is pydantic's,
    comparing every field of both nodes, and ``list.index`` with it was 5 ms of a 31 ms ask."""
    return next((n for n, other in enumerate(ranked) if other is hit), None)


def _paragraph_key(hit: NodeWithScore) -> tuple[str, str]:
    return hit.node.metadata["document_id"], hit.node.metadata["paragraph_id"]


def _reading_order(hits: list[NodeWithScore], *, by_rank: bool = False) -> list[NodeWithScore]:
    """Each paragraph's sentences in their order in it; the documents, and the paragraphs inside each, in
    the order ``hits`` (best first) first name them (by their ids, a runner-up from another document could
    open the answer; by position, a list answer opened with a price table's cat rows above "Cats must be
    vaccinated against ...", ranked first for "Which vaccinations do cats need?": the trials' first
    citations right 1,615 -> 1,620 of 1,926, docs/benchmarks.md, "A fifty-third to fifty-fifth ...").

    ``by_rank``: inside a document too, the order of ``hits``, best first. Runs of adjacent sentences
    were kept in reading order ("It said that this aims ..." after the paragraph it leans on), and the
    best sentence came after a lead it was tied with: "Which storm is recorded in Verhulst's sheet?"
    opened with "The Dutch-born Verhulst visited the coast only twice ...", its answer "It records the
    storm of 11 November 1891 ..." second. Best first, two new users' documents: the first citation
    held the answer for 89 -> 94 of 133 and 97 -> 98 of 134 questions (and 10 -> 11 of 16 in the other
    language); ARCD-train's report half (answer in the top citation .792) and the gold set the same;
    benchmarks/dialogues 78/107/13 -> 79/104/12 (first / follow-up / topic change right), bare
    follow-ups 28 -> 30 of 36."""
    unique = {hit.node.node_id: hit for hit in hits}
    documents: dict[str, int] = {}
    paragraphs: dict[tuple[str, str], int] = {}
    for hit in unique.values():
        documents.setdefault(hit.node.metadata["document_id"], len(documents))
        paragraphs.setdefault(_paragraph_key(hit), len(paragraphs))
    if by_rank:
        rank = {node_id: n for n, node_id in enumerate(unique)}
        return sorted(unique.values(), key=lambda hit: (documents[hit.node.metadata["document_id"]],
                                                        rank[hit.node.node_id]))
    return sorted(unique.values(), key=lambda hit: (documents[hit.node.metadata["document_id"]],
                                                    paragraphs[_paragraph_key(hit)], int(hit.node.metadata["start"])))


def _fill_enumeration_gaps(chosen: list[NodeWithScore], hits: list[NodeWithScore]) -> list[NodeWithScore]:
    """Add a sentence that stands between two chosen sentences of the same paragraph.

    An enumeration often names its items only in some sentences ("the first pillar ...", "it also
    called for ...", "another pillar ..."): the middle one is an item too.
    """
    by_position = {sentence_ref(h): h for h in hits}
    added = []
    for before, after in zip(chosen, chosen[1:]):
        b, a = before.node.metadata, after.node.metadata
        if b["document_id"] == a["document_id"] and b["paragraph_id"] == a["paragraph_id"]:
            first, last = sentence_number(b["sentence_id"]), sentence_number(a["sentence_id"])
            for number in range(first + 1, last):
                middle = by_position.get((b["document_id"], sentence_id(b["paragraph_id"], number)))
                if middle is not None:
                    added.append(middle)
    return _reading_order(chosen + added)


# Source text shaped like a citation marker ("... citing [7]"): in the answer it must not pass for one
# (the UI links "[n]" to source n), so its brackets are shown full-width. ``Citation.quote`` keeps it verbatim.
_MARKER_LIKE = re.compile(r"\[(\s*\d+\s*)\]")
# Inline Markdown shown as its words: "**Important:**", "_term_", "`code`"; a link as "the site (https://...)".
_MARKDOWN_LINK = re.compile(r"\[([^\[\]\n]+)\]\(([^()\s]+)\)")
_MARKDOWN_EMPHASIS = re.compile(r"(?<![\w*_`])(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1(?![\w*_`])")


def _shown_text(citation: Citation, wants_english: bool) -> str:
    """The sentence as the answer says it: on one line (a hard-wrapped source's quote keeps its breaks),
    a table's row with its cells named by the header ("Passport: Regular; Validity: 10 years; Fee: 600
    SAR", not "| Regular | 10 years | 600 SAR |", which says nothing of what each cell is)."""
    text = citation.translation if wants_english and citation.translation else citation.quote
    header = row_header(citation.paragraph, text)
    if header:
        text = named_cells(header, text, citation.paragraph)
    text = re.sub(r"(?<=\w)-\n\s*(?=\w)", "-", text)  # "spread-\nout", hyphenated at a line's end
    text = re.sub(r"^#{1,6}\s+", "", text)  # a Markdown heading's marks are not its words
    text = re.sub(r"^[-*+•]\s+", "", text)  # nor a list item's bullet (a step's number says which step: kept)
    text = text[len(faq_label(text)):]  # nor an FAQ's "A:" (its "Q:" line heads the answer: segmentation)
    text = _MARKDOWN_EMPHASIS.sub(r"\2", _MARKDOWN_LINK.sub(r"\1 (\2)", text))
    return _MARKER_LIKE.sub("\uff3b\\1\uff3d", " ".join(text.split()))


def _verify_quote(citation: Citation) -> None:
    """A quote must be the exact span of its paragraph that its offsets name."""
    offset = citation.start - citation.paragraph_start
    span = citation.paragraph[offset : offset + len(citation.quote)]
    if span != citation.quote or citation.end - citation.start != len(citation.quote):
        raise ValueError(f"citation {citation.sentence_id} of {citation.document_id} does not match its source")
