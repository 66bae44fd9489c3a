"""The composition root: ``build_assistant(settings)`` wires every stage; UI, CLI, API and eval use it.

corpus -> segmentation -> embedding -> store -> retrieval -> answer
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answer import Answerer, Draft, ExtractiveAnswerer
from .corpus import MANIFEST, SUPPORTED_SUFFIXES, CorpusError, Document, load_corpus, load_file
from .cross_language import calibration_for
from .embedding import embedding_model_id, load_embed_model
from .evidence import Answerability, Evidence, load_share_models
from .late_interaction import LateInteraction, TokenEncoder, TokenStates
from .ledger import SourcesLedger, assign_ids, origins
from .normalize import fold_marks, normalize, question_language
from .question_type import without_preamble
from .rerank import ShareReranker
from .retrieval import FusionWeights, RankedSentence, TwoStageRetriever
from .search_index import SearchIndex, load_or_build
from .settings import AnswerBackend, RetrievalMode, Settings
from .store import DocumentInfo, IncompleteVersion, IndexParams, SentenceStore, StoreError, store_errors, writing
from .store import LazyNodes, NodeCache
from .types import HIT_SIGNALS, Answer, Citation, Hit, Ranking, sentence_ref
from .use_encoder import UseEncoder, UseRescorer

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.schema import NodeWithScore, TextNode

log = logging.getLogger(__name__)

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
    note: str = ""  # e.g. why the id is not the one the file name gives


@dataclass
class _Index:
    """Everything derived from the store's contents; replaced whole after an ingest.

    Compact: the search index (ids, keys, memory-mapped BM25) and nodes fetched when needed
    (``nodes``: the hits a question returns, and their paragraphs), never every node at once.
    """

    search: SearchIndex
    nodes: NodeCache
    paragraphs: LazyNodes  # (document id, paragraph id) -> paragraph node
    retrievers: dict[RetrievalMode, TwoStageRetriever]
    answerability: Answerability
    version: frozenset[tuple[str, str]]  # the store's contents this was built from
    checked_at: float = 0.0
    _by_ref: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def has_sentences(self) -> bool:
        return bool(self.search.records)

    def sentences(self, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], TextNode]:
        """The sentence nodes of these (document id, sentence id), in one fetch; unknown ones left out."""
        if not self._by_ref:
            self._by_ref.update({(r.key[0], r.key[2]): r.record for r in self.search.sentences})
        records = {ref: self._by_ref[ref] for ref in refs if ref in self._by_ref}
        found = self.nodes.get_many(records.values())
        nodes = {ref: found[record] for ref, record in records.items() if record in found}
        # Their paragraphs too, in one fetch: the evidence stage reads each of them.
        self.paragraphs.prefetch({(n.metadata["document_id"], n.metadata["paragraph_id"]) for n in nodes.values()})
        return nodes


class Assistant:
    """Answers questions about the stored documents. Construction is free; ``warm_up`` loads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._embed_model: BaseEmbedding | None = None
        self._store: SentenceStore | None = None
        self._token_states: TokenStates | None = None
        self._use_encoder = UseEncoder()  # loaded on its first question across languages
        self._index: _Index | None = None
        self._llms: dict[tuple[str, ...], Any] = {}  # LLM objects, made on first use
        self._ledger = SourcesLedger(settings)
        self._lock = threading.RLock()

    # -- lifecycle ------------------------------------------------------------------------------

    def warm_up(self) -> Assistant:
        """Load the model, open the store (filling it from the corpus when empty), build retrievers."""
        if self._index is not None:  # warm: no lock, so that questions are not queued behind an ingest
            return self
        with self._lock:
            if self._index is None:
                # The store first: a mismatched index is refused before seconds of model loading.
                model_id = embedding_model_id(self.settings)
                self._token_states = TokenStates.for_settings(self.settings, model_id)
                self._store = SentenceStore(self.settings, IndexParams(model_id), self._token_states)
                empty = self._store.count() == 0
                self._embed_model = load_embed_model(self.settings)
                if empty and (self.settings.corpus_dir / MANIFEST).exists():
                    self._store_documents(load_corpus(self.settings.corpus_dir))
                elif not self.settings.chroma_url:
                    self._collect_garbage()
                self._index = self._build_index()
        return self

    def _build_index(self) -> _Index:
        store, embed_model = self._store, self._embed_model
        assert store is not None and embed_model is not None
        version = store.version()
        search = load_or_build(self.settings, store, version)
        nodes = NodeCache(store)
        cross = calibration_for(self.settings, embedding_model_id(self.settings))
        late = (LateInteraction(embed_model, self._token_states)
                if isinstance(embed_model, TokenEncoder) and self._token_states is not None else None)
        shared = TwoStageRetriever.from_index(store.vector_store, embed_model, search, nodes,
                                              self._fusion_weights(RetrievalMode.HYBRID),
                                              self.settings.candidates).with_late(late).with_cross_language(cross)
        if self._token_states is not None:
            shared = shared.with_use(UseRescorer(self._use_encoder, self._token_states))
        paragraphs = LazyNodes({(key[0], key[2]): record for record, key in search.paragraphs}, nodes)
        answerability = Answerability(paragraphs, self.settings.answerability_threshold,
                                      score_floors={mode: self.settings.abstain_threshold_for(mode) for mode in RetrievalMode})
        shares = load_share_models()
        retrievers = {mode: shared.with_weights(self._fusion_weights(mode))
                      .with_reranker(ShareReranker(answerability.paragraph_text, shares[mode])) for mode in RetrievalMode}
        return _Index(search, nodes, paragraphs, retrievers, answerability, version, checked_at=time.monotonic())

    def _fusion_weights(self, mode: RetrievalMode) -> FusionWeights:
        weights = FusionWeights.for_mode(mode)
        across_use = self.settings.across_use_weight
        if across_use is None or not weights.uses_dense:
            return weights
        # At 0 USE is off: nor does it weigh the languages against each other.
        return dataclasses.replace(weights, across_use=across_use,
                                   between_languages=weights.between_languages if across_use else 0.0)

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
            ranking: Ranking | None = None, context: str = "") -> Answer:
        """Answer ``question`` in its own language, citing the sentences it rests on.

        ``backend`` overrides ``settings.answer_backend`` for this call (an LLM backend still takes
        its URL and model from the settings). ``ranking`` (``rank(question)``, possibly re-scored)
        replaces retrieval: a conversation answers a follow-up from its ranking fused with the
        history; ``context`` (the earlier question it leans on) is read with it to judge the evidence.
        """
        *_, answer = self._steps(question, top_k, mode, backend, streaming=False, ranking=ranking, context=context)
        return answer

    def ask_stream(self, question: str, top_k: int | None = None, mode: RetrievalMode | None = None,
                   backend: AnswerBackend | str | None = None, *,
                   ranking: Ranking | None = None, context: str = "") -> Iterator[str | Answer]:
        """``ask`` as it is written: the LLM's raw text in chunks, then the verified ``Answer``.

        The chunks are unverified (they may hold markers that verification removes): show them as
        provisional and replace them with the final ``Answer``, which always comes last, once. The
        extractive backend yields only the ``Answer``.
        """
        self._clean(question, top_k)  # a bad question raises here, not at the first chunk
        return self._steps(question, top_k, mode, backend, streaming=True, ranking=ranking, context=context)

    def _steps(self, question: str, top_k: int | None, mode: RetrievalMode | None,
               backend: AnswerBackend | str | None, streaming: bool,
               ranking: Ranking | None = None, context: str = "") -> Iterator[str | Answer]:
        # A ranking made beforehand (``rank``) counts with its retrieval time.
        started = time.perf_counter() - (ranking.retrieve_ms / 1000 if ranking is not None else 0.0)
        question = self._clean(question, top_k)
        index = self._current_index()
        language = question_language(question)
        mode = RetrievalMode(mode or self.settings.retrieval_mode)
        query = _query(question)
        if ranking is not None:  # e.g. a conversation's: retrieved once, then fused with the history
            hits = _nodes(index, ranking)
        else:
            with store_errors(self.settings):
                hits = index.retrievers[mode].retrieve(query) if index.has_sentences else []
        # A follow-up is judged with what it leans on: "and in Syria?" covers little on its own.
        evidence = index.answerability.assess(query, hits, mode, context=fold_marks(context))
        retrieved = time.perf_counter()
        answerer = self._answerer(index, top_k or self.settings.top_k, backend)
        stream = getattr(answerer, "stream", None) if streaming else None
        if not evidence.answerable:  # decided before any LLM is asked
            steps = [answerer.abstain(language, hits)]
        else:
            steps = stream(query, language, hits) if stream else [answerer.answer(query, language, hits)]
        draft = None
        for step in steps:
            if isinstance(step, Draft):
                draft = step
            else:
                yield step
        assert draft is not None
        citations = _with_probabilities(draft.citations, hits, evidence, draft.introduced_by)
        if not draft.abstained and not evidence.supports(citations):
            # The answer passed over the candidates the evidence rests on (a heading over no section is
            # dropped): the ranking is judged again from the first sentence it cites.
            hits = hits[_first_cited(hits, draft):]
            evidence = index.answerability.assess(query, hits, mode, context=fold_marks(context))
            draft = draft if evidence.answerable else answerer.abstain(language, hits)
            citations = _with_probabilities(draft.citations, hits, evidence, draft.introduced_by)
        done = time.perf_counter()
        yield Answer(
            question=question,
            text=draft.text,
            language=language.value,
            citations=citations,
            abstained=draft.abstained,
            timings_ms={"retrieve": _ms(started, retrieved), "answer": _ms(retrieved, done),
                        "total": _ms(started, done)},
            note=draft.note,
            probability=round(evidence.probability, 4),
            related=_with_probabilities(draft.related, hits, evidence),
        )

    def retrieve(self, question: str, mode: RetrievalMode | None = None) -> list[tuple[str, str, float]]:
        """The full ranking ``ask`` answers from: (document_id, sentence_id, score), best first."""
        return [(hit.document_id, hit.sentence_id, hit.score) for hit in self.rank(question, mode).hits]

    def rank(self, question: str, mode: RetrievalMode | None = None,
             near: Iterable[tuple[str, str]] = (), across_languages: bool = True) -> Ranking:
        """The ranking ``ask`` answers from, with every score the later stages read; the sentences of
        the ``near`` passages ((document_id, paragraph_id)) are ranked too, whether or not the
        question's words find them (a conversation's follow-up: what the previous answer cited).
        ``across_languages=False`` ranks without raising matches across languages (cross_language.py):
        a follow-up whose conversation is about documents in its own language."""
        question = self._clean(question)
        index = self._current_index()
        retriever = index.retrievers[RetrievalMode(mode or self.settings.retrieval_mode)]
        retriever = retriever.near(near) if near else retriever
        retriever = retriever if across_languages else retriever.with_cross_language(None)
        with store_errors(self.settings):
            started = time.perf_counter()
            hits = retriever.retrieve(_query(question)) if index.has_sentences else []
        return Ranking(question, tuple(_hit(h) for h in hits), retriever.weights.passage_share,
                       retrieve_ms=_ms(started, time.perf_counter()))

    def _answerer(self, index: _Index, top_k: int, backend: AnswerBackend | str | None = None) -> Answerer:
        backend = AnswerBackend(backend or self.settings.answer_backend)
        if backend is AnswerBackend.EXTRACTIVE:
            return ExtractiveAnswerer(index.paragraphs, top_k)
        from .llm import LLMAnswerer, describe_backend

        return LLMAnswerer(self._llm(backend), index.paragraphs, top_k,
                           where=describe_backend(self.settings, backend), timeout=self.settings.llm_timeout)

    def _llm(self, backend: AnswerBackend) -> Any:
        """The LLM object for ``backend``: made on first use, then kept (per backend, URL and model)."""
        from .llm import llm_cache_key, make_llm

        key = llm_cache_key(self.settings, backend)
        with self._lock:
            if key not in self._llms:
                self._llms[key] = make_llm(self.settings, backend)
            return self._llms[key]

    def _clean(self, question: str, top_k: int | None = None) -> str:
        """The question as it is asked; a question (or ``top_k``) that cannot be asked raises QuestionError."""
        if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
            raise QuestionError(f"top_k must be a whole number of at least 1 (got {top_k!r})")
        if not isinstance(question, str):
            raise QuestionError("the question must be text")
        question = _CONTROL.sub(" ", question).strip()
        if not question:
            raise QuestionError("the question is empty: type a question about the documents")
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(
                f"the question is {len(question)} characters long; the limit is "
                f"{self.settings.max_question_chars}"
            )
        if not any(ch.isalnum() for ch in normalize(question)):  # tatweel alone is "alphanumeric"
            raise QuestionError("the question has no words in it")
        return question

    # -- documents ------------------------------------------------------------------------------

    def ingest(self, *paths: Path, on_stored: Callable[[IngestResult], None] | None = None,
               on_progress: Callable[[str, int, int], None] | None = None) -> list[IngestResult]:
        """Add or replace the documents in ``paths`` (files or folders); unchanged ones are skipped.

        Every file is read and checked before anything is stored, so one bad file stores nothing.
        A file keeps the id it was first ingested under; a new file whose name gives an id that
        belongs to another source gets ``<id>-2`` (the result's ``note`` says so).
        ``on_progress(document_id, records_written, records)`` follows a long document.
        """
        loaded = _load_documents(paths)

        def result(document: Document, changed: bool) -> IngestResult:
            wanted = next(d.id for d in loaded if d.source == document.source and d.entry == document.entry)
            notes = [f"the id {wanted!r} belongs to another source"] if wanted != document.id else []
            if document.encoding != "UTF-8":
                notes.append(f"read as {document.encoding}, not UTF-8")
            return IngestResult(document.id, document.source, changed, "; ".join(notes))

        report = (lambda doc, changed: on_stored(result(doc, changed))) if on_stored else None
        return [result(doc, changed) for doc, changed in self._store_documents(loaded, report, on_progress)]

    def ingest_uploads(self, *paths: Path, on_stored: Callable[[IngestResult], None] | None = None,
                       on_progress: Callable[[str, int, int], None] | None = None) -> list[IngestResult]:
        """``ingest`` files whose originals do not last (a browser's uploads are temporary files): each
        is copied to ``<data_dir>/uploads/<its name>/`` first and ingested from there, so that a
        rebuild (after an upgrade that changes the segmentation, say) can read it again, and a file
        uploaded again under its name replaces its earlier version, as ingesting a path again does.
        When the ingest fails, the copies of the documents it did not store are removed and the
        earlier versions' copies put back; ``remove`` deletes a document's copy with it."""
        paths = tuple(map(Path, paths))
        names = [path.name for path in paths]
        if len(set(names)) < len(names):
            twice = next(name for name in names if names.count(name) > 1)
            raise CorpusError(f"{twice}: two files of that name in one upload; upload them one at a time")
        before = self._recorded_origins()
        copies: list[UploadCopy] = []
        try:
            for path in paths:
                copies.append(UploadCopy.make(self.settings.uploads_dir, path))
            results = self.ingest(*(copy.path for copy in copies), on_stored=on_stored, on_progress=on_progress)
        except BaseException:
            stored = {origin for origin, version in self._recorded_origins().items() if before.get(origin) != version}
            for copy in copies:  # a document stored before the failure keeps its copy
                if str(copy.path.resolve()) in stored:
                    copy.keep()
                else:
                    copy.undo()
            raise
        for copy in copies:
            copy.keep()
        return results

    def _recorded_origins(self) -> dict[str, tuple[str, float]]:
        """Each file the ledger names: the checksum and time of its last recorded ingest."""
        return {entry.origin: (entry.checksum, entry.ingested_at) for entry in self._ledger.entries() if entry.origin}

    def ingest_documents(self, documents: list[Document],
                         on_stored: Callable[[Document, bool], None] | None = None) -> list[bool]:
        """Add already-loaded documents; ``on_stored`` hears of each one as it is stored."""
        return [changed for _, changed in self._store_documents(documents, on_stored)]

    def _store_documents(self, documents: list[Document], on_stored: Callable[[Document, bool], None] | None = None,
                         on_progress: Callable[[str, int, int], None] | None = None) -> list[tuple[Document, bool]]:
        """Give each document its id (the ledger's), store it, then record it in the ledger."""
        if not all(isinstance(document, Document) for document in documents):
            raise TypeError("ingest_documents takes Document objects (ingest(path, ...) reads files)")
        self._open_store()
        stored: list[tuple[Document, bool]] = []
        with self._lock:
            assert self._store is not None and self._embed_model is not None
            if not documents:
                return stored
            # The whole batch holds the store: another process opening it meanwhile is told to wait,
            # rather than this ingest failing halfway because a reader came in between two documents.
            with self._store.writing("ingest"):
                stored = self._store_each(documents, on_stored, on_progress)
            if any(changed for _, changed in stored) and self._index is not None:
                self._index = self._build_index()
        return stored

    def _store_each(self, documents: list[Document], on_stored: Callable[[Document, bool], None] | None,
                    on_progress: Callable[[str, int, int], None] | None) -> list[tuple[Document, bool]]:
        assert self._store is not None and self._embed_model is not None
        stored: list[tuple[Document, bool]] = []
        existing = {info.id: info.source for info in self._store.documents()}
        named = assign_ids(documents, self._ledger.entries(), existing)
        for completed in self._store.add_documents(named, self._embed_model, on_progress):
            # Only once complete: the ledger never names half a document.
            self._ledger.record(*(document for document, _ in completed))
            stored += completed
            for document, changed in completed:
                if on_stored:
                    on_stored(document, changed)
        order = {document.id: n for n, document in enumerate(named)}
        return sorted(stored, key=lambda item: order[item[0].id])  # completed in batches; reported in order

    def _open_store(self) -> None:
        if self._store is None or self._embed_model is None:
            self.warm_up()

    def rebuild(self, on_stored: Callable[[IngestResult], None] | None = None) -> list[IngestResult]:
        """Drop the index and build it again: the corpus, then everything the sources ledger lists.

        The way out when the index is damaged or was built with another model or segmenter. The
        ledger is not touched by the drop, so a rebuild killed at any moment and run again ends
        with every document.
        """
        model_id = embedding_model_id(self.settings)
        token_states = TokenStates.for_settings(self.settings, model_id)  # the dropped documents' go too
        store = SentenceStore(self.settings, IndexParams(model_id), token_states)
        with self._lock, store.writing("rebuild the index"):
            entries = self._ledger.entries()
            # A store filled before the ledger existed names its files in its own records.
            sources = store.drop()
            token_states.close()
            self._index = None
            self._store = None
            self.warm_up()
            for missing in [path for path in origins(entries) if not path.exists()]:
                log.warning("cannot ingest %s again: it is no longer there", missing)
            for entry in [entry for entry in entries if not entry.origin]:
                log.warning("cannot ingest %s again: it was built in code; ingest it again from there", entry.document_id)
            paths = dict.fromkeys([*origins(entries), *(Path(source) for source in sources if Path(source).is_file())])
            corpus = self.settings.corpus_dir.resolve()
            return self.ingest(*[path for path in paths if path.exists() and path != corpus], on_stored=on_stored)

    def writing(self, what: str, wait: float = 0.0) -> contextlib.AbstractContextManager[None]:
        """Hold the store for writing from now on (``with``), e.g. for a whole command that writes:
        another process opening it meanwhile is asked to come back, rather than this one finding a
        reader in the way when it comes to write. Waits up to ``wait`` s for other processes to close it."""
        return writing(self.settings, what, wait)

    def documents(self) -> list[DocumentInfo]:
        self.warm_up()
        assert self._store is not None
        return self._store.documents()

    def incomplete(self) -> list[IncompleteVersion]:
        """Records of versions whose ingest never finished (``remove`` deletes them)."""
        self.warm_up()
        assert self._store is not None
        return self._store.incomplete()

    def remove(self, document_id: str) -> bool:
        self.warm_up()
        with self._lock:
            assert self._store is not None
            removed = self._store.remove_document(document_id)
            entries = [entry for entry in self._ledger.entries() if entry.document_id == document_id]
            self._ledger.forget(document_id)  # else a rebuild would bring it back
            for kept in [Path(entry.origin) for entry in entries]:
                _remove_upload_copy(self.settings.uploads_dir.resolve(), kept)
            known = bool(entries)
            if removed:
                self._index = self._build_index()
        return removed or known

    def _collect_garbage(self) -> None:
        """Remove the records of ingests that never finished (embedded store; under ``_lock``)."""
        assert self._store is not None
        versions = self._store.incomplete()
        if not versions:
            return
        try:
            self._store.collect_garbage(versions)
        except StoreError as error:  # another process has the store open: `docs` lists them meanwhile
            log.warning("unfinished ingests left in the index (%s)", error)
            return
        log.warning("removed %d records of %d unfinished ingests: %s", sum(v.records for v in versions),
                    len(versions), ", ".join(sorted({v.document_id for v in versions})))


