"""Matches across languages on the scale of matches within one (assistant/cross_language.py): the
calibration itself, the moved question on the real model, and a real store holding an English and an
Arabic document, where a question in one language must find the answer written in the other."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import build_assistant, load_settings
from assistant.cross_language import CrossLanguage, calibration_for, load_cross_language
from assistant.embedding import embedding_model_id, load_embed_model
from assistant.settings import PROJECT_ROOT

ENGLISH_DOCUMENT = """# Solar power in Morocco

Morocco has invested heavily in solar energy since 2009, when it launched the Moroccan Solar Plan.

The Noor Ouarzazate complex is the country's flagship project. It is located near the city of Ouarzazate, at the edge of the Sahara. The first phase began operating in February 2016.

Noor III uses a solar tower 243 metres tall. Together the three plants provide power to more than one million people.

Critics point out that the plants consume large amounts of water for cleaning mirrors and cooling, in a region where water is scarce.
"""
ARABIC_DOCUMENT = """واحة سيوة

تقع واحة سيوة في الصحراء الغربية بمصر، على بعد نحو 560 كيلومترا غرب القاهرة. ويبلغ عدد سكانها قرابة 33 ألف نسمة، معظمهم من الأمازيغ.

تشتهر الواحة بزراعة النخيل والزيتون، إذ يوجد فيها أكثر من 300 ألف نخلة. كما تضم عيونا طبيعية كثيرة، أشهرها عين كليوباترا.

ويقصد السياح الواحة لزيارة معبد الوحي الذي زاره الإسكندر الأكبر عام 331 قبل الميلاد.
"""
CROPS = "تشتهر الواحة بزراعة النخيل والزيتون"


def test_the_offset_applies_to_matches_across_languages_only():
    cross = CrossLanguage(0.05, np.zeros(3, dtype=np.float32))
    assert cross.similarity(0.8, "ar", "en") == pytest.approx(0.85)
    assert cross.similarity(0.8, "en", "ar") == pytest.approx(0.85)
    assert cross.similarity(0.8, "ar", "ar") == 0.8
    assert cross.similarity(0.8, "ar", None) == 0.8  # a question mixing both scripts
    assert cross.similarity(0.8, "", "en") == 0.8  # a record of no known language


def test_a_hub_is_raised_less_than_an_average_record():
    """A record nearer the asking language's mean question than the fit records are on average (a
    short heading, an FAQ's question line) is raised less; one farther, more; within one language,
    and for a record whose vector is not at hand, as before."""
    mean_question = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    cross = CrossLanguage(0.1, np.zeros(3, dtype=np.float32), {"ar": mean_question}, {"ar": 0.5}, hubness_weight=1.0)
    hub, remote = np.array([0.8, 0.6, 0.0], dtype=np.float32), np.array([0.3, 0.0, 0.954], dtype=np.float32)
    assert cross.similarity(0.8, "en", "ar", hub) == pytest.approx(0.8 + 0.1 - 0.3)
    assert cross.similarity(0.8, "en", "ar", remote) == pytest.approx(0.8 + 0.1 + 0.2)
    assert cross.similarity(0.8, "en", "ar") == pytest.approx(0.9)
    assert cross.similarity(0.8, "ar", "ar", hub) == 0.8
    assert cross.similarity(0.8, "ar", "en", hub) == pytest.approx(0.9)  # no mean question fitted for English here


def test_the_calibration_belongs_to_the_bundled_model(model_dir):
    assert load_cross_language("intfloat/multilingual-e5-large") is None
    fitted = load_cross_language(embedding_model_id(load_settings(env={}, model_dir=model_dir)))
    assert fitted is not None and 0 < fitted.offset < 0.2 and fitted.direction.shape == (384,)
    assert fitted.hubness_weight > 0 and {lang: v.shape for lang, v in fitted.centroids.items()} == {
        "ar": (384,), "en": (384,)}
    assert all(0.5 < mean < 0.9 for mean in fitted.hubness_mean.values())


def test_offset_zero_turns_the_calibration_off(model_dir):
    settings = load_settings(env={}, model_dir=model_dir, cross_language_offset=0.0)
    off = calibration_for(settings, embedding_model_id(settings))
    assert off is not None and off.offset == 0 and off.hubness_weight == 0


def test_the_moved_question_is_nearer_the_other_language(model_dir):
    settings = load_settings(env={}, model_dir=model_dir)
    model = load_embed_model(settings)
    cross = load_cross_language(embedding_model_id(settings))
    unit = lambda v: np.asarray(v) / np.linalg.norm(v)  # noqa: E731
    question = unit(model.get_query_embedding("What crops are grown in the oasis?"))
    arabic = unit(model.get_text_embedding(CROPS))
    english = unit(model.get_text_embedding("The oasis is known for growing palms and olives."))
    moved = cross.toward_other(question.astype(np.float32), "en")
    # The question prefers the English sentence to the Arabic one saying the same; moved, the Arabic.
    assert question @ english > question @ arabic
    assert moved @ arabic > moved @ english


@pytest.fixture(scope="module")
def mixed_store(tmp_path_factory, model_dir):
    folder = tmp_path_factory.mktemp("mixed")
    settings = load_settings(env={}, data_dir=folder / "data", model_dir=model_dir)
    assistant = build_assistant(settings)
    for name, text in (("solar.md", ENGLISH_DOCUMENT), ("oasis.txt", ARABIC_DOCUMENT)):
        (folder / name).write_text(text, encoding="utf-8")
        assistant.ingest(folder / name)
    return settings


@pytest.mark.slow
@pytest.mark.parametrize("question, expected", [
    ("Who visited the Temple of the Oracle?", "الإسكندر الأكبر"),  # English question, Arabic answer
    ("كم يبلغ ارتفاع برج نور 3؟", "243 metres"),  # and the other way
    ("كم عدد سكان واحة سيوة؟", "33 ألف"),  # within one language, as before
    ("When did the first phase of Noor begin operating?", "February 2016"),
])
def test_a_question_finds_its_answer_in_either_language(mixed_store, question, expected):
    answer = build_assistant(mixed_store).ask(question)
    assert not answer.abstained, question
    # "What crops ...?" asks for several: a list answer cites its sentences in the document's order.
    assert any(expected in c.quote for c in answer.citations), (question, [c.quote for c in answer.citations])


@pytest.mark.slow
def test_a_list_answer_across_languages_comes_first_refused_or_not(mixed_store):
    """In a store that also holds the question's language, a match across languages is raised by less
    (cross_language.MIXED_STORE_CUT), and this one, a list's sentence, is scored under the answerability
    model's bar: refused, it is still the first sentence offered, as related."""
    answer = build_assistant(mixed_store).ask("What crops are grown in Siwa?")
    shown = answer.citations or answer.related
    assert CROPS in max(shown, key=lambda c: c.score).quote, [c.quote for c in shown]


