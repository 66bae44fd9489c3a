"""The Gradio chat UI: a thin client over one warmed-up ``Assistant``.

``create_app(assistant)`` builds the Blocks; launch it with ``launch_options()`` (in gradio 6 the
theme and CSS are ``launch()`` arguments), as ``python -m ui`` does:

    demo = create_app(build_assistant(load_settings()).warm_up())
    demo.launch(server_name="127.0.0.1", server_port=7860, **launch_options())

Everything that comes from the user or the corpus is HTML-escaped here before it goes into any
HTML; the Chatbot's own sanitizer (``sanitize_html=True``) is a second line of defence, not the
first (it keeps elements such as ``<img src=x>``, minus their event handlers).
"""

from __future__ import annotations

import enum
import html
import logging
import contextlib
import re
import shutil
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant import AnswerBackend, Conversation, CorpusError, QuestionError, RetrievalMode, StoreError, load_file
from assistant.corpus import MAX_DOCUMENT_BYTES, SUPPORTED_SUFFIXES

if TYPE_CHECKING:
    from assistant import Answer, Assistant, Citation, IngestResult, Settings

log = logging.getLogger(__name__)

STYLE_PATH = Path(__file__).with_name("style.css")
TITLE_EN = "Coalition communiqué — cited answers"
TITLE_AR = "البيان الختامي — إجابات موثّقة"
# How much of an over-long question the chat echoes back.
ECHO_CHARS = 600

# Example questions: the pillars, each of the four working groups, Tillerson's remarks.
EXAMPLES: list[str] = [
    "ما هي الركائز الأساسية لنهج التحالف ضد داعش؟",
    "What are the pillars of the coalition's approach?",
    "What does the Counter ISIS Finance Group focus on?",
    "ما هو دور مجموعة العمل الخاصة بالمقاتلين الإرهابيين الأجانب؟",
    "What does the Communications Working Group seek to do?",
    "ما دور مجموعة العمل الخاصة بتحقيق الاستقرار؟",
    "ما هي مجموعات العمل التابعة للتحالف؟",
    "What did Tillerson say about the Turkish military operation?",
    "ماذا قال تيلرسون عن سعي داعش للتحول إلى حركة تمرد؟",
]

# The chat and the API share one concurrency group. Assistant.ask is thread-safe and a question
# takes tens of milliseconds of CPU, so a few at a time keeps several tabs responsive on 2 cores
# without oversubscribing them.
CONCURRENCY_ID = "assistant"
CONCURRENCY_LIMIT = 4
QUEUE_MAX_SIZE = 64
MAX_TOP_K = 10
BUSY_TIMEOUT = 300.0  # seconds after which an unfinished turn no longer blocks its tab

_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_MARKER = re.compile(r"\[(\d+)\]")
# Invisible format characters (Unicode category Cf): bidi controls (U+202E can show "0051" as
# "1500"), zero-width spaces, tag characters. Shown as visible, marked code points so that the
# shown text is the stored text. ZWNJ and ZWJ are kept: they only shape the letters around them
# (Persian words, emoji sequences) and cannot reorder anything.
_FORMAT_CHARACTER = re.compile("[" + "".join(
    re.escape(chr(c)) for c in range(sys.maxunicode + 1)
    if unicodedata.category(chr(c)) == "Cf" and c not in (0x200C, 0x200D)) + "]")

_LABELS = {
    "ar": {
        "source_of": "مصادر الإجابة الأخيرة",
        "source_of_turn": "مصادر الإجابة {turn}",
        "no_sources": "لا مصادر: المستندات لا تذكر ذلك.",
        "not_said": "ليس في المستندات",
        "original": "النص الأصلي",
        "original_en": "النص الأصلي (بالإنجليزية)",
        "rendering": "الترجمة الإنجليزية",
        "error": "تعذّر الإجابة",
        "leaned": "متابعة للسؤال {turn}",
        "related": "جمل قريبة، وليست إجابة",
        "probability": "الاحتمال",
    },
    "en": {
        "source_of": "Sources of the latest answer",
        "source_of_turn": "Sources of answer {turn}",
        "no_sources": "No sources: the documents do not say.",
        "not_said": "Not in the documents",
        "original": "Arabic original",
        "original_en": "English original",
        "rendering": "English rendering",
        "error": "Could not answer",
        "leaned": "Follow-up to question {turn}",
        "related": "Related sentences, not an answer",
        "probability": "probability",
    },
}
EMPTY_SOURCES_HTML = (
    '<div class="qa-sources qa-sources-empty">'
    '<p lang="en" dir="ltr">The sentences an answer cites appear here, highlighted in their paragraph.</p>'
    '<p lang="ar" dir="rtl">تظهر هنا الجمل التي تستشهد بها الإجابة، مظلَّلة داخل فقرتها.</p>'
    "</div>"
)
CHAT_PLACEHOLDER = (
    '<div lang="en" dir="ltr">Ask about the coalition\'s closing communiqué, in English or Arabic.</div>'
    '<div lang="ar" dir="rtl">اسأل عن البيان الختامي لاجتماع التحالف، بالعربية أو بالإنجليزية.</div>'
)
BUSY_MESSAGE = "Still answering your previous question; send this one when it is done. · ما زلت أجيب عن سؤالك السابق."
UNEXPECTED_ERROR = "Something went wrong; please try again. (The details are in the server log.)"


# -- small HTML helpers ---------------------------------------------------------------------------


