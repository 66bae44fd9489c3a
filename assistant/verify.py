"""Checks an LLM's answer against the numbered sources it was given, before anything is shown.

The model's text is only a proposal. ``verify_answer`` parses every citation marker (``[2]``,
``[1][3]``, ``[1, 3]``, ``[Source 2]``), drops the ones that point to no source, and keeps a marker
only when the cited sentence supports the answer sentence (or the clause just before the marker):
enough of the claim's content terms (stemmed, folded: ``normalize.content_terms``) occur in the
cited sentence or its English rendering, and every number in the claim occurs there too. The kept
markers are renumbered 1..k in order of first use; a marker that is removed leaves no trace.

``SUPPORT_THRESHOLD`` was calibrated on the gold set: ``benchmarks/support_threshold.py`` prints the
separation between supported pairs (each gold answer vs its gold sentences) and deliberately
mismatched pairs (each gold answer vs sentences of other paragraphs).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .normalize import content_terms, normalize
from .types import with_rendering

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

# Share of an answer sentence's content terms that the cited sentence must contain. On the gold set
# (`benchmarks/support_threshold.py`; 142 answers, 426 mismatched pairs), at 0.35: every answer is
# supported by its best gold sentence (ar 1.000 / en 1.000), 0.887 / 0.900 by each of its gold
# sentences, and 0.050 / 0.063 of mismatched pairs pass (at 0.30: 0.110 / 0.106; at 0.40 the
# best-sentence rate drops to 0.986 / 0.986 with hardly fewer mismatches). Most mismatches that pass
# are real repeats in the article ("the closing statement", "Tillerson").
SUPPORT_THRESHOLD = 0.35

_LATIN_DIGITS = str.maketrans(
    {**{chr(0x0660 + d): str(d) for d in range(10)}, **{chr(0x06F0 + d): str(d) for d in range(10)}}
)
_BRACKET = re.compile(r"\[([^\[\]\n]{1,30})\]")
_MARKER_BODY = re.compile(
    r"\s*(?:(?:sources?|src|refs?|المصدر|مصدر|المصادر|مصادر)\s*:?\s*)?"
    r"\d+(?:\s*(?:[,،;\-–]|and|و)\s*\d+)*\s*",
    re.IGNORECASE,
)
_GROUP_GAP = re.compile(r"[\s,،;]*")
# A sentence ends at terminal punctuation followed by a space, the end or a marker, or at a
# newline; "U.S." (a capital before the full stop) does not end one.
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])[.!?؟…]+(?=\s|$|\[)|\n+")
_RANGE = re.compile(r"(\d+)\s*[-–]\s*(\d+)")
_THINKING = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)

# Number words the sources spell out ("four pillars", "أربع ركائز") so that "4" in an answer can
# be checked against them.
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20",
    "thirty": "30", "hundred": "100", "thousand": "1000", "million": "1000000", "billion": "1000000000",
    "واحد": "1", "واحده": "1", "اثنان": "2", "اثنين": "2", "اثنتان": "2", "ثلاث": "3", "ثلاثه": "3",
    "اربع": "4", "اربعه": "4", "خمس": "5", "خمسه": "5", "ست": "6", "سته": "6", "سبع": "7", "سبعه": "7",
    "ثماني": "8", "ثمانيه": "8", "تسع": "9", "تسعه": "9", "عشر": "10", "عشره": "10", "عشرين": "20",
    "عشرون": "20", "ثلاثين": "30", "ثلاثون": "30", "مئه": "100", "مائه": "100", "الف": "1000",
    "مليون": "1000000", "مليار": "1000000000",
}
_ARABIC_CLITICS = ("وال", "بال", "لل", "ال", "و", "ب", "ل")

# What a model writes when the sources do not answer (besides the exact sentence it is given).
_UNANSWERED = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(sources?|article|text|documents?|context)\b[^.]{0,40}\b(do(es)?\s*n[o']?t|never)\s+"
        r"(say|answer|mention|contain|state|provide|specify|include|cover|address)",
        r"\b(not|never)\s+(mentioned|stated|specified|covered|given|provided|found)\b",
        r"\bno (information|answer|mention)\b",
        r"\b(cannot|can ?not|can't|unable to)\s+(answer|find|determine|tell)\b",
        r"\bi (found|find|could find) nothing\b",
        r"\bdoes not say\b",
    )
] + [
    re.compile(normalize(p))
    for p in (
        "لا يذكر", "لا تذكر", "لم يذكر", "لم تذكر", "لا تجيب", "لا يجيب", "لم أجد", "لا أجد",
        "لا تتضمن", "لا يتضمن", "لا تحتوي", "لا يحتوي", "لا توجد معلومات", "لا تتوفر", "غير مذكور",
        "لا أستطيع الإجابة", "لا يمكنني الإجابة", "لا يمكن الإجابة", "لم يرد", "لم ترد",
    )
]


@dataclass(frozen=True)
class Verified:
    """An answer after verification: only markers that check out remain, numbered 1..k."""

    text: str
    cited: tuple[NodeWithScore, ...]  # cited[i] is the source of marker [i + 1]
    unknown: int  # markers that pointed to no source ([99])
    unsupported: int  # markers whose sentence does not support the claim
    uncited: int  # answer sentences with content that kept no marker
    had_markers: bool  # whether the model wrote any citation marker at all

    @property
    def plain(self) -> str:
        """The answer without its markers (for language detection)."""
        return strip_markers(self.text)


@dataclass(frozen=True)
class _Group:
    start: int
    end: int
    numbers: tuple[int, ...]


def verify_answer(
    text: str, sources: Sequence[NodeWithScore], threshold: float = SUPPORT_THRESHOLD
) -> Verified:
    """Check ``text`` (the model's answer) against ``sources`` (what it was shown as [1]..[N])."""
    evidence = [with_rendering(hit.node) for hit in sources]

    def supports(claim: str, index: int) -> bool:
        return support(claim, evidence[index]) >= threshold

    order: dict[int, int] = {}  # source index -> new marker number
    unknown = unsupported = uncited = 0
    had_markers = False
    out: list[str] = []
    for sentence in split_sentences(strip_thinking(text)):
        whole = strip_markers(sentence)
        pieces: list[str] = []
        cursor = 0
        kept_any = False
        for group in marker_groups(sentence):
            had_markers = True
            clause = strip_markers(sentence[cursor:group.start])
            kept: list[int] = []
            for number in group.numbers:
                index = number - 1
                if not 0 <= index < len(sources):
                    unknown += 1
                elif index in kept:
                    continue
                elif supports(clause, index) or supports(whole, index):
                    kept.append(index)
                else:
                    unsupported += 1
            head = sentence[cursor:group.start]
            if kept:
                kept_any = True
                pieces.append(head + "".join(f"[{order.setdefault(i, len(order) + 1)}]" for i in kept))
            else:
                pieces.append(head.rstrip(" \t\u00a0"))
            cursor = group.end
        pieces.append(sentence[cursor:])
        if not kept_any and content_terms(whole):
            uncited += 1
        out.append("".join(pieces))
    shown = re.sub(r"[ \t]{2,}", " ", "".join(out)).strip()
    cited = tuple(sources[i] for i, _ in sorted(order.items(), key=lambda item: item[1]))
    return Verified(shown, cited, unknown, unsupported, uncited, had_markers)


def support(claim: str, evidence: str) -> float:
    """How far ``evidence`` supports ``claim``: the share of the claim's content terms it contains.

    0 when the claim has no content terms, or names a number (in digits) that the evidence lacks.
    """
    terms = content_terms(claim)
    if not terms or not numbers_in(claim) <= numbers_in(evidence, spelled=True):
        return 0.0
    return len(terms & content_terms(evidence)) / len(terms)


def split_sentences(text: str) -> list[str]:
    """Sentences of an answer, each with the markers that follow its full stop; joined = ``text``."""
    markers = [m for m in _BRACKET.finditer(text) if _marker_numbers(m.group(1)) is not None]
    starts = {m.start(): m.end() for m in markers}
    pieces, begin = [], 0
    for end_match in _SENTENCE_END.finditer(text):
        end = end_match.end()
        if end <= begin:
            continue
        # Markers right after the full stop ("... Kuwait. [1]") belong to this sentence.
        while True:
            gap = re.match(r"[ \t]*", text[end:])
            after = end + (gap.end() if gap else 0)
            if after in starts:
                end = starts[after]
            else:
                break
        pieces.append(text[begin:end])
        begin = end
    if begin < len(text):
        pieces.append(text[begin:])
    return pieces


def marker_groups(sentence: str) -> list[_Group]:
    """Runs of adjacent citation markers ("[1][3]", "[1], [2]") with the numbers they hold."""
    groups: list[_Group] = []
    for match in _BRACKET.finditer(sentence):
        numbers = _marker_numbers(match.group(1))
        if numbers is None:
            continue
        previous = groups[-1] if groups else None
        if previous and _GROUP_GAP.fullmatch(sentence[previous.end : match.start()]):
            groups[-1] = _Group(previous.start, match.end(), previous.numbers + numbers)
        else:
            groups.append(_Group(match.start(), match.end(), numbers))
    return groups


def strip_markers(text: str) -> str:
    """``text`` without citation markers (other bracketed text is kept)."""
    stripped = _BRACKET.sub(lambda m: "" if _marker_numbers(m.group(1)) is not None else m.group(0), text)
    return re.sub(r"[ \t]+([.,!?؟،؛:])", r"\1", re.sub(r"[ \t]{2,}", " ", stripped)).strip()


def strip_thinking(text: str) -> str:
    """Drop a reasoning model's ``<think>...</think>`` preamble."""
    return _THINKING.sub("", text)


def numbers_in(text: str, spelled: bool = False) -> set[str]:
    """Digit sequences of ``text``; with ``spelled``, also its spelled-out numbers ("four", "أربع").

    Claims are checked by their digits only ("one" is often no number), sources by both.
    """
    folded = normalize(text)
    found = set(re.findall(r"\d+", folded))
    if spelled:
        for word in re.findall(r"\w+", folded):
            bare = [word] + [word[len(c):] for c in _ARABIC_CLITICS if word.startswith(c)]
            found.update(_NUMBER_WORDS[w] for w in bare if w in _NUMBER_WORDS)
    return found


def says_unanswerable(text: str, abstentions: Sequence[str] = ()) -> bool:
    """Whether the model's text says that the sources do not answer the question."""
    folded = normalize(strip_markers(strip_thinking(text)))
    if any(normalize(a).rstrip(".") in folded for a in abstentions if a):
        return True
    return any(p.search(folded) for p in _UNANSWERED)


def _marker_numbers(body: str) -> tuple[int, ...] | None:
    """The source numbers in a marker's body, or None when the brackets hold something else."""
    body = body.translate(_LATIN_DIGITS)
    if not _MARKER_BODY.fullmatch(body):
        return None
    numbers: list[int] = []
    last = 0
    for match in _RANGE.finditer(body):
        numbers += [int(n) for n in re.findall(r"\d+", body[last : match.start()])]
        low, high = int(match.group(1)), int(match.group(2))
        numbers += list(range(low, high + 1)) if 0 < high - low <= 10 else [low, high]
        last = match.end()
    numbers += [int(n) for n in re.findall(r"\d+", body[last:])]
    return tuple(numbers)
