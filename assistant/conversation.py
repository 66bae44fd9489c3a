"""The conversation stage: turns, and whether a question leans on the earlier ones.

A follow-up ("and the second one?", "وماذا عن مجموعة الاتصالات؟", "what will it do in Syria?")
does not name what it asks about; its own words match whatever they match. Retrieval ranks
passages first, then sentences inside them (assistant/retrieval.py); a short follow-up is weakest
at the first step (it names no topic) and still useful at the second (its words tell the sentences
of a passage apart). So when a question leans on the conversation, the history enters at the
passage step: each passage's score is the mean of the question's own passage score and the
previous turn's (weighted by ``HISTORY_WEIGHT``; the previous turn's is itself fused when it
leaned), and each sentence's score is remade from its own match and that passage score with the
retriever's passage share. A question without a cue is fused too, lightly (below): the history
only tips the balance between passages its own words find about equally.

A follow-up's own words may not even find what it leans on when the store holds other documents
("and the second one?"), so its retrieval also ranks every sentence of the passages the previous
answer cited (``history_passages``, ``Assistant.rank(near=...)``).

Measured on the held-out half of corpus/followup_qa.jsonl (benchmarks/followup.py; the weight
chosen on the fit half): fusing at the passage step, follow-up hit@1 .882 (fit .864); fusing
whole sentence scores (the mechanism before), .824 (fit .818): the previous answer's own sentence
won over the one the follow-up asked for, because the history scores a sentence that answered the
previous question far above its neighbours and a follow-up's own scores are flat. With XQuAD-R's
240 paragraphs in the store as well, follow-up hit@1 fit .864, held-out .824; without ranking the
cited passages, fit .591. A bonus for the sentence after the previous answer, or a malus for
repeating it, was no better on the fit half at any size: in the gold set as many follow-ups ask
about the same sentence as about the next.

What a follow-up asks next is often said in the paragraphs after the one that answered, which name
the topic only as "this" or "the group" ("It said that this aims to reduce ISIS's ability to use
propaganda ..." after the Communications Working Group's paragraph). So each of the ``CARRY_PASSAGES``
passages after a cited one carries the cited one's history score times ``CARRY`` (0.95) per
paragraph between them, a little under it: the follow-up's own words must tell them apart. On the
fit half of the gold set (both stores) and benchmarks/dialogues/ (a helper's dialogues over ten
documents of its own), the sentences of 119 of their 169 follow-ups came first without it, 126 with
the next passage alone carrying, 132 with five; on the helper's held-out dialogues (116 follow-ups
over ten other documents, not in the repository) 59 -> 65 (docs/benchmarks.md, "The topic carries on").

Whether a question leans is decided by cues (a leading "and"/"و", "what about"/"وماذا عن",
pronouns and demonstratives, or too few content words to stand alone). With the cues, no topic
change is dragged back; fusing every question after the first drags 2 of the 13 held-out
topic changes over the article alone, 6 of 13 with the 240 other documents in the store.
The cues fire on 3% of ARCD's and 17% of XQuAD-R's English standalone questions (pronouns); such
a false lean is only soft fusion, which kept every gold topic change on its own topic.

In a store holding both languages, retrieval raises every match across languages by an offset
(cross_language.py): it is what lets a question find its answer in the other language, but an
elliptical follow-up matches everything a little, and the offset put the other language's documents
over the one the conversation is about. So a follow-up is ranked without it when the previous answer
quoted only sentences in the question's language (or with renderings in it): on
benchmarks/dialogues/ (ten documents in both languages), follow-ups whose sentence came first 80 ->
89 of 125, those answered from another document 25 -> 15; first questions unchanged (74 of 96).

Many follow-ups show no cue at all: after "When does the wildlife park open?", "Is photography
allowed?" names no place, and a museum guide in the same store answers its words as well. So a later
question without a cue is fused with the previous turn too, at ``UNMARKED_WEIGHT`` (0.15, against
1.5 with a cue), ranked by its own words, with the passages the previous answer cited ranked too
and, as a follow-up with a cue is, without the offset when the previous answer quoted only the
question's language (with the offset: follow-ups right 101 instead of 106 on the dialogues, 95
instead of 98 on the held-out ones, topic changes the same). Its evidence is judged without the
earlier question, and the answer says it leaned only when the history changed what came first.
Chosen on benchmarks/dialogues/ and the gold set's fit half (both stores; benchmarks/followup.py):
follow-ups right 97 -> 106 of 125 (0.05: 104, 0.1: 105, 0.25: 106, 0.5: 107), topic changes right 12
of 14 up to 0.15 (11 at 0.25, 10 at 0.5), the gold set unchanged up to 0.25; at 0.5, 2 of 10 fit
topic changes are dragged among 240 other documents. On a helper's held-out dialogues written
afterwards (not in the repository): follow-ups right 94 -> 98 of 117 (those without a cue 59 -> 63
of 76), unanswerable ones refused 8 -> 11 of 26, topic changes right 15 -> 14 of 18
(docs/benchmarks.md, "Follow-ups without a cue").

A follow-up with no word of its own ("And how?", "From whom?", "ومتى؟") is ranked by the previous
turn's words with it: alone, its match is noise that short texts (titles, headings) win, and the
answerability model reads the same noise (benchmarks/dialogues/bare_followups.jsonl, 30 dialogues
a second helper wrote: follow-ups right 11 -> 24 of 36, unanswerable ones refused 5 -> 1 of 6, when
every such follow-up was refused before).

A record is another matter than a sentence of prose: after an answer that quoted a table's row or a
list's item, a follow-up with a cue asks, as often as not, another of its fields ("Does it come with
lounge access?" after the Gold tier's row), and its own words match every row alike. So that record is
raised a little (``RECORD_BONUS``); a row the follow-up names ("What about Platinum?") still wins.

The conversation calls the assistant (``rank`` once per question, then ``ask`` with that ranking),
never the store.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .normalize import content_terms, fold_marks, text_language
from .question_type import announces_new_topic
from .segmentation import is_list_item, paragraph_id, paragraph_number, row_header
from .types import Ranking

if TYPE_CHECKING:
    from .app import Assistant
    from .types import Answer

SentenceKey = tuple[str, str]  # (document_id, sentence_id)
PassageKey = tuple[str, str]  # (document_id, paragraph_id)

# Chosen on the even-numbered dialogues of corpus/followup_qa.jsonl (benchmarks/followup.py): a
# passage's score in a follow-up = (own + HISTORY_WEIGHT * previous turn's) / (1 + HISTORY_WEIGHT).
# Fit-half follow-up hit@1 is 19/22 from 1.0 to 3.0 over the article alone and from 1.5 to 3.0 with
# 240 other documents in the store (18/22 at 1.0 since late interaction reads the sentence before);
# ties go to the lightest weight.
HISTORY_WEIGHT = 1.5
# How much of a cited passage's history score each passage after it carries, per paragraph between
# them (``carried_on``), and how many passages on it stops: chosen with HISTORY_WEIGHT on the fit half
# of corpus/followup_qa.jsonl (over the article alone and among 240 other documents) and on
# benchmarks/dialogues/ (benchmarks/followup.py; docs/benchmarks.md, "The topic carries on").
CARRY = 0.95
CARRY_PASSAGES = 5
# The history's weight for a later question without a cue (``Lean.CUE``): see UNMARKED_WEIGHT's
# measurement in the module doc.
UNMARKED_WEIGHT = 0.15
# How much a follow-up with a cue raises the record the previous answer quoted first (a table's row, a list's
# item; ``stays_on_its_record``). Chosen on the dialogues of seven new users' trials (168 turns over 42
# documents of their own, not in the repository): turns right 95 at 0, 98 at 0.01, 100 at 0.015, 103 at
# 0.02, 99 at 0.03, 92 at 0.06 (the first four trials 50 -> 53 at 0.02, the last three 45 -> 50). On
# benchmarks/dialogues/, follow-ups right 104 -> 103 of 125: a first answer that quoted the wrong item,
# and the follow-up stayed on it. The gold set's dialogues quote no record (prose): unchanged.
RECORD_BONUS = 0.02
# How many earlier questions a follow-up is judged with (``context_of``): the trials' dialogues are three
# turns long, so two is all of a dialogue; with the earlier questions' terms (and their answer type only
# when the follow-up names none), trials 41-55's dialogue turns right 265 -> 266 of 360, the gold set's
# follow-ups the same, benchmarks/dialogues 108 -> 107 of 125 (docs/benchmarks.md, "A fifty-third ...").
CONTEXT_TURNS = 2
# A question with this many content words or fewer cannot stand alone ("which talks?").
SHORT_QUESTION_TERMS = 1
# A question opening with "و" (and) on any word, with this many content words or fewer, goes on from the
# one before: "ويوم الجمعة؟", "وإلى الفلبين؟", "وطقم الهدية؟" (a noun without the article, a preposition the
# cues do not name). Of the 2,053 Arabic questions of ARCD-train, XQuAD-R and the gold set none is such; of
# the dialogues' turns (trials 41-61, benchmarks/dialogues, the gold set's), 12 follow-ups and no first
# question or change of topic (dialogue turns right: trials 363 -> 364 of 504, benchmarks/dialogues 107 ->
# 108 of 125). With three words, "والد الملك فيصل من هو؟" (the king's father) would lean.
SHORT_AND_TERMS = 2

_EN_CUES = re.compile(
    r"^\s*(and|but|so|also|then|or|what about|how about)\b"
    r"|\b(it|its|they|them|their|he|him|his|she|her|these|those|else|the same|the other"
    r"|the (first|second|third|fourth|last) one|this one|that one)\b"
    r"|\b(that|this)\b(?!\s+(article|story|news|text|report|statement|communiqu\w*|meeting|year)\b)",
    re.IGNORECASE,
)
_AR_CUES = re.compile(
    # A question opened by "و" + a question word: "وما", "ومن", "وأين", "وماذا عن", "وبعد كم"...
    # Spoken forms too: "وين"/"وفين" (where), "وليش"/"وليه" (why), "وامتى" (when), "وازاي" (how), "وكام".
    r"^\s*[«\"(]?و(ما|ماذا|من|مين|أين|اين|متى|كيف|هل|لماذا|كم|بكم|بعد|مع|أي|اي|عن|في|ماذا عن|شو|ايش"
    r"|وين|فين|ليش|ليه|امتى|إمتى|ازاي|إزاي|كام|قديش)(?!\w)"
    # "و" and a preposition on a noun: "ولغير الأعضاء؟", "وللأطفال؟", "وبالسيارة؟" (none of ARCD-train's and
    # XQuAD-R's 1,883 Arabic questions opens so).
    r"|^\s*[«\"(]?و(?:ل|ب)\w"
    # "و" and a condition, or the article on a noun: "وإذا تكررت؟", "ولو تأخرت؟", "والساعة كم؟", "والسعر؟"
    # (not "والد", "والي": father, governor). None of ARCD-train's, XQuAD-R's and the gold set's 2,053
    # Arabic questions opens so.
    r"|^\s*[«\"(]?و(?:إذا|اذا|لو|إن|ان|عند|عندما|في حال|في حالة)(?!\w)"
    r"|^\s*[«\"(]?وال(?!د|ي(?!\w))\w+"
    r"|^\s*(ماذا|ما|شو) عن\b"
    # A demonstrative standing for a noun (not "هذا الخبر").
    r"|(?<!\w)(ذلك|تلك|هذا|هذه|هؤلاء|هذي)(?!\s*ال)(?!\w)"
    # Ordinals standing alone: "أولها", "الثانية؟"
    r"|(?<!\w)(أول|اول|ثاني|ثالث|آخر|اخر)(ها|هم|هما)(?!\w)",
)


def leaning_cue(question: str) -> str:
    """Why ``question`` seems to lean on the conversation ("" when it seems to stand alone)."""
    folded = fold_marks(question)
    for pattern in (_EN_CUES, _AR_CUES):
        match = pattern.search(folded)
        if match:
            return match.group(0).strip()
    terms = len(content_terms(folded))
    if terms <= SHORT_QUESTION_TERMS:
        return "short"
    if terms <= SHORT_AND_TERMS and folded.lstrip(" «\"(").startswith("و"):
        return folded.split()[0]
    return ""


def passage_scores(ranking: Ranking) -> dict[PassageKey, float]:
    """Each ranked passage's score (what a follow-up borrows from this turn)."""
    return {hit.passage_ref: hit.passage for hit in ranking.hits}