def text_direction(text: str) -> str:
    """``rtl`` when Arabic letters outnumber Latin ones, else ``ltr``."""
    arabic = len(_ARABIC_LETTER.findall(text))
    return "rtl" if arabic and arabic >= len(_LATIN_LETTER.findall(text)) else "ltr"


def _lang(direction: str) -> str:
    return "ar" if direction == "rtl" else "en"


def _escape(text: str) -> str:
    """Escape for HTML text and attributes; newlines become <br>; invisible format characters
    become visible marks (``_visible_format``)."""
    return _visible_format(html.escape(text, quote=True).replace("\r\n", "\n").replace("\n", "<br>"))


def _visible_format(escaped: str) -> str:
    """Each invisible format character as a marked code point, e.g. ⟨U+202E⟩ (its name on hover)."""

    def mark(match: re.Match[str]) -> str:
        char = match.group(0)
        name = unicodedata.name(char, "format character")
        return (f'<span class="qa-format-char" dir="ltr" title="{html.escape(name)}">'
                f"\u27e8U+{ord(char):04X}\u27e9</span>")

    return _FORMAT_CHARACTER.sub(mark, escaped)


def _anchor(turn: int, n: int) -> str:
    return f"src-{turn}-{n}"


def _linked_markers(escaped_text: str, turn: int, numbers: set[int]) -> str:
    """Turn ``[n]`` markers of cited sentences into links to their source cards."""

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in numbers:
            return match.group(0)
        return f'<a class="qa-cite" href="#{_anchor(turn, n)}" title="source {n}">[{n}]</a>'

    return _MARKER.sub(link, escaped_text)


# -- messages -------------------------------------------------------------------------------------


def render_question(question: str) -> str:
    """The user's message: escaped, in its own direction (an over-long one shortened)."""
    question = question.strip()
    direction = text_direction(question)
    shown = _escape(question[:ECHO_CHARS])
    if len(question) > ECHO_CHARS:
        shown += f' <span class="qa-cut" dir="ltr">… ({len(question)} characters)</span>'
    return (
        f'<div class="qa-msg qa-question{" qa-rtl" if direction == "rtl" else ""}" '
        f'dir="{direction}" lang="{_lang(direction)}">{shown}</div>'
    )


def render_answer(answer: Answer, turn: int) -> str:
    """The assistant's message: the answer text with [n] linked to the sources panel."""
    direction = "rtl" if answer.language == "ar" else "ltr"
    labels = _LABELS.get(answer.language, _LABELS["en"])
    classes = ["qa-msg", "qa-answer"] + (["qa-rtl"] if direction == "rtl" else [])
    if answer.abstained:
        classes.append("qa-abstained")
        body = f'<span class="qa-state-label">{html.escape(labels["not_said"])}</span>'
        body += f'<p class="qa-text">{_escape(answer.text)}</p>'
    else:
        numbers = {c.n for c in answer.citations}
        body = f'<p class="qa-text">{_linked_markers(_escape(answer.text), turn, numbers)}</p>'
    if answer.leaned_on:
        body = (f'<span class="qa-leaned" data-leaned-on="{int(answer.leaned_on)}">'
                f'{html.escape(labels["leaned"].format(turn=int(answer.leaned_on)))}</span>') + body
    if answer.note:
        note_dir = text_direction(answer.note)
        body += f'<p class="qa-note" dir="{note_dir}" lang="{_lang(note_dir)}">{_escape(answer.note)}</p>'
    return (
        f'<div class="{" ".join(classes)}" dir="{direction}" lang="{answer.language}">'
        f'{body}</div>'
    )


def render_error(message: str, question: str = "") -> str:
    """A friendly error in the chat (never a stack trace)."""
    labels = _LABELS["ar" if question and text_direction(question) == "rtl" else "en"]
    direction = text_direction(message)
    return (
        f'<div class="qa-msg qa-error" dir="{direction}" lang="{_lang(direction)}" role="alert">'
        f'<span class="qa-state-label">{html.escape(labels["error"])}</span>'
        f'<p class="qa-text">{_escape(message)}</p></div>'
    )


# -- sources panel --------------------------------------------------------------------------------


def _quote_span(citation: Citation) -> tuple[int, int] | None:
    """Where the quote sits in its paragraph (by its offsets, else found by text); None if absent."""
    paragraph, quote = citation.paragraph, citation.quote
    start = citation.start - citation.paragraph_start
    end = citation.end - citation.paragraph_start
    if paragraph and 0 <= start <= end <= len(paragraph) and paragraph[start:end] == quote:
        return start, end
    found = paragraph.find(quote) if paragraph and quote else -1
    return (found, found + len(quote)) if found >= 0 else None


def _mark(citation: Citation, turn: int, text: str, related: bool = False) -> str:
    if related:  # near an abstention: highlighted, never numbered or linked as a source
        return f'<mark class="qa-nearby" data-sentence-id="{html.escape(citation.sentence_id)}">{_escape(text)}</mark>'
    return (f'<mark class="qa-cited" id="{_anchor(turn, citation.n)}" data-n="{citation.n}" '
            f'data-sentence-id="{html.escape(citation.sentence_id)}">'
            f'<sup class="qa-mark-n" dir="ltr">[{citation.n}]</sup>{_escape(text)}</mark>')


