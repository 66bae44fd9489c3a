import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.normalize import (Language, Script, answer_language, content_terms, detect_script, forms_of_one_word, normalize,
                                 question_language,
                                 text_language, tokens)


def test_diacritics_and_tatweel_are_removed():
    assert normalize("مَجْمُوعَةُ العَمَـــلِ") == normalize("مجموعة العمل")


def test_alef_forms_are_unified():
    assert normalize("أإآٱا") == "ااااا"


def test_final_ya_and_ta_marbuta_are_folded():
    assert normalize("على") == normalize("علي")
    assert normalize("المجموعة") == normalize("المجموعه")


def test_digits_are_unified():
    assert normalize("٢٢٥٤") == "2254"
    assert normalize("۲۲۵۴") == "2254"


def test_persian_letters_and_presentation_forms():
    assert normalize("کی") == normalize("كي")
    assert normalize("ﻻ") == "لا"


def test_invisible_characters_and_case():
    assert normalize("Tampa\u200b\u202e  CIFG") == "tampa cifg"
    assert tokens("What is the CIFG?") == ["what", "is", "the", "cifg"]


@given(st.text(max_size=80))
def test_normalisation_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


def test_scripts_and_answer_language():
    assert detect_script("ما هي مجموعات العمل؟") is Script.ARABIC
    assert detect_script("What are the working groups?") is Script.LATIN
    assert detect_script("ما هو دور working group في التحالف") is Script.MIXED
    assert detect_script("123 ?!") is Script.NONE
    assert answer_language("ما هو دور CIFG في التحالف؟") is Language.ARABIC
    assert answer_language("What is «داعش» doing in Libya?") is Language.ENGLISH
    assert answer_language("؟") is Language.ARABIC


@pytest.mark.parametrize(("question", "language"), [
    # A name in the other script may have more letters than the question around it: its first word says.
    ("ما رقم هاتف Oakfield Kennels؟", Language.ARABIC),
    ("كم سعر الاشتراك السنوي إلى Brentwick؟", Language.ARABIC),
    ("Where is مكتبة الملك عبدالعزيز العامة?", Language.ENGLISH),
    ("What is «داعش» doing in Libya?", Language.ENGLISH),
    ("ما هو دور CIFG في التحالف؟", Language.ARABIC),
    ("؟", Language.ARABIC),
])
def test_a_question_is_answered_in_its_own_words_language(question, language):
    assert question_language(question) is language


def test_a_text_language_is_its_script():
    assert text_language("What crops are grown in Siwa?") == "en"
    assert text_language("ما هي المحاصيل التي تزرع في سيوة؟") == "ar"
    assert text_language("2254?") is None
    assert text_language("Harbour Lights Festival مهرجان أضواء الميناء") is None  # both scripts


def test_a_question_word_with_and_or_so_attached_carries_no_content():
    """Arabic writes "and" / "so" as part of the next word: "ومتى" is "and when", no content term
    (Snowball's stemmer stripped the clitic and "متي" came back as one that no evidence holds)."""
    assert content_terms("ومتى وقع؟") == content_terms("متى وقع؟") == frozenset({"وقع"})
    assert content_terms("فماذا قال؟") == content_terms("ماذا قال؟")
    assert content_terms("وكم شخصا قتل؟") == content_terms("كم شخصا قتل؟")
    assert not content_terms("ولماذا؟")
    # Only question words: "والي" (a governor) is no "and to".
    assert content_terms("من هو والي المدينة؟") == frozenset({"وال", "مدن"})


def test_pronouns_and_auxiliaries_carry_no_content():
    """"When did she die?" asks what "Marie Curie died in 1934." says: "she" is no term that evidence
    must hold, nor is "تم" ("was done") in "متى تم افتتاح المتحف؟"."""
    assert content_terms("When did she die?") == content_terms("When did Curie die?") - content_terms("Curie")
    assert content_terms("How many have they built?") == content_terms("built")
    assert content_terms("متى تم افتتاح المتحف؟") == content_terms("افتتاح المتحف")
    assert content_terms("من هم الذين كانوا هناك؟") == frozenset()


def test_an_email_or_web_address_is_one_term():
    """Split into words, "people-ops@northwind.example" matched every question about people or about
    Northwind (a contact line was cited for "What equipment does Northwind give to people working
    remotely?"); as one term it matches only a question that names the address."""
    contact = "Questions about this policy should be sent to people-ops@northwind.example."
    assert not content_terms(contact) & content_terms("What equipment does Northwind give to people?")
    assert content_terms(contact) & content_terms("Who reads people-ops@northwind.example?")
    link = content_terms("The handbook is at https://northwind.example/people/handbook, and www.northwind.example.")
    assert {"peopl", "northwind", "handbook"} & link == {"handbook"}
    assert content_terms("Is https://northwind.example/people/handbook the address?") <= link | {"address"}