def passages_after(key: PassageKey, n: int = CARRY_PASSAGES) -> list[PassageKey]:
    """The ``n`` passages after ``key`` in its document, nearest first (paragraph ids count up from
    p1; ids past the last name no passage and are never ranked)."""
    document, paragraph = key
    number = paragraph_number(paragraph)
    return [(document, paragraph_id(number + distance)) for distance in range(1, n + 1)]


def cited_passages(turn: Turn) -> set[PassageKey]:
    """The passages ``turn``'s answer cited (or, when it abstained, offered as related)."""
    shown = turn.answer.citations or turn.answer.related
    return {(c.document_id, c.paragraph_id) for c in shown}


def history_passages(turn: Turn, carry: float = 0.0) -> set[PassageKey]:
    """The passages a follow-up to ``turn`` is always ranked in, even if the follow-up's own words do
    not find them: those its answer cited, and (when the topic carries on) the ones after them."""
    cited = cited_passages(turn)
    return cited | {after for key in cited for after in passages_after(key)} if carry else cited


def carried_on(turn: Turn, carry: float) -> dict[PassageKey, float]:
    """``turn``'s passage scores, the passages it cited raised to its best, and each of the passages
    after a cited one to at least that times ``carry`` per paragraph between them: what a follow-up
    asks next ("and what does that aim at?") is often said in the paragraphs after the one that
    answered, which name the topic only as "this" or "the group".

    A cited passage is what the conversation is about now, whatever the turn's passage step thought:
    "What about dogs?" after a question on stall fees cited the dogs paragraph while its passage
    scores, fused with the fees question, kept the fees paragraph first, and "وماذا عن الكلاب؟" next
    was refused. Measured (docs/benchmarks.md, "A third new user's documents"): benchmarks/dialogues
    unanswerable refused 14 -> 15 of 44, bare follow-ups 26 -> 27 of 36, the rest the same (the gold
    set's follow-ups too, with and without 240 other documents)."""
    scores = dict(turn.passages)
    top = max(scores.values(), default=0.0)
    cited = cited_passages(turn)
    scores.update({key: top for key in cited})
    for key in cited if carry else ():
        for distance, after in enumerate(passages_after(key), 1):
            scores[after] = max(scores.get(after, 0.0), carry ** distance * scores.get(key, 0.0))
    return scores


