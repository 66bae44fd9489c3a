"""The store stage: sentence and paragraph nodes in a Chroma collection, through llama-index.

One collection per namespace holds, for each document version, its paragraphs, its original
sentences, the English renderings of its sentences (when the corpus carries them) and, written
last, one ``document`` node that marks the version complete. Readers only see complete versions,
so an ingest killed midway never shows half a document; a new version is complete before the old
one is deleted, so a replaced document never goes missing.

The index parameters (embedding model, segmentation version) are kept in the collection's own
metadata and checked on open, so a store built with another model or segmenter is refused with a
clear message. The client is Chroma's embedded ``PersistentClient``, or an ``HttpClient`` when a
server URL is set.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from llama_index.core.schema import (
    MetadataMode,
    NodeRelationship,
    RelatedNodeInfo,
    TextNode,
)
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)
from llama_index.core.vector_stores.utils import metadata_dict_to_node

from .corpus import Document
from .late_interaction import TokenEncoder, TokenStates, Use
from .segmentation import BYLINE, HEADING, SEGMENTATION_VERSION, named_cells, table_header
from .settings import Settings
from .store_lock import StoreBusyError, StoreLock
from .types import KIND_DOCUMENT, KIND_PARAGRAPH, KIND_RENDERING, KIND_SENTENCE

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

# Metadata that is bookkeeping, not content: never embedded, never shown to an LLM.
_BOOKKEEPING = [
    "kind", "document_id", "paragraph_id", "sentence_id", "start", "end", "lang",
    "checksum", "ingested_at", "title", "translation", "source", "paragraphs", "sentences",
]


# A label line says what it is only by its place ("الكويت - سعد العجيبان:"): its embedded text (never its
# quote) is prefixed with what that place means, through llama-index's embed metadata ("role: ...").
ROLE_GLOSS = {
    BYLINE: "سطر الكاتب ومكان الخبر، اسم الكاتب والمدينة / byline and dateline: the author and the place of the report",
    HEADING: "عنوان قسم من النص / heading of a section of the text",
}

_ROLE_OF_GLOSS = {gloss: role for role, gloss in ROLE_GLOSS.items()}


def role_of(node: TextNode) -> str:
    """A stored sentence's or paragraph's label role (segmentation.BYLINE, HEADING), or "" for running text."""
    return _ROLE_OF_GLOSS.get(node.metadata.get("role", ""), "")


# HNSW candidates kept while searching (Chroma's default: 100). Retrieval fetches 60 nearest
# records; at 12k records 100 returned 0.941 of the exact 60 (gold questions, mean), 400 returned
# 0.985 for +0.4 ms a query (benchmarks/perf.py, docs/benchmarks.md "Performance").
HNSW_EF_SEARCH = 400
GET_PAGE = 10_000
# Nodes kept in memory once fetched (NodeCache): a question returns ~100-300 sentences and paragraphs.
NODE_CACHE = 5_000


class StoreError(RuntimeError):
    """The store cannot be used as it is; the message says why and what to do."""


class DamagedStoreError(StoreError):
    """The embedded store's database cannot be read; ``drop`` (``assistant ingest --rebuild``) moves it aside."""


@dataclass(frozen=True)
class IndexParams:
    embedding_model: str
    segmentation_version: int = SEGMENTATION_VERSION

    def as_metadata(self) -> dict[str, Any]:
        return {"embedding_model": self.embedding_model, "segmentation_version": self.segmentation_version}


@dataclass(frozen=True)
class DocumentInfo:
    id: str
    title: str
    checksum: str
    paragraphs: int
    sentences: int
    ingested_at: float
    source: str = ""


@dataclass(frozen=True)
class IncompleteVersion:
    """Records of a document version whose ingest never finished (no ``document`` node)."""

    document_id: str
    checksum: str
    records: int


def collection_name(namespace: str) -> str:
    # Chroma wants 3-512 characters of [a-zA-Z0-9._-], starting and ending alphanumeric.
    return f"{namespace}-sentences"


