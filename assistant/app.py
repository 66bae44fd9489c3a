"""The composition root: ``build_assistant(settings)`` wires every stage; UI, CLI, API and eval use it.

corpus -> segmentation -> embedding -> store -> retrieval -> answer
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answer import Answerer, Draft, ExtractiveAnswerer
from .corpus import MANIFEST, SUPPORTED_SUFFIXES, CorpusError, Document, load_corpus, load_file
from .embedding import embedding_model_id, load_embed_model
from .normalize import answer_language, fold_marks, normalize
from .retrieval import FusionWeights, HybridRetriever, build_bm25
from .settings import AnswerBackend, RetrievalMode, Settings
from .store import DocumentInfo, IndexParams, SentenceStore, store_errors
from .types import KIND_PARAGRAPH, KIND_RENDERING, KIND_SENTENCE, Answer

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.schema import NodeWithScore, TextNode

# How often a request checks that the store has not changed under the in-memory index.
STALE_CHECK_SECONDS = 1.0
# Controls, bidi embeddings/overrides/isolates, and lone surrogates (valid in a Python str or JSON
# "\ud800", not encodable as UTF-8: the tokenizer would fail on them).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class QuestionError(ValueError):
    """The question cannot be asked as it is; the message says why."""


@dataclass(frozen=True)
class IngestResult:
    document_id: str
    source: str
    changed: bool


@dataclass
class _Index:
    """Everything derived from the store's contents; replaced whole after an ingest."""

    sentences: list[TextNode]
    paragraphs: dict[tuple[str, str], TextNode]
    retrievers: dict[RetrievalMode, HybridRetriever]
    version: frozenset[tuple[str, str]]  # the store's contents this was built from
    checked_at: float = 0.0
    _by_ref: dict[tuple[str, str], TextNode] = field(default_factory=dict)
    _next: dict[tuple[str, str], tuple[str, str]] | None = None

    def sentence(self, document_id: str, sentence_id: str) -> TextNode | None:
        if not self._by_ref:
            self._by_ref.update({(n.metadata["document_id"], n.metadata["sentence_id"]): n for n in self.sentences})
        return self._by_ref.get((document_id, sentence_id))

    def next_sentences(self) -> dict[tuple[str, str], tuple[str, str]]:
        if self._next is None:
            ordered = sorted(self.sentences, key=lambda n: (n.metadata["document_id"], int(n.metadata["start"])))
            refs = [(n.metadata["document_id"], n.metadata["sentence_id"]) for n in ordered]
            self._next = {ref: following for ref, following in zip(refs, refs[1:]) if ref[0] == following[0]}
        return self._next