def build_assistant(settings: Settings | None = None) -> Assistant:
    """The one place the assistant is put together (cheap: call ``warm_up`` to load models)."""
    from .settings import load_settings

    return Assistant(settings or load_settings())


@dataclass
class UploadCopy:
    """An upload's copy in ``<uploads>/<its name>/``, and the earlier version's while the ingest runs."""

    path: Path
    earlier: Path | None

    @classmethod
    def make(cls, uploads: Path, upload: Path) -> UploadCopy:
        if upload.name in ("", ".", ".."):
            raise CorpusError(f"{upload}: not a file name")
        folder = uploads / upload.name
        earlier = None
        if folder.exists():
            earlier = folder.with_name(f"{upload.name}.earlier-{time.time_ns():x}")
            folder.rename(earlier)
        folder.mkdir(parents=True)
        try:
            return cls(Path(shutil.copy2(upload, folder / upload.name)), earlier)
        except BaseException:
            cls(folder / upload.name, earlier).undo()
            raise

    def keep(self) -> None:
        if self.earlier is not None:
            shutil.rmtree(self.earlier, ignore_errors=True)

    def undo(self) -> None:
        shutil.rmtree(self.path.parent, ignore_errors=True)
        if self.earlier is not None:
            self.earlier.rename(self.path.parent)


