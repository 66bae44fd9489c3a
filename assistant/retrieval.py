"""The retrieval stage: dense (Chroma) and BM25 retrievers fused into one ranking of sentences.

Three signals score each sentence: its own dense similarity to the question (best of the original
and its English rendering), its BM25 score over normalised, stemmed tokens, and, in a paragraph of
several sentences, how much better the whole paragraph matches the question than the sentence does
alone. Hits are merged per sentence id, so a sentence is never returned twice.
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from .normalize import BM25_TOKEN_PATTERN, STOPWORDS, BilingualStemmer, normalize
from .settings import RetrievalMode
from .store import kind_filter, record_id
from .types import KIND_RENDERING, KIND_SENTENCE

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

@dataclass(frozen=True)
class FusionWeights:
    """How much each signal counts; chosen by measurement (docs/benchmarks.md)."""

    sentence: float
    context: float  # times (paragraph similarity - sentence similarity), in paragraphs of several sentences
    bm25: float

    @classmethod
    def for_mode(cls, mode: RetrievalMode) -> FusionWeights:
        return {
            # Gold set hit@1 (ar / en): dense alone .62/.80; +BM25 0.3: .81/.86. Context 0.25 leaves
            # the gold set as it is (19 of its 21 paragraphs are one sentence) and raises XQuAD-R
            # EN->AR recall@1 .52 -> .57 (AR->AR .715 either way); 0.35 and over cost gold AR .01.
            RetrievalMode.HYBRID: cls(sentence=1.0, context=0.25, bm25=0.3),
            RetrievalMode.DENSE: cls(sentence=1.0, context=0.0, bm25=0.0),
            RetrievalMode.BM25: cls(sentence=0.0, context=0.0, bm25=1.0),
        }[mode]


def build_bm25(nodes: list[TextNode], top_k: int) -> BM25Retriever:
    return BM25Retriever.from_defaults(
        nodes=nodes,
        similarity_top_k=min(top_k, max(len(nodes), 1)),
        stemmer=BilingualStemmer(),
        language=STOPWORDS + [normalize(word) for word in STOPWORDS],
        token_pattern=BM25_TOKEN_PATTERN,
    )


class HybridRetriever(BaseRetriever):
    """Ranks the original-language sentence nodes of the store for a question."""

    def __init__(
        self,
        vector_store: ChromaVectorStore,
        embed_model: BaseEmbedding,
        sentences: Iterable[TextNode],
        bm25: BM25Retriever | None,
        weights: FusionWeights,
        candidates: int,
        searchable: Iterable[TextNode] | None = None,
    ) -> None:
        super().__init__()
        self._embed_model = embed_model
        self._vector_store = vector_store
        self._candidates = candidates
        self._filtered: BaseRetriever | None = None  # made on first use (see _dense_hits)
        self._bm25_index = bm25
        self._bm25 = bm25 if weights.bm25 else None
        self._by_key = {_sentence_key(node): node for node in sentences}
        # Sentence key -> its paragraph's store id, for sentences that share their paragraph.
        sharing = Counter(_paragraph_key(key, node) for key, node in self._by_key.items())
        self._paragraph_of = {key: record_id(*_paragraph_key(key, node)) for key, node in self._by_key.items()
                              if sharing[_paragraph_key(key, node)] > 1}
        self._position = {key: n for n, key in enumerate(self._by_key)}
        # Store record id -> sentence key, for the sentences and their renderings (see _dense_hits),
        # and back: the records of each sentence (see _add_exact).
        self._key_of_id = {node.node_id: _sentence_key(node)
                           for node in (self._by_key.values() if searchable is None else searchable)}
        self._records_of: dict[tuple[str, str, str], list[str]] = {}
        for record, key in self._key_of_id.items():
            self._records_of.setdefault(key, []).append(record)
        self._weights = weights

    def with_weights(self, weights: FusionWeights) -> HybridRetriever:
        """The same retriever fusing with other weights; the id maps and the BM25 index are shared."""
        twin = copy.copy(self)
        twin._weights = weights
        twin._bm25 = self._bm25_index if weights.bm25 else None
        return twin

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        scores: dict[tuple[str, str, str], float] = {}
        dense: set[tuple[str, str, str]] = set()
        if self._weights.sentence:
            if query_bundle.embedding is None:
                query_bundle.embedding = self._embed_model.get_query_embedding(query_bundle.query_str)
            dense = self._add_dense(query_bundle, scores)
        if self._bm25 is not None:
            self._add_bm25(query_bundle, scores)
        if (self._weights.sentence and self._bm25 is not None) or self._weights.context:
            self._add_exact(query_bundle, scores, scores.keys() - dense if self._weights.sentence else set())
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        return [NodeWithScore(node=self._by_key[key], score=score) for key, score in ranked if key in self._by_key]

    def _add_dense(self, query: QueryBundle, scores: dict[tuple[str, str, str], float]) -> set[tuple[str, str, str]]:
        """Adds the dense similarity of the nearest sentences; returns their keys."""
        best: dict[tuple[str, str, str], float] = {}
        for key, similarity in self._dense_hits(query):
            best[key] = max(best.get(key, 0.0), _cosine(similarity))
        # In store order, so that ties rank the same way whatever order the hits came in.
        for key in sorted(best.keys() & self._by_key.keys(), key=self._position.__getitem__):
            scores[key] = scores.get(key, 0.0) + self._weights.sentence * best[key]
        return set(best)

    def _add_exact(self, query: QueryBundle, scores: dict[tuple[str, str, str], float],
                   undense: set[tuple[str, str, str]]) -> None:
        """Dense similarity for the BM25 candidates the nearest-neighbour search did not return, and
        the paragraph context of every candidate, from the stored vectors (one get by id).

        ``undense``: without their dense similarity, BM25-only candidates could never outrank the
        dense hits. HNSW is approximate and can miss a region of the store entirely (100k records:
        docs/benchmarks.md, "Performance"); this way BM25 still brings the right sentences in.

        Context: a question often paraphrases what a paragraph says across sentences, or names what
        a sentence refers to by a pronoun, so a candidate whose paragraph matches the question better
        than the sentence alone gets part of the difference. Only paragraphs of several sentences:
        for a one-sentence paragraph both are the same text.
        """
        pairs = {key: (self._by_key[key].node_id, self._paragraph_of[key])
                 for key in scores if self._weights.context and key in self._paragraph_of}
        wanted = {record for key in undense & self._by_key.keys() for record in self._records_of.get(key, [])}
        wanted |= {record for pair in pairs.values() for record in pair}
        if not wanted:
            return
        if query.embedding is None:
            query.embedding = self._embed_model.get_query_embedding(query.query_str)
        collection = self._vector_store._collection  # noqa: SLF001 - the library exposes no public getter
        found = collection.get(ids=sorted(wanted), include=["embeddings"])
        question = np.asarray(query.embedding, dtype=np.float32)
        question /= np.linalg.norm(question)
        similarity = {record: float(np.asarray(vector, dtype=np.float32) @ question / np.linalg.norm(vector))
                      for record, vector in zip(found["ids"], found["embeddings"])}
        for key in undense:
            found_records = [similarity[r] for r in self._records_of.get(key, []) if r in similarity]
            if found_records:
                scores[key] += self._weights.sentence * max(found_records)
        for key, (sentence, paragraph) in pairs.items():
            if sentence in similarity and paragraph in similarity:
                scores[key] += self._weights.context * (similarity[paragraph] - similarity[sentence])

    def _dense_hits(self, query: QueryBundle) -> list[tuple[tuple[str, str, str], float | None]]:
        """(sentence key, similarity) of the ``candidates`` nearest sentences and renderings.

        Chroma evaluates a metadata filter over every record it matches, which grows with the store
        (70 ms a query at 12k records, docs/benchmarks.md "Performance"), and fetching each hit's
        metadata costs more than the search. So the nearest records of any kind are fetched first,
        ids and distances only, and the paragraphs and document markers among them dropped, with a
        second, wider fetch when fewer than ``candidates`` sentences remain (near-duplicate
        paragraphs can fill the first: 500-900 ms a filtered query at 100k records, against a few
        ms); only then does the filtered query answer instead.
        """
        collection = self._vector_store._collection  # noqa: SLF001 - the library exposes no public getter
        for fetch in (3 * self._candidates, 12 * self._candidates):
            found = collection.query(query_embeddings=[query.embedding], n_results=fetch, include=["distances"])
            ids, distances = found["ids"][0], found["distances"][0]
            # Similarity as ChromaVectorStore reports it (exp(-distance)), so _cosine applies unchanged.
            hits = [(self._key_of_id[i], math.exp(-d)) for i, d in zip(ids, distances) if i in self._key_of_id]
            if len(hits) >= self._candidates or len(ids) < fetch:  # enough, or the whole store was seen
                return hits[: self._candidates]
        if self._filtered is None:  # rare, and building it imports tiktoken: 0.35 s of cold start
            index = VectorStoreIndex.from_vector_store(self._vector_store, embed_model=self._embed_model)
            self._filtered = index.as_retriever(similarity_top_k=self._candidates,
                                                filters=kind_filter(KIND_SENTENCE, KIND_RENDERING))
        return [(_sentence_key(hit.node), hit.score) for hit in self._filtered.retrieve(query)]

    def _add_bm25(self, query: QueryBundle, scores: dict[tuple[str, str, str], float]) -> None:
        assert self._bm25 is not None
        for hit in self._bm25.retrieve(query.query_str):
            if hit.score and hit.score > 0:
                key = _sentence_key(hit.node)
                # A saturating transform keeps BM25 on the same 0..1 scale as cosine similarity.
                bm25 = hit.score / (hit.score + 5.0)
                scores[key] = max(scores.get(key, 0.0), 0.0) + self._weights.bm25 * bm25


def _paragraph_key(key: tuple[str, str, str], node: TextNode) -> tuple[str, str, str]:
    return key[0], key[1], node.metadata["paragraph_id"]


def _sentence_key(node: TextNode) -> tuple[str, str, str]:
    # The checksum keeps a version that another process is writing apart from the complete one.
    return node.metadata["document_id"], node.metadata["checksum"], node.metadata["sentence_id"]


def _cosine(similarity: float | None) -> float:
    # ChromaVectorStore reports exp(-distance); with cosine space, distance = 1 - cosine.
    return 1.0 + math.log(similarity) if similarity else 0.0
