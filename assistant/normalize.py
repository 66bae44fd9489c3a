"""Text normalisation for matching (never for display) and question language detection.

Arabic is written with optional diacritics, several alef and hamza forms, and interchangeable
final ya/alef maqsura and ta marbuta/ha; users type any of them. Matching therefore runs on a
folded form in which all those variants coincide.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata

import Stemmer

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u08d3-\u08ff]")
_INVISIBLE = re.compile("[\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")
_FOLD = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
        "ى": "ي", "ی": "ي", "ئ": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ک": "ك",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Eastern (Persian) digits
    }
)
_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")
_TOKEN = re.compile(r"\w+")


class Language(str, enum.Enum):
    ARABIC = "ar"
    ENGLISH = "en"


class Script(str, enum.Enum):
    ARABIC = "ar"
    LATIN = "en"
    MIXED = "mixed"
    NONE = "none"


def normalize(text: str) -> str:
    """Fold ``text`` so that spelling variants of the same word compare equal; idempotent."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _DIACRITICS.sub("", text)
    text = text.translate(_FOLD).casefold()
    return re.sub(r"\s+", " ", text).strip()


_QUESTION_FOLD = str.maketrans({"ک": "ك", "ی": "ي"})


def fold_marks(text: str) -> str:
    """``text`` without Arabic diacritics and tatweel, with Persian kaf/yeh as Arabic letters.

    For what retrieval sees of a question: the embedding model reads a fully vowelled word as a
    different word, while the corpus (like most Arabic text) is unvowelled. Lighter than
    ``normalize`` (no alef/ya/ta-marbuta folding), so the question still reads as the corpus does.
    """
    return _DIACRITICS.sub("", text.replace("\u0640", "")).translate(_QUESTION_FOLD)


def tokens(text: str) -> list[str]:
    """Word tokens of the normalised text."""
    return _TOKEN.findall(normalize(text))


def detect_script(text: str) -> Script:
    """Which script the letters of ``text`` are written in (mixed when neither has 80%)."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if arabic + latin == 0:
        return Script.NONE
    share = arabic / (arabic + latin)
    if share >= 0.8:
        return Script.ARABIC
    if share <= 0.2:
        return Script.LATIN
    return Script.MIXED


def text_language(text: str) -> str | None:
    """"ar" or "en" by the script of ``text``'s letters; None when it mixes both or has none."""
    return {Script.ARABIC: "ar", Script.LATIN: "en"}.get(detect_script(text))