def _remove_upload_copy(uploads: Path, kept: Path) -> None:
    """Delete ``kept`` if it is an upload's copy: its folder, and the folders above it left empty (an
    older layout kept a batch's files in ``<uploads>/<batch>/<n>/``)."""
    if uploads not in kept.parents:
        return
    shutil.rmtree(kept.parent, ignore_errors=True)
    for folder in kept.parent.parents:
        if folder == uploads:
            break
        with contextlib.suppress(OSError):  # not empty: another upload of the same batch
            folder.rmdir()


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
        elif path.is_symlink():
            raise CorpusError(f"{path}: a link to {os.readlink(path)}, which does not exist")
        else:
            raise CorpusError(f"{path}: no such file or directory")
    return documents


def _with_probabilities(citations: tuple[Citation, ...], hits: list[NodeWithScore], evidence: Evidence,
                        introduced_by: Mapping[tuple[str, str], tuple[str, str]] | None = None
                        ) -> tuple[Citation, ...]:
    """The citations with their share of the answer's probability as their score (the raw retrieval
    score means nothing to a reader and is not comparable across modes). A sentence a line introduced
    (an item of a list, a section's sentence standing for its heading) shares that line's: it is part
    of the same answer (alone an item matched the question little, 0.00-0.02 beside its line's 0.81 on
    a Markdown list)."""
    probability = {sentence_ref(h): p for h, p in zip(hits, evidence.citation_probabilities)}

    def score(key: tuple[str, str]) -> float:
        line = (introduced_by or {}).get(key)
        return max(probability.get(key, 0.0), probability.get(line, 0.0) if line else 0.0)

    return tuple(dataclasses.replace(c, score=round(score((c.document_id, c.sentence_id)), 4)) for c in citations)


