"""The chat UI: the real app (real model, real Chroma) driven in Debian's headless Chromium.

The browser tests need a Chromium (``make test`` finds or installs one: tests/ensure_browser.py);
without it they fail, they are not skipped. Screenshots go to test-output/screenshots/ (gitignored).
"""

from __future__ import annotations

import html
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from ensure_browser import MISSING, find_browser
from playwright.sync_api import expect, sync_playwright

from assistant import Answer, AnswerBackend, Citation, Conversation, QuestionError, Ranking, RetrievalMode, StoreError
from assistant.settings import PROJECT_ROOT
from ui.app import (
    EMPTY_SOURCES_HTML,
    EXPORTS_KEPT,
    UNEXPECTED_ERROR,
    accept_question,
    answer_question,
    answer_turn,
    ask_options,
    create_app,
    export_files,
    launch_options,
    render_answer,
    render_question,
    render_sources,
    render_sources_history,
    text_direction,
)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
# The machine is small and shared: a question can take seconds when the CPU is busy.
ANSWER_TIMEOUT_MS = 120_000

AR_GROUPS = "ما هي مجموعات العمل التابعة للتحالف؟"
EN_FINANCE = "What does the Counter ISIS Finance Group focus on?"
EN_TILLERSON = "What did Tillerson say about the Turkish military operation?"
EN_PILLARS = "What are the pillars of the coalition's approach?"
EN_GROUPS = "What are the coalition's working groups?"
OFF_TOPIC = "What is the recipe for hummus?"
XSS = "<img src=x onerror=alert(1)>"

browser_test = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_url(assistant) -> Iterator[str]:
    """The real app over the session's assistant, on a free loopback port, in a background thread."""
    demo = create_app(assistant)
    port = _free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
                **launch_options())
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser():
    executable = find_browser()
    if executable is None:  # `make test` installs one: a missing browser is a failure, not a skip
        pytest.fail(MISSING)
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(executable), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


class UI:
    """One browser tab on the app, with the few actions the tests need."""

    def __init__(self, page, url: str) -> None:
        self.page = page
        self.url = url
        self.outside_requests: list[str] = []
        self.dialogs: list[str] = []
        origin = url.rstrip("/")
        page.on("request", lambda r: None if r.url.startswith((origin, "data:", "blob:"))
                else self.outside_requests.append(r.url))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def open(self) -> UI:
        self.page.goto(self.url)
        self.page.wait_for_selector("#qa-question textarea", timeout=ANSWER_TIMEOUT_MS)
        return self

    def replies(self):
        return self.page.locator("#qa-chat .qa-answer, #qa-chat .qa-error")

    def send(self, question: str) -> int:
        """Type ``question`` and press Enter; returns the number of replies before it."""
        before = self.replies().count()
        box = self.page.locator("#qa-question textarea")
        box.fill(question)
        box.press("Enter")
        return before

    def wait_reply(self, before: int):
        self.page.wait_for_function(
            "n => document.querySelectorAll('#qa-chat .qa-answer, #qa-chat .qa-error').length > n",
            arg=before, timeout=ANSWER_TIMEOUT_MS,
        )
        return self.replies().nth(before)

    def ask(self, question: str):
        return self.wait_reply(self.send(question))

    def direction(self, locator) -> str:
        return locator.evaluate("el => getComputedStyle(el).direction")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.wait_for_timeout(300)  # let the last render settle
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def ui(browser, app_url) -> Iterator[UI]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        yield UI(context.new_page(), app_url).open()
    finally:
        context.close()


def _card(ui: UI, sentence_id: str):
    """The card of the paragraph holding ``sentence_id`` among the latest answer's sources."""
    return ui.page.locator(f'#qa-sources-panel .qa-latest .qa-source:has(mark[data-sentence-id="{sentence_id}"])')


def _mark(ui: UI, sentence_id: str, scope: str = ".qa-latest"):
    return ui.page.locator(f'#qa-sources-panel {scope} mark.qa-cited[data-sentence-id="{sentence_id}"]')


def _panel_sentence_ids(ui: UI) -> list[str]:
    """The cited sentences shown for the latest answer, in order."""
    return ui.page.locator("#qa-sources-panel .qa-latest mark.qa-cited").evaluate_all(
        "marks => marks.map(m => m.dataset.sentenceId)")


def _without_numbers(text: str) -> str:
    return re.sub(r"\[\d+\]", "", text)


# -- the browser tests ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_arabic_question_renders_rtl_with_highlighted_sources(ui, assistant):
    expected = assistant.ask(AR_GROUPS)
    assert not expected.abstained
    reply = ui.ask(AR_GROUPS)

    # The answer's own text (markers aside) is in the chat, right to left, in an Arabic font stack.
    text = reply.inner_text()
    first_sentence = expected.citations[0].quote
    assert first_sentence in text
    assert "مجموعة العمل الخاصة بمكافحة تمويل" in text
    assert ui.direction(reply) == "rtl"
    assert ui.direction(ui.page.locator("#qa-chat .qa-question").last) == "rtl"
    assert "Noto Naskh Arabic" in reply.evaluate("el => getComputedStyle(el).fontFamily")

    # The sources panel: one card per citation, with its document and sentence id, the quote in
    # <mark> inside its (right-to-left) paragraph.
    ids = _panel_sentence_ids(ui)
    assert ids == [c.sentence_id for c in expected.citations]
    assert {"p14.s1", "p16.s1", "p17.s1", "p19.s1"} <= set(ids)  # the four working groups
    for citation in expected.citations:
        card = _card(ui, citation.sentence_id)
        assert citation.sentence_id in card.locator(".qa-id").inner_text()
        assert citation.document_id in card.locator(".qa-id").inner_text()
        assert _mark(ui, citation.sentence_id).inner_text() == f"[{citation.n}]{citation.quote}"
        paragraph = card.locator(".qa-paragraph")
        assert _without_numbers(paragraph.inner_text()) == citation.paragraph
        assert ui.direction(paragraph) == "rtl"
    assert ui.page.locator("#qa-sources-panel .qa-translation").count() == 0  # Arabic answer: original only

    # Each marker [n] links to its card; following it highlights the card (:target).
    markers = reply.locator("a.qa-cite")
    assert markers.count() == len(expected.citations)
    for marker, citation in zip(markers.all(), expected.citations):
        assert marker.inner_text() == f"[{citation.n}]"
        target = marker.get_attribute("href")
        assert ui.page.locator(f"#qa-sources-panel {target}").get_attribute("data-sentence-id") == citation.sentence_id
    markers.last.click()
    last = _mark(ui, expected.citations[-1].sentence_id)
    expect(last).to_be_in_viewport()  # the panel scrolled to it
    assert ui.page.evaluate("document.querySelector(':target').dataset.sentenceId") == expected.citations[-1].sentence_id
    markers.first.click()
    ui.page.wait_for_function("id => document.querySelector(':target')?.dataset.sentenceId === id",
                              arg=expected.citations[0].sentence_id, timeout=10_000)
    assert not last.evaluate("el => el.matches(':target')")
    # The card followed to is highlighted, the one left is not (once the transition is over).
    ui.page.wait_for_function("() => getComputedStyle(document.querySelector(':target')).boxShadow !== 'none'",
                              timeout=10_000)
    last.evaluate("el => new Promise(done => setTimeout(done, 500))")
    assert last.evaluate("el => getComputedStyle(el).boxShadow") == "none"
    ui.screenshot("arabic_answer")
    assert ui.outside_requests == []  # no web fonts, no CDN: nothing leaves the machine


