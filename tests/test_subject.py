"""The question without its document's subject: pure functions, then through a real store."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.subject import ordered_by, what_is_asked
from conftest import assistant_with


@pytest.mark.parametrize(("question", "title", "asked"), [
    ("Who supervised Samira Karam's PhD?", "Samira Karam", "Who supervised 's PhD?"),
    ("How much did the desalination plant cost?", "Egypt opens a desalination plant", "How much did the cost?"),
    ("متى ولد جمال خاشقجي؟", "جمال خاشقجي", "متى ولد ؟"),
    # Stemmed: "awards" names the title's "Award".
    ("Which awards did she win?", "The Gulf Award", "Which did she win?"),
])
def test_the_title_s_words_are_left_out(question, title, asked):
    assert what_is_asked(question, title) == asked


@pytest.mark.parametrize(("question", "title"), [
    ("Who was Samira Karam?", "Samira Karam"),  # about the subject itself: nothing else is asked
    ("When was the Nile dam built?", "Samira Karam"),  # names none of the title's words
    ("What is it?", ""),
    ("ما هو مهرجان أضواء الميناء؟", "# Harbour Lights Festival"),  # the title in another language
])
def test_a_question_about_the_subject_or_about_something_else_is_left_alone(question, title):
    assert what_is_asked(question, title) is None


@given(st.dictionaries(st.integers(0, 20), st.floats(-1, 1), min_size=1),
       st.dictionaries(st.integers(0, 20), st.floats(-1, 1), min_size=1))
def test_the_order_is_the_second_s_and_the_best_score_the_first_s(scores, order):
    moved = ordered_by(scores, order)
    common = [key for key in scores if key in order]
    assert set(moved) == set(common)
    if common:
        assert max(moved.values()) == pytest.approx(max(scores[key] for key in common))
        for a in common:
            for b in common:
                assert moved[a] - moved[b] == pytest.approx(order[a] - order[b])


BIOGRAPHY = (
    "# Layla Haddad\n\n"
    "Layla Haddad (born 3 May 1948 in Aleppo, Syria; died 2 June 2016 in Lyon, France) was a Syrian-French "
    "astronomer known for her catalogue of variable stars in the southern sky.\n\n"
    "## Education\n\n"
    "She grew up in Aleppo and studied physics at the University of Damascus, graduating in 1970. "
    "She completed her doctorate at the University of Paris in 1975 under the supervision of the "
    "astronomer Henri Morel, with a thesis on eclipsing binaries.\n\n"
    "## Career\n\n"
    "From 1976 she worked at the Lyon Observatory, which she directed from 1994 to 2008. "
    "Her catalogue, published in 1989, lists 4,200 variable stars.\n"
)


@pytest.mark.slow
def test_a_question_naming_the_documents_subject_gets_the_sentence_that_answers_it(fresh_settings, tmp_path):
    """The first sentence names Layla Haddad; the answer calls her "she". Without the question's
    subject left out, the first sentence answered (its match of the name outweighs "supervision")."""
    assistant = assistant_with(fresh_settings, tmp_path, "haddad.md", BIOGRAPHY)
    answer = assistant.ask("Who supervised Layla Haddad's doctorate?")
    assert answer.citations[0].quote.startswith("She completed her doctorate")
    # A question about the subject itself still gets the sentence that names it.
    assert assistant.ask("Who was Layla Haddad?").citations[0].quote.startswith("Layla Haddad (born")
