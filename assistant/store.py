"""The store stage: sentence and paragraph nodes in a Chroma collection, through llama-index.

One collection per namespace holds three kinds of node for each document: paragraphs, original
sentences, and (when the corpus carries one) English renderings of the sentences. The index
parameters (embedding model, segmentation version) are kept in the collection's own metadata and
checked on open, so a store built with another model or segmenter is refused with a clear message.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters

from .corpus import Document
from .segmentation import SEGMENTATION_VERSION
from .settings import Settings
from .types import KIND_PARAGRAPH, KIND_RENDERING, KIND_SENTENCE

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

# Metadata that is bookkeeping, not content: never embedded, never shown to an LLM.
_BOOKKEEPING = [
    "kind", "document_id", "paragraph_id", "sentence_id", "start", "end", "lang",
    "checksum", "ingested_at", "title", "translation", "source",
]


class StoreError(RuntimeError):
    """The store cannot be used as it is; the message says why and what to do."""


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


def collection_name(namespace: str) -> str:
    # Chroma wants 3-512 characters of [a-zA-Z0-9._-], starting and ending alphanumeric.
    return f"{namespace}-sentences"


def nodes_for_document(document: Document, ingested_at: float) -> list[TextNode]:
    """Paragraph, sentence and English-rendering nodes of one document, in reading order."""
    common = {"document_id": document.id, "checksum": document.checksum, "ingested_at": ingested_at,
              "title": document.title, "source": document.source}
    nodes = []
    for paragraph in document.paragraphs():
        nodes.append(_node(f"{paragraph.id}", document, paragraph.text, common | {
            "kind": KIND_PARAGRAPH, "paragraph_id": paragraph.id, "sentence_id": "",
            "start": paragraph.start, "end": paragraph.end, "lang": document.language}))
        for sentence in paragraph.sentences:
            translation = document.translations.get(sentence.id, "")
            position = {"paragraph_id": paragraph.id, "sentence_id": sentence.id,
                        "start": sentence.start, "end": sentence.end}
            nodes.append(_node(sentence.id, document, sentence.text, common | position | {
                "kind": KIND_SENTENCE, "lang": document.language, "translation": translation}))
            if translation:
                nodes.append(_node(f"{sentence.id}.en", document, translation, common | position | {
                    "kind": KIND_RENDERING, "lang": "en", "translation": translation}))
    return nodes


def _node(local_id: str, document: Document, text: str, metadata: dict[str, Any]) -> TextNode:
    return TextNode(
        id_=f"{document.id}:{document.checksum}:{local_id}",
        text=text,
        metadata=metadata,
        excluded_embed_metadata_keys=_BOOKKEEPING,
        excluded_llm_metadata_keys=_BOOKKEEPING,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=document.id)},
    )


class SentenceStore:
    """A Chroma collection of nodes; opening is lazy so constructing this is free."""

    def __init__(self, settings: Settings, params: IndexParams) -> None:
        self._settings = settings
        self._params = params
        self._vector_store: ChromaVectorStore | None = None

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
            configuration={"hnsw": {"space": "cosine"}},
            metadata=self._params.as_metadata(),
            embedding_function=None,  # we always pass our own embeddings
        )
        _check_params(collection.metadata or {}, self._params, self._settings)
        return ChromaVectorStore(chroma_collection=collection)

    def drop(self) -> list[str]:
        """Delete the collection (whatever it was built with); returns the ingested files' paths."""
        client = _client(self._settings)
        name = collection_name(self._settings.namespace)
        try:
            metadatas = client.get_collection(name).get(include=["metadatas"])["metadatas"]
        except Exception:  # noqa: BLE001 - a missing or unreadable collection is what we are removing
            metadatas = []
        with contextlib.suppress(Exception):
            client.delete_collection(name)
        self._vector_store = None
        return sorted({meta["source"] for meta in metadatas if meta.get("source")})

    @property
    def _collection(self) -> Any:
        return self.vector_store._collection  # noqa: SLF001 - the library exposes no public getter

    def count(self) -> int:
        return self._collection.count()

    def documents(self) -> list[DocumentInfo]:
        """What is in the store, derived from the nodes themselves (so never out of date)."""
        metadatas = self._collection.get(include=["metadatas"])["metadatas"]
        versions: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for meta in metadatas:
            versions[(meta["document_id"], meta["checksum"])].append(meta)
        return sorted(
            (_document_info(doc_id, checksum, metas) for (doc_id, checksum), metas in versions.items()),
            key=lambda info: (info.id, info.ingested_at),
        )

    def add_document(self, document: Document, embed_model: BaseEmbedding) -> bool:
        """Store ``document``; False when the same version is already there (nothing to do).

        The new version is written before the old one is deleted, so readers never see the
        document missing; nodes carry the version in their ids, so both can coexist briefly.
        """
        versions = {info.checksum for info in self.documents() if info.id == document.id}
        if versions == {document.checksum}:
            return False
        if document.checksum not in versions:
            nodes = nodes_for_document(document, ingested_at=time.time())
            texts = [node.get_content() for node in nodes]
            for node, embedding in zip(nodes, embed_model.get_text_embedding_batch(texts)):
                node.embedding = embedding
            self.vector_store.add(nodes)
        self._collection.delete(where={"$and": [{"document_id": document.id},
                                                {"checksum": {"$ne": document.checksum}}]})
        return True

    def remove_document(self, document_id: str) -> bool:
        if not any(info.id == document_id for info in self.documents()):
            return False
        self.vector_store.delete(ref_doc_id=document_id)
        return True

    def nodes(self, *kinds: str) -> list[TextNode]:
        """All stored nodes of the given kinds (for the in-memory BM25 side and the catalog)."""
        return self.vector_store.get_nodes(node_ids=None, filters=kind_filter(*kinds))


def kind_filter(*kinds: str) -> MetadataFilters:
    return MetadataFilters(filters=[MetadataFilter(key="kind", value=list(kinds), operator=FilterOperator.IN)])


def _document_info(doc_id: str, checksum: str, metas: list[dict[str, Any]]) -> DocumentInfo:
    kinds = [meta["kind"] for meta in metas]
    return DocumentInfo(
        id=doc_id,
        title=metas[0].get("title", ""),
        checksum=checksum,
        paragraphs=kinds.count(KIND_PARAGRAPH),
        sentences=kinds.count(KIND_SENTENCE),
        ingested_at=float(metas[0]["ingested_at"]),
    )


def _client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        settings.store_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.store_dir), settings=chroma_settings)
    except OSError as error:
        raise StoreError(f"cannot use the data directory {settings.store_dir}: {error.strerror}") from None


def _check_params(stored: dict[str, Any], expected: IndexParams, settings: Settings) -> None:
    for key, value in expected.as_metadata().items():
        if key in stored and stored[key] != value:
            raise StoreError(
                f"the index in {settings.store_dir} (namespace {settings.namespace!r}) was built with "
                f"{key}={stored[key]!r}, but this assistant uses {value!r}. Rebuild it with "
                "`assistant ingest --rebuild`, or use another data directory or namespace."
            )