def test_a_time_of_day_is_one_term():
    """A TV schedule's "What is on at 13:30?" matched the 14:30 row by its "30" and its "episode 13"."""
    assert "13:30" in content_terms("ما البرنامج الذي يعرض الساعة 13:30؟")
    assert content_terms("14:30 مسلسل رجال الصحراء – الحلقة 13") >= {"14:30", "13"}
    assert "13:30" not in content_terms("14:30 مسلسل رجال الصحراء – الحلقة 13")
    assert {"10", "00"} <= content_terms("at 10:00:00 sharp")  # a clock's seconds: no time of day


def test_forms_of_one_word():
    """Stems a question and a label keep apart: a verb and its noun in Arabic, an English word and the
    longer one it opens. Short openings and other words stay apart."""
    stem = lambda word: next(iter(content_terms(word)))  # noqa: E731
    assert forms_of_one_word(stem("يزن"), stem("الوزن"))
    assert forms_of_one_word(stem("أطلق"), stem("الإطلاق"))
    assert forms_of_one_word(stem("weigh"), stem("weight"))
    assert forms_of_one_word(stem("waterproof"), stem("water"))
    assert not forms_of_one_word(stem("part"), stem("party"))
    assert not forms_of_one_word(stem("السعر"), stem("الوزن"))
    assert not forms_of_one_word(stem("weight"), stem("wait"))
    assert not forms_of_one_word("وزن", "weight")


@given(st.text(max_size=12), st.text(max_size=12))
def test_forms_of_one_word_is_symmetric(first, second):
    assert forms_of_one_word(first, second) == forms_of_one_word(second, first)


def test_and_written_onto_the_article_is_no_part_of_the_term():
    """Snowball strips the article only when a word opens with it: "والوصيف" stayed whole beside "الوصيف",
    so "كم الفارق بين المتصدر والوصيف؟" matched no term of a standings report (a new user's)."""
    for joined, alone in [("والوصيف", "الوصيف"), ("والتحويل", "التحويل"), ("فالمريض", "المريض"), ("والرسوم", "الرسوم")]:
        assert content_terms(joined) == content_terms(alone)
    assert content_terms("والي") != content_terms("الي")  # a governor, not "and" + a short word
    # A parent's "وال" is its root's ("والدها": her father), not "and" with the article: it was "دها",
    # and a poet's "ما اسم والدة سلمى؟" matched nothing of "كان والدها ...". "والدولة" is "and the state".
    for parent in ("والدها", "والدته", "والدي", "والداه", "والديه", "والدة"):
        assert content_terms(parent) == content_terms("الوالد"), parent
    assert content_terms("والدولة") == content_terms("الدولة")


@pytest.mark.parametrize(("definite", "bare"), [
    ("الزيتون", "زيتون"), ("المالك", "مالك"), ("السانسيفيريا", "سانسيفيريا"), ("بالمدرسة", "مدرسة"), ("للطلاب", "طلاب"),
])
def test_a_word_with_its_article_shares_the_bare_word_s_term(definite, bare):
    """Snowball strips more of a longer word's ending, and a word with its article is longer: "الزيتون"
    was "زيت" beside "زيتون", and "كم سعر شجرة الزيتون؟" met no word of a nursery's "زيتون  4 سنوات  350"."""
    assert content_terms(definite) == content_terms(bare)


def test_a_short_word_opening_like_the_article_stays_whole():
    assert content_terms("الله") != content_terms("له")


@pytest.mark.parametrize(("first", "second"), [
    ("منطقة", "مناطق"), ("الرسوم", "رسم"), ("مدينة", "المدن"), ("كتاب", "كتب"), ("مؤسسة", "مؤسس"), ("العاصمة", "عاصمتها"),
])
def test_the_forms_of_an_arabic_word_share_its_term(first, second):
    """A broken plural and its singular, a noun and the word it is made from: one term once the long
    vowels after a stem's first letter are gone ("كم منطقة" against "ثماني مناطق", ARCD-train)."""
    assert content_terms(first) == content_terms(second)


@pytest.mark.parametrize(("first", "second"), [("سوريا", "سر"), ("دولة", "دل"), ("weight", "wait")])
def test_a_stem_too_short_once_folded_stays_whole(first, second):
    assert content_terms(first) != content_terms(second)