class Assistant:
    """Answers questions about the stored documents. Construction is free; ``warm_up`` loads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._embed_model: BaseEmbedding | None = None
        self._store: SentenceStore | None = None
        self._index: _Index | None = None
        self._llms: dict[tuple[str, ...], Any] = {}  # LLM objects, made on first use
        self._lock = threading.RLock()

    # -- lifecycle ------------------------------------------------------------------------------

    def warm_up(self) -> Assistant:
        """Load the model, open the store (filling it from the corpus when empty), build retrievers."""
        if self._index is not None:  # warm: no lock, so that questions are not queued behind an ingest
            return self
        with self._lock:
            if self._index is None:
                # The store first: a mismatched index is refused before seconds of model loading.
                self._store = SentenceStore(self.settings, IndexParams(embedding_model_id(self.settings)))
                empty = self._store.count() == 0
                self._embed_model = load_embed_model(self.settings)
                if empty and (self.settings.corpus_dir / MANIFEST).exists():
                    for document in load_corpus(self.settings.corpus_dir):
                        self._store.add_document(document, self._embed_model)
                self._index = self._build_index()
        return self

    def _build_index(self) -> _Index:
        store, embed_model = self._store, self._embed_model
        assert store is not None and embed_model is not None
        version = store.version()
        nodes = store.nodes(KIND_SENTENCE, KIND_RENDERING, KIND_PARAGRAPH)
        sentences = [n for n in nodes if n.metadata["kind"] == KIND_SENTENCE]
        searchable = [n for n in nodes if n.metadata["kind"] != KIND_PARAGRAPH]
        bm25 = build_bm25(searchable, self.settings.candidates) if searchable else None
        hybrid = HybridRetriever(store.vector_store, embed_model, sentences, bm25,
                                 FusionWeights.for_mode(RetrievalMode.HYBRID), self.settings.candidates,
                                 searchable=searchable)
        retrievers = {mode: hybrid.with_weights(FusionWeights.for_mode(mode)) for mode in RetrievalMode}
        paragraphs = {(n.metadata["document_id"], n.metadata["paragraph_id"]): n
                      for n in nodes if n.metadata["kind"] == KIND_PARAGRAPH}
        return _Index(sentences, paragraphs, retrievers, version, checked_at=time.monotonic())

    def _current_index(self) -> _Index:
        """The in-memory index, rebuilt when the store changed under it (another process ingested)."""
        self.warm_up()
        index = self._index
        assert index is not None
        # A busy lock means an ingest (or rebuild) is running in this process and replaces the index
        # when it is done; meanwhile questions are answered from the complete documents, not queued.
        if time.monotonic() - index.checked_at >= STALE_CHECK_SECONDS and self._lock.acquire(blocking=False):
            try:
                if self._store is not None and self._index is not None:
                    if self._store.version() != self._index.version:
                        self._index = self._build_index()
                    self._index.checked_at = time.monotonic()
                    index = self._index
            finally:
                self._lock.release()
        return index

    # -- questions ------------------------------------------------------------------------------

    def ask(self, question: str, top_k: int | None = None, mode: RetrievalMode | None = None,
            backend: AnswerBackend | str | None = None, *,
            ranking: Mapping[tuple[str, str], float] | None = None) -> Answer:
        """Answer ``question`` in its own language, citing the sentences it rests on.

        ``backend`` overrides ``settings.answer_backend`` for this call (an LLM backend still takes
        its URL and model from the settings). ``ranking`` ({(document_id, sentence_id): score})
        replaces retrieval: a conversation answers a follow-up from scores fused with its history.
        """
        *_, answer = self._steps(question, top_k, mode, backend, streaming=False, ranking=ranking)
        return answer

    def ask_stream(self, question: str, top_k: int | None = None, mode: RetrievalMode | None = None,
                   backend: AnswerBackend | str | None = None, *,
                   ranking: Mapping[tuple[str, str], float] | None = None) -> Iterator[str | Answer]:
        """``ask`` as it is written: the LLM's raw text in chunks, then the verified ``Answer``.

        The chunks are unverified (they may hold markers that verification removes): show them as
        provisional and replace them with the final ``Answer``, which always comes last, once. The
        extractive backend yields only the ``Answer``.
        """
        self._clean(question)  # a bad question raises here, not at the first chunk
        return self._steps(question, top_k, mode, backend, streaming=True, ranking=ranking)

    def _steps(self, question: str, top_k: int | None, mode: RetrievalMode | None,
               backend: AnswerBackend | str | None, streaming: bool,
               ranking: Mapping[tuple[str, str], float] | None = None) -> Iterator[str | Answer]:
        started = time.perf_counter()
        question = self._clean(question)
        index = self._current_index()
        language = answer_language(question)
        retriever = index.retrievers[mode or self.settings.retrieval_mode]
        query = fold_marks(question)  # vowelled or Persian-spelled, it is matched as the corpus is written
        if ranking is not None:
            hits = _ranked_hits(index, ranking)
        else:
            with store_errors(self.settings):
                hits = retriever.retrieve(query) if index.sentences else []
        retrieved = time.perf_counter()
        answerer = self._answerer(index, top_k or self.settings.top_k, backend)
        stream = getattr(answerer, "stream", None) if streaming else None
        draft = None
        for step in stream(query, language, hits) if stream else [answerer.answer(query, language, hits)]:
            if isinstance(step, Draft):
                draft = step
            else:
                yield step
        assert draft is not None
        done = time.perf_counter()
        yield Answer(
            question=question,
            text=draft.text,
            language=language.value,
            citations=draft.citations,
            abstained=draft.abstained,
            timings_ms={"retrieve": _ms(started, retrieved), "answer": _ms(retrieved, done),
                        "total": _ms(started, done)},
            note=draft.note,
        )

    def retrieve(self, question: str, mode: RetrievalMode | None = None) -> list[tuple[str, str, float]]:
        """The full ranking ``ask`` answers from: (document_id, sentence_id, score), best first."""
        question = self._clean(question)
        index = self._current_index()
        retriever = index.retrievers[mode or self.settings.retrieval_mode]
        with store_errors(self.settings):
            hits = retriever.retrieve(fold_marks(question)) if index.sentences else []
        return [(h.node.metadata["document_id"], h.node.metadata["sentence_id"], float(h.score or 0.0)) for h in hits]

    def next_sentences(self) -> dict[tuple[str, str], tuple[str, str]]:
        """(document_id, sentence_id) -> the sentence that follows it in its document."""
        return self._current_index().next_sentences()

    def _answerer(self, index: _Index, top_k: int, backend: AnswerBackend | str | None = None) -> Answerer:
        backend = AnswerBackend(backend or self.settings.answer_backend)
        if backend is AnswerBackend.EXTRACTIVE:
            return ExtractiveAnswerer(index.paragraphs, self.settings.abstain_threshold, top_k)
        from .llm import LLMAnswerer, describe_backend

        return LLMAnswerer(self._llm(backend), index.paragraphs, self.settings.abstain_threshold, top_k,
                           where=describe_backend(self.settings, backend), timeout=self.settings.llm_timeout)

    def _llm(self, backend: AnswerBackend) -> Any:
        """The LLM object for ``backend``: made on first use, then kept (per backend, URL and model)."""
        from .llm import llm_cache_key, make_llm

        key = llm_cache_key(self.settings, backend)
        with self._lock:
            if key not in self._llms:
                self._llms[key] = make_llm(self.settings, backend)
            return self._llms[key]

    def _clean(self, question: str) -> str:
        if not isinstance(question, str):
            raise QuestionError("the question must be text")
        question = _CONTROL.sub(" ", question).strip()
        if not question:
            raise QuestionError("the question is empty: type a question about the article")
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(
                f"the question is {len(question)} characters long; the limit is "
                f"{self.settings.max_question_chars}"
            )
        if not any(ch.isalnum() for ch in normalize(question)):  # tatweel alone is "alphanumeric"
            raise QuestionError("the question has no words in it")
        return question

    # -- documents ------------------------------------------------------------------------------

    def ingest(self, *paths: Path, on_stored: Callable[[IngestResult], None] | None = None) -> list[IngestResult]:
        """Add or replace the documents in ``paths`` (files or folders); unchanged ones are skipped.

        Every file is read and checked before anything is stored, so one bad file stores nothing.
        """
        documents = _load_documents(paths)
        _refuse_duplicate_ids(documents)
        report = (lambda doc, changed: on_stored(IngestResult(doc.id, doc.source, changed))) if on_stored else None
        changed = self.ingest_documents(documents, on_stored=report)
        return [IngestResult(doc.id, doc.source, flag) for doc, flag in zip(documents, changed)]

    def ingest_documents(self, documents: list[Document],
                         on_stored: Callable[[Document, bool], None] | None = None) -> list[bool]:
        """Add already-loaded documents; ``on_stored`` hears of each one as it is stored."""
        self.warm_up()
        changed = []
        with self._lock:
            assert self._store is not None and self._embed_model is not None
            for document in documents:
                changed.append(self._store.add_document(document, self._embed_model))
                if on_stored:
                    on_stored(document, changed[-1])
            if any(changed):
                self._index = self._build_index()
        return changed

    def rebuild(self) -> list[IngestResult]:
        """Drop the index and build it again: the corpus, then every ingested file still on disk.

        The way out when the index is damaged or was built with another model or segmenter.
        """
        with self._lock:
            sources = SentenceStore(self.settings, IndexParams(embedding_model_id(self.settings))).drop()
            self._index = None
            self._store = None
            self.warm_up()
        return self.ingest(*[Path(source) for source in sources if Path(source).is_file()])

    def documents(self) -> list[DocumentInfo]:
        self.warm_up()
        assert self._store is not None
        return self._store.documents()

    def remove(self, document_id: str) -> bool:
        self.warm_up()
        with self._lock:
            assert self._store is not None
            removed = self._store.remove_document(document_id)
            if removed:
                self._index = self._build_index()
        return removed


def build_assistant(settings: Settings | None = None) -> Assistant:
    """The one place the assistant is put together (cheap: call ``warm_up`` to load models)."""
    from .settings import load_settings

    return Assistant(settings or load_settings())


def _load_documents(paths: tuple[Path, ...]) -> list[Document]:
    """The documents in ``paths``: a folder with a manifest.json is a corpus (its manifest says
    what is in it and carries the translations); any other folder is searched recursively."""
    documents: list[Document] = []
    for path in map(Path, paths):
        if (path / MANIFEST).is_file():
            documents.extend(load_corpus(path))
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
            documents.extend(load_file(file) for file in files)
        elif path.is_file():
            documents.append(load_file(path))
        else:
            raise CorpusError(f"{path}: no such file or directory")
    return documents


def _refuse_duplicate_ids(documents: list[Document]) -> None:
    seen: dict[str, str] = {}
    for document in documents:
        if document.id in seen:
            raise CorpusError(f"{seen[document.id]} and {document.source} would both be document "
                              f"{document.id!r}: rename one of them")
        seen[document.id] = document.source


def _ranked_hits(index: _Index, ranking: Mapping[tuple[str, str], float]) -> list[NodeWithScore]:
    from llama_index.core.schema import NodeWithScore

    hits = [NodeWithScore(node=node, score=score) for (document, sentence), score in ranking.items()
            if (node := index.sentence(document, sentence)) is not None]
    return sorted(hits, key=lambda hit: hit.score or 0.0, reverse=True)


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000, 2)