def nodes_for_document(document: Document, ingested_at: float) -> list[TextNode]:
    """Paragraph, sentence and English-rendering nodes of one document, in reading order."""
    common = {"document_id": document.id, "checksum": document.checksum, "ingested_at": ingested_at,
              "title": document.title, "source": document.source}
    nodes: list[TextNode] = []
    paragraphs = document.paragraphs()
    for paragraph in paragraphs:
        role = {"role": ROLE_GLOSS[paragraph.role]} if paragraph.role else {}
        nodes.append(_node(f"{paragraph.id}", document, paragraph.text, common | role | {
            "kind": KIND_PARAGRAPH, "paragraph_id": paragraph.id, "sentence_id": "",
            "start": paragraph.start, "end": paragraph.end, "lang": document.language_of(paragraph.text)}))
        header = table_header(paragraph.text)
        for sentence in paragraph.sentences:
            translation = document.translations.get(sentence.id, "")
            # A table row is embedded with its cells named by the header ("Country: Kuwait; ...").
            row = header and sentence.text != header
            cells = {"table row": named_cells(header, sentence.text, paragraph.text)} if row else {}
            position = role | cells | {"paragraph_id": paragraph.id, "sentence_id": sentence.id,
                                       "start": sentence.start, "end": sentence.end}
            nodes.append(_node(sentence.id, document, sentence.text, common | position | {
                "kind": KIND_SENTENCE, "lang": document.language_of(sentence.text), "translation": translation}))
            if translation:
                nodes.append(_node(f"{sentence.id}.en", document, translation, common | position | {
                    "kind": KIND_RENDERING, "lang": "en", "translation": translation}))
    sentences = sum(len(p.sentences) for p in paragraphs)
    nodes.append(_node("document", document, document.title or document.id, common | {
        "kind": KIND_DOCUMENT, "paragraphs": len(paragraphs), "sentences": sentences, "lang": document.language,
        "records": len(nodes) + 1}))
    return nodes


def record_id(document_id: str, checksum: str, local_id: str) -> str:
    """The store id of a node: a paragraph's ``local_id`` is its paragraph id, a sentence's its sentence id."""
    return f"{document_id}:{checksum}:{local_id}"


def _node(local_id: str, document: Document, text: str, metadata: dict[str, Any]) -> TextNode:
    return TextNode(
        id_=record_id(document.id, document.checksum, local_id),
        text=text,
        metadata=metadata,
        excluded_embed_metadata_keys=_BOOKKEEPING,
        excluded_llm_metadata_keys=_BOOKKEEPING,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=document.id)},
    )