def quoted_record(turn: Turn) -> SentenceKey | None:
    """The record ``turn``'s answer quoted first, when it quoted one: a table's row or a list's item,
    which says several things of one thing (a day's prayer times, a tier's points, bonus and lounge, a
    medicine's dose, time and duration)."""
    if not turn.answer.citations:
        return None
    first = turn.answer.citations[0]
    if is_list_item(first.quote) or row_header(first.paragraph, first.quote):
        return first.document_id, first.sentence_id
    return None


def stays_on_its_record(ranking: Ranking, record: SentenceKey | None, bonus: float = RECORD_BONUS) -> Ranking:
    """``ranking`` with ``record`` raised by ``bonus``: a follow-up with a cue after an answer that quoted
    a record asks, as often as not, another of its fields ("والعشاء؟" after a day's imsak time, "Does it
    come with lounge access?" after the Platinum tier's row, "And what kind of flaw is it?" after a CVE's
    row), and its own words match every row of the table alike. A row it names ("What about
    Platinum?") still wins by its own words."""
    if record is None or not bonus:
        return ranking
    hits = [dataclasses.replace(hit, score=hit.score + bonus) if hit.ref == record else hit for hit in ranking.hits]
    hits.sort(key=lambda hit: hit.score, reverse=True)
    return dataclasses.replace(ranking, hits=tuple(hits))


