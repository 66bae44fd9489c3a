"""Split a document into paragraphs (one per source line) and sentences with exact offsets.

Every unit keeps ``start``/``end`` character offsets into the document text, so that
``text[unit.start:unit.end] == unit.text`` always holds: citations are verified against them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Bump whenever the rules below change: stored indexes record it and refuse to mix versions.
SEGMENTATION_VERSION = 1

_TERMINATORS = ".!?؟؛…"
_CLOSERS = "»\"')]”’›"
_ARABIC_LETTER = "\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff"

# A sentence ends at a run of terminators (plus closing quotes/brackets) when what follows is
# whitespace, the end of the line, or a letter glued straight onto the full stop
# ("ذات الصلة.ودعا"). A full stop between digits ("2.5") or after an initial ("U.S.") is not an end.
_BOUNDARY = re.compile(
    rf"(?<!\b[A-Z])[{re.escape(_TERMINATORS)}]+[{re.escape(_CLOSERS)}]*"
    rf"(?=\s|$|[{_ARABIC_LETTER}«\"(]|(?<=[a-z][.!?])[A-Z])"
)


@dataclass(frozen=True)
class Sentence:
    id: str  # "p13.s2": paragraph 13, sentence 2, both counted from 1
    paragraph_id: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Paragraph:
    id: str  # "p13"
    text: str
    start: int
    end: int
    sentences: tuple[Sentence, ...]


def segment(text: str) -> tuple[Paragraph, ...]:
    """Paragraphs are the non-blank lines of ``text``; each is split into sentences."""
    paragraphs: list[Paragraph] = []
    for line in re.finditer(r"[^\n]+", text):
        start, end = _strip_span(text, line.start(), line.end())
        spans = _sentence_spans(text, start, end)
        if not spans:  # a blank or punctuation-only line is no paragraph
            continue
        paragraph_id = f"p{len(paragraphs) + 1}"
        sentences = tuple(
            Sentence(f"{paragraph_id}.s{n}", paragraph_id, text[s:e], s, e)
            for n, (s, e) in enumerate(spans, start=1)
        )
        paragraphs.append(Paragraph(paragraph_id, text[start:end], start, end, sentences))
    return tuple(paragraphs)


def sentences_of(paragraphs: tuple[Paragraph, ...]) -> tuple[Sentence, ...]:
    return tuple(s for p in paragraphs for s in p.sentences)


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        spans.append(_strip_span(text, cursor, match.end()))
        cursor = match.end()
    spans.append(_strip_span(text, cursor, end))
    return [(s, e) for s, e in spans if e > s and _has_word(text[s:e])]


def _has_word(fragment: str) -> bool:
    return any(ch.isalnum() for ch in fragment)


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
