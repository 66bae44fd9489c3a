"""A corpus of distinct sentences for the scale benchmark (``perf.py --scale``), from real text.

The shared benchmarks hold about 3,000 distinct sentences (XQuAD-R Arabic 1,187 and English 1,172,
ARCD-train 642, as our segmenter cuts them), so 100k distinct sentences cannot be real sentences
as they are. Each synthetic sentence is spliced: the first clause(s) of one real sentence and the
last clause(s) of another of the same language (cut at the comma nearest the middle, else at the
middle word); paragraphs are 3-6 such sentences, documents 10 paragraphs, in one language. Every
sentence text and every paragraph text is distinct, so every stored vector is too (repeating whole
texts gave near-identical vectors, on which HNSW returned 0.28-0.31 of the exact neighbours).

The stream is seeded and does not depend on the size asked for: the 10k corpus is the first
documents of the 100k one (a text-keyed embedding cache then serves them again).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SEED = "scale-corpus-v1"
PARAGRAPHS_PER_DOCUMENT = 10
SENTENCES_PER_PARAGRAPH = (3, 6)
_CLAUSE_END = re.compile(r"[,،;؛:](?=\s)")


def source_sentences(shared: Path) -> dict[str, list[str]]:
    """The distinct sentences of the shared benchmarks' contexts, per language ("ar", "en")."""
    from assistant.segmentation import segment

    files = {"ar": ["xquad-r/ar.json", "arcd/arcd-train.json"], "en": ["xquad-r/en.json"]}
    out: dict[str, list[str]] = {}
    for language, names in files.items():
        found: dict[str, None] = {}
        for name in names:
            data = json.loads((shared / name).read_text(encoding="utf-8"))["data"]
            for context in (" ".join(p["context"].split()) for a in data for p in a["paragraphs"]):
                found.update((s.text, None) for paragraph in segment(context + "\n") for s in paragraph.sentences)
        out[language] = [s for s in found if len(s.split()) >= 4]  # a head and a tail of two words at least
    return out


def split_point(sentence: str) -> int:
    """Where ``sentence`` is cut in two: after the clause end nearest its middle, else before its middle word."""
    middle = len(sentence) / 2
    ends = [m.end() for m in _CLAUSE_END.finditer(sentence) if 0.2 < m.end() / len(sentence) < 0.8]
    if ends:
        return min(ends, key=lambda end: abs(end - middle))
    words = [m.start() for m in re.finditer(r"\s\S", sentence)]
    return min(words, key=lambda start: abs(start - middle))


def _halves(sentences: list[str]) -> tuple[list[str], list[str]]:
    heads, tails = [], []
    for sentence in sentences:
        cut = split_point(sentence)
        heads.append(sentence[:cut].strip())
        tails.append(sentence[cut:].strip())
    return heads, tails


def documents(sources: dict[str, list[str]], seed: str = SEED) -> Iterator[tuple[str, list[str]]]:
    """An endless, reproducible stream of (language, paragraphs): every paragraph and sentence distinct."""
    from assistant.segmentation import segment

    rng = random.Random(seed)
    languages = sorted(sources)
    weights = [len(sources[language]) for language in languages]
    halves = {language: _halves(sources[language]) for language in languages}
    seen: set[str] = set()
    while True:
        language = rng.choices(languages, weights)[0]
        heads, tails = halves[language]
        chosen: list[str] = []
        while len(chosen) < PARAGRAPHS_PER_DOCUMENT:
            spliced = []
            for _ in range(rng.randint(*SENTENCES_PER_PARAGRAPH)):
                a, b = rng.sample(range(len(heads)), 2)
                spliced.append(f"{heads[a]} {tails[b]}")
            text = " ".join(spliced)
            cut = [s.text for p in segment(text + "\n") for s in p.sentences]
            if text in seen or any(s in seen for s in cut) or len(set(cut)) < len(cut):
                continue  # the segmenter may cut a splice elsewhere: distinct as stored is what counts
            seen.add(text)
            seen.update(cut)
            chosen.append(text)
        yield language, chosen


def distinct_documents(shared: Path, sentences: int, seed: str = SEED) -> tuple[list[Any], int]:
    """Documents until ``sentences`` sentences (the same first documents whatever ``sentences`` is);
    returns them and their number of sentences."""
    from assistant.corpus import Document

    stream = documents(source_sentences(shared), seed)
    out: list[Any] = []
    total = 0
    while total < sentences:
        language, chosen = next(stream)
        document = Document(id=f"syn-{len(out):05d}", text="\n".join(chosen) + "\n",
                            title=f"synthetic {len(out)}", language=language)
        out.append(document)
        total += sum(len(p.sentences) for p in document.paragraphs())
    return out, total
