"""LLM answer backends: a model writes the answer from numbered sources; ``verify`` decides what is shown.

Backends are llama-index LLM integrations, made by ``make_llm(settings)``:

- ``openai``: any OpenAI-compatible server (vLLM, LM Studio, llama.cpp's server, Ollama's /v1, the
  OpenAI API) through ``OpenAILike``;
- ``ollama``: an Ollama server through ``llama_index.llms.ollama.Ollama``;
- ``llamacpp``: a local GGUF file through ``LlamaCPP`` (optional extra ``.[llamacpp]``).

The prompt is a versioned template in ``prompts/`` (system rules, then a user message that holds
the numbered sources and the question between delimiters). Whatever the model returns is verified
(``verify.verify_answer``); when nothing verifiable is left, when the model answers in the wrong
language, or when the backend fails in any way, the extractive answer is shown with a note saying
why. A citation is only ever built from a retrieved corpus sentence, never from model text.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from .answer import ABSTENTION, Draft, ExtractiveAnswerer
from .normalize import Language, answer_language
from .settings import PROJECT_ROOT, AnswerBackend, Settings
from .verify import Verified, says_unanswerable, strip_thinking, verify_answer

if TYPE_CHECKING:
    from llama_index.core.llms import LLM
    from llama_index.core.schema import NodeWithScore, TextNode

PROMPTS_DIR = PROJECT_ROOT / "prompts"
PROMPT_VERSION = "v2"
# How many retrieved sentences the model sees: at least this many, or twice top_k (list questions
# need their items: the four working groups rank 1st to 8th for "what are the working groups?").
MIN_SOURCES = 8
MAX_ANSWER_TOKENS = 512
CONTEXT_WINDOW = 4096
LOCAL_API_KEY = "not-needed"  # local OpenAI-compatible servers want some key, and check none
OPENAI_DEFAULT_URL = "https://api.openai.com/v1"
OLLAMA_DEFAULT_URL = "http://localhost:11434"
LLAMACPP_EXTRA_HINT = (
    "the llamacpp backend needs the optional extra: pip install -e '.[llamacpp]' "
    "(it builds llama-cpp-python, which takes several minutes)"
)

_PLACEHOLDER = re.compile(r"\{(question|sources|abstention)\}")
_SECTION = re.compile(r"^### (system|user)\s*$", re.MULTILINE)
_DELIMITER_TAG = re.compile(r"<\s*/?\s*(sources?|question)\s*>", re.IGNORECASE)
_LANGUAGE_NAME = {Language.ARABIC: "Arabic", Language.ENGLISH: "English"}


class LLMConfigError(ValueError):
    """The LLM backend is not configured well enough to be built; the message says what is missing."""


# -- prompts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerPrompt:
    """A versioned answer prompt: system rules and a user template (``prompts/answer.<v>.<lang>.txt``)."""

    version: str
    language: Language
    system: str
    user: str

    def messages(self, question: str, sources: Sequence[str]) -> list[ChatMessage]:
        """System rules first; the numbered sources and the question only in the user message."""
        values = {
            "question": _as_data(question),
            "sources": "\n".join(f"[{n}] {_as_data(text)}" for n, text in enumerate(sources, start=1)),
            "abstention": ABSTENTION[self.language],
        }

        def fill(template: str) -> str:  # one pass: a "{sources}" inside the question stays text
            return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)

        return [ChatMessage(role=MessageRole.SYSTEM, content=fill(self.system)),
                ChatMessage(role=MessageRole.USER, content=fill(self.user))]


@functools.cache
def load_prompt(language: Language, version: str = PROMPT_VERSION, directory: Path = PROMPTS_DIR) -> AnswerPrompt:
    """Read ``answer.<version>.<language>.txt``: comment lines, ``### system``, then ``### user``."""
    path = Path(directory) / f"answer.{version}.{Language(language).value}.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise LLMConfigError(f"cannot read the prompt {path}: {error.strerror}") from None
    parts = _SECTION.split(text)
    sections = dict(zip(parts[1::2], (p.strip() for p in parts[2::2])))
    if set(sections) != {"system", "user"} or "{question}" not in sections["user"] \
            or "{sources}" not in sections["user"]:
        raise LLMConfigError(f"{path} needs a '### system' and a '### user' section; the user "
                             "section needs {question} and {sources}")
    return AnswerPrompt(version, Language(language), sections["system"], sections["user"])


def _as_data(text: str) -> str:
    """One line of text that cannot close the delimiters around it."""
    return " ".join(_DELIMITER_TAG.sub(" ", text).split())


# -- backends ------------------------------------------------------------------------------------