def _highlighted_paragraph(citations: Sequence[Citation], turn: int, related: bool = False) -> str:
    """The paragraph, escaped, once, with each cited sentence in a numbered <mark>."""
    paragraph = citations[0].paragraph
    spans = sorted(((span, c) for c in citations if (span := _quote_span(c))), key=lambda item: item[0])
    lone = [c for c in citations if _quote_span(c) is None]
    if not paragraph or lone and len(lone) == len(citations):
        return " ".join(_mark(c, turn, c.quote, related) for c in citations)
    out, position = [], 0
    for (start, end), citation in spans:
        if start < position:  # overlapping spans: the later quote is shown on its own below
            lone.append(citation)
            continue
        out += [_escape(paragraph[position:start]), _mark(citation, turn, paragraph[start:end], related)]
        position = end
    out.append(_escape(paragraph[position:]))
    return "".join(out) + "".join(" " + _mark(c, turn, c.quote, related) for c in lone)


def _paragraph_groups(citations: Sequence[Citation]) -> list[list[Citation]]:
    """Citations grouped by paragraph, in the order of their first citation."""
    groups: dict[tuple[str, str], list[Citation]] = {}
    for citation in citations:
        groups.setdefault((citation.document_id, citation.paragraph_id), []).append(citation)
    return list(groups.values())


def _source_card(citations: Sequence[Citation], turn: int, language: str, related: bool = False) -> str:
    """One card per cited paragraph: its document, the cited sentences' numbers and ids (no numbers
    for the sentences shown near an abstention)."""
    labels = _LABELS.get(language, _LABELS["en"])
    first = citations[0]
    source_dir = text_direction(first.paragraph or first.quote)
    source_lang = _lang(source_dir)
    numbers = "" if related else " ".join(f"[{c.n}]" for c in citations)
    ident = f"{first.document_id} · " + ", ".join(c.sentence_id for c in citations)
    probabilities = " ".join(f"{c.score:.2f}" for c in citations)
    head = (
        f'<div class="qa-source-head"><span class="qa-source-n">{numbers}</span>'
        f'<span class="qa-id" dir="ltr">{html.escape(ident)}</span>'
        f'<span class="qa-score" title="how likely this sentence is the one that answers the question">'
        f'{html.escape(labels["probability"])} <bdi dir="ltr">{probabilities}</bdi></span></div>'
    )
    label = labels["original"] if source_dir == "rtl" else labels["original_en"]  # the source's own language
    original = (
        f'<div class="qa-original"><span class="qa-label">{html.escape(label)}</span>'
        f'<p class="qa-paragraph{" qa-rtl" if source_dir == "rtl" else ""}" dir="{source_dir}" '
        f'lang="{source_lang}">{_highlighted_paragraph(citations, turn, related)}</p></div>'
    )
    renderings = [c for c in citations if c.translation] if language == "en" else []
    if renderings:
        number = (lambda c: "") if related else (lambda c: f'<sup class="qa-mark-n">[{c.n}]</sup>')
        items = "".join(f'<p class="qa-translation" dir="ltr" lang="en" data-n="{c.n}">'
                        f'<mark>{number(c)}{_escape(c.translation or "")}</mark></p>' for c in renderings)
        rendering = f'<div class="qa-rendering"><span class="qa-label">{html.escape(labels["rendering"])}</span>{items}</div>'
        body = f'<div class="qa-pair" dir="ltr">{rendering}{original}</div>'
    else:
        body = original
    return (
        f'<article class="qa-source{" qa-related-source" if related else ""}" data-document-id="{html.escape(first.document_id)}" '
        f'data-paragraph-id="{html.escape(first.paragraph_id)}">{head}{body}</article>'
    )


def render_sources(answer: Answer, turn: int, latest: bool = True) -> str:
    """The sources of one answer: each cited paragraph once, its cited sentences highlighted and numbered."""
    language = answer.language if answer.language in _LABELS else "en"
    labels = _LABELS[language]
    direction = "rtl" if language == "ar" else "ltr"
    classes = "qa-sources qa-turn-sources" + (" qa-latest" if latest else "")
    if answer.abstained and answer.related:
        # What is nearby, so that a reader can check for themselves: set apart, never numbered as sources.
        cards = "".join(_source_card(group, turn, language, related=True) for group in _paragraph_groups(answer.related))
        return (
            f'<div class="{classes} qa-related qa-abstained" dir="{direction}" lang="{language}" data-turn="{turn}">'
            f'<p>{html.escape(labels["no_sources"])}</p>'
            f'<h3>{html.escape(labels["related"])} ({len(answer.related)})</h3>{cards}</div>'
        )
    if answer.abstained or not answer.citations:
        return (
            f'<div class="{classes} qa-sources-empty qa-abstained" dir="{direction}" lang="{language}" '
            f'data-turn="{turn}"><p>{html.escape(labels["no_sources"])}</p></div>'
        )
    cards = "".join(_source_card(group, turn, language) for group in _paragraph_groups(answer.citations))
    title = labels["source_of"] if latest else labels["source_of_turn"].format(turn=turn)
    answered = (f'<span class="qa-score qa-answer-probability" title="how likely the evidence answers the question">'
                f'{html.escape(labels["probability"])} <bdi dir="ltr">{answer.probability:.2f}</bdi></span>')
    return (
        f'<div class="{classes}" dir="{direction}" lang="{language}" data-turn="{turn}">'
        f'<h3>{html.escape(title)} ({len(answer.citations)}) {answered}</h3>{cards}</div>'
    )


def render_sources_history(answers: Sequence[Answer]) -> str:
    """Every answer's sources; the latest shows, an earlier one when one of its [n] is followed (CSS :target)."""
    if not answers:
        return EMPTY_SOURCES_HTML
    last = len(answers)
    return "".join(render_sources(answer, turn, latest=turn == last) for turn, answer in enumerate(answers, 1))