class SentenceStore:
    """A Chroma collection of nodes; opening is lazy so constructing this is free."""

    def __init__(self, settings: Settings, params: IndexParams, token_states: TokenStates | None = None) -> None:
        """``token_states``: where the sentences' token states are kept at ingest, and let go of when
        their records leave the store (late_interaction.py)."""
        self._settings = settings
        self._params = params
        self._token_states = token_states
        self._vector_store: ChromaVectorStore | None = None
        self._version: tuple[int, frozenset[tuple[str, str]]] | None = None  # (writes seen, version)

    @property
    def vector_store(self) -> ChromaVectorStore:
        if self._vector_store is None:
            self._vector_store = self._open()
        return self._vector_store

    def _open(self) -> ChromaVectorStore:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        client = _client(self._settings)
        collection = client.get_or_create_collection(
            name=collection_name(self._settings.namespace),
            configuration={"hnsw": {"space": "cosine", "ef_search": HNSW_EF_SEARCH}},
            metadata=self._params.as_metadata(),
            embedding_function=None,  # we always pass our own embeddings
        )
        _check_params(collection.metadata or {}, self._params, self._settings)
        if (collection.configuration_json.get("hnsw") or {}).get("ef_search") != HNSW_EF_SEARCH:
            _retried_while_locked(  # built before it was set
                lambda: collection.modify(configuration={"hnsw": {"ef_search": HNSW_EF_SEARCH}}))
        return ChromaVectorStore(chroma_collection=collection)

    def writing(self, what: str) -> contextlib.AbstractContextManager[None]:
        return writing(self._settings, what)

    def drop(self) -> list[str]:
        """Delete the collection (whatever it was built with); returns the ingested files' paths.

        A damaged embedded store cannot say what it held: its folder is moved aside (kept, renamed
        ``chroma.damaged-<ns>``) and an empty one takes its place.
        """
        with self.writing("rebuild the index"):
            return self._drop()

    def _drop(self) -> list[str]:
        try:
            client = _client(self._settings)
        except DamagedStoreError:
            store_dir = self._settings.store_dir
            aside = store_dir.with_name(f"{store_dir.name}.damaged-{time.time_ns()}")
            os.replace(store_dir, aside)
            logging.getLogger(__name__).warning("moved the damaged index %s aside to %s", store_dir, aside)
            client = _client(self._settings)
        name = collection_name(self._settings.namespace)
        try:
            metadatas = client.get_collection(name).get(include=["metadatas"])["metadatas"]
        except Exception:  # noqa: BLE001 - a missing or unreadable collection is what we are removing
            metadatas = []
        try:
            client.delete_collection(name)
        except Exception as error:  # noqa: BLE001 - missing is fine; a collection left behind is no drop
            if _has_collection(client, name):
                raise StoreError(f"cannot drop the index collection {name!r}: {error}") from error
        self._vector_store = None
        if self._token_states is not None:
            self._token_states.forget()
        return sorted({meta["source"] for meta in metadatas if meta.get("source")})

    @property
    def _collection(self) -> Any:
        return self.vector_store.client  # llama-index's name for the Chroma collection it wraps

    def count(self) -> int:
        with store_errors(self._settings):
            return self._collection.count()

    def documents(self) -> list[DocumentInfo]:
        """The complete documents in the store, from their ``document`` nodes."""
        with store_errors(self._settings):
            metadatas = self._collection.get(where={"kind": KIND_DOCUMENT}, include=["metadatas"])["metadatas"]
        infos = [DocumentInfo(m["document_id"], m.get("title", ""), m["checksum"], int(m["paragraphs"]),
                              int(m["sentences"]), float(m["ingested_at"]), m.get("source", "")) for m in metadatas]
        return sorted(infos, key=lambda info: (info.id, info.ingested_at))

    def version(self) -> frozenset[tuple[str, str]]:
        """(document id, checksum) of every complete document: changes whenever the contents do.

        Reading every document marker cost 58-82 ms at 503 documents (22.5k sentences), and a serving
        process asks once a second. An embedded store changes only through this process (store_lock
        keeps other writers out while it is open), so there the answer is kept until a write here.
        """
        generation = None if self._settings.chroma_url else _WRITES.get(self._settings.store_dir, 0)
        if generation is not None and self._version is not None and self._version[0] == generation:
            return self._version[1]
        version = frozenset((info.id, info.checksum) for info in self.documents())
        if generation is not None:
            self._version = (generation, version)
        return version

    def add_documents(self, documents: Iterable[Document], embed_model: BaseEmbedding,
                      progress: Callable[[str, int, int], None] | None = None) -> Iterator[list[tuple[Document, bool]]]:
        """Store each document whose version is not stored yet; yields ``(document, changed)`` pairs as
        documents become complete, those of one write together (``changed`` False: this version was
        already there, complete).

        The records of several documents are encoded and written together, about
        ``settings.ingest_batch_records`` per Chroma add, each document's ``document`` node in the
        same add as its last records: readers see a document whole or not at all, and a killed ingest
        leaves only records no reader sees (an add per document and another for its marker cost 36%
        of ingest time, issue 17).
        ``progress(document_id, records_written, records)`` follows each document.
        """
        from chromadb.errors import ChromaError

        stored: dict[str, set[str]] = {}
        for info in self.documents():
            stored.setdefault(info.id, set()).add(info.checksum)
        unfinished = {version.document_id for version in self.incomplete()}
        batch = _WriteBatch(max(1, self._settings.ingest_batch_records))
        try:
            with store_errors(self._settings), self.writing("ingest"):
                for document in documents:
                    batch.current = document.id
                    versions = stored.get(document.id, set())
                    if versions == {document.checksum}:
                        yield [(document, False)]
                    elif document.checksum in versions:  # complete; an older version was left behind
                        self._delete(document.id, but=document.checksum)
                        yield [(document, True)]
                    else:
                        if document.id in unfinished:  # leftovers of a killed ingest of this version
                            self._delete(document.id, checksum=document.checksum)
                        nodes = nodes_for_document(document, ingested_at=time.time())
                        for run in _paragraph_runs(nodes):
                            if batch.full:
                                yield from self._write(batch, embed_model, stored, progress)
                            batch.add(document, run, total=len(nodes))
                yield from self._write(batch, embed_model, stored, progress)
        # e.g. a full disk: "Error in compaction: Failed to apply logs", or the token states' "database or disk is full"
        except (ChromaError, OSError, sqlite3.Error) as error:
            raise StoreError(_write_failure(self._settings, batch.current, error)) from None

    def _write(self, batch: _WriteBatch, embed_model: BaseEmbedding, stored: dict[str, set[str]],
               progress: Callable[[str, int, int], None] | None) -> Iterator[list[tuple[Document, bool]]]:
        """Encode and add the batch's records in one add; then the documents it completed replace their
        older versions."""
        if not batch.nodes:
            return
        states, uses = _embed(batch.nodes, embed_model, with_states=self._token_states is not None)
        if states and self._token_states is not None:  # before the add: a sentence readers see has them
            self._token_states.put_many(states, uses)
        self.vector_store.add(batch.nodes)
        written, completed = batch.progress, batch.completed
        batch.clear()
        for document_id, (done, total) in written.items():
            if progress:
                progress(document_id, done, total)
        for document in completed:
            if stored.get(document.id, set()) - {document.checksum}:
                self._delete(document.id, but=document.checksum)
        if completed:
            yield [(document, True) for document in completed]

    def _delete(self, document_id: str, checksum: str | None = None, but: str | None = None) -> None:
        """Delete the records of ``document_id``'s version ``checksum``, or of all its versions ``but`` one."""
        version = {"checksum": checksum} if checksum is not None else {"checksum": {"$ne": but}}
        self._collection.delete(where={"$and": [{"document_id": document_id}, version]})
        if self._token_states is not None:
            self._token_states.forget(document_id, checksum, but)

    def remove_document(self, document_id: str) -> bool:
        """Remove every version of ``document_id``, complete or not; False when there is none."""
        known = {info.id for info in self.documents()} | {v.document_id for v in self.incomplete()}
        if document_id not in known:
            return False
        with store_errors(self._settings), self.writing(f"remove {document_id!r}"):
            # The marker first, so that no reader sees a half-deleted document as complete.
            self._collection.delete(where={"$and": [{"document_id": document_id}, {"kind": KIND_DOCUMENT}]})
            self.vector_store.delete(ref_doc_id=document_id)
            if self._token_states is not None:
                self._token_states.forget(document_id)
        return True

    def incomplete(self) -> list[IncompleteVersion]:
        """Versions with records but no ``document`` node: an ingest killed (or failed) midway.

        Cheap when there are none: the records the complete versions declare add up to the count.
        """
        with store_errors(self._settings):
            markers = self._collection.get(where={"kind": KIND_DOCUMENT}, include=["metadatas"])["metadatas"]
            declared = [m.get("records") for m in markers]
            if None not in declared and sum(declared) == self._collection.count():
                return []
        complete = {(m["document_id"], m["checksum"]) for m in markers}
        counts: dict[tuple[str, str], int] = {}
        with store_errors(self._settings):
            offset = 0
            while page := self._collection.get(include=["metadatas"], limit=GET_PAGE, offset=offset)["metadatas"]:
                offset += len(page)
                for meta in page:
                    version = (meta["document_id"], meta["checksum"])
                    counts[version] = counts.get(version, 0) + 1
        return [IncompleteVersion(doc, checksum, n) for (doc, checksum), n in sorted(counts.items())
                if (doc, checksum) not in complete]

    def collect_garbage(self, versions: list[IncompleteVersion]) -> None:
        """Delete the records of ``versions`` (from ``incomplete``; nothing may be writing them)."""
        with store_errors(self._settings), self.writing("remove unfinished ingests"):
            for version in versions:
                self._delete(version.document_id, checksum=version.checksum)

    def nodes(self, *kinds: str) -> list[TextNode]:
        """The stored nodes of the given kinds, of the newest complete version of each document."""
        return [node for page in self.pages(*kinds) for node in page]

    def pages(self, *kinds: str, size: int = GET_PAGE) -> Iterator[list[TextNode]]:
        """``nodes`` ``size`` at a time, in the same order: a caller that keeps only a little of each
        node (the search index's build) never holds them all."""
        latest = {info.id: info.checksum for info in self.documents()}  # sorted: the newest wins
        complete = set(latest.items())
        offset = 0
        # In pages: Chroma fails a get of more than ~32k records ("too many SQL variables"), which
        # about 27k sentences with their paragraphs reach (benchmarks/perf.py --scale 100000).
        where = {"kind": {"$in": list(kinds)}}
        while True:
            with store_errors(self._settings):
                page = self.vector_store._get(limit=size, where=where, offset=offset).nodes  # noqa: SLF001
            if not page:
                return
            offset += len(page)
            yield [n for n in page if (n.metadata["document_id"], n.metadata["checksum"]) in complete]

    def fetch(self, record_ids: list[str]) -> list[TextNode]:
        """The stored nodes with these ids (those that exist), as ``nodes`` makes them."""
        if not record_ids:
            return []
        with store_errors(self._settings):
            found = self._collection.get(ids=record_ids, include=["documents", "metadatas"])
        return [node_from_record(meta, text) for meta, text in zip(found["metadatas"], found["documents"])]