def _first(ranking: Ranking) -> SentenceKey | None:
    return ranking.hits[0].ref if ranking.hits else None


def _with_words(question: str, previous: Turn | None) -> str:
    """What ``question`` is ranked by: itself, or, when it has no words of its own ("And how?", "From
    whom?", "ومن أين؟"), the words the previous turn was ranked by with it. Its own match would be
    noise, which short texts (titles, headings) win, and so would every signal the answerability model
    reads."""
    if previous is None or content_terms(question):
        return question
    return f"{previous.words} {question}"


def context_of(leaning: Turn, turns: int = CONTEXT_TURNS) -> tuple[str, ...]:
    """The earlier questions a follow-up to ``leaning`` is judged with (their terms count as its own, and
    their answer type when it names none: ``evidence.candidate_features``): what ``leaning`` was ranked
    by, after the questions it was judged with in turn, the last ``turns`` of them. With the previous question alone, the third turn of "Who gives the
    fasting lesson?", "And on which days?", "And when does it start?" was judged by "days" and "start",
    the lesson named nowhere, and refused at .03 with the answer first (.98 asked whole)."""
    return (*leaning.context, leaning.words)[-turns:]


def cited_across_languages(turn: Turn, question: str) -> bool:
    """Whether ``turn``'s answer quoted a sentence in another language than ``question``'s (with no
    rendering in it). When it did not, a follow-up is ranked without raising matches across languages
    (cross_language.py): the conversation is about documents in its own language, and the offset
    lifted every sentence of the other language's documents over them ("ومن قال ذلك؟", after a
    question answered from an Arabic news story, cited an English app guide)."""
    language = text_language(question)
    if language is None:
        return True
    shown = turn.answer.citations or turn.answer.related
    return any(text_language(c.quote) != language and not (language == "en" and c.translation) for c in shown)