# -- handlers -------------------------------------------------------------------------------------


def build_settings_controls(settings: Settings) -> dict[str, gr.components.Component]:
    """The controls of the (closed) settings accordion, keyed by option name.

    The handlers receive their values in this order and turn them into ``Assistant.ask`` keyword
    arguments in ``ask_options``. To add a control (e.g. the "answer backend" dropdown), create it
    here under a new key and map its value in ``ask_options``; nothing else needs to change.
    """
    controls: dict[str, gr.components.Component] = {}
    controls["top_k"] = gr.Slider(
        minimum=1, maximum=MAX_TOP_K, step=1, value=min(settings.top_k, MAX_TOP_K),
        label="Number of sources · عدد المصادر",
        info="How many of the best-matching sentences an answer draws on (a list question may cite more).",
    )
    controls["mode"] = gr.Radio(
        choices=[("Hybrid (dense + BM25)", RetrievalMode.HYBRID.value),
                 ("Dense (e5 embeddings)", RetrievalMode.DENSE.value),
                 ("BM25 (keywords)", RetrievalMode.BM25.value)],
        value=settings.retrieval_mode.value,
        label="Retrieval mode · طريقة البحث",
    )
    controls["backend"] = gr.Dropdown(
        choices=[("Extractive (quotes the documents; no LLM)", AnswerBackend.EXTRACTIVE.value),
                 ("OpenAI-compatible server", AnswerBackend.OPENAI.value),
                 ("Ollama", AnswerBackend.OLLAMA.value),
                 ("llama.cpp (local GGUF)", AnswerBackend.LLAMACPP.value)],
        value=settings.answer_backend.value,
        label="Answer backend · طريقة الإجابة",
        info="LLM backends use the URL and model from the settings (ASSISTANT_LLM_BASE_URL, ASSISTANT_LLM_MODEL); "
             "their answers are verified and fall back to quoting when they are not grounded.",
    )
    return controls


def ask_options(options: dict[str, Any]) -> dict[str, Any]:
    """Settings-control values -> ``Assistant.ask`` keyword arguments (validated)."""
    kwargs: dict[str, Any] = {}
    top_k = options.get("top_k")
    if top_k is not None:
        try:
            top_k = int(top_k)
        except (TypeError, ValueError):
            raise QuestionError(f"the number of sources must be a whole number, not {top_k!r}") from None
        if not 1 <= top_k <= MAX_TOP_K:
            raise QuestionError(f"the number of sources must be between 1 and {MAX_TOP_K}")
        kwargs["top_k"] = top_k
    for key, choices, what in (("mode", RetrievalMode, "retrieval mode"), ("backend", AnswerBackend, "answer backend")):
        if options.get(key):
            kwargs[key] = _choice(choices, options[key], what)
    return kwargs


def _choice(choices: type[enum.Enum], value: Any, what: str) -> enum.Enum:
    try:
        return choices(value)
    except ValueError:
        names = ", ".join(choice.value for choice in choices)
        raise QuestionError(f"unknown {what} {value!r}; choose one of {names}") from None


def _friendly(error: Exception) -> str:
    if isinstance(error, (QuestionError, StoreError, CorpusError)):
        message = str(error).strip() or type(error).__name__
        return message[:1].upper() + message[1:]
    return UNEXPECTED_ERROR


def accept_question(
    question: str | None, history: list[dict[str, Any]] | None, busy_since: float = 0.0,
    max_chars: int | None = None,
) -> tuple[Any, Any, str | None, float]:
    """First step of a turn: show the question at once, clear the box, mark the tab busy.

    A tab answers one question at a time: the answer step rewrites the whole chat, so a question
    sent meanwhile (Enter, the button or an example) would drop out of it. Such a question is
    refused with a notice instead (``None`` as the pending question, which ``answer_turn`` skips)
    and stays in the box.
    A turn that never finished (e.g. the queue was full) stops counting after ``BUSY_TIMEOUT``.
    A question over ``max_chars`` is refused here, so that the session keeps no copy of it.
    """
    now = time.monotonic()
    if busy_since and now - busy_since < BUSY_TIMEOUT:
        gr.Warning(BUSY_MESSAGE, title="One moment · لحظة", duration=6)
        return gr.skip(), gr.skip(), None, busy_since
    history = list(history or [])
    question = question if isinstance(question, str) else ""
    if question.strip():
        history.append({"role": "user", "content": render_question(question)})
    length = len(question.strip())
    if max_chars is not None and length > max_chars:
        message = f"The question is {length} characters long; the limit is {max_chars}."
        history.append({"role": "assistant", "content": render_error(message, question[:ECHO_CHARS])})
        return history, gr.skip(), None, 0.0
    return history, "", question, now


def answer_turn(
    assistant: Assistant, question: str | None, history: list[dict[str, Any]] | None, options: dict[str, Any]
) -> tuple[Any, Any, Any]:
    """Second step of a turn (queued): the answer, its sources, and the tab no longer busy."""
    if question is None:  # refused by accept_question (which said so): a turn is in progress
        return gr.skip(), gr.skip(), gr.skip()
    history, sources = answer_question(assistant, question, history, options)
    return history, sources, 0.0