def make_llm(settings: Settings, backend: AnswerBackend | str | None = None) -> LLM:
    """The llama-index LLM for ``backend`` (default: ``settings.answer_backend``)."""
    backend = AnswerBackend(backend or settings.answer_backend)
    if backend is AnswerBackend.OPENAI:
        from llama_index.llms.openai_like import OpenAILike

        options = {"api_base": settings.llm_base_url} if settings.llm_base_url else {}
        return OpenAILike(
            model=_model_name(settings, backend),
            api_key=os.environ.get(settings.llm_api_key_env) or LOCAL_API_KEY,
            timeout=settings.llm_timeout,
            max_retries=0,
            is_chat_model=True,
            is_function_calling_model=False,
            temperature=0.0,
            max_tokens=MAX_ANSWER_TOKENS,
            context_window=CONTEXT_WINDOW,
            **options,
        )
    if backend is AnswerBackend.OLLAMA:
        from llama_index.llms.ollama import Ollama

        return Ollama(
            model=_model_name(settings, backend),
            base_url=settings.llm_base_url or OLLAMA_DEFAULT_URL,
            request_timeout=settings.llm_timeout,
            temperature=0.0,
            context_window=CONTEXT_WINDOW,
            additional_kwargs={"num_predict": MAX_ANSWER_TOKENS},
        )
    if backend is AnswerBackend.LLAMACPP:
        path = gguf_path(settings)
        try:
            from llama_index.llms.llama_cpp import LlamaCPP
        except ImportError:
            raise LLMConfigError(LLAMACPP_EXTRA_HINT) from None
        # A model path is always given: without one, LlamaCPP would download a model.
        return LlamaCPP(model_path=str(path), temperature=0.0, max_new_tokens=MAX_ANSWER_TOKENS,
                        context_window=CONTEXT_WINDOW, verbose=False)
    raise LLMConfigError(f"the {backend.value} backend uses no LLM")


def gguf_path(settings: Settings) -> Path:
    """The GGUF file for llamacpp: ``llamacpp_model_path``, or ``llm_model`` when it names a .gguf."""
    path = settings.llamacpp_model_path
    if path is None and settings.llm_model.lower().endswith(".gguf"):
        path = Path(settings.llm_model)
    if path is None:
        raise LLMConfigError("the llamacpp backend needs a GGUF file: set ASSISTANT_LLAMACPP_MODEL_PATH "
                             "or pass --llm-model /path/to/model.gguf")
    if not Path(path).is_file():
        raise LLMConfigError(f"the GGUF file {path} does not exist")
    return Path(path)


def describe_backend(settings: Settings, backend: AnswerBackend | str | None = None) -> str:
    """How notes name the backend: "The LLM backend at http://127.0.0.1:8080/v1"."""
    backend = AnswerBackend(backend or settings.answer_backend)
    if backend is AnswerBackend.OLLAMA:
        return f"The Ollama server at {settings.llm_base_url or OLLAMA_DEFAULT_URL}"
    if backend is AnswerBackend.LLAMACPP:
        name = settings.llamacpp_model_path or settings.llm_model
        return f"The local model {Path(str(name)).name}"
    return f"The LLM backend at {settings.llm_base_url or OPENAI_DEFAULT_URL}"


def llm_cache_key(settings: Settings, backend: AnswerBackend | str | None = None) -> tuple[str, ...]:
    """What identifies one LLM object: backend, where it is, which model (and its limits)."""
    backend = AnswerBackend(backend or settings.answer_backend)
    return (backend.value, settings.llm_base_url, settings.llm_model, str(settings.llamacpp_model_path or ""),
            str(settings.llm_timeout), settings.llm_api_key_env)


def _model_name(settings: Settings, backend: AnswerBackend) -> str:
    if not settings.llm_model:
        raise LLMConfigError(f"the {backend.value} backend needs a model name: set ASSISTANT_LLM_MODEL "
                             "or pass --llm-model")
    return settings.llm_model


def describe_failure(error: BaseException, where: str, timeout: float) -> str:
    """A readable reason for a failed call to the backend (time-out, refused, HTTP error, junk)."""
    import httpx

    chain = _causes(error)
    timeouts: tuple[type[BaseException], ...] = (TimeoutError, httpx.TimeoutException)
    connection: tuple[type[BaseException], ...] = (ConnectionError, httpx.TransportError)
    try:
        import openai

        timeouts += (openai.APITimeoutError,)
        connection += (openai.APIConnectionError,)
    except ImportError:  # pragma: no cover - openai comes with the openai-like integration
        pass
    if any(isinstance(e, timeouts) for e in chain):
        return f"{where} did not answer in {timeout:g} s"
    status = next((e.status_code for e in chain if isinstance(getattr(e, "status_code", None), int)
                   and e.status_code >= 400), None)
    if status is not None:
        return f"{where} answered with HTTP error {status}"
    if any(isinstance(e, connection) for e in chain):
        return f"{where} could not be reached ({chain[-1]})"
    return f"{where} sent a response that could not be read ({type(error).__name__})"


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


# -- the answerer --------------------------------------------------------------------------------


class _Overtime(Exception):
    """The streamed answer went on past the time limit."""