def node_from_record(metadata: dict[str, Any], text: str) -> TextNode:
    """The node of a record Chroma returned (its metadata and document), as llama-index's store makes it."""
    return metadata_dict_to_node(metadata, text=text)


class NodeCache:
    """Stored nodes by record id, fetched from the store when first needed, then kept (the most
    recently used ``size``): start-up reads no node, and a question fetches only what it returns.

    A record id names one immutable version of a node, so a kept node is never stale; a record
    deleted since (another process removed its document) is simply not found.
    """

    def __init__(self, store: SentenceStore, size: int = NODE_CACHE) -> None:
        self._store = store
        self._size = size
        self._nodes: OrderedDict[str, TextNode] = OrderedDict()
        self._lock = threading.Lock()

    def missing(self, record_ids: Iterable[str]) -> list[str]:
        """Those of ``record_ids`` not kept: a caller that fetches them with more (their vectors) ``add``s them."""
        with self._lock:
            return [r for r in dict.fromkeys(record_ids) if r not in self._nodes]

    def add(self, nodes: Iterable[TextNode]) -> None:
        with self._lock:
            self._nodes.update((node.node_id, node) for node in nodes)
            while len(self._nodes) > self._size:
                self._nodes.popitem(last=False)

    def get_many(self, record_ids: Iterable[str]) -> dict[str, TextNode]:
        wanted = list(dict.fromkeys(record_ids))
        with self._lock:
            found = {r: self._nodes[r] for r in wanted if r in self._nodes}
            for record in found:
                self._nodes.move_to_end(record)
        missing = [r for r in wanted if r not in found]
        fetched = {node.node_id: node for node in self._store.fetch(missing)}
        self.add(fetched.values())
        return found | fetched