def answer_question(
    assistant: Assistant, question: str | None, history: list[dict[str, Any]] | None, options: dict[str, Any]
) -> tuple[list, Any]:
    """Second step of a turn: ask the assistant; the answer goes to the chat, its sources to the panel."""
    history = list(history or [])
    question = question or ""
    try:
        answer = assistant.ask(question, **ask_options(options))
    except (QuestionError, StoreError, CorpusError) as error:
        # The sources panel keeps showing the latest answer's sources.
        history.append({"role": "assistant", "content": render_error(_friendly(error), question)})
        return history, gr.skip()
    except Exception:  # never a stack trace in the chat; the log has it
        log.exception("answering %r failed", question[:200])
        history.append({"role": "assistant", "content": render_error(UNEXPECTED_ERROR, question)})
        return history, gr.skip()
    # A Conversation numbers the turns it answered; its panel keeps every answer's sources.
    answers = list(getattr(assistant, "answers", ())) or [answer]
    history.append({"role": "assistant", "content": render_answer(answer, len(answers))})
    return history, render_sources_history(answers)


def api_answer(assistant: Assistant, question: str, top_k: int | None = None, mode: str | None = None) -> dict:
    """The ``/ask`` API: the answer and its citations as JSON (README's ``--json`` contract)."""
    try:
        if question is None:
            raise QuestionError('the question is missing: send it as the first value of "data"')
        answer = assistant.ask(question, **ask_options({"top_k": top_k, "mode": mode}))
    except (QuestionError, StoreError, CorpusError) as error:
        # gr.Error messages may be rendered as HTML by a UI: escape them.
        raise gr.Error(html.escape(_friendly(error), quote=False), print_exception=False) from None
    except Exception:
        log.exception("API question %r failed", str(question)[:200])
        raise gr.Error(UNEXPECTED_ERROR, print_exception=False) from None
    return answer.to_dict()


# -- documents ----------------------------------------------------------------------------------


def _status(message: str, ok: bool) -> str:
    direction = text_direction(message)
    kind = "qa-ok" if ok else "qa-error"
    role = "status" if ok else "alert"
    return (f'<div class="qa-msg qa-status {kind}" dir="{direction}" lang="{_lang(direction)}" role="{role}">'
            f'{_escape(message)}</div>')


def render_documents(assistant: Assistant) -> str:
    """The stored documents: name, id, sentences, when added (all escaped)."""
    documents = assistant.documents()
    if not documents:
        return '<p class="qa-documents-empty">No documents are stored. · لا توجد مستندات.</p>'
    rows = "".join(
        f'<tr data-document-id="{html.escape(d.id)}"><td dir="auto">{_escape(d.title or d.id)}</td>'
        f'<td dir="ltr"><code>{html.escape(d.id)}</code></td><td>{d.sentences}</td>'
        f'<td dir="ltr">{time.strftime("%Y-%m-%d %H:%M", time.localtime(d.ingested_at))}</td></tr>'
        for d in documents
    )
    return ('<table class="qa-documents"><thead><tr><th>Name · الاسم</th><th>Id</th><th>Sentences · الجمل</th>'
            f'<th>Added · أضيف</th></tr></thead><tbody>{rows}</tbody></table>')


def _document_choices(assistant: Assistant) -> Any:
    choices = [(f"{d.title or d.id} ({d.id})", d.id) for d in assistant.documents()]
    return gr.update(choices=choices, value=None)


# ".txt, .md or .pdf": the types ingest reads, as the upload box and its errors name them.
FILE_TYPES = f"{', '.join(SUPPORTED_SUFFIXES[:-1])} or {SUPPORTED_SUFFIXES[-1]}"


def upload_max_bytes(settings: Settings) -> int:
    """One uploaded file's limit: the setting's, within the limit every ingest keeps."""
    return min(settings.upload_max_bytes, MAX_DOCUMENT_BYTES)


def check_uploads(paths: Sequence[str], settings: Settings) -> list[Path]:
    """The uploaded files, if every one may be stored; otherwise a CorpusError naming the bad one."""
    if not paths:
        raise CorpusError(f"choose one or more {FILE_TYPES} files first")
    if len(paths) > settings.upload_max_files:
        raise CorpusError(f"{len(paths)} files at once is over the limit of {settings.upload_max_files}")
    files = [Path(path) for path in paths]
    for file in files:
        if file.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise CorpusError(f"{file.name}: unsupported file type (use {', '.join(SUPPORTED_SUFFIXES)})")
        size = file.stat().st_size if file.is_file() else -1
        if size < 0:
            raise CorpusError(f"{file.name}: the upload did not arrive; try again")
        if size > upload_max_bytes(settings):
            raise CorpusError(f"{file.name}: {size:,} bytes is over the limit of {upload_max_bytes(settings):,} bytes")
        if size == 0:
            raise CorpusError(f"{file.name}: the file is empty")
    return files


def upload_documents(assistant: Assistant, paths: Sequence[str] | None, progress: Any = None) -> tuple[str, str, Any]:
    """Store the uploaded files (all or none); returns the status, the documents table and the remove choices."""
    if progress is None:  # not "progress or ...": a gr.Progress with nothing tracked has len() 0
        progress = lambda *args, **kwargs: None  # noqa: E731
    paths = [str(path) for path in (paths or [])]
    stored: list[IngestResult] = []
    try:
        files = check_uploads(paths, assistant.settings)
        progress(0.0, desc=f"Reading {len(files)} file(s)…")
        # What will be encoded, for the progress bar (ingest reads the files again: a fraction of the time).
        total = sum(_passages(load_file(file)) for file in files)
        done = [0]

        def on_encoded(count: int) -> None:
            done[0] += count
            progress(min(done[0] / total, 1.0), desc=f"Indexing: {min(done[0], total):,} of {total:,} passages")

        with encoding_progress(on_encoded):
            # Kept in the data dir (the browser's files are temporary); stored in batches, so a failure
            # halfway may come after some of them are.
            assistant.ingest_uploads(*files, on_stored=stored.append)
    except (CorpusError, StoreError, OSError) as error:
        failed = _without_paths(str(error), paths)
    except Exception:
        log.exception("upload of %d files failed", len(paths))
        failed = UNEXPECTED_ERROR
    else:
        return _status(f"Stored: {_stored_names(stored)}", ok=True), render_documents(assistant), _document_choices(assistant)
    message = f"Stored: {_stored_names(stored)}; then stopped: {failed}" if stored else f"Nothing was stored: {failed}"
    return _status(message, ok=False), render_documents(assistant), _document_choices(assistant) if stored else gr.skip()


