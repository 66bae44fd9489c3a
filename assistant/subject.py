"""What a question asks about a document's subject: the question without the words that name it
(its title line and the sentence after it, or its first sentence when it has no title line).

A document about one subject names it in its title and its first sentence, and then says "she", "it",
"the plant". A question names the subject too ("Who supervised Samira Karam's PhD?"), so the sentence
that matches it best is the one that names the subject (her birth and death), not the one that
answers it ("She completed her doctorate ... under the supervision of Peter Lindqvist"). Inside a
document whose title the question names, every sentence is about that subject, so the retrieval
stage orders that document's sentences and passages by the rest of the question ("Who supervised
's PhD?"), and keeps the document's best match as it was, so that documents still compare as before.

Measured on Wikipedia articles stored whole with their title as a heading (benchmarks/open_qa.py
--whole-articles --titled; docs/benchmarks.md, "The question without its subject"): ARCD-train report
half, answer in top citation .765 -> .786, r@1 .738 -> .750; XQuAD-R's English articles, fit half,
.816 -> .827. Documents without a title line (the article, one paragraph per document) are unchanged.

A news story's headline seldom names all of its subject; its first sentence does ("Egypt opens
solar-powered desalination plant on Red Sea coast", then "CAIRO — Egypt on Sunday inaugurated a
solar-powered desalination plant near the Red Sea town of El Quseir, ..."), and "Which bank lent
money for the El Quseir plant?" was answered by that first sentence. So the lead's words are taken
out with the title's (docs/benchmarks.md, "The lead names the subject too").

A document without a title line (a Wikipedia paragraph, a report) names its subject in its first
sentence: its words are taken out alone (docs/benchmarks.md, "Without a title line, the first
sentence names the subject"): ARCD-train report half, answer in top citation .771 -> .786, r@1
.744 -> .759, but right paragraph first .774 -> .759.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import TypeVar

from .normalize import content_terms

K = TypeVar("K", bound=Hashable)

_WORDS_AND_GAPS = re.compile(r"\w+|\W+")
# A question left with fewer content terms than this once the lead's words are out asks too little
# to order a document by ("Where does the lantern parade start?" -> "Where does start?"): the
# title's words alone are taken out then.
MIN_TERMS_ASKED = 2


def what_is_asked(question: str, title: str, lead: str = "") -> str | None:
    """``question`` without the words of its document's subject (compared as stemmed content terms),
    or None to leave its order alone. ``title``: the document's title line ("" when it has none);
    ``lead``: its first sentence after the title, or its first sentence.

    With a title: None when the question names none of its words, or nothing but them ("Who is
    Samira Karam?" is about the subject itself); the lead's words go too when at least
    ``MIN_TERMS_ASKED`` content terms are left. Without one: the lead's words, when that many are left.
    """
    by_title = _without(question, content_terms(title))
    if not lead or (title and by_title is None):
        return by_title
    by_both = _without(question, content_terms(title) | content_terms(lead))
    return by_both if by_both is not None and len(content_terms(by_both)) >= MIN_TERMS_ASKED else by_title


def _without(question: str, named: frozenset[str] | set[str]) -> str | None:
    if not named:
        return None
    parts = _WORDS_AND_GAPS.findall(question)
    kept = [part for part in parts if not ((terms := content_terms(part)) and terms <= named)]
    if len(kept) == len(parts):
        return None
    rest = " ".join("".join(kept).split())
    return rest if content_terms(rest) else None


def ordered_by(scores: Mapping[K, float], order: Mapping[K, float]) -> dict[K, float]:
    """New scores for the keys of both: their spacing and order those of ``order``, the best one
    ``scores``' best (so that the group still compares with others as it did)."""
    keys = [key for key in scores if key in order]
    if not keys:
        return {}
    shift = max(scores[key] for key in keys) - max(order[key] for key in keys)
    return {key: order[key] + shift for key in keys}
