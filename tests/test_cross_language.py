"""Matches across languages on the scale of matches within one (assistant/cross_language.py): the
calibration itself, the moved question on the real model, and a real store holding an English and an
Arabic document, where a question in one language must find the answer written in the other."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import build_assistant, load_settings
from assistant.cross_language import CrossLanguage, load_cross_language
from assistant.embedding import embedding_model_id, load_embed_model

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


def test_the_calibration_belongs_to_the_bundled_model(model_dir):
    assert load_cross_language("intfloat/multilingual-e5-large") is None
    fitted = load_cross_language(embedding_model_id(load_settings(env={}, model_dir=model_dir)))
    assert fitted is not None and 0 < fitted.offset < 0.2 and fitted.direction.shape == (384,)


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
    ("What crops are grown in Siwa?", CROPS),  # English question, Arabic answer, English documents beside
    ("Who visited the Temple of the Oracle?", "الإسكندر الأكبر"),
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