def _stored_names(results: Sequence[IngestResult]) -> str:
    return ", ".join(f"{r.document_id} ({'added' if r.changed else 'unchanged'})" for r in results)


def _passages(document: Any) -> int:
    """The texts storing ``document`` encodes: each sentence, each paragraph of several, the marker."""
    paragraphs = document.paragraphs()
    return sum(len(p.sentences) + (len(p.sentences) > 1) for p in paragraphs) + 1


@contextlib.contextmanager
def encoding_progress(on_encoded: Callable[[int], None]) -> Iterator[None]:
    """Calls ``on_encoded(n)`` as each batch of n texts is embedded in this thread.

    Through llama-index's instrumentation (its embedding end events), so the store needs no hook.
    """
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    from llama_index.core.instrumentation.events.embedding import EmbeddingEndEvent

    thread = threading.get_ident()

    class _Counter(BaseEventHandler):
        def handle(self, event: Any, **kwargs: Any) -> None:
            if isinstance(event, EmbeddingEndEvent) and threading.get_ident() == thread:
                on_encoded(len(event.chunks))

    dispatcher = get_dispatcher()
    counter = _Counter()
    dispatcher.add_event_handler(counter)
    try:
        yield
    finally:
        dispatcher.event_handlers.remove(counter)


def remove_document(assistant: Assistant, document_id: str | None) -> tuple[str, str, Any]:
    if not document_id:
        return _status("Choose a document to remove first.", ok=False), render_documents(assistant), gr.skip()
    try:
        removed = assistant.remove(document_id)
    except (StoreError, CorpusError) as error:
        return _status(_friendly(error), ok=False), render_documents(assistant), gr.skip()
    except Exception:  # e.g. the sources ledger cannot be written: said in the status line, not lost
        log.exception("removing %r failed", document_id)
        return _status(UNEXPECTED_ERROR, ok=False), render_documents(assistant), gr.skip()
    message = f"Removed: {document_id}" if removed else f"No document {document_id!r} is stored."
    return _status(message, ok=removed), render_documents(assistant), _document_choices(assistant)


def _without_paths(message: str, paths: Sequence[str]) -> str:
    """An error about an upload names the file, not where the server keeps it."""
    for path in paths:
        message = message.replace(str(Path(path).resolve()), Path(path).name).replace(path, Path(path).name)
    return message


# -- export ---------------------------------------------------------------------------------------


# Exports kept in an app's export folder: each answer writes one (the buttons always offer the
# latest), and gradio copies a file into its own cache when it is offered, so older ones are not read
# again. A folder of its own per export, never pruned, left 737 behind in /tmp after a day of tests.
EXPORTS_KEPT = 16


def export_files(conversation: Conversation | None, folder: Path) -> tuple[Any, Any]:
    """The conversation as conversation.md and conversation.json, for the two download buttons;
    written to a new subfolder of ``folder``, of which the ``EXPORTS_KEPT`` newest are kept."""
    if conversation is None or not conversation.turns:
        return gr.update(value=None, interactive=False), gr.update(value=None, interactive=False)
    _prune(folder, EXPORTS_KEPT - 1)
    export = Path(tempfile.mkdtemp(prefix=f"{time.monotonic_ns():020d}-", dir=folder))  # named in order made
    markdown, data = export / "conversation.md", export / "conversation.json"
    markdown.write_text(conversation.to_markdown(), encoding="utf-8")
    data.write_text(conversation.to_json(), encoding="utf-8")
    return gr.update(value=str(markdown), interactive=True), gr.update(value=str(data), interactive=True)


def _prune(folder: Path, keep: int) -> None:
    """Remove all but the ``keep`` newest subfolders of ``folder``."""
    exports = sorted(path for path in folder.iterdir() if path.is_dir())
    for old in exports[: max(len(exports) - keep, 0)]:
        shutil.rmtree(old, ignore_errors=True)


# -- the app --------------------------------------------------------------------------------------


HEADER_HTML = (
    f'<header class="qa-header"><h1><span lang="en" dir="ltr">{html.escape(TITLE_EN)}</span> '
    f'<span class="qa-title-ar" lang="ar" dir="rtl">{html.escape(TITLE_AR)}</span></h1>'
    '<p lang="en" dir="ltr">Answers quote the documents and cite the sentences they rest on; '
    "click a marker like [1] to see the sentence in its paragraph.</p>"
    '<p lang="ar" dir="rtl">تقتبس الإجابات من المستندات وتستشهد بالجمل التي تستند إليها؛ '
    "انقر على علامة مثل [1] لترى الجملة داخل فقرتها.</p></header>"
)