class LLMAnswerer:
    """An ``Answerer`` whose answer an LLM writes and ``verify`` checks; extractive when that fails."""

    def __init__(
        self,
        llm: LLM,
        paragraphs: Mapping[tuple[str, str], TextNode],
        top_k: int,
        *,
        where: str = "The LLM backend",
        timeout: float = 60.0,
        prompt_version: str = PROMPT_VERSION,
    ) -> None:
        self._llm = llm
        self._extractive = ExtractiveAnswerer(paragraphs, top_k)
        self._sources = max(MIN_SOURCES, 2 * top_k)
        self._where = where
        self._timeout = timeout
        self._prompt_version = prompt_version

    def answer(self, question: str, language: Language, hits: list[NodeWithScore]) -> Draft:
        """The verified answer (one non-streaming request)."""
        draft = None
        for step in self._steps(question, language, hits, streaming=False):
            if isinstance(step, Draft):
                draft = step
        assert draft is not None
        return draft

    def stream(self, question: str, language: Language, hits: list[NodeWithScore]) -> Iterator[str | Draft]:
        """The model's raw text in chunks as it arrives (unverified), then the verified ``Draft``, last."""
        return self._steps(question, language, hits, streaming=True)

    def _steps(self, question: str, language: Language, hits: list[NodeWithScore],
               streaming: bool) -> Iterator[str | Draft]:
        if not hits:
            yield self._extractive.abstain(language, hits)
            return
        sources = hits[: self._sources]
        english = language is Language.ENGLISH
        shown = [(english and hit.node.metadata.get("translation")) or hit.node.get_content() for hit in sources]
        messages = load_prompt(language, self._prompt_version).messages(question, shown)
        parts: list[str] = []
        try:
            for chunk in self._generate(messages, streaming):
                parts.append(chunk)
                yield chunk
        except _Overtime:
            yield self._fallback(question, language, hits, f"{self._where} did not finish in {self._timeout:g} s")
            return
        except Exception as error:  # noqa: BLE001 - whatever the backend does, the user gets an answer
            yield self._fallback(question, language, hits, describe_failure(error, self._where, self._timeout))
            return
        yield self._verified(question, language, hits, sources, "".join(parts))

    def _generate(self, messages: list[ChatMessage], streaming: bool) -> Iterator[str]:
        if not streaming:
            yield self._llm.chat(messages).message.content or ""
            return
        deadline = time.monotonic() + self._timeout
        responses = self._llm.stream_chat(messages)
        finished = False
        try:
            for response in responses:
                if response.delta:
                    yield response.delta
                if time.monotonic() > deadline:
                    raise _Overtime
            finished = True
        finally:
            close = getattr(responses, "close", None)
            if close is not None:
                close()
            if not finished:
                # A stream cut short (too long, or its reader gone) leaves the OpenAI client's stream in a
                # reference cycle with its generator: left to the collector, its finaliser closed the HTTP
                # response in the middle of a later request, inside the connection pool's lock (httpcore's
                # is not re-entrant), and waited on it for ever (a CI run hung in test_llm.py). Collected
                # here, it closes now.
                gc.collect()

    def _verified(self, question: str, language: Language, hits: list[NodeWithScore],
                  sources: list[NodeWithScore], raw: str) -> Draft:
        text = strip_thinking(raw).strip()
        if not text:
            return self._fallback(question, language, hits, f"{self._where} returned an empty answer")
        verified = verify_answer(text, sources)
        if not verified.cited:
            if says_unanswerable(text, ABSTENTION.values()):
                return self._extractive.abstain(language, hits)
            reason = ("cited no source that supports its answer" if verified.had_markers
                      else "did not cite its sources as [n]")
            return self._fallback(question, language, hits, f"{self._where} {reason}")
        written = answer_language(verified.plain)
        if written is not language:
            return self._fallback(question, language, hits, f"{self._where} answered in "
                                  f"{_LANGUAGE_NAME[written]}, not in {_LANGUAGE_NAME[language]}")
        citations = tuple(self._extractive._citation(n, hit) for n, hit in enumerate(verified.cited, start=1))
        return Draft(verified.text, citations, abstained=False, note=_removal_note(verified))

    def abstain(self, language: Language, hits: list[NodeWithScore]) -> Draft:
        return self._extractive.abstain(language, hits)

    def _fallback(self, question: str, language: Language, hits: list[NodeWithScore], reason: str) -> Draft:
        draft = self._extractive.answer(question, language, hits)
        note = f"{reason}; showing the extractive answer."
        return dataclasses.replace(draft, note=f"{note} {draft.note}".strip())


def _removal_note(verified: Verified) -> str:
    removed = []
    if verified.unknown:
        removed.append(f"{verified.unknown} pointing to no source")
    if verified.unsupported:
        removed.append(f"{verified.unsupported} to a sentence that does not support the claim")
    notes = []
    if removed:
        notes.append(f"Citations removed from the LLM answer: {', '.join(removed)}.")
    if verified.uncited:
        notes.append(f"{verified.uncited} sentence(s) of the answer cite no supporting source.")
    return " ".join(notes)