def answer_language(text: str) -> Language:
    """The language of a text (a document, an answer written): its dominant script; Arabic when there is none."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    return Language.ENGLISH if latin > arabic else Language.ARABIC


def question_language(question: str) -> Language:
    """The language to answer ``question`` in: its script, or when it mixes both, its first word's (the
    question word, where a name in the other script is not: "ما رقم هاتف Oakfield Kennels؟" has more
    Latin letters than Arabic, and its refusal came in English)."""
    if detect_script(question) is not Script.MIXED:
        return answer_language(question)
    first = next(word for word in _TOKEN.findall(question) if _LATIN_LETTER.search(word) or _ARABIC_LETTER.search(word))
    return Language.ENGLISH if _LATIN_LETTER.search(first) else Language.ARABIC


# An e-mail address or a web address is one token: split into words, "people-ops@northwind.example"
# matched every question about people or about Northwind. Arabic diacritics and tatweel are not \w;
# they stay inside tokens so the stemmer can fold them.
BM25_TOKEN_PATTERN = (r"(?u)[\w.+-]*\w@\w[\w-]*(?:\.\w[\w-]*)+"
                      r"|(?:https?://|www\.)[^\s<>\"'()\[\]]*[^\s<>\"'()\[\].,;:!?]"
                      # A time of day is one token too: "What is on at 13:30?" matched the 14:30 row of a
                      # TV schedule by "30" and its "episode 13".
                      r"|(?<![\d:])\d{1,2}:\d{2}(?![\d:])"
                      r"|[\w\u0610-\u061a\u064b-\u065f\u0670\u0640]{2,}")
STOPWORDS = [
    # English function words and question words.
    "the", "a", "an", "of", "to", "in", "on", "and", "or", "is", "are", "was", "were", "be", "for",
    "what", "which", "who", "whom", "where", "when", "how", "why", "does", "do", "did", "it", "its",
    "that", "this", "with", "by", "as", "at", "from", "about", "according", "article",
    # Arabic function words and question words (folded forms are added below).
    "ما", "ماذا", "من", "في", "على", "الى", "إلى", "عن", "هل", "هي", "هو", "كيف", "متى", "اين",
    "أين", "لماذا", "التي", "الذي", "ذلك", "هذه", "هذا", "مع", "او", "أو", "ثم", "كم", "وما",
]
# Closed-class words (pronouns, auxiliaries, particles) of both languages. As content terms they
# counted against the coverage of evidence that names what the question calls "she" or "it" ("When
# did she die?": half of its terms were missing from "Marie Curie died in 1934.").
STOPWORDS += [
    "he", "she", "they", "them", "him", "his", "her", "hers", "their", "theirs", "we", "us", "our",
    "you", "your", "i", "me", "my", "has", "have", "had", "been", "being", "am", "not", "no", "but",
    "if", "than", "then", "so", "into", "there", "these", "those", "such", "can", "could", "will",
    "would", "shall", "should", "may", "might", "must", "also", "any", "some", "each", "many", "much",
    # Their forms without hamza ("انا", "اذا") are stopwords too: see _STOPWORDS and BM25_STOPWORDS.
    "هم", "هن", "هما", "نحن", "أنا", "أنت", "أنه", "أنها", "أن", "إن", "كان", "كانت", "كانوا", "يكون",
    "تكون", "قد", "لقد", "تم", "لم", "لن", "لا", "ليس", "الذين", "اللذان", "اللتان", "اللواتي", "تلك",
    "هؤلاء", "هناك", "هنا", "أي", "حتى", "منذ", "عند", "لدى", "بين", "حول", "خلال", "لكن", "ولكن", "بل",
    "أم", "أما", "إذا", "لو", "كما", "حيث", "بينما", "أيضا", "وقد", "وهو", "وهي", "وفي", "وعلى", "وكان",
    "وكانت",
]
# Arabic writes "and" / "so" (و, ف) as part of the next word, and a follow-up question opens with them:
# "ومتى وقع؟", "فماذا قال؟". Snowball's stemmer strips the clitic, so these came back as content terms
# ("متي", "ماذ") that no evidence holds, and a follow-up's coverage fell by one term in two. Only the
# question words: "و" + "الى" would fold to "والي" (a governor).
_QUESTION_WORDS = ("ما", "ماذا", "من", "متى", "اين", "أين", "كيف", "لماذا", "هل", "كم")
STOPWORDS += [clitic + word for word in _QUESTION_WORDS for clitic in ("و", "ف") if clitic + word not in STOPWORDS]


# Distinct words whose stems (and stopword checks) are kept (about 10 MB).
WORD_CACHE = 1 << 16


class BilingualStemmer:
    """Stems a token with the Arabic or English Snowball stemmer, then folds it (see ``normalize``)."""

    def __init__(self) -> None:
        self._arabic = Stemmer.Stemmer("arabic")
        self._english = Stemmer.Stemmer("english")
        # Words repeat (Zipf): at 100k sentences, stemming each new candidate word by word was a
        # third of a first-time answer (24 of 65 ms p50, 806k normalize calls for 169 questions).
        self._stem = functools.lru_cache(maxsize=WORD_CACHE)(self._stem_word)

    def __call__(self, words: list[str]) -> list[str]:
        # A token of only tatweel/diacritics stems to "", which bm25s maps to its padding id and
        # then fails on ("maximum token ID ... higher than the number of tokens"): keep it as is.
        return [self._stem(word) or word for word in words]

    def _stem_word(self, word: str) -> str:
        bare = _INVISIBLE.sub("", _DIACRITICS.sub("", unicodedata.normalize("NFKC", word)))
        if not bare or not "\u0600" <= bare[0] <= "\u06ff":
            return self._english.stemWord(bare.casefold())
        # Snowball's Arabic stemmer knows ta marbuta and hamza forms, so it runs before folding;
        # it leaves the alef of the feminine plural (مجموعات -> مجموعا), which is dropped here.
        stem = self._arabic.stemWord(_without_article(_without_conjunction(bare)))
        if bare.endswith("ات") and stem.endswith("ا") and len(stem) > 3:
            stem = stem[:-1]
        return _without_long_vowels(normalize(stem))


# An Arabic stem keeps at least this many letters once its long vowels are gone ("سوري" stays whole).
MIN_FOLDED_STEM = 3


def _without_long_vowels(stem: str) -> str:
    """An Arabic stem without the long vowels and glides after its first letter (``_WEAK_LETTERS``), so
    that the forms of one word share one term: a broken plural and its singular ("رسوم" / "رسم",
    "مدن" / "مدينة", "كتب" / "كتاب"), a noun and its verb. Light stemming leaves them apart: ARCD's
    "الى كم منطقة تقسم محافظات اليابان؟" found "منطقة" nowhere in "... إلى ثماني مناطق" and cited "تتألف
    اليابان من 47 محافظة." The first letter is kept: a root's first letter is as often one of them.
    Measured (docs/benchmarks.md, "An eleventh new user's documents"): ARCD-train report half, answer
    in top citation .786 -> .792, r@1 .759 -> .765; fit half .726 -> .737; XQuAD-R AR->AR R@1 (BM25)
    .689 -> .692, hybrid .776 -> .778; one gold question of 170 lost ("توجد" now joins "تواجده" in
    another sentence)."""
    folded = stem[:1] + stem[1:].translate(_WEAK_LETTERS)
    return folded if len(folded) >= MIN_FOLDED_STEM else stem


def _without_conjunction(word: str) -> str:
    """An Arabic word without "and" / "so" (و, ف) written onto its article: Snowball strips the article
    only when the word opens with it, so "والوصيف" stayed whole beside "الوصيف" -> "وصيف". A word whose
    root opens with "وال" keeps it: "والدها" (her father) came out "دها", "والدين" (parents) "دين"
    (religion), and a question about a poet's mother cited the sentence about her father."""
    if word[:3] not in ("وال", "فال") or len(word) <= 5 or _PARENT.fullmatch(word):
        return word
    return word[1:]