def create_app(assistant: Assistant) -> gr.Blocks:
    """The chat UI over ``assistant`` (warm it up first so no request pays for loading)."""
    # Gradio's copies of uploads and exports: those older than a day are removed every hour.
    with gr.Blocks(title="Cited answers · إجابات موثّقة", analytics_enabled=False,
                   delete_cache=(3600, 86_400)) as demo:
        gr.HTML(HEADER_HTML, elem_id="qa-header")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=360):
                chat = _chat_panel()
                with gr.Accordion("Settings · الإعدادات", open=False, elem_id="qa-settings"):
                    controls = build_settings_controls(assistant.settings)
                with gr.Accordion("Documents · المستندات", open=False, elem_id="qa-documents"):
                    documents = _documents_panel(assistant)
            with gr.Column(scale=1, min_width=320):
                # Scrolls on its own, so following a marker keeps the chat in view.
                sources = gr.HTML(EMPTY_SOURCES_HTML, elem_id="qa-sources-panel", label="Sources · المصادر",
                                  padding=True, max_height=900)
        _answer_questions(assistant, chat, controls, sources)
        _manage_documents(assistant, documents)
        # Documents added or removed in another tab (or by the CLI) show when the page is opened.
        demo.load(lambda: (render_documents(assistant), _document_choices(assistant)), None,
                  [documents["list"], documents["to_remove"]], api_visibility="private", queue=False)

    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=CONCURRENCY_LIMIT)
    _pad_missing_inputs(demo)
    return demo


def _chat_panel() -> dict[str, Any]:
    """The conversation, the question box, the examples and the export buttons."""
    chatbot = gr.Chatbot(
        label="Conversation · المحادثة",
        show_label=False,  # a floating label would cover the first lines
        elem_id="qa-chat",
        height=560,
        render_markdown=False,  # messages are HTML built (and escaped) here
        sanitize_html=True,
        allow_tags=False,
        latex_delimiters=[],
        feedback_options=None,
        buttons=["copy", "copy_all"],
        placeholder=CHAT_PLACEHOLDER,
        group_consecutive_messages=False,
    )
    with gr.Row(equal_height=True):
        question = gr.Textbox(
            elem_id="qa-question",
            show_label=False,
            placeholder="Ask in Arabic or English…  ·  اسأل بالعربية أو بالإنجليزية…",
            lines=1,
            max_lines=6,
            scale=5,
            autofocus=True,
        )
        send = gr.Button("Ask · اسأل", variant="primary", scale=1, min_width=90, elem_id="qa-send")
    examples = gr.Examples(
        examples=[[q] for q in EXAMPLES],
        inputs=[question],
        label="Example questions · أسئلة للتجربة",
        elem_id="qa-examples",
        examples_per_page=len(EXAMPLES),
        api_visibility="private",
    )
    with gr.Row(elem_id="qa-export"):
        export_md = gr.DownloadButton("Export Markdown · تصدير", value=None, interactive=False, size="sm",
                                      elem_id="qa-export-md")
        export_json = gr.DownloadButton("Export JSON", value=None, interactive=False, size="sm",
                                        elem_id="qa-export-json")
    return {"chatbot": chatbot, "question": question, "send": send, "examples": examples,
            "export_md": export_md, "export_json": export_json}


def _documents_panel(assistant: Assistant) -> dict[str, Any]:
    """Upload files, the stored documents, and removing one."""
    settings = assistant.settings
    uploads = gr.File(label=f"Add {FILE_TYPES} files (up to {settings.upload_max_files} at once, "
                            f"{upload_max_bytes(settings) // 1_000_000} MB each)",
                      # No file_types: gradio would drop a wrong file with a toast, before
                      # check_uploads can refuse the whole batch with its own message.
                      file_count="multiple", type="filepath",
                      elem_id="qa-upload")
    add = gr.Button("Add to the documents · أضف", elem_id="qa-upload-add", variant="primary")
    status = gr.HTML("", elem_id="qa-upload-status")
    listed = gr.HTML(render_documents(assistant), elem_id="qa-documents-list")
    with gr.Row(equal_height=True):
        to_remove = gr.Dropdown(choices=_document_choices(assistant)["choices"], value=None,
                                label="Remove a document · احذف مستندًا", elem_id="qa-remove-choice", scale=3)
        remove = gr.Button("Remove · احذف", variant="stop", elem_id="qa-remove", scale=1)
    return {"uploads": uploads, "add": add, "status": status, "list": listed, "to_remove": to_remove,
            "remove": remove}


