"""The composition root: ``build_assistant(settings)`` wires every stage; UI, CLI, API and eval use it.

corpus -> segmentation -> embedding -> store -> retrieval -> answer
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .answer import Answerer, ExtractiveAnswerer
from .corpus import SUPPORTED_SUFFIXES, CorpusError, Document, load_corpus, load_file
from .embedding import embedding_model_id, load_embed_model
from .normalize import answer_language
from .retrieval import FusionWeights, HybridRetriever, build_bm25
from .settings import RetrievalMode, Settings
from .store import DocumentInfo, IndexParams, SentenceStore
from .types import KIND_PARAGRAPH, KIND_RENDERING, KIND_SENTENCE, Answer

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.schema import TextNode

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


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


class Assistant:
    """Answers questions about the stored documents. Construction is free; ``warm_up`` loads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._embed_model: BaseEmbedding | None = None
        self._store: SentenceStore | None = None
        self._index: _Index | None = None
        self._lock = threading.RLock()

    # -- lifecycle ------------------------------------------------------------------------------

    def warm_up(self) -> Assistant:
        """Load the model, open the store (filling it from the corpus when empty), build retrievers."""
        with self._lock:
            if self._index is None:
                self._embed_model = load_embed_model(self.settings)
                self._store = SentenceStore(self.settings, IndexParams(embedding_model_id(self.settings)))
                if self._store.count() == 0 and (self.settings.corpus_dir / "manifest.json").exists():
                    for document in load_corpus(self.settings.corpus_dir):
                        self._store.add_document(document, self._embed_model)
                self._index = self._build_index()
        return self

    def _build_index(self) -> _Index:
        store, embed_model = self._store, self._embed_model
        assert store is not None and embed_model is not None
        nodes = store.nodes(KIND_SENTENCE, KIND_RENDERING, KIND_PARAGRAPH)
        sentences = [n for n in nodes if n.metadata["kind"] == KIND_SENTENCE]
        searchable = [n for n in nodes if n.metadata["kind"] != KIND_PARAGRAPH]
        bm25 = build_bm25(searchable, self.settings.candidates) if searchable else None
        retrievers = {
            mode: HybridRetriever(store.vector_store, embed_model, sentences, bm25,
                                  FusionWeights.for_mode(mode), self.settings.candidates)
            for mode in RetrievalMode
        }
        paragraphs = {(n.metadata["document_id"], n.metadata["paragraph_id"]): n
                      for n in nodes if n.metadata["kind"] == KIND_PARAGRAPH}
        return _Index(sentences, paragraphs, retrievers)

    # -- questions ------------------------------------------------------------------------------

    def ask(self, question: str, top_k: int | None = None, mode: RetrievalMode | None = None) -> Answer:
        """Answer ``question`` in its own language, citing the sentences it rests on."""
        started = time.perf_counter()
        question = self._clean(question)
        index = self.warm_up()._index
        assert index is not None
        language = answer_language(question)
        retriever = index.retrievers[mode or self.settings.retrieval_mode]
        hits = retriever.retrieve(question) if index.sentences else []
        retrieved = time.perf_counter()
        answerer = self._answerer(index, top_k or self.settings.top_k)
        draft = answerer.answer(question, language, hits)
        done = time.perf_counter()
        return Answer(
            question=question,
            text=draft.text,
            language=language.value,
            citations=draft.citations,
            abstained=draft.abstained,
            timings_ms={"retrieve": _ms(started, retrieved), "answer": _ms(retrieved, done),
                        "total": _ms(started, done)},
            note=draft.note,
        )

    def _answerer(self, index: _Index, top_k: int) -> Answerer:
        return ExtractiveAnswerer(index.paragraphs, self.settings.abstain_threshold, top_k)

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
        if not any(ch.isalnum() for ch in question):
            raise QuestionError("the question has no words in it")
        return question

    # -- documents ------------------------------------------------------------------------------

    def ingest(self, *paths: Path) -> list[IngestResult]:
        """Add or replace the documents in ``paths`` (files or folders); unchanged ones are skipped."""
        documents = [load_file(path) for path in _expand(paths)]
        changed = self.ingest_documents(documents)
        return [IngestResult(doc.id, doc.source, flag) for doc, flag in zip(documents, changed)]

    def ingest_documents(self, documents: list[Document]) -> list[bool]:
        """Add already-loaded documents (used by benchmarks and tests with generated text)."""
        self.warm_up()
        with self._lock:
            assert self._store is not None and self._embed_model is not None
            changed = [self._store.add_document(doc, self._embed_model) for doc in documents]
            if any(changed):
                self._index = self._build_index()
        return changed

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


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise CorpusError(f"{path}: no such file or directory")
    return files


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000, 2)