# A parent with a pronoun ("والدها", "والدته", "والداه"): its root opens with "وال". Not "والدين", as
# often "and the religion" as "parents", nor "والدولة" ("and the state").
_PARENT = re.compile(r"والد(?:ت|ا)?(?:ه|ها|هم|هما|ي|ك|كم|كما|نا|هن)|والد[ةا]|والد[اي]ه(?:ا|م|ما)?")


# The article, alone or after a preposition written onto it ("بال", "كال", "لل"), before a stem of
# three letters at least ("الله" stays whole).
_ARTICLE = re.compile(r"(?:[بك]?ال|لل)(?=\w{3})")


def _without_article(word: str) -> str:
    """An Arabic word without its article, so that Snowball stems it as it stems the bare word: it
    strips more of a longer word's ending, and "الزيتون" came out "زيت" beside "زيتون" -> "زيتون",
    "المالك" "مالك" beside "مالك" -> "مال" (a user's "من هو مالك المشتل؟" matched no word of "المالك").
    BM25 alone (benchmarks/arabic_stemmers.py), R@1 / MRR@10: ARCD-train .543 / .659 -> .554 / .667,
    XQuAD-R .659 / .743 -> .664 / .749. Through the whole pipeline: ARCD-train's report half, right
    paragraph first .762 -> .765, answer in the top citation .792 -> .792, in any .878 -> .869, r@1
    .765 -> .768; XQuAD-R R@1 AR->AR .778 -> .776, EN->AR .666 -> .666."""
    return _ARTICLE.sub("", word, count=1) if _ARTICLE.match(word) else word


_STOPWORDS = frozenset(STOPWORDS) | frozenset(normalize(word) for word in STOPWORDS)


@functools.lru_cache(maxsize=8192)
def content_terms(text: str) -> frozenset[str]:
    """The stems of the words that carry content (what BM25 indexes, without stopwords).

    Memoised: the evidence stage asks for the terms of every candidate and its paragraph, and a
    store keeps returning the same texts; stemming them was 40% of an answer at 10k sentences.
    """
    words = [w for w in re.findall(BM25_TOKEN_PATTERN, text.lower()) if not _is_stopword(w)]
    return frozenset(_stemmer()(words))


# What an Arabic word's forms add around its letters: the long vowels and glides ("يزن" and "وزن",
# "اطلق" and "اطلاق", as stems of "يزن" / "الوزن" and "أطلق" / "الإطلاق").
_WEAK_LETTERS = str.maketrans("", "", "اوي")
# A stem that opens another is the same word when it is at least this long ("weigh" / "weight", "water" /
# "waterproof"); shorter ones open too many others ("part" / "party").
OPENING_MIN_CHARS = 5


def forms_of_one_word(first: str, second: str) -> bool:
    """Whether two stems (``content_terms``) are forms of one word that stemming keeps apart: equal, one
    opening the other, or Arabic with the same letters once the long vowels and glides are gone."""
    if first == second:
        return True
    shorter, longer = sorted((first, second), key=len)
    if len(shorter) >= OPENING_MIN_CHARS and longer.startswith(shorter):
        return True
    if detect_script(first) is not Script.ARABIC or detect_script(second) is not Script.ARABIC:
        return False
    letters = first.translate(_WEAK_LETTERS)
    return len(letters) >= 2 and letters == second.translate(_WEAK_LETTERS)


@functools.lru_cache(maxsize=WORD_CACHE)
def _is_stopword(word: str) -> bool:
    return normalize(word) in _STOPWORDS


@functools.cache
def _stemmer() -> BilingualStemmer:
    return BilingualStemmer()