@dataclass(frozen=True)
class Turn:
    answer: Answer
    # The ranking this turn answered from (fused when it leaned), and its passages' scores (fused
    # too): what a follow-up borrows.
    ranking: Ranking = field(compare=False)
    passages: Mapping[PassageKey, float] = field(default_factory=dict, compare=False)
    cue: str = ""  # why it leaned, when it did
    context: tuple[str, ...] = ()  # the earlier questions it was judged with, when it leaned (``context_of``)

    @property
    def question(self) -> str:
        return self.answer.question

    @property
    def words(self) -> str:
        """What this turn was ranked by: its question, with the previous turn's words when it had none."""
        return self.ranking.question

    @property
    def scores(self) -> dict[SentenceKey, float]:
        """{(document_id, sentence_id): score} of the ranking this turn answered from."""
        return {hit.ref: hit.score for hit in self.ranking.hits}


class Lean(str, enum.Enum):
    """When a question borrows from the conversation."""

    CUE = "cue"  # fully with a cue, lightly without (the default: measured best, benchmarks/followup.py)
    ALWAYS = "always"  # every question after the first (for comparison)
    NEVER = "never"  # never: every question is asked as if it were the first


@dataclass(frozen=True)
class Fusion:
    history_weight: float = HISTORY_WEIGHT
    lean: Lean = Lean.CUE
    carry: float = CARRY
    unmarked_weight: float = UNMARKED_WEIGHT


def fuse(own: Ranking, previous: Mapping[PassageKey, float],
         weight: float) -> tuple[Ranking, dict[PassageKey, float]]:
    """``own`` with the history entering at the passage step, and the fused passage scores.

    Each passage: (own + weight * previous) / (1 + weight); each sentence: its own match and that,
    mixed with the retriever's passage share. Means keep the scale of retrieval scores, so the
    abstention floor still applies; a passage only the history knows carries on, weighed down.
    A passage one side did not rank scores as that side's lowest, not 0: it is below what that side
    reached, not absent. With 0, the previous turn's silence on a passage outweighed the question's
    own match (0.4 of it at weight 1.5): "وماذا عن X؟" about a paragraph the previous question never
    reached lost to the previous answer's paragraph (benchmarks/dialogues follow-ups right 106 -> 107
    of 125; the gold set's the same).
    """
    share = own.passage_share
    mine = passage_scores(own)
    mine_floor, previous_floor = min(mine.values(), default=0.0), min(previous.values(), default=0.0)
    passages = {key: (mine.get(key, mine_floor) + weight * previous.get(key, previous_floor)) / (1 + weight)
                for key in mine.keys() | previous.keys()}
    hits = [dataclasses.replace(hit, score=(1 - share) * hit.own + share * passages[hit.passage_ref])
            for hit in own.hits]
    hits.sort(key=lambda hit: hit.score, reverse=True)  # stable: ties keep the retriever's order
    return dataclasses.replace(own, hits=tuple(hits)), passages