@pytest.mark.slow
def test_without_the_calibration_the_own_language_wins(mixed_store):
    """What the calibration is for: uncalibrated, an English question ranks English sentences on
    another topic above the Arabic one that answers it."""
    uncalibrated = build_assistant(load_settings(env={}, data_dir=mixed_store.data_dir, model_dir=mixed_store.model_dir,
                                                 cross_language_offset=0.0))
    calibrated = build_assistant(mixed_store)
    question = "What crops are grown in Siwa?"
    rank = lambda assistant: [hit.document_id for hit in assistant.rank(question).hits].index("oasis")  # noqa: E731
    assert rank(calibrated) == 0
    assert rank(uncalibrated) > 0


FAQ = """# Orbit X14 Laptop : Frequently Asked Questions

## Battery and charging

### How long does the battery last?
The Orbit X14 runs for up to 11 hours of web browsing on a full charge. Video playback lasts about 9 hours.

### Can I charge it with a phone charger?
Yes, any USB-C charger works, but chargers under 45 W charge slowly and cannot charge the laptop while it is under heavy load. The supplied 65 W adapter fills the battery to 80% in 50 minutes.

## Warranty and repairs

### What does the warranty cover?
The standard warranty covers manufacturing defects for 2 years from the date of purchase. It does not cover accidental damage, liquid spills or batteries that have lost capacity through normal wear.

### How do I send my laptop for repair?
Open a ticket at https://support.orbit-computers.example/repair and print the prepaid shipping label. Pack the laptop without its charger. Repairs usually take 7 to 10 working days.

### Who do I contact about a warranty claim?
Write to warranty@orbit-computers.example or call +44 20 7946 0321 on weekdays between 9:00 and 17:00.

## Software

### Which operating systems are supported?
The Orbit X14 ships with Windows 11 Home. Ubuntu 24.04 and Fedora 40 are also supported; drivers for both are on the support site.

### How do I reset the laptop to factory settings?
Hold the power button and F11 while the laptop starts, then choose "Restore factory image". All files on the internal drive are erased.
"""
MINUTES = """# Riverside Community Garden — Committee Meeting Minutes, 3 October 2024

Present: Dana Whitfield (chair), Omar Said (treasurer), Lucy Brennan (secretary), Peter Okafor.
Apologies: Hannah Moss.

## Finances
Omar reported a balance of £3,420 at the end of September. Plot fees brought in £1,150 this year. The committee agreed to spend up to £600 on a new water tank.

## Plot allocations
Four plots became free in September. They will be offered to the first four people on the waiting list, which now has 23 names. Plot holders who have not cultivated their plot for six months will receive a warning letter.

## Events
The autumn harvest fair will take place on Saturday 19 October from 11:00 to 15:00. Lucy will book the marquee and Peter will organise the children's planting corner.

## Any other business
Dana raised complaints about bonfires on the allotments. Bonfires are banned from April to September; outside those months they are allowed only before 10:00.

Next meeting: 7 November 2024 at the community hall.
"""
EARTHQUAKE = """زلزال وادي النخيل

ضرب زلزال بقوة 6.2 درجات على مقياس ريختر منطقة وادي النخيل فجر يوم الثلاثاء 14 مارس 2023، وكان مركزه على عمق عشرة كيلومترات تحت بلدة الرمانة.

وأعلنت هيئة الدفاع المدني أن الزلزال أسفر عن مقتل 37 شخصاً وإصابة أكثر من 400 آخرين، معظمهم في بلدتي الرمانة والعين البيضاء. وانهار نحو 120 مبنى سكنياً، بينما تضررت المدرسة الثانوية في الرمانة تضرراً كبيراً.

وقالت وزيرة الإسكان سلمى الحداد إن الحكومة ستبني 500 وحدة سكنية مؤقتة خلال ثلاثة أشهر، وخصصت لذلك مبلغ 45 مليون دينار. وأضافت أن الأسر المتضررة ستحصل على إعانة شهرية حتى انتهاء أعمال الترميم.

وأرسلت ثلاث دول فرق إنقاذ متخصصة، هي الأردن وتونس والمغرب، وعملت الفرق على مدى خمسة أيام في البحث تحت الأنقاض. وأكد مدير المرصد الوطني للزلازل الدكتور كريم عبد الله أن المنطقة شهدت أكثر من ستين هزة ارتدادية، أقواها بقوة 4.8 درجات.

ويعد هذا الزلزال الأقوى في المنطقة منذ عام 1969، حين دمر زلزال مماثل قرية العين البيضاء بالكامل.
"""