@pytest.mark.browser
@pytest.mark.slow
def test_english_question_shows_rendering_beside_arabic_original(ui, assistant):
    expected = assistant.ask(EN_FINANCE)
    reply = ui.ask(EN_FINANCE)

    text = reply.inner_text()
    assert "Counter ISIS Finance Group (CIFG) focuses on identifying and disrupting" in text
    assert ui.direction(reply) == "ltr"
    assert ui.direction(ui.page.locator("#qa-chat .qa-question").last) == "ltr"

    assert _panel_sentence_ids(ui)[0] == "p14.s1"
    citation = expected.citations[0]
    card = _card(ui, "p14.s1")
    translation = card.locator(".qa-translation")
    assert translation.inner_text() == f"[1]{citation.translation}"
    assert ui.direction(translation) == "ltr"
    original = card.locator(".qa-paragraph")
    assert ui.direction(original) == "rtl"
    assert original.locator("mark").inner_text() == f"[1]{citation.quote}"
    assert "مكافحة تمويل" in original.inner_text()
    assert card.locator(".qa-label").all_inner_texts() == ["ENGLISH RENDERING", "ARABIC ORIGINAL"]
    ui.screenshot("english_answer")


@pytest.mark.browser
@pytest.mark.slow
def test_mixed_conversation_keeps_each_message_direction(ui):
    arabic = ui.ask(AR_GROUPS)
    english = ui.ask(EN_TILLERSON)
    questions = ui.page.locator("#qa-chat .qa-question")
    assert [ui.direction(q) for q in questions.all()] == ["rtl", "ltr"]
    assert ui.direction(arabic) == "rtl" and ui.direction(english) == "ltr"
    assert "Tillerson" in english.inner_text()
    # The panel shows the latest answer's sources; its markers point at them.
    assert _panel_sentence_ids(ui) == ["p2.s1"]
    href = english.locator("a.qa-cite").first.get_attribute("href")
    assert ui.page.locator(f"#qa-sources-panel {href}").count() == 1
    ui.screenshot("mixed_conversation")
    ui.page.set_viewport_size({"width": 420, "height": 900})  # a phone: the columns stack
    assert ui.direction(ui.page.locator("#qa-chat .qa-question").first) == "rtl"
    ui.screenshot("mixed_conversation_narrow")


@pytest.mark.browser
@pytest.mark.slow
def test_html_in_a_question_shows_as_text(ui):
    ui.page.evaluate("window.__xss = 0")
    ui.ask(XSS)
    question = ui.page.locator("#qa-chat .qa-question").last
    assert question.inner_text() == XSS  # the literal text is visible
    assert ui.page.evaluate("document.querySelectorAll('img[src=\"x\"], img[onerror], #qa-chat img').length") == 0

    payload = "**bold** <script>window.__xss = 1</script> [link](javascript:window.__xss=1) $$x^2$$"
    ui.ask(payload)
    question = ui.page.locator("#qa-chat .qa-question").last
    assert question.inner_text() == payload
    assert question.locator("script, strong, a, .katex").count() == 0
    assert ui.page.evaluate("window.__xss") == 0
    assert ui.dialogs == []
    ui.screenshot("html_as_text")


@pytest.mark.browser
@pytest.mark.slow
def test_off_topic_question_abstains_without_sources(ui):
    ui.ask(EN_FINANCE)
    assert ui.page.locator("#qa-sources-panel .qa-source").count() == 1
    reply = ui.ask(OFF_TOPIC)
    assert "qa-abstained" in reply.get_attribute("class")
    assert "do not say" in reply.inner_text()
    assert reply.locator("a.qa-cite").count() == 0
    # No sources; the nearest sentences come as "related, not an answer", unnumbered and set apart.
    assert ui.page.locator("#qa-sources-panel .qa-latest .qa-source:not(.qa-related-source)").count() == 0
    related = ui.page.locator("#qa-sources-panel .qa-latest .qa-related-source")
    assert related.count() >= 1 and related.locator(".qa-mark-n").count() == 0
    assert "Related sentences, not an answer" in ui.page.locator("#qa-sources-panel .qa-latest").inner_text()
    assert not ui.page.locator("#qa-sources-panel .qa-source").first.is_visible()  # the first answer's: hidden
    assert "No sources" in ui.page.locator("#qa-sources-panel").inner_text()
    # Styled apart from a normal answer.
    normal = ui.replies().nth(0)
    style = "el => getComputedStyle(el).backgroundColor + getComputedStyle(el).borderInlineStartStyle"
    assert reply.evaluate(style) != normal.evaluate(style)
    ui.screenshot("abstention")


@pytest.mark.browser
@pytest.mark.slow
def test_empty_and_too_long_questions_get_friendly_errors(ui, assistant):
    reply = ui.ask("")
    assert "qa-error" in reply.get_attribute("class")
    assert "empty" in reply.inner_text()
    assert ui.page.locator("#qa-chat .qa-question").count() == 0  # no empty bubble for the user

    reply = ui.ask("x" * (assistant.settings.max_question_chars + 5))
    assert "qa-error" in reply.get_attribute("class")
    assert f"the limit is {assistant.settings.max_question_chars}" in reply.inner_text()
    page_text = ui.page.locator("body").inner_text()
    assert "Traceback" not in page_text and "QuestionError" not in page_text
    ui.screenshot("errors")


