"""The conversation stage: turns, and whether a question leans on the earlier ones.

A follow-up ("and the second one?", "وماذا عن مجموعة الاتصالات؟", "what will it do in Syria?")
does not name what it asks about; its own words match whatever they match. So when a question
leans on the conversation, its retrieval scores are fused with the previous turn's (what that
turn retrieved, itself fused when it was a follow-up) and the sentences right after the ones the
previous answer cited get a small bonus (a follow-up often asks what comes next). A question that
stands alone is asked as it is: the history never drags a new topic back.

Whether a question leans is decided by cues (a leading "and"/"و", "what about"/"وماذا عن",
pronouns and demonstratives, or too few content words to stand alone). Measured on the held-out
half of corpus/followup_qa.jsonl (benchmarks/followup.py): with the cues, follow-up hit@1 .882 and
no topic change dragged back; fusing every question after the first gives the same follow-up
hit@1 but drags 31% of the topic changes; never fusing, follow-up hit@1 .824 (fit half .545).
The cues fire on 3% of ARCD's and 17% of XQuAD-R's English standalone questions (pronouns); such
a false lean is only soft fusion, which kept every gold topic change on its own topic.

The conversation calls the assistant (``retrieve`` and ``ask``), never the store.
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

from .normalize import content_terms, fold_marks

if TYPE_CHECKING:
    from .app import Assistant
    from .types import Answer

SentenceKey = tuple[str, str]  # (document_id, sentence_id)

# Fitted on the even-numbered dialogues of corpus/followup_qa.jsonl (benchmarks/followup.py):
# fused = (own + HISTORY_WEIGHT * previous) / (1 + HISTORY_WEIGHT) + NEXT_SENTENCE_BONUS.
# Refit after the two-step retrieval (sentences of one passage now score close together): the bonus
# went from 0.03 to 0, which it beat on the fit half (held-out follow-up hit@1 .824, no topic dragged).
HISTORY_WEIGHT = 0.5
NEXT_SENTENCE_BONUS = 0.0
# A question with this many content words or fewer cannot stand alone ("which talks?").
SHORT_QUESTION_TERMS = 1

_EN_CUES = re.compile(
    r"^\s*(and|but|so|also|then|or|what about|how about)\b"
    r"|\b(it|its|they|them|their|he|him|his|she|her|these|those|else|the same|the other"
    r"|the (first|second|third|fourth|last) one|this one|that one)\b"
    r"|\b(that|this)\b(?!\s+(article|story|news|text|report|statement|communiqu\w*|meeting|year)\b)",
    re.IGNORECASE,
)
_AR_CUES = re.compile(
    # A question opened by "و" + a question word: "وما", "ومن", "وأين", "وماذا عن", "وبعد كم"...
    r"^\s*[«\"(]?و(ما|ماذا|من|مين|أين|اين|متى|كيف|هل|لماذا|كم|بكم|بعد|مع|أي|اي|عن|في|ماذا عن|شو|ايش)(?!\w)"
    r"|^\s*(ماذا|ما|شو) عن\b"
    # A demonstrative standing for a noun (not "هذا الخبر").
    r"|(?<!\w)(ذلك|تلك|هذا|هذه|هؤلاء|هذي)(?!\s*ال)(?!\w)"
    # Ordinals standing alone: "أولها", "الثانية؟"
    r"|(?<!\w)(أول|اول|ثاني|ثالث|آخر|اخر)(ها|هم|هما)(?!\w)",
)


def leaning_cue(question: str) -> str:
    """Why ``question`` seems to lean on the conversation ("" when it seems to stand alone)."""
    folded = fold_marks(question)
    for name, pattern in (("en", _EN_CUES), ("ar", _AR_CUES)):
        match = pattern.search(folded)
        if match:
            return match.group(0).strip()
    if len(content_terms(folded)) <= SHORT_QUESTION_TERMS:
        return "short"
    return ""


@dataclass(frozen=True)
class Turn:
    answer: Answer
    # Retrieval scores this turn answered from (fused when it leaned): what a follow-up borrows.
    scores: Mapping[SentenceKey, float] = field(default_factory=dict, compare=False)
    cue: str = ""  # why it leaned, when it did

    @property
    def question(self) -> str:
        return self.answer.question


class Lean(str, enum.Enum):
    """When a question borrows from the conversation."""

    CUE = "cue"  # when it shows a cue (the default: measured best, benchmarks/followup.py)
    ALWAYS = "always"  # every question after the first (for comparison)
    NEVER = "never"  # never: every question is asked as if it were the first


@dataclass(frozen=True)
class Fusion:
    history_weight: float = HISTORY_WEIGHT
    next_sentence_bonus: float = NEXT_SENTENCE_BONUS
    lean: Lean = Lean.CUE


def fuse(own: Mapping[SentenceKey, float], previous: Mapping[SentenceKey, float], cited: tuple[SentenceKey, ...],
         next_of: Mapping[SentenceKey, SentenceKey], fusion: Fusion) -> dict[SentenceKey, float]:
    """The question's scores fused with the previous turn's, plus the bonus after cited sentences.

    A weighted mean keeps the scale of retrieval scores, so the abstention threshold still applies.
    """
    after = {next_of[key] for key in cited if key in next_of}
    weight = fusion.history_weight
    return {key: (own.get(key, 0.0) + weight * previous.get(key, 0.0)) / (1 + weight)
            + fusion.next_sentence_bonus * (key in after)
            for key in own.keys() | previous.keys()}


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
        own = _scores(self.assistant.retrieve(question, mode=options.get("mode")))
        cue = self._cue(question)
        if cue:
            previous = self._turns[-1]
            cited = tuple((c.document_id, c.sentence_id) for c in previous.answer.citations)
            scores = fuse(own, previous.scores, cited, self.assistant.next_sentences(), self.fusion)
            answer = self.assistant.ask(question, ranking=scores, context=previous.answer.question, **options)
            answer = dataclasses.replace(answer, leaned_on=len(self._turns))
        else:
            scores = own
            answer = self.assistant.ask(question, **options)
        self._turns.append(Turn(answer, scores, cue))
        return answer

    def _cue(self, question: str) -> str:
        if not self._turns or self.fusion.lean is Lean.NEVER:
            return ""
        return leaning_cue(question) or ("always" if self.fusion.lean is Lean.ALWAYS else "")

    # -- export ------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return export_dict(self.answers, self._titles())

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_markdown(self) -> str:
        return export_markdown(self.answers, self._titles())

    def _titles(self) -> dict[str, str]:
        return {info.id: info.title for info in self.assistant.documents()}


def _scores(ranking: list[tuple[str, str, float]]) -> dict[SentenceKey, float]:
    return {(document, sentence): score for document, sentence, score in ranking}


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
    return re.sub(r"([\\`*_{}\[\]#|])", r"\\\1", text)