class Conversation:
    """A conversation with one assistant: ``ask`` each question in turn; ``clear`` starts over."""

    def __init__(self, assistant: Assistant, fusion: Fusion | None = None, **ask_options: Any) -> None:
        self.assistant = assistant
        self.fusion = fusion or Fusion()
        self.ask_options = ask_options  # top_k, mode, backend for every turn
        self._turns: list[Turn] = []

    @property
    def turns(self) -> tuple[Turn, ...]:
        return tuple(self._turns)

    @property
    def answers(self) -> tuple[Answer, ...]:
        return tuple(turn.answer for turn in self._turns)

    def clear(self) -> None:
        self._turns.clear()

    def ask(self, question: str, **options: Any) -> Answer:
        """Answer ``question`` in the light of the earlier turns; the answer says which it leaned on."""
        options = {**self.ask_options, **options}
        # "Another question: ..." says the topic changes: asked as if it were the first.
        previous = self._turns[-1] if self._turns and not announces_new_topic(question) else None
        cue = self._cue(question) if previous else ""
        leaning = previous if cue else None  # a question with a cue is ranked with what it leans on
        weight = self._history_weight(cue) if previous else 0.0
        borrowed = previous if weight else None  # what the ranking borrows from, lightly without a cue
        near = history_passages(borrowed, self.fusion.carry) if borrowed else ()
        across = borrowed is None or cited_across_languages(borrowed, question)
        own = self.assistant.rank(_with_words(question, leaning), mode=options.get("mode"), near=near,
                                  across_languages=across)
        ranking, passages = own, passage_scores(own)
        if borrowed:
            ranking, passages = fuse(own, carried_on(borrowed, self.fusion.carry), weight)
        if leaning:
            ranking = stays_on_its_record(ranking, quoted_record(leaning))
        context = context_of(leaning) if leaning else ()
        answer = self.assistant.ask(question, ranking=ranking, context=" ".join(context), **options)
        # Without a cue the history only tips the balance: an answer leaned on it when it changed
        # what came first.
        if leaning or (borrowed and not answer.abstained and _first(ranking) != _first(own)):
            answer = dataclasses.replace(answer, leaned_on=len(self._turns))
        self._turns.append(Turn(answer, ranking, passages, cue, context))
        return answer

    def _cue(self, question: str) -> str:
        """Why ``question``, asked after an earlier turn, leans on it ("" when it does not)."""
        if self.fusion.lean is Lean.NEVER:
            return ""
        return leaning_cue(question) or ("always" if self.fusion.lean is Lean.ALWAYS else "")

    def _history_weight(self, cue: str) -> float:
        if cue:
            return self.fusion.history_weight
        return self.fusion.unmarked_weight if self.fusion.lean is Lean.CUE else 0.0

    # -- export ------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return export_dict(self.answers, self._titles())

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_markdown(self) -> str:
        return export_markdown(self.answers, self._titles())

    def _titles(self) -> dict[str, str]:
        return {info.id: info.title for info in self.assistant.documents()}


def export_dict(answers: tuple[Answer, ...] | list[Answer], titles: Mapping[str, str]) -> dict[str, Any]:
    """The conversation as data: each turn's question, answer and citations with document names."""
    turns = []
    for number, answer in enumerate(answers, 1):
        turn = answer.to_dict()
        turn["turn"] = number
        turn["citations"] = [{"n": c.n, "document_id": c.document_id, "document": titles.get(c.document_id, ""),
                              "sentence_id": c.sentence_id, "paragraph_id": c.paragraph_id, "quote": c.quote,
                              "translation": c.translation, "score": c.score} for c in answer.citations]
        turns.append(turn)
    return {"exported": datetime.datetime.now().isoformat(timespec="seconds"), "turns": turns}


def export_markdown(answers: tuple[Answer, ...] | list[Answer], titles: Mapping[str, str]) -> str:
    """The conversation as Markdown: questions, answers, and under each answer its numbered sources."""
    lines = ["# Conversation", ""]
    for number, answer in enumerate(answers, 1):
        leaned = f" (follow-up to turn {answer.leaned_on})" if answer.leaned_on else ""
        lines += [f"## {number}. {_md_line(answer.question)}{leaned}", "", _md_line(answer.text), ""]
        for c in answer.citations:
            name = titles.get(c.document_id) or c.document_id
            lines.append(f"- [{c.n}] {_md_line(name)} (`{c.document_id}`, sentence `{c.sentence_id}`): "
                         f"> {_md_line(c.quote)}")
            if c.translation and answer.language == "en":
                lines.append(f"  - English rendering: {_md_line(c.translation)}")
        if answer.note:
            lines.append(f"_{_md_line(answer.note)}_")
        lines.append("")
    return "\n".join(lines)


def _md_line(text: str) -> str:
    """One line of Markdown text: no line breaks, no raw HTML, no accidental formatting."""
    text = html.escape(" ".join(text.split()), quote=False)  # entities: Markdown shows them as text
    text = re.sub(r"([\\`*_{}\[\]#|])", r"\\\1", text)
    # A line opening like a list item ("- a laptop", "2. Lock the screen") would render as one.
    return re.sub(r"^(\d+)([.)])(?=\s)|^([-+])(?=\s)", lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text)