def _first_cited(hits: list[NodeWithScore], draft: Draft) -> int:
    """The rank of the best-ranked sentence ``draft`` cites (past the last when it cites none of them)."""
    cited = {(c.document_id, c.sentence_id) for c in draft.citations}
    return next((n for n, hit in enumerate(hits) if sentence_ref(hit) in cited), len(hits))


def _hit(hit: NodeWithScore) -> Hit:
    meta = hit.node.metadata
    signals = {name: float(getattr(hit, name, 0.0)) for name in HIT_SIGNALS}
    return Hit(meta["document_id"], meta["sentence_id"], meta["paragraph_id"], float(hit.score or 0.0), **signals,
               share=getattr(hit, "share", None))


def _query(question: str) -> str:
    """What a question is matched and judged by: vowelled or Persian-spelled, as the corpus is written,
    and without a preamble that announces it ("Another question: ..."), whose words name nothing."""
    return fold_marks(without_preamble(question))


def _nodes(index: _Index, ranking: Ranking) -> list[NodeWithScore]:
    """``ranking`` as the nodes the evidence and answer stages read, best first (a sentence no longer
    stored, e.g. removed since it was ranked, is left out)."""
    stored = index.sentences(hit.ref for hit in ranking.hits)
    nodes = [RankedSentence(node=stored[hit.ref], score=hit.score, share=hit.share,
                            **{name: getattr(hit, name) for name in HIT_SIGNALS})
             for hit in ranking.hits if hit.ref in stored]
    return sorted(nodes, key=lambda node: node.score or 0.0, reverse=True)


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000, 2)