class LazyNodes(Mapping[Hashable, TextNode]):
    """A read-only mapping (e.g. (document id, paragraph id) -> paragraph node) whose nodes are
    fetched through a ``NodeCache`` when looked up."""

    def __init__(self, records: dict[Any, str], cache: NodeCache) -> None:
        self._records = records
        self._cache = cache

    def __getitem__(self, ref: Hashable) -> TextNode:
        record = self._records[ref]
        node = self._cache.get_many([record]).get(record)
        if node is None:
            raise KeyError(ref)
        return node

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def prefetch(self, refs: Iterable[Hashable]) -> None:
        """Fetch these nodes in one request, before they are looked up one by one."""
        self._cache.get_many(self._records[ref] for ref in refs if ref in self._records)


class _WriteBatch:
    """Records waiting to be encoded and written, with how far each document will have got once they are."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.current = ""  # the document being read (named if a write fails)
        self.nodes: list[TextNode] = []
        self.progress: dict[str, tuple[int, int]] = {}  # document id -> (records written with this batch, total)
        self.completed: list[Document] = []  # the documents whose last records are in this batch
        self._done: dict[str, int] = {}  # records of unfinished documents, written or in this batch

    @property
    def full(self) -> bool:
        return len(self.nodes) >= self.size

    def add(self, document: Document, nodes: list[TextNode], total: int) -> None:
        self.nodes += nodes
        done = self._done.pop(document.id, 0) + len(nodes)
        self.progress[document.id] = (done, total)
        if done == total:
            self.completed.append(document)
        else:
            self._done[document.id] = done

    def clear(self) -> None:
        self.nodes, self.progress, self.completed = [], {}, []


def _paragraph_runs(nodes: list[TextNode]) -> Iterator[list[TextNode]]:
    """A document's nodes cut before each paragraph node: a batch never splits a paragraph from its sentences."""
    run: list[TextNode] = []
    for node in nodes:
        if node.metadata["kind"] == KIND_PARAGRAPH and run:
            yield run
            run = []
        run.append(node)
    if run:
        yield run