@pytest.mark.browser
@pytest.mark.slow
def test_settings_accordion_is_closed_and_its_values_reach_the_assistant(ui, assistant):
    settings = ui.page.locator("#qa-settings")
    mode = ui.page.get_by_label("Dense (e5 embeddings)")
    assert not mode.is_visible()  # tucked away
    settings.get_by_text("Settings · الإعدادات").click()
    mode.wait_for(state="visible", timeout=10_000)
    for label in ("Hybrid (dense + BM25)", "Dense (e5 embeddings)", "BM25 (keywords)"):
        assert ui.page.get_by_label(label).count() == 1
    mode.check()
    top_k = settings.locator('input[type="number"]')
    top_k.fill("1")
    top_k.press("Enter")

    # A question whose answer differs with these settings (the pillars' no longer does: both cite the
    # three sentences of the paragraph that announces the four pillars).
    expected = assistant.ask(EN_GROUPS, top_k=1, mode=RetrievalMode.DENSE)
    default = assistant.ask(EN_GROUPS)
    assert [c.sentence_id for c in expected.citations] != [c.sentence_id for c in default.citations]
    ui.ask(EN_GROUPS)
    assert _panel_sentence_ids(ui) == [c.sentence_id for c in expected.citations]
    ui.screenshot("settings_open")


@pytest.mark.browser
@pytest.mark.slow
def test_two_tabs_at_once_get_their_own_answers(browser, app_url):
    contexts = [browser.new_context(viewport={"width": 1200, "height": 900}) for _ in range(2)]
    try:
        tabs = [UI(context.new_page(), app_url).open() for context in contexts]
        questions = [AR_GROUPS, EN_TILLERSON]
        befores = [tab.send(question) for tab, question in zip(tabs, questions)]  # both in flight
        replies = [tab.wait_reply(before) for tab, before in zip(tabs, befores)]
        assert ui_dir(tabs[0], replies[0]) == "rtl" and "مجموعة العمل" in replies[0].inner_text()
        assert ui_dir(tabs[1], replies[1]) == "ltr" and "Tillerson" in replies[1].inner_text()
        assert "p14.s1" in _panel_sentence_ids(tabs[0]) and "p2.s1" not in _panel_sentence_ids(tabs[0])
        assert _panel_sentence_ids(tabs[1]) == ["p2.s1"]
        assert tabs[0].page.locator("#qa-chat .qa-question").count() == 1
        assert tabs[1].page.locator("#qa-chat .qa-question").count() == 1
        tabs[1].screenshot("second_tab")
    finally:
        for context in contexts:
            context.close()


def ui_dir(tab: UI, locator) -> str:
    return tab.direction(locator)


@pytest.mark.browser
@pytest.mark.slow
def test_clearing_the_chat_empties_the_sources_panel(ui):
    ui.ask(EN_FINANCE)
    assert ui.page.locator("#qa-sources-panel .qa-source").count() == 1
    ui.page.locator("#qa-chat").get_by_role("button", name="Clear").click()
    ui.page.wait_for_function("() => !document.querySelector('#qa-sources-panel .qa-source')", timeout=30_000)
    assert ui.replies().count() == 0


class _SlowAssistant:
    """Answers after a pause, so a test can act while a question is being answered."""

    def __init__(self, settings, pause: float) -> None:
        self.settings = settings
        self.pause = pause
        self.asked: list[str] = []

    def rank(self, question: str, **kwargs: Any) -> Ranking:
        return Ranking(question, (), 0.5)

    def documents(self) -> list:
        return []

    def ask(self, question: str, **kwargs: Any) -> Answer:
        self.asked.append(question)
        time.sleep(self.pause)
        return _answer(question=question, text=f"Answer to {question} [1]")


@pytest.mark.browser
@pytest.mark.slow
def test_a_second_question_while_answering_is_held_back(browser, fresh_settings):
    slow = _SlowAssistant(fresh_settings, pause=4.0)
    demo = create_app(slow)
    port = _free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
                **launch_options())
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        tab = UI(context.new_page(), f"http://127.0.0.1:{port}/").open()
        before = tab.send("first question")
        tab.page.wait_for_function("() => document.querySelectorAll('#qa-chat .qa-question').length === 1")
        tab.send("second question")  # while the first is being answered
        tab.page.get_by_text("Still answering your previous question").first.wait_for(timeout=10_000)
        reply = tab.wait_reply(before)
        assert "Answer to first question" in reply.inner_text()
        assert tab.page.locator("#qa-question textarea").input_value() == "second question"  # kept
        assert slow.asked == ["first question"]
        # Once answered, the next question goes through.
        reply = tab.ask("second question")
        assert "Answer to second question" in reply.inner_text()
        assert tab.page.locator("#qa-chat .qa-question").all_inner_texts() == ["first question", "second question"]
    finally:
        context.close()
        demo.close()


@pytest.mark.browser
@pytest.mark.slow
def test_example_question_is_asked_on_click(ui):
    ui.page.locator("#qa-examples").get_by_text("What does the Counter ISIS Finance Group focus on?").click()
    reply = ui.wait_reply(0)
    assert "Counter ISIS Finance Group" in reply.inner_text()
    assert _panel_sentence_ids(ui)[0] == "p14.s1"
    assert ui.page.locator("#qa-question textarea").input_value() == ""


# -- the API ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_gradio_client_gets_answer_and_citations(app_url, assistant):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(app_url, verbose=False)
    result = client.predict(EN_FINANCE, api_name="/ask")
    expected = assistant.ask(EN_FINANCE)
    assert json.loads(json.dumps(result)) == result  # plain JSON
    assert result["answer"] == expected.text and result["language"] == "en" and not result["abstained"]
    first = result["citations"][0]
    assert first["sentence_id"] == "p14.s1" and first["document_id"] == expected.citations[0].document_id
    assert first["quote"] == expected.citations[0].quote
    assert first["translation"] == expected.citations[0].translation
    assert first["paragraph"][first["start"] - first["paragraph_start"]:first["end"] - first["paragraph_start"]] \
        == first["quote"]

    result = client.predict(AR_GROUPS, 2, "dense", api_name="/ask")
    expected = assistant.ask(AR_GROUPS, top_k=2, mode=RetrievalMode.DENSE)
    assert result["language"] == "ar"
    assert [c["sentence_id"] for c in result["citations"]] == [c.sentence_id for c in expected.citations]

    for bad, message in [(("",), "empty"), ((EN_FINANCE, 99), "between 1 and"), ((EN_FINANCE, 3, "magic"), "magic")]:
        with pytest.raises(AppError, match=message) as error:
            client.predict(*bad, api_name="/ask")
        assert "Traceback" not in str(error.value)