@pytest.mark.slow
def test_short_lines_in_the_other_language_do_not_bury_the_answer(tmp_path, model_dir):
    """An FAQ's question lines, headings and a meeting's "Apologies: Hannah Moss." are near every
    question: raised by the offset across languages, a dozen of them ranked over the Arabic sentence
    that answers an Arabic question in its own words, and it was refused. Lowered by their hubness,
    the sentence comes first."""
    settings = load_settings(env={}, data_dir=tmp_path / "data", model_dir=model_dir)
    assistant = build_assistant(settings)
    for name, text in (("laptop_faq.md", FAQ), ("minutes.md", MINUTES), ("zilzal.txt", EARTHQUAKE)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    assistant.ingest(*(tmp_path / name for name in ("laptop_faq.md", "minutes.md", "zilzal.txt")))
    question = "ما عدد الهزات الارتدادية؟"
    assert assistant.rank(question).hits[0].ref == ("zilzal", "p5.s2")
    answer = assistant.ask(question)
    assert not answer.abstained and "ستين هزة ارتدادية" in answer.citations[0].quote
    # Across languages still: the English question finds the Arabic sentence.
    assert assistant.rank("Who directs the national earthquake observatory?").hits[0].ref == ("zilzal", "p5.s2")


@pytest.fixture(scope="module")
def users_store(tmp_path_factory, model_dir):
    """A new user's six documents in both languages (benchmarks/users/trial42): listings, price lists,
    a vaccination schedule, a falconry guide."""
    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp("users") / "data", model_dir=model_dir)
    build_assistant(settings).ingest(PROJECT_ROOT / "benchmarks" / "users" / "trial42" / "documents")
    return settings


@pytest.mark.slow
@pytest.mark.parametrize("question, document, expected", [
    # Raised by the whole offset, the Arabic fee tables' short rows ranked over the English listing's
    # line ("سحب نقدي لدى الوكلاء  1% (حد أدنى 0.500 دينار)" for the first).
    ("How much is the service charge?", "apartment_sale", "£1,840 per year"),
    ("Who is the contact at the agency?", "apartment_sale", "Daniel Whitfield"),
    ("Which areas do you deliver to?", "laundry_prices", "Levenshulme"),
])
def test_in_a_store_of_both_languages_the_question_s_own_language_keeps_its_answer(users_store, question, document,
                                                                                   expected):
    answer = build_assistant(users_store).ask(question)
    first = max(answer.citations, key=lambda c: c.score)
    assert (first.document_id, expected in first.quote) == (document, True), [c.quote for c in answer.citations]


def test_a_store_of_both_languages_raises_matches_across_them_less():
    cross = CrossLanguage(0.13, np.zeros(3, dtype=np.float32), mixed_store_cut=0.03)
    assert cross.similarity(0.8, "ar", "en") == pytest.approx(0.93)
    assert cross.similarity(0.8, "ar", "en", mixed_store=True) == pytest.approx(0.90)
    assert cross.similarity(0.8, "en", "en", mixed_store=True) == 0.8