def _embed(nodes: list[TextNode], embed_model: BaseEmbedding,
           with_states: bool = False) -> tuple[dict[str, np.ndarray], list[Use]]:
    """Each node's vector, from one encoder call for the whole batch (sorted by length inside, so
    documents of different lengths pad less together); with ``with_states`` and an encoder that has
    them, also the token states of the sentences and renderings, by embedded text, from the same pass,
    and their versions' uses of those texts.
    Paragraphs are encoded whole: their vector
    as the mean of their sentences' (the encoder's floor) lost 0.036 of ARCD's right paragraph first
    and 0.021 of R@1, and sentence vectors pooled from the paragraph's token states (late chunking)
    0.13 / 0.20 of XQuAD-R R@1 AR / EN (docs/benchmarks.md, "Ingest")."""
    # A one-sentence paragraph is its sentence's text: encoded once (19 of the article's 21).
    embedded = [n.get_content(MetadataMode.EMBED) for n in nodes]
    texts = list(dict.fromkeys(embedded))
    uses: list[Use] = []
    if with_states and isinstance(embed_model, TokenEncoder):
        uses = [Use(n.metadata["document_id"], n.metadata["checksum"], text) for text, n in zip(embedded, nodes)
                if n.metadata["kind"] in (KIND_SENTENCE, KIND_RENDERING)]
        collecting = embed_model.collecting_token_states({use.text for use in uses})
    else:
        collecting = contextlib.nullcontext({})
    # Through llama-index's batch call: its instrumentation (the UI's progress bar) sees every batch.
    with collecting as states:
        vectors = dict(zip(texts, embed_model.get_text_embedding_batch(texts)))
    for node, text in zip(nodes, embedded):
        node.embedding = vectors[text]
    return states, uses


def kind_filter(*kinds: str) -> MetadataFilters:
    return MetadataFilters(filters=[MetadataFilter(key="kind", value=list(kinds), operator=FilterOperator.IN)])


def _has_collection(client: Any, name: str) -> bool:
    try:
        client.get_collection(name)
    except Exception:  # noqa: BLE001 - chromadb raises NotFoundError, or ValueError in older releases
        return False
    return True