def _answer_questions(assistant: Assistant, chat: dict[str, Any], controls: dict[str, gr.components.Component],
                      sources: gr.HTML) -> None:
    """The events of the chat panel, and the ``ask`` API endpoint."""
    settings = assistant.settings
    exports = tempfile.TemporaryDirectory(prefix="qa-export-")  # removed with the app (held by its handlers)
    pending = gr.State("")  # the question being answered (None: refused)
    conversation = gr.State(None)  # this tab's Conversation, made at its first question
    busy_since = gr.State(0.0)  # when the turn in progress in this tab started (0: none)
    names = list(controls)
    default_top_k = min(settings.top_k, MAX_TOP_K)

    def respond_fn(question_text: str | None, history: list, current: Conversation | None,
                   *values: Any) -> tuple[Any, ...]:
        current = current or Conversation(assistant)
        turn = answer_turn(current, question_text, history, dict(zip(names, values)))
        # The export files change with the answer, so a download never lags a turn behind.
        return (*turn, current, *export_files(current, Path(exports.name)))

    def clear_fn(current: Conversation | None) -> tuple[Any, ...]:
        if current is not None:
            current.clear()
        return (EMPTY_SOURCES_HTML, current, *export_files(current, Path(exports.name)))

    def ask(question: str, top_k: int = default_top_k, mode: str = settings.retrieval_mode.value) -> dict:
        """Answer a question about the documents in its own language, with cited sentences.

        Args:
            question: the question, in Arabic or English.
            top_k: how many of the best-matching sentences the answer draws on (1-10).
            mode: retrieval mode: hybrid, dense or bm25.
        """
        return api_answer(assistant, question, top_k, mode)

    def accept_fn(question_text: str | None, history: list, since: float) -> tuple[Any, Any, str | None, float]:
        return accept_question(question_text, history, since, max_chars=settings.max_question_chars)

    chatbot, question, exported = chat["chatbot"], chat["question"], [chat["export_md"], chat["export_json"]]
    accept = {"fn": accept_fn, "inputs": [question, chatbot, busy_since],
              "outputs": [chatbot, question, pending, busy_since], "api_visibility": "private",
              "show_progress": "hidden", "concurrency_limit": None}  # instant: never waits for answers
    respond = {"fn": respond_fn, "inputs": [pending, chatbot, conversation, *controls.values()],
               "outputs": [chatbot, sources, busy_since, conversation, *exported],
               "api_visibility": "private", "concurrency_limit": CONCURRENCY_LIMIT,
               "concurrency_id": CONCURRENCY_ID}
    question.submit(**accept).then(**respond)
    chat["send"].click(**accept).then(**respond)
    # Clicking an example asks it straight away.
    chat["examples"].load_input_event.then(**accept).then(**respond)
    # The chat's own clear (trash) button starts a new conversation: empty the panel too.
    chatbot.clear(clear_fn, [conversation], [sources, conversation, *exported], queue=False,
                  api_visibility="private")
    gr.api(ask, api_name="ask", concurrency_limit=CONCURRENCY_LIMIT, concurrency_id=CONCURRENCY_ID)


def _manage_documents(assistant: Assistant, documents: dict[str, Any]) -> None:
    """Uploads store the files (none when one is bad); removal is by id. Both queue in their own group,
    one at a time, so that answering goes on meanwhile."""

    def upload_fn(paths: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, str, Any]:
        return upload_documents(assistant, paths, progress)

    def remove_fn(document_id: str | None) -> tuple[str, str, Any]:
        return remove_document(assistant, document_id)

    outputs = [documents["status"], documents["list"], documents["to_remove"]]
    documents["add"].click(upload_fn, [documents["uploads"]], outputs, api_visibility="private", concurrency_limit=1,
                           concurrency_id="documents", show_progress_on=[documents["list"]])
    documents["remove"].click(remove_fn, [documents["to_remove"]], outputs, api_visibility="private",
                              concurrency_limit=1, concurrency_id="documents")


def _pad_missing_inputs(demo: gr.Blocks) -> None:
    """A raw call with too few values gets them as None, so that the handler answers with a clear
    error (e.g. "the question is missing"). Gradio would raise a ValueError that echoes every value
    received into the log and answer ``{"error": null}``."""

    def pad(block_fn: Any, inputs: list[Any]) -> None:
        inputs.extend([None] * (len(block_fn.inputs) - len(inputs)))

    demo.validate_inputs = pad  # type: ignore[method-assign] - per instance; gradio calls it before preprocessing


def launch_options(settings: Settings | None = None) -> dict[str, Any]:
    """``launch()`` keyword arguments: the look (theme and CSS are launch arguments in gradio 6) and
    the request size limits, an upload's from ``settings`` (the defaults when None).

    Only installed fonts are used (Arabic gets its own stack in style.css): nothing is fetched
    from the internet.
    """
    theme = gr.themes.Soft(
        primary_hue="teal",
        # System fonts only: gradio's bundled woff2 files are partial subsets, and web fonts would
        # need the internet. Arabic text gets its own stack in style.css.
        font=["system-ui", "Noto Sans", "DejaVu Sans", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "Noto Sans Mono", "DejaVu Sans Mono", "monospace"],
    )
    from starlette.middleware import Middleware

    from assistant import Settings

    from .http_limits import RequestSizeLimit, upload_request_bytes

    # The browser sends every file chosen at once in one request.
    settings = settings or Settings()
    limit = upload_request_bytes(settings.upload_max_files, upload_max_bytes(settings))
    return {"theme": theme, "css": STYLE_PATH.read_text(encoding="utf-8"), "footer_links": ["api", "settings"],
            "app_kwargs": {"middleware": [Middleware(RequestSizeLimit, max_upload_bytes=limit)]}}


def serve(assistant: Assistant, *, host: str = "127.0.0.1", port: int = 7860, **kwargs: Any):
    """Build the app over ``assistant`` and launch it (blocking unless ``prevent_thread_lock``)."""
    demo = create_app(assistant)
    return demo, demo.launch(server_name=host, server_port=port, **{**launch_options(assistant.settings), **kwargs})


__all__: Sequence[str] = [
    "EXAMPLES",
    "EXPORTS_KEPT",
    "accept_question",
    "answer_question",
    "answer_turn",
    "api_answer",
    "ask_options",
    "build_settings_controls",
    "create_app",
    "launch_options",
    "render_answer",
    "render_error",
    "render_question",
    "render_documents",
    "render_sources",
    "render_sources_history",
    "remove_document",
    "upload_documents",
    "check_uploads",
    "export_files",
    "serve",
    "text_direction",
]
