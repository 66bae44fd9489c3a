from hypothesis import given
from hypothesis import strategies as st

from assistant.segmentation import segment, sentences_of


def test_every_sentence_maps_back_to_the_source(article_text):
    paragraphs = segment(article_text)
    for paragraph in paragraphs:
        assert article_text[paragraph.start : paragraph.end] == paragraph.text
        for sentence in paragraph.sentences:
            assert article_text[sentence.start : sentence.end] == sentence.text


def test_paragraphs_are_the_lines_of_the_source(article_text):
    lines = [line for line in article_text.splitlines() if line.strip()]
    assert [p.text for p in segment(article_text)] == lines


def test_byline_and_heading_are_their_own_units(article_text):
    paragraphs = segment(article_text)
    assert [s.text for s in paragraphs[0].sentences] == ["الكويت - سعد العجيبان:"]
    assert [s.text for s in paragraphs[6].sentences] == ["البيان الختامي"]


def test_sentences_glued_after_a_full_stop_are_split(article_text):
    by_id = {s.id: s.text for s in sentences_of(segment(article_text))}
    assert by_id["p13.s1"].endswith("ذات الصلة.")
    assert by_id["p13.s2"].startswith("ودعا")
    assert by_id["p13.s2"].endswith("هذه الجهود.")
    assert by_id["p13.s3"].startswith("وأوضح البيان")
    assert by_id["p16.s2"].startswith("وأكد البيان")


def test_numbers_guillemets_and_parentheses_stay_inside_sentences(article_text):
    by_id = {s.id: s.text for s in sentences_of(segment(article_text))}
    assert "30 % من الأراضي" in by_id["p6.s1"]
    assert by_id["p21.s1"].endswith("رقم (2254).")
    assert "«داعش»" in by_id["p11.s1"]
    assert len(by_id) == 24


def test_ids_are_stable_and_ordered(article_text):
    ids = [s.id for s in sentences_of(segment(article_text))]
    assert ids[:3] == ["p1.s1", "p2.s1", "p3.s1"]
    assert len(set(ids)) == len(ids)
    assert ids == [s.id for s in sentences_of(segment(article_text))]


def test_arabic_and_english_terminators():
    text = "هل انتهى؟ نعم؛ انتهى! U.S. officials met for 2.5 days. Then they left!Next."
    assert [s.text for s in sentences_of(segment(text))] == [
        "هل انتهى؟", "نعم؛", "انتهى!", "U.S. officials met for 2.5 days.", "Then they left!", "Next.",
    ]


def test_blank_lines_and_punctuation_only_fragments_are_skipped():
    paragraphs = segment("\n\n  first line.  \n...\n\nsecond.\n")
    assert [p.text for p in paragraphs] == ["first line.", "second."]
    assert [p.id for p in paragraphs] == ["p1", "p2"]


@given(st.text(alphabet=st.sampled_from(list("ab ج د.؟!؛«»()\n\t0123456789%")), max_size=200))
def test_offsets_always_map_back(text):
    for paragraph in segment(text):
        assert text[paragraph.start : paragraph.end] == paragraph.text
        for sentence in paragraph.sentences:
            assert text[sentence.start : sentence.end] == sentence.text
            assert sentence.text == sentence.text.strip()
            assert paragraph.start <= sentence.start < sentence.end <= paragraph.end