@pytest.mark.slow
def test_concurrent_api_requests_get_their_own_answers(app_url, assistant):
    from gradio_client import Client

    questions = [AR_GROUPS, EN_FINANCE, EN_TILLERSON, OFF_TOPIC, EN_PILLARS, "ماذا قال تيلرسون عن العملية العسكرية التركية؟"]
    expected = {q: assistant.ask(q).to_dict() for q in questions}
    results: dict[str, Any] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(len(questions))

    def worker(question: str) -> None:
        try:
            client = Client(app_url, verbose=False)
            start.wait(timeout=120)
            results[question] = client.predict(question, api_name="/ask")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(q,)) for q in questions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors
    for question in questions:
        got, want = results[question], expected[question]
        assert (got["question"], got["answer"], got["abstained"]) == (want["question"], want["answer"], want["abstained"])
        assert [c["sentence_id"] for c in got["citations"]] == [c["sentence_id"] for c in want["citations"]]


# -- python -m ui ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_python_m_ui_serves_on_the_port_from_the_environment(tmp_path, model_dir):
    port = _free_port()
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "ASSISTANT_UI_PORT": str(port), "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
           "ASSISTANT_MODEL_DIR": str(model_dir), "GRADIO_ANALYTICS_ENABLED": "False",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OPENBLAS_NUM_THREADS": "1", "TMPDIR": str(temp)}
    process = subprocess.Popen([sys.executable, "-m", "ui"], cwd=PROJECT_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200
                    assert "<html" in response.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "python -m ui did not start in time"
                time.sleep(1)
        from gradio_client import Client

        result = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(EN_FINANCE, api_name="/ask")
        assert result["citations"][0]["sentence_id"] == "p14.s1"
        assert list(temp.glob("qa-export-*"))  # the app's export folder, while it serves
    finally:
        from conftest import stop_process

        stop_process(process)
    # SIGTERM (what stop_process sends first) stops it as Ctrl-C would: cleanly, its export folder removed.
    assert process.returncode == 0, process.stdout.read()
    assert not list(temp.glob("qa-export-*"))


def test_python_m_ui_rejects_a_bad_port():
    bad = subprocess.run([sys.executable, "-m", "ui", "--port", "70000"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "port out of range" in bad.stderr
    bad = subprocess.run([sys.executable, "-m", "ui"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "ASSISTANT_UI_PORT": "http"})
    assert bad.returncode == 2 and "ASSISTANT_UI_PORT" in bad.stderr


# -- the HTML, without a browser (a stub assistant) -----------------------------------------------


def _citation(**overrides: Any) -> Citation:
    paragraph = "قبل <b>. الجملة <script>alert(1)</script> المقتبسة. بعد"
    quote = "الجملة <script>alert(1)</script> المقتبسة."
    start = paragraph.index(quote)
    values = dict(n=1, sentence_id="p1.s2", paragraph_id="p1", document_id="doc<1>", quote=quote,
                  start=100 + start, end=100 + start + len(quote), score=0.91, paragraph=paragraph,
                  paragraph_start=100, translation="The <i>quoted</i> sentence & more.")
    values.update(overrides)
    return Citation(**values)


def _answer(language: str = "en", **overrides: Any) -> Answer:
    values = dict(question="q", text="The <i>quoted</i> sentence & more. [1] Not a marker [7]",
                  language=language, citations=(_citation(),), abstained=False)
    values.update(overrides)
    return Answer(**values)


class _StubAssistant:
    def __init__(self, result: Any) -> None:
        self.result = result

    def ask(self, question: str, **kwargs: Any) -> Answer:
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


def test_text_direction():
    assert text_direction("ما هي مجموعات العمل؟") == "rtl"
    assert text_direction("What is «داعش»?") == "ltr"
    assert text_direction("123 ?") == "ltr"


def test_question_and_answer_html_are_escaped():
    assert render_question(XSS) == (
        '<div class="qa-msg qa-question" dir="ltr" lang="en">&lt;img src=x onerror=alert(1)&gt;</div>'
    )
    rendered = render_answer(_answer(), turn=4)
    assert "<i>" not in rendered and "&lt;i&gt;quoted&lt;/i&gt; sentence &amp; more." in rendered
    assert '<a class="qa-cite" href="#src-4-1" title="source 1">[1]</a>' in rendered
    assert "Not a marker [7]" in rendered  # only cited numbers become links
    long = render_question("س" * 5000)
    assert long.count("س") == 600 and "(5000 characters)" in long and 'dir="rtl"' in long
    arabic = render_answer(_answer("ar", text="نص [1]"), turn=1)
    assert 'dir="rtl" lang="ar"' in arabic


def test_sources_html_is_escaped_and_marks_the_quote():
    rendered = render_sources(_answer(), turn=2)
    assert "<script>" not in rendered and "<b>" not in rendered and "doc<1>" not in rendered
    assert 'id="src-2-1"' in rendered and 'data-document-id="doc&lt;1&gt;"' in rendered
    assert '[1]</sup>الجملة &lt;script&gt;alert(1)&lt;/script&gt; المقتبسة.</mark>' in rendered
    assert "قبل &lt;b&gt;. " in rendered
    assert "The &lt;i&gt;quoted&lt;/i&gt; sentence &amp; more." in rendered
    # An Arabic answer shows the original only.
    assert "qa-translation" not in render_sources(_answer("ar"), turn=2)
    # A quote whose offsets do not match its paragraph is still found, or shown alone.
    shifted = _citation(start=0, end=5)
    assert "[1]</sup>الجملة &lt;script&gt;" in render_sources(_answer(citations=(shifted,)), 1)
    lone = _citation(paragraph="", start=0, end=5)
    assert "[1]</sup>الجملة" in render_sources(_answer(citations=(lone,)), 1)


def test_a_paragraph_cited_twice_is_shown_once_with_both_sentences_numbered():
    paragraph = "First <one>. Second & two. Third."
    first = _citation(n=1, sentence_id="p3.s1", paragraph_id="p3", quote="First <one>.", start=100, end=112,
                      paragraph=paragraph, translation=None)
    third = _citation(n=2, sentence_id="p3.s3", paragraph_id="p3", quote="Third.", start=127, end=133,
                      paragraph=paragraph, translation=None)
    rendered = render_sources(_answer(citations=(first, third)), turn=3)
    assert rendered.count('<article class="qa-source"') == 1 and rendered.count("Second &amp; two.") == 1
    assert re.findall(r'<mark class="qa-cited" id="(src-3-\d)" data-n="(\d)" data-sentence-id="([\w.]+)"', rendered) \
        == [("src-3-1", "1", "p3.s1"), ("src-3-2", "2", "p3.s3")]
    assert "First &lt;one&gt;.</mark> Second &amp; two. " in rendered


def test_every_answer_keeps_its_sources_and_the_latest_shows():
    answers = [_answer(), _answer(text="Again [1]"), _answer(text="No.", citations=(), abstained=True)]
    rendered = render_sources_history(answers)
    assert [int(t) for t in re.findall(r'data-turn="(\d)"', rendered)] == [1, 2, 3]
    assert rendered.count("qa-latest") == 1 and 'qa-latest qa-sources-empty qa-abstained" dir="ltr" lang="en" data-turn="3"' in rendered
    assert 'id="src-1-1"' in rendered and 'id="src-2-1"' in rendered and "Sources of answer 1" in rendered
    assert render_sources_history([]) == EMPTY_SOURCES_HTML


def test_abstention_has_its_own_look_and_no_sources():
    answer = _answer(text="The documents do not say: nothing.", citations=(), abstained=True)
    assert "qa-abstained" in render_answer(answer, 1) and "qa-cite" not in render_answer(answer, 1)
    assert "qa-source\"" not in render_sources(answer, 1) and "No sources" in render_sources(answer, 1)


@pytest.mark.parametrize("error, shown", [
    (QuestionError("the question is empty: type a question about the documents"), "The question is empty"),
    (StoreError("the store at /x is locked by another process"), "The store at /x is locked"),
    (RuntimeError("secret internals"), UNEXPECTED_ERROR),
])
def test_errors_become_friendly_chat_messages(error, shown):
    history, sources = answer_question(_StubAssistant(error), "q", [], {})
    assert len(history) == 1 and history[0]["role"] == "assistant"
    assert "qa-error" in history[0]["content"] and html.escape(shown) in history[0]["content"]
    assert "secret internals" not in history[0]["content"] and "Traceback" not in history[0]["content"]
    assert sources == {"__type__": "update"}  # the panel keeps the latest answer's sources


def test_a_turn_adds_the_question_then_the_answer():
    history, box, pending, busy_since = accept_question(XSS, [])
    assert box == "" and pending == XSS and busy_since > 0 and history[0]["role"] == "user"
    # One turn at a time per tab: a question sent meanwhile is refused, and stays in the box.
    with pytest.warns(UserWarning, match="previous question"):  # gr.Warning, outside a request
        refused = accept_question("another", history, busy_since)
    assert refused == (gr.skip(), gr.skip(), None, busy_since)
    assert answer_turn(_StubAssistant(_answer()), None, history, {}) == (gr.skip(),) * 3
    assert accept_question("another", history, time.monotonic() - 3600)[2] == "another"  # a stale turn
    history, sources, busy_since = answer_turn(_StubAssistant(_answer()), pending, history, {"top_k": 3, "mode": "bm25"})
    assert busy_since == 0.0
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert 'href="#src-1-1"' in history[1]["content"] and 'id="src-1-1"' in sources
    assert accept_question("   ", history)[0] == history  # nothing to show for an empty question
    assert EMPTY_SOURCES_HTML.startswith("<div")


def test_ask_options_validates_the_settings_values():
    assert ask_options({"top_k": 4.0, "mode": "dense"}) == {"top_k": 4, "mode": RetrievalMode.DENSE}
    assert ask_options({"top_k": None, "mode": None}) == {}
    assert ask_options({"backend": "openai"}) == {"backend": AnswerBackend.OPENAI}
    for bad in ({"top_k": 0}, {"top_k": "many"}, {"mode": "magic"}, {"backend": "gpt-9"}):
        with pytest.raises(QuestionError):
            ask_options(bad)


def test_launch_options_use_local_fonts_only():
    options = launch_options()
    assert "Noto Naskh Arabic" in options["css"] and "@import" not in options["css"]
    assert not re.search(r"https?://", options["css"])
    theme = options["theme"]
    theme._get_theme_css()
    assert not any(sheet for sheet in theme._stylesheets)  # no Google Fonts stylesheet


# -- invisible format characters (issue 18, item 5) -----------------------------------------------

DINARS = "The fee is \u202e0051\u202c dinars a month."


def test_bidi_controls_are_shown_as_marked_code_points_not_obeyed():
    paragraph = "Fees. " + DINARS
    citation = _citation(quote=DINARS, paragraph=paragraph, paragraph_start=0, start=6, end=6 + len(DINARS),
                         translation=None)
    answer = _answer(text=f"{DINARS} [1]", citations=(citation,))
    for rendered in (render_answer(answer, turn=1), render_sources(answer, turn=1), render_question("\u202e" + EN_FINANCE)):
        assert "\u202e" not in rendered and "\u202c" not in rendered
        assert "\u27e8U+202E\u27e9</span>" in rendered
    assert 'title="RIGHT-TO-LEFT OVERRIDE"' in render_sources(answer, turn=1)
    assert "0051" in render_sources(answer, turn=1)  # the digits as stored, never "1500"
    # Shaping characters stay as they are (Persian "می‌خواهم" with a ZWNJ; an emoji ZWJ sequence).
    assert "می\u200cخواهم 👩\u200d💻" in render_question("می\u200cخواهم 👩\u200d💻")
    # Zero-width spaces and tag characters are invisible too: marked.
    assert "\u27e8U+200B\u27e9" in render_question("a\u200bb") and "\u27e8U+E0041\u27e9" in render_question("x\U000e0041")


def test_the_sources_panel_labels_the_original_with_its_own_language():
    english = _citation(paragraph="The pumps lift water.", quote="The pumps lift water.", paragraph_start=0,
                        start=0, end=21, translation=None)
    rendered = render_sources(_answer(citations=(english,)), turn=1)
    assert "English original" in rendered and "Arabic original" not in rendered
    assert "Arabic original" in render_sources(_answer(), turn=1)


@pytest.mark.slow
def test_a_stored_bidi_override_is_quoted_exactly_and_shown_visibly(fresh_settings, tmp_path):
    from assistant import build_assistant

    path = tmp_path / "fees.txt"
    path.write_text(f"Oasis water bulletin.\n{DINARS}\n", encoding="utf-8")
    assistant = build_assistant(fresh_settings)
    assistant.ingest(path)
    answer = assistant.ask("How many dinars a month is the fee?")
    (citation,) = [c for c in answer.citations if c.document_id == "fees"]
    assert citation.quote == DINARS == path.read_text(encoding="utf-8")[citation.start : citation.end]
    assert json.loads(json.dumps(answer.to_dict()))["citations"][0]["quote"] == DINARS
    shown = render_sources(answer, turn=1)
    assert "\u202e" not in shown and "is \u27e8U+202E\u27e9</span>0051" in shown.replace(
        '<span class="qa-format-char" dir="ltr" title="RIGHT-TO-LEFT OVERRIDE">', "")
    assert "English original" in shown


# -- bounded requests (issue 18, item 6) ----------------------------------------------------------


def test_an_over_long_question_is_refused_at_once_and_not_kept_for_the_answer_step():
    history, box, pending, busy_since = accept_question("x" * 50_000, [], 0.0, max_chars=2000)
    assert pending is None and busy_since == 0.0  # nothing for the answer step, the tab not busy
    assert "(50000 characters)" in history[0]["content"] and len(history[0]["content"]) < 2000
    assert "The question is 50000 characters long; the limit is 2000." in history[1]["content"]
    assert accept_question("x" * 2000, [], 0.0, max_chars=2000)[2] == "x" * 2000


def _raw_post(url: str, body: bytes, chunked: bool = False) -> tuple[int, str]:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        if chunked:
            connection.request("POST", parts.path, body=iter([body[i : i + 65536] for i in range(0, len(body), 65536)]),
                               headers={"Content-Type": "application/json"}, encode_chunked=True)
        else:
            connection.request("POST", parts.path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def _api_result(app_url: str, data: list) -> str:
    status, body = _raw_post(f"{app_url}gradio_api/call/ask", json.dumps({"data": data}).encode())
    assert status == 200, body
    with urllib.request.urlopen(f"{app_url}gradio_api/call/ask/{json.loads(body)['event_id']}", timeout=120) as stream:
        return stream.read().decode()


@pytest.mark.slow
@pytest.mark.parametrize("chunked", [False, True])
def test_an_oversized_request_is_refused_before_it_is_read(app_url, chunked):
    from ui.http_limits import MAX_REQUEST_BYTES

    body = json.dumps({"data": ["x" * (MAX_REQUEST_BYTES + 10)]}).encode()
    status, text = _raw_post(f"{app_url}gradio_api/call/ask", body, chunked=chunked)
    assert status == 413 and f"larger than the {MAX_REQUEST_BYTES}-byte limit" in text
    # A question at the assistant's own limit still goes through.
    assert '"sentence_id": "p14.s1"' in _api_result(app_url, [EN_FINANCE]).replace('":"', '": "')


def _multipart(files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = "qa-test-boundary"
    parts = [(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
              f"Content-Type: text/plain\r\n\r\n").encode() + data + b"\r\n" for name, data in files.items()]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.slow
def test_an_upload_of_several_files_is_limited_per_file_not_as_one(app_url):
    """The browser sends every chosen file in one request: two files of 3 MB each (the limit is 5 MB
    a file, 10 files at once) were refused with 413 as one 6 MB document."""
    import http.client
    from urllib.parse import urlsplit

    body, content_type = _multipart({"a.txt": b"a" * 3_000_000, "b.txt": b"b" * 3_000_000})
    parts = urlsplit(app_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        connection.request("POST", "/gradio_api/upload", body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        status, text = response.status, response.read().decode(errors="replace")
    finally:
        connection.close()
    assert status == 200, text
    assert [Path(path).name for path in json.loads(text)] == ["a.txt", "b.txt"]


def test_the_upload_request_limit_follows_the_settings():
    from assistant import Settings

    [middleware] = launch_options(Settings(upload_max_files=3, upload_max_bytes=1_000_000))["app_kwargs"]["middleware"]
    assert middleware.kwargs["max_upload_bytes"] == 3 * (1_000_000 + 100_000)
    [middleware] = launch_options(Settings(upload_max_bytes=50_000_000))["app_kwargs"]["middleware"]
    assert middleware.kwargs["max_upload_bytes"] == 10 * (5_000_000 + 100_000)  # within the document limit


@pytest.mark.slow
@pytest.mark.parametrize(
    ("data", "message"),
    [([], "The question is missing"),
     ([12345], "The question must be text"),
     ([EN_FINANCE, "many"], "The number of sources must be a whole number"),
     ([EN_FINANCE, 3, "psychic"], "Unknown retrieval mode")],
)
def test_raw_calls_with_missing_or_wrong_values_get_a_clear_error(app_url, data, message):
    stream = _api_result(app_url, data)
    assert "event: error" in stream and message in stream and '{"error": null}' not in stream


# -- conversation, documents and export (issue 16) --------------------------------------------------

EN_STABILIZATION = "What does the Stabilization Working Group do?"
EN_FOLLOW_UP = "What will it do in Syria?"
AR_TURKISH = "ماذا قال تيلرسون عن العملية العسكرية التركية؟"
AR_FOLLOW_UP = "وماذا عن عفرين؟"
AR_STABILIZATION = "ما دور مجموعة العمل الخاصة بإرساء الاستقرار؟"


@pytest.mark.browser
@pytest.mark.slow
def test_english_follow_up_and_the_sources_of_an_earlier_answer(ui):
    first = ui.ask(EN_STABILIZATION)
    assert first.locator(".qa-leaned").count() == 0
    follow_up = ui.ask(EN_FOLLOW_UP)
    assert follow_up.locator(".qa-leaned").inner_text() == "Follow-up to question 1"
    assert "non-sectarian governance" in follow_up.inner_text()  # the group's plans in Syria, not Tillerson's
    assert "p21.s1" in _panel_sentence_ids(ui) and "p6.s1" not in _panel_sentence_ids(ui)
    ui.screenshot("follow_up_english")

    # [1] of the first answer shows the first answer's sources (and only those).
    first.locator("a.qa-cite").first.click()
    earlier = _mark(ui, "p19.s1", '[data-turn="1"]')
    expect(earlier).to_be_visible()
    expect(earlier).to_be_in_viewport()
    assert ui.page.evaluate("document.querySelector(':target').id") == "src-1-1"
    expect(ui.page.locator("#qa-sources-panel .qa-latest")).to_be_hidden()
    assert "Sources of answer 1" in ui.page.locator("#qa-sources-panel").inner_text()
    ui.screenshot("sources_of_an_earlier_answer")
    # ... and a marker of the latest answer brings its sources back.
    follow_up.locator("a.qa-cite").last.click()
    expect(ui.page.locator("#qa-sources-panel .qa-latest")).to_be_visible()
    expect(ui.page.locator('#qa-sources-panel [data-turn="1"]')).to_be_hidden()


@pytest.mark.browser
@pytest.mark.slow
def test_arabic_follow_up_then_a_topic_change(ui):
    ui.ask(AR_TURKISH)
    follow_up = ui.ask(AR_FOLLOW_UP)
    assert follow_up.locator(".qa-leaned").inner_text() == "متابعة للسؤال 1"
    assert ui.direction(follow_up) == "rtl" and "عفرين" in follow_up.inner_text()
    assert _panel_sentence_ids(ui)[0] == "p3.s1"
    change = ui.ask(AR_STABILIZATION)
    assert change.locator(".qa-leaned").count() == 0  # a new topic: the history did not decide it
    assert _panel_sentence_ids(ui)[0] == "p19.s1" and "عودة النازحين" in change.inner_text()
    ui.screenshot("follow_up_arabic_then_topic_change")


@pytest.mark.browser
@pytest.mark.slow
def test_export_the_conversation_as_markdown_and_json(ui):
    assert ui.page.locator("#qa-export-md").is_disabled()  # nothing to export yet
    ui.ask("ما دور مجموعة عمل الاتصالات؟")
    ui.ask("And what does that aim at?")
    ui.page.wait_for_function("() => !document.querySelector('#qa-export-json').disabled", timeout=30_000)
    with ui.page.expect_download() as download:
        ui.page.locator("#qa-export-md").click()
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert "## 1. ما دور مجموعة عمل الاتصالات؟" in markdown
    assert "## 2. And what does that aim at? (follow-up to turn 1)" in markdown
    assert "sentence `p17.s1`" in markdown and "البيان الختامي للاجتماع الوزاري" in markdown  # document name
    with ui.page.expect_download() as download:
        ui.page.locator("#qa-export-json").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert [turn["question"] for turn in data["turns"]] == ["ما دور مجموعة عمل الاتصالات؟", "And what does that aim at?"]
    citation = data["turns"][0]["citations"][0]
    assert citation["sentence_id"] == "p17.s1" and "مجموعة عمل الاتصالات" in citation["quote"]
    assert citation["document"].startswith("البيان الختامي") and data["turns"][1]["leaned_on"] == 1
    ui.screenshot("export")


@pytest.mark.slow
def test_only_the_newest_exports_are_kept(assistant, tmp_path):
    conversation = Conversation(assistant)
    conversation.ask("ما دور مجموعة عمل الاتصالات؟")
    offered = [export_files(conversation, tmp_path) for _ in range(EXPORTS_KEPT + 5)]
    assert len(list(tmp_path.iterdir())) == EXPORTS_KEPT
    markdown, data = (Path(update["value"]) for update in offered[-1])
    assert markdown.parent.parent == tmp_path and "ما دور مجموعة عمل الاتصالات؟" in markdown.read_text(encoding="utf-8")
    assert json.loads(data.read_text(encoding="utf-8"))["turns"][0]["question"] == "ما دور مجموعة عمل الاتصالات؟"
    assert not Path(offered[0][0]["value"]).exists()  # the oldest went


@pytest.fixture(scope="module")
def docs_assistant(tmp_path_factory, model_dir):
    """An assistant of its own, so that uploads do not change what the other tests' store answers."""
    from assistant import build_assistant, load_settings

    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp("docs-data"), model_dir=model_dir,
                             upload_max_bytes=1_000_000, upload_max_files=3)
    return build_assistant(settings).warm_up()


@pytest.fixture(scope="module")
def docs_url(docs_assistant) -> Iterator[str]:
    demo = create_app(docs_assistant)
    port = _free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True, **launch_options())
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@pytest.fixture
def docs_ui(browser, docs_url) -> Iterator[UI]:
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="en-US")
    try:
        tab = UI(context.new_page(), docs_url).open()
        tab.page.locator("#qa-documents").get_by_text("Documents · المستندات").click()
        tab.page.locator("#qa-upload").wait_for(state="visible", timeout=10_000)
        yield tab
    finally:
        context.close()


def _upload(ui: UI, *paths: Path, timeout: float = ANSWER_TIMEOUT_MS):
    """Choose ``paths`` in the upload box, press Add, and return the status message."""
    status = ui.page.locator("#qa-upload-status .qa-status")
    before = status.inner_text() if status.count() else ""
    ui.page.locator("#qa-upload input[type=file]").set_input_files([str(p) for p in paths])
    _wait_chosen(ui, paths[-1])
    ui.page.locator("#qa-upload-add").click()
    ui.page.wait_for_function(
        "before => { const s = document.querySelector('#qa-upload-status .qa-status'); return s && s.innerText !== before; }",
        arg=before, timeout=timeout)
    return status


def _wait_chosen(ui: UI, path: Path) -> None:
    ui.page.locator(f'#qa-upload td.filename[aria-label="{path.name}"]').wait_for(timeout=30_000)


def _clear_uploads(ui: UI) -> None:
    clear = ui.page.locator("#qa-upload").get_by_role("button", name="Clear")
    if clear.count():
        clear.first.click()


def _listed(ui: UI) -> dict[str, str]:
    rows = ui.page.locator("#qa-documents-list tr[data-document-id]")
    return {row.get_attribute("data-document-id"): row.inner_text() for row in rows.all()}


@pytest.mark.browser
@pytest.mark.slow
def test_upload_several_list_ask_and_remove(docs_ui, docs_assistant, tmp_path):
    harbour = tmp_path / "harbour_notes.md"
    harbour.write_text("# Harbour notes\nThe blue pier is painted every spring by the harbour volunteers.\n"
                       "Captain Maryam Haddad commands the night ferry to Qalat Island.\n", encoding="utf-8")
    orchard = tmp_path / "بستان.txt"
    orchard.write_text("تنتج مزرعة الزيتون في وادي الريحان ثلاثة أطنان من الزيت كل موسم.\n", encoding="utf-8")
    status = _upload(docs_ui, harbour, orchard)
    assert "qa-ok" in status.get_attribute("class") and "harbour_notes (added)" in status.inner_text()
    listed = _listed(docs_ui)
    assert {"coalition-communique", "harbour_notes", "بستان"} <= set(listed)
    # Its name is its Markdown title, then its id and 3 sentences.
    assert listed["harbour_notes"].startswith("Harbour notes\tharbour_notes\t3\t")
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", listed["بستان"])  # when it was added
    docs_ui.screenshot("documents_uploaded")

    # The next question uses them at once, in either language.
    reply = docs_ui.ask("Who commands the night ferry to Qalat Island?")
    assert "Maryam Haddad" in reply.inner_text()
    assert docs_ui.page.locator('#qa-sources-panel .qa-latest .qa-source[data-document-id="harbour_notes"]').count() == 1
    reply = docs_ui.ask("كم تنتج مزرعة الزيتون في وادي الريحان؟")
    assert "ثلاثة أطنان" in reply.inner_text()

    # Remove one: it leaves the list and the answers.
    docs_ui.page.locator("#qa-remove-choice input").click()
    docs_ui.page.get_by_role("option", name="Harbour notes (harbour_notes)").click()
    docs_ui.page.locator("#qa-remove").click()
    docs_ui.page.get_by_text("Removed: harbour_notes").wait_for(timeout=60_000)
    assert "harbour_notes" not in _listed(docs_ui) and "بستان" in _listed(docs_ui)
    assert "harbour_notes" not in [d.id for d in docs_assistant.documents()]
    reply = docs_ui.ask("Who commands the night ferry to Qalat Island?")
    assert "Maryam Haddad" not in reply.inner_text()
    docs_ui.screenshot("documents_removed")
    docs_assistant.remove("بستان")


@pytest.mark.browser
@pytest.mark.slow
def test_a_cited_list_is_answered_with_its_items_and_shown_as_lines(docs_ui, docs_assistant, tmp_path):
    policy = tmp_path / "policy.md"
    policy.write_text("# Remote work\n\nThe company provides:\n- a laptop with encrypted storage\n"
                      "- a headset for video calls\n", encoding="utf-8")
    _upload(docs_ui, policy)
    reply = docs_ui.ask("What equipment does the company provide?")
    assert "a laptop with encrypted storage" in reply.inner_text() and "a headset" in reply.inner_text()
    paragraph = docs_ui.page.locator('#qa-sources-panel .qa-latest .qa-source[data-document-id="policy"] .qa-paragraph')
    # The list's lines are the source's: each item on a line of its own (after its marker), not run together.
    lines = [re.sub(r"^(\[\d+\])+", "", line) for line in paragraph.first.inner_text().splitlines()]
    assert lines[:3] == ["The company provides:", "- a laptop with encrypted storage", "- a headset for video calls"]
    docs_ui.screenshot("list_answer")
    docs_assistant.remove("policy")


@pytest.mark.browser
@pytest.mark.slow
def test_bad_uploads_get_a_clear_message_and_store_nothing(docs_ui, docs_assistant, tmp_path):
    before = {d.id for d in docs_assistant.documents()}
    good = tmp_path / "good.txt"
    good.write_text("A perfectly fine note about the harbour.\n", encoding="utf-8")
    wrong_type = tmp_path / "table.csv"
    wrong_type.write_text("a,b\n1,2\n", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    big = tmp_path / "big.txt"
    big.write_text("word " * 250_000, encoding="utf-8")  # 1.25 MB, over this app's 1 MB limit
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 this is not really a PDF at all")
    html_name = tmp_path / "<b>bold.txt"
    html_name.write_bytes(b"\x00\x01 not text \x00\x00\x02\x03\x00")  # NULs on both sides: binary, not UTF-16
    cases = [
        ((good, wrong_type), "table.csv: unsupported file type"),
        ((good, empty), "empty"),
        ((big,), "over the limit of 1,000,000 bytes"),
        ((broken,), "broken.pdf: cannot read this PDF"),
        ((html_name,), "bold.txt: looks like a binary file"),  # gradio drops "<>" from upload names
    ]
    for files, message in cases:
        _clear_uploads(docs_ui)
        status = _upload(docs_ui, *files)
        text = status.inner_text()
        assert "qa-error" in status.get_attribute("class") and text.startswith("Nothing was stored"), text
        assert message in text, text
        assert "/tmp" not in text and "gradio" not in text  # the file's name, not where the server keeps it
        assert {d.id for d in docs_assistant.documents()} == before  # not even the good file
    assert docs_ui.page.locator("#qa-upload-status b").count() == 0  # the name shows as text
    _clear_uploads(docs_ui)
    extra = [tmp_path / f"note{n}.txt" for n in range(3)]
    for n, path in enumerate(extra):
        path.write_text(f"Note {n} about the quay.\n", encoding="utf-8")
    status = _upload(docs_ui, good, *extra)
    assert "4 files at once is over the limit of 3" in status.inner_text()
    docs_ui.screenshot("bad_upload")
    # What was stored before still answers.
    assert "Turkish" in docs_ui.ask(EN_TILLERSON).inner_text()
    assert {d.id for d in docs_assistant.documents()} == before


@pytest.mark.browser
@pytest.mark.slow
def test_a_50_page_pdf_uploads_with_progress_and_answers_the_next_question(docs_ui, docs_assistant, tmp_path):
    from pdf_sample import FACT, write_pdf

    pdf = write_pdf(tmp_path / "harbour_districts.pdf", pages=50)
    docs_ui.page.locator("#qa-upload input[type=file]").set_input_files(str(pdf))
    _wait_chosen(docs_ui, pdf)
    started = time.monotonic()
    docs_ui.page.locator("#qa-upload-add").click()
    # Gradio's progress bar (the handler reports it through gr.Progress) shows while it is stored.
    docs_ui.page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=status-tracker]')]"
        ".some(t => /Indexing: [\\d,]+ of [\\d,]+ passages - [\\d.]+%/.test(t.innerText))", timeout=300_000)
    docs_ui.page.screenshot(path=str(SCREENSHOTS / "pdf_upload_progress.png"), full_page=True)  # at once: it moves
    docs_ui.page.get_by_text("Stored: harbour_districts (added)").wait_for(timeout=600_000)
    elapsed = time.monotonic() - started
    print(f"\n50-page PDF ({pdf.stat().st_size} bytes) stored through the UI in {elapsed:.1f} s; "
          f"load: {os.getloadavg()}")
    listed = _listed(docs_ui)["harbour_districts"]
    assert int(listed.split("\t")[2]) >= 500  # 50 pages of about 10 sentences
    reply = docs_ui.ask("Who guards the amber lighthouse?")
    assert "Idris Falkenrath" in reply.inner_text()
    assert FACT in docs_ui.page.locator("#qa-sources-panel .qa-latest").inner_text()
    docs_ui.screenshot("pdf_uploaded_and_answered")
    docs_assistant.remove("harbour_districts")


def test_the_sources_panel_shows_the_answers_probability_and_each_sentences_share():
    rendered = render_sources(_answer(probability=0.93, citations=(_citation(score=0.61),)), turn=1)
    head = rendered[rendered.index("<h3>"):rendered.index("</h3>")]
    assert "qa-answer-probability" in head and '<bdi dir="ltr">0.93</bdi>' in head
    assert '<bdi dir="ltr">0.61</bdi>' in rendered[rendered.index("</h3>"):]
