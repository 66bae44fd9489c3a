"""Arabic stemming variants compared by BM25 alone: sentence R@1 and MRR@10 over ARCD-train and XQuAD-R.

    python benchmarks/arabic_stemmers.py --arcd ../shared/benchmarks/arcd/arcd-train.json \
                                         --xquad ../shared/benchmarks/xquad-r

Every paragraph of a set is segmented by our segmenter; every sentence of the set is one BM25 document
(bm25s, with the production token pattern and stopwords), and each Arabic question ranks them all. A
question is right at rank 1 when the top sentence holds its answer (``open_qa.gold_sentences`` /
XQuAD-R's own sentence). No encoder, no passage step: it isolates what the stemmer does to term matching.

Why: Snowball's Arabic stemmer strips a first ب or ف from a bare noun ("بطاطس" -> "طاطس" beside
"البطاطس" -> "بطاطس"; "فرنسا" -> "رنس") and handles definite and bare forms' suffixes apart ("الليمون" ->
"ليم", "ليمون" -> "ليمون"). The variants ask whether a lighter or more consistent stemmer matches better.
"""
from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import bm25s
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import open_qa  # noqa: E402
import xquad_r  # noqa: E402
from assistant import normalize as norm  # noqa: E402
from assistant.search_index import BM25_STOPWORDS  # noqa: E402
from assistant.segmentation import sentences_of  # noqa: E402

Pool = tuple[list[tuple[tuple[str, str], str]], list[tuple[str, frozenset]]]

# Light10 (Larkey, Ballesteros and Connell 2002): "and", then one article form, then suffixes.
LIGHT10_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")
LIGHT10_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")


def light10(word: str) -> str:
    if word.startswith("و") and len(word) > 3:
        word = word[1:]
    article = next((a for a in LIGHT10_ARTICLES if word.startswith(a) and len(word) - len(a) >= 2), "")
    word = word[len(article):]
    for suffix in LIGHT10_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[:-len(suffix)]
    return word


def snowball_definite(snowball: Callable[[str], str], word: str) -> str:
    """Snowball on the word's definite form when it has no article or clitic of its own."""
    bare = norm._without_conjunction(word)
    if not bare.startswith(("ال", "بال", "كال", "فال", "لل", "و", "ف")):
        bare = "ال" + bare
    return snowball(bare)


def snowball_keeping_first(letters: str, snowball: Callable[[str], str], word: str) -> str:
    """Snowball, except that a first letter of ``letters`` it strips from a bare word stays (through the
    word's definite form)."""
    bare = norm._without_conjunction(word)
    stem = snowball(bare)
    if bare[0] in letters and not bare.startswith("بال") and not stem.startswith(bare[0]):
        stem = snowball("ال" + bare)
    return stem


class VariantStemmer(norm.BilingualStemmer):
    """The production stemmer with its Arabic step replaced by ``arabic`` (bare word -> stem); the
    feminine plural's alef and the long vowels are folded after it as in production."""

    def __init__(self, arabic: Callable[[norm.BilingualStemmer, str], str] | None) -> None:
        super().__init__()
        self._variant = arabic

    def _stem_word(self, word: str) -> str:
        if self._variant is None:
            return super()._stem_word(word)
        bare = norm._INVISIBLE.sub("", norm._DIACRITICS.sub("", unicodedata.normalize("NFKC", word)))
        if not bare or not "\u0600" <= bare[0] <= "\u06ff":
            return self._english.stemWord(bare.casefold())
        stem = self._variant(self, bare)
        if bare.endswith("ات") and stem.endswith("ا") and len(stem) > 3:
            stem = stem[:-1]
        return norm._without_long_vowels(norm.normalize(stem))


VARIANTS: dict[str, Callable[[norm.BilingualStemmer, str], str] | None] = {
    "snowball (production: the article off first)": None,
    # Production until 2026-12-05: Snowball on the word with its article, which it strips itself.
    "snowball on the word as written": lambda s, w: s._arabic.stemWord(norm._without_conjunction(w)),
    "light10": lambda s, w: light10(w),
    "snowball on the definite form": lambda s, w: snowball_definite(s._arabic.stemWord, w),
    "snowball keeping a first ب": lambda s, w: snowball_keeping_first("ب", s._arabic.stemWord, w),
    "snowball keeping a first ب or ف": lambda s, w: snowball_keeping_first("بف", s._arabic.stemWord, w),
}


def pools(arcd: Path, xquad: Path) -> dict[str, Pool]:
    documents, questions = open_qa.load_squad(arcd, "arcd")
    arcd_pool = ([((d.id, s.id), s.text) for d in documents for s in sentences_of(d.paragraphs())],
                 [(q.text, q.gold) for q in questions])
    documents, xquestions, _ = xquad_r.load_xquad(xquad)
    xquad_pool = ([((d.id, s.id), s.text) for d in documents for s in sentences_of(d.paragraphs())],
                  [(q.ar, frozenset({q.gold})) for q in xquestions])
    return {"ARCD-train": arcd_pool, "XQuAD-R ar": xquad_pool}


def _tokens(texts: list[str], stemmer: norm.BilingualStemmer, ids: bool = True):
    return bm25s.tokenize(texts, stopwords=BM25_STOPWORDS, stemmer=stemmer, token_pattern=norm.BM25_TOKEN_PATTERN,
                          show_progress=False, return_ids=ids)


def measure(pool: Pool, stemmer: norm.BilingualStemmer) -> tuple[float, float]:
    """(R@1, MRR@10) of the pool's questions over its sentences."""
    sentences, questions = pool
    ids = [key for key, _ in sentences]
    index = bm25s.BM25()
    index.index(_tokens([text for _, text in sentences], stemmer), show_progress=False)
    hits = reciprocal = 0.0
    for question, gold in questions:
        words = [w for w in _tokens([question], stemmer, ids=False)[0] if w in index.vocab_dict]
        if not words:
            continue
        order = np.argsort(-index.get_scores(words))[:10]
        rank = next((r for r, j in enumerate(order, 1) if ids[j] in gold), None)
        hits += rank == 1
        reciprocal += 1 / rank if rank else 0.0
    return hits / len(questions), reciprocal / len(questions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arcd", type=Path, required=True)
    parser.add_argument("--xquad", type=Path, required=True)
    args = parser.parse_args()
    data = pools(args.arcd, args.xquad)
    print("| stemmer | " + " | ".join(f"{name} R@1 / MRR@10" for name in data) + " |")
    print("| --- |" + " --- |" * len(data))
    for name, variant in VARIANTS.items():
        cells = [measure(pool, VariantStemmer(variant)) for pool in data.values()]
        print(f"| {name} | " + " | ".join(f"{r1:.3f} / {mrr:.3f}" for r1, mrr in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