def _client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from chromadb.errors import ChromaError

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlsplit(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StoreError(f"the Chroma server URL {settings.chroma_url!r} is not an http(s) URL")
        with store_errors(settings):
            client = chromadb.HttpClient(host=url.hostname, port=url.port or (443 if url.scheme == "https" else 80),
                                         ssl=url.scheme == "https", settings=chroma_settings)
            client.heartbeat()
        return client
    try:
        settings.store_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(settings.store_dir, os.W_OK):
            raise PermissionError(errno.EACCES, "not writable")
        _lock(settings)
        return chromadb.PersistentClient(path=str(settings.store_dir), settings=chroma_settings)
    except OSError as error:
        raise StoreError(f"cannot use the data directory {settings.store_dir}: {error.strerror}") from None
    except ChromaError as error:  # e.g. InternalError "file is not a database", "disk image is malformed"
        _forget_unstarted_system(str(settings.store_dir))
        raise DamagedStoreError(
            f"the index in {settings.store_dir} cannot be opened, it looks damaged ({type(error).__name__}: "
            f"{error}). Rebuild it with `assistant ingest --rebuild` (the damaged files are kept aside), "
            "or use another data directory."
        ) from None


def _retried_while_locked(call: Callable[[], None], attempts: int = 5) -> None:
    """``call()``, again after a pause while embedded Chroma's SQLite says "database is locked": right
    after a collection is opened, its own connections sometimes hold the lock for a moment (1.5.9:
    6.5% of 200 modifies right after opening failed so, none with this)."""
    from chromadb.errors import InternalError

    for attempt in range(attempts):
        try:
            call()
            return
        except InternalError as error:
            if "database is locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * 2**attempt)


@contextlib.contextmanager
def writing(settings: Settings, what: str, wait: float = 0.0) -> Iterator[None]:
    """Writes to an embedded store happen only while no other process has it open (store_lock);
    ``wait`` seconds for them to close it, else a StoreError naming one."""
    with contextlib.ExitStack() as stack:
        if not settings.chroma_url:
            try:
                stack.enter_context(_lock(settings).exclusive(what, wait))
            except StoreBusyError as error:
                raise StoreError(str(error)) from None
            stack.callback(_count_write, settings.store_dir)  # whatever the outcome: it may have written part
        yield


# Writes this process made to each embedded store (``SentenceStore.version`` trusts its answer until one).
_WRITES: dict[Path, int] = {}


def _count_write(store_dir: Path) -> None:
    _WRITES[store_dir] = _WRITES.get(store_dir, 0) + 1


def _lock(settings: Settings) -> StoreLock:
    """This process's (shared) lock of the embedded store: taken before Chroma opens it."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return StoreLock.for_store(settings.store_dir)
    except StoreBusyError as error:
        raise StoreError(str(error)) from None
    except OSError as error:
        raise StoreError(f"cannot use the data directory {settings.store_dir}: {error.strerror}") from None


def _write_failure(settings: Settings, document_id: str, error: Exception) -> str:
    where = settings.chroma_url or str(settings.store_dir)
    message = f"could not store {document_id!r} in the index at {where} ({type(error).__name__}: {error})"
    if not settings.chroma_url:
        with contextlib.suppress(OSError):
            free = shutil.disk_usage(settings.store_dir).free
            message += f"; {free / 1e6:.1f} MB free on the disk holding it: free some space, then ingest it again"
    return message + ". Documents stored before are unaffected (a document is shown only once complete)."


def _forget_unstarted_system(path: str) -> None:
    """chromadb caches a path's System before starting it; one that failed to start would be reused
    by the next client and fail obscurely ("no attribute 'bindings'"), so forget it unless in use."""
    from chromadb.api.shared_system_client import SharedSystemClient

    if not SharedSystemClient._identifier_to_refcount.get(path):  # noqa: SLF001 - no public way
        SharedSystemClient._identifier_to_system.pop(path, None)  # noqa: SLF001


@contextlib.contextmanager
def store_errors(settings: Settings) -> Iterator[None]:
    """Turn a lost or refusing Chroma server into a StoreError that names it.

    The HTTP client opens a connection per request, so the next request after a failure
    reconnects by itself once the server is back.
    """
    import httpx

    try:
        yield
    except (httpx.HTTPError, ConnectionError) as error:
        where = settings.chroma_url or str(settings.store_dir)
        raise StoreError(f"the Chroma store at {where} is unavailable ({type(error).__name__}: {error})") from None
    except ValueError as error:
        if settings.chroma_url and "connect" in str(error).lower():
            raise StoreError(f"cannot connect to the Chroma server at {settings.chroma_url}: {error}") from None
        raise


def _check_params(stored: dict[str, Any], expected: IndexParams, settings: Settings) -> None:
    for key, value in expected.as_metadata().items():
        if key in stored and stored[key] != value:
            raise StoreError(
                f"the index in {settings.store_dir} (namespace {settings.namespace!r}) was built with "
                f"{key}={stored[key]!r}, but this assistant uses {value!r}. Rebuild it with "
                "`assistant ingest --rebuild`, or use another data directory or namespace."
            )
