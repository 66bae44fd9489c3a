"""The retrieval stage, in two steps that share one ranking: passages, then sentences inside them.

Step 1 finds passages (the stored paragraphs): dense similarity of the question to the paragraph
vectors and BM25 over whole paragraphs, which carry the context a sentence lacks (the name a
pronoun stands for, the topic of a list). Step 2 ranks the sentences of the best passages, plus
the sentences that match on their own: each sentence's final score is a convex mix of its own
match (dense similarity, best of the original and its English rendering, plus saturated BM25)
and its passage's score. Hits carry every score (``RankedSentence``) for the stages after this one.
Dense similarities across languages are put on the scale of those within one, and a store holding
both languages is searched in each (cross_language.py).
Its last step hands the ranking to a reranker when one is attached (rerank.py).

Why our own fusion and not llama-index's ``QueryFusionRetriever``: its reciprocal-rank and
relative-score fusions rank by position or per-query min-max, which throws away the absolute
similarity the abstention threshold needs, and measured 0.03-0.06 lower R@1 than score sums on
XQuAD-R (docs/benchmarks.md, "Experiments"). The passage-sentence link is the ``paragraph_id``
every stored sentence carries (store.nodes_for_document), in place of a node relationship.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import bm25s
import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from .cross_language import CrossLanguage, other_language
from .normalize import BM25_TOKEN_PATTERN, BilingualStemmer, text_language
from .question_type import days_meant, label_words
from .search_index import BM25_STOPWORDS, Key, SearchIndex, gc_paused
from .settings import RetrievalMode
from .segmentation import COLONS, HEADING
from .subject import ordered_by, what_is_asked
from .store import NodeCache, kind_filter, node_from_record, record_id, role_of
from .types import KIND_RENDERING, KIND_SENTENCE

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from .late_interaction import LateInteraction
    from .use_encoder import UseRescorer

# BM25 is mapped to 0..1 by bm25 / (bm25 + BM25_SATURATION), so it adds to cosine similarities.
BM25_SATURATION = 5.0
# Stored vectors kept in memory once fetched (a record id names one immutable version): at most this
# many, 77 MB. A Chroma get by id costs 5-14 ms whatever its size (ARCD store, loaded machine).
VECTOR_CACHE = 50_000


@dataclass(frozen=True)
class FusionWeights:
    """How much each signal counts; chosen by measurement (docs/benchmarks.md, "Open QA").

    own = dense·cos(q, sentence) + lexical·sat(BM25 sentence)
          + late·(MaxSim(q, sentence) - best MaxSim of the top candidates)   (late_interaction.py)
          + across_use·(cos_USE(q, sentence) - best of the top candidates)    (use_encoder.py; only
            the candidates matched across languages)
    passage = passage_dense·cos(q, paragraph) + passage_lexical·sat(BM25 paragraph)
    score = (1 - passage_share)·own + passage_share·passage
    """

    dense: float
    lexical: float
    passage_dense: float
    passage_lexical: float
    passage_share: float
    passages: int = 5  # the best passages whose every sentence is ranked
    late: float = 0.0  # late interaction's weight in own (a weight of 1 is 0.5 of the final score)
    across_use: float = 0.0  # USE's weight in own, for matches across languages (use_encoder.py)
    # USE's weight between the languages, when the top candidates hold both (use_encoder.py, ``between``)
    between_languages: float = 0.0

    @classmethod
    def for_mode(cls, mode: RetrievalMode) -> FusionWeights:
        # Fitted by benchmarks/fit_retrieval.py on the fit halves (ARCD-train paragraphs hashed "fit",
        # XQuAD-R even indexes) with the gold set as a guard. R@1 ARCD / XQuAD AR / XQuAD EN, ARCD
        # right paragraph first and r@5, gold hit@1 ar / en:
        #   one step, sentence dense + 0.3 BM25:           .62 / .72 / .52, .76 / .85, .81 / .86
        #   two steps, lexical .15, passage BM25 .3, .5:   .63 / .72 / .58, .79 / .90, .82 / .88  (kept)
        #   two steps, lexical .5, passage BM25 .5, .5:    .66 / .72 / .57, .82 / .89, .81 / .87
        # Passage share 0.25-0.7 and BM25 weights 0.15-0.8 all lie within 0.03 of these: a plateau;
        # of the two best sums the one with less BM25 was kept (the gold set's list questions need
        # their items within 0.15 of the best; questions written without seeing the text match less
        # by words). Also measured, not kept: a sentence's share of its passage's rarer question terms
        # (+-0.03, unstable sign); a bonus for a date or number when the question wants one (+0.02
        # ARCD only, and it would lift unanswerable date questions over the abstention threshold).
        # Late interaction (late_interaction.py): the fit halves favoured 0.5-0.75 of the final score,
        # the gold set 0.2-0.5 (offline, 384 dimensions: 0.2 -> .887, 0.5 -> .873, 0.75 -> .866).
        return {
            RetrievalMode.HYBRID: cls(dense=1.0, lexical=0.15, passage_dense=1.0, passage_lexical=0.3,
                                      passage_share=0.5, late=1.0, across_use=0.1, between_languages=0.2),
            RetrievalMode.DENSE: cls(dense=1.0, lexical=0.0, passage_dense=1.0, passage_lexical=0.0,
                                     passage_share=0.5, late=1.0, across_use=0.1),
            RetrievalMode.BM25: cls(dense=0.0, lexical=1.0, passage_dense=0.0, passage_lexical=1.0,
                                    passage_share=0.5),
        }[mode]

    @property
    def uses_dense(self) -> bool:
        return bool(self.dense or self.passage_dense)

    @property
    def uses_lexical(self) -> bool:
        return bool(self.lexical or self.passage_lexical)


class Reranker(Protocol):
    """Reorders a final ranking (rerank.ShareReranker)."""

    def rerank(self, question: str, hits: list[RankedSentence]) -> list[RankedSentence]: ...


class RankedSentence(NodeWithScore):
    """A sentence hit with the scores of both steps (``score`` is the final one)."""

    own: float = 0.0  # the sentence's own match: dense + lexical
    passage: float = 0.0  # its passage's score
    dense: float = 0.0  # cos(question, sentence), best of the original and its rendering
    lexical: float = 0.0  # sat(BM25 of the sentence)
    passage_dense: float = 0.0
    passage_lexical: float = 0.0
    late: float = 0.0  # MaxSim of the question's and the sentence's tokens (0: not computed)
    use: float = 0.0  # cos_USE(question, sentence), for the candidates matched across languages (use_encoder.py)
    share: float | None = None  # its share of the answer, when the rerank stage gave one (rerank.py)

    def moved(self, delta: float, passage_share: float, **signals: float) -> RankedSentence:
        """This hit with ``delta`` more in its own match (and its score by its share of it), and the
        ``signals`` a re-scoring stage read (``late``, ``use``)."""
        score = (self.score or 0.0) + (1 - passage_share) * delta
        return self.model_copy(update={"own": self.own + delta, "score": score, **signals})


def build_bm25(nodes: list[TextNode], top_k: int) -> BM25Retriever:
    return BM25Retriever.from_defaults(
        nodes=nodes,
        similarity_top_k=min(top_k, max(len(nodes), 1)),
        stemmer=BilingualStemmer(),
        language=BM25_STOPWORDS,
        token_pattern=BM25_TOKEN_PATTERN,
    )


def passage_nodes(paragraphs: Iterable[TextNode], sentences: Iterable[TextNode]) -> list[TextNode]:
    """What passage BM25 indexes: each paragraph, and the English renderings of its sentences joined
    (when they exist) as a second entry of the same passage, so English questions match too."""
    english: dict[Key, list[str]] = {}
    for node in sentences:
        if node.metadata.get("translation"):
            english.setdefault(_passage_key(node), []).append(node.metadata["translation"])
    out = list(paragraphs)
    for node in list(out):
        if english.get(_passage_key(node)):
            out.append(TextNode(id_=f"{node.node_id}.en", text=" ".join(english[_passage_key(node)]),
                                metadata=node.metadata))
    return out


class _Lexical:
    """Exact BM25 scores over a bm25s index (a llama-index ``BM25Retriever``'s, or a loaded one), per key."""

    def __init__(self, bm25: bm25s.BM25, keys: list[Key | None]) -> None:
        self._bm25 = bm25
        self._stemmer = BilingualStemmer()
        self._keys = keys  # per index entry
        self._entries: dict[Key, list[int]] = {}
        for index, key in enumerate(self._keys):
            if key is not None:
                self._entries.setdefault(key, []).append(index)

    @classmethod
    def of_retriever(cls, retriever: BM25Retriever, key_of_id: dict[str, Key | None]) -> _Lexical:
        return cls(retriever.bm25, [key_of_id.get(entry["node_id"]) for entry in retriever.corpus])

    def scores(self, query: str) -> _LexicalScores:
        words = bm25s.tokenize(query, stemmer=self._stemmer, token_pattern=BM25_TOKEN_PATTERN, stopwords=BM25_STOPWORDS,
                               return_ids=False, show_progress=False)[0]
        ids = self._bm25.get_tokens_ids(words)
        raw = self._bm25.get_scores_from_ids(ids) if ids else np.zeros(len(self._keys), dtype=np.float32)
        return _LexicalScores(self, raw)


class _LexicalScores:
    """One question's BM25 scores, saturated; a key's best entry when it has several (a rendering)."""

    def __init__(self, lexical: _Lexical, raw: np.ndarray) -> None:
        self._lexical = lexical
        self._raw = raw

    def get(self, key: Key, default: float = 0.0) -> float:
        entries = self._lexical._entries.get(key)  # noqa: SLF001 - a view of its own index
        if not entries:
            return default
        best = float(max(self._raw[i] for i in entries))
        return best / (best + BM25_SATURATION) if best > 0 else default

    def top(self, n: int) -> list[Key]:
        """The ``n`` best keys with a positive score (a key's entries may hold several of the best)."""
        if n <= 0 or not len(self._raw):
            return []
        wanted = min(len(self._raw), 2 * n)
        best = np.argpartition(-self._raw, wanted - 1)[:wanted]
        out: list[Key] = []
        for index in best[np.argsort(-self._raw[best], kind="stable")]:
            key = self._lexical._keys[index]  # noqa: SLF001
            if self._raw[index] <= 0 or len(out) == n:
                break
            if key is not None and key not in out:
                out.append(key)
        return out


# A document without a title line has its sentences ordered by what the question asks of its subject
# (subject.py) when it holds one of this many best passages. ARCD-train fit half: 1, 2, 3 or 5 give
# answer in top citation .726 / .728 / .728 / .728 and r@1 .695 / .706 / .706 / .706; ask p50 20 /
# 24 / 26 / 30 ms against 14 ms without (one embedding per document).
UNTITLED_SUBJECT_PASSAGES = 2


@dataclass
class _Signals:
    """A question's matches, by sentence key and by passage key (filled as the ranking needs them)."""

    weights: FusionWeights
    dense: dict[Key, float] = field(default_factory=dict)
    passage_dense: dict[Key, float] = field(default_factory=dict)
    lexical: _LexicalScores | dict[Key, float] = field(default_factory=dict)  # empty: not used
    passage_lexical: _LexicalScores | dict[Key, float] = field(default_factory=dict)
    sentence_pool: set[Key] = field(default_factory=set)  # the sentences that match on their own
    across: set[Key] = field(default_factory=set)  # sentences found in the other language, not yet scored
    passages_across: set[Key] = field(default_factory=set)  # passages found in the other language, not yet scored

    def passage_score(self, p: Key) -> float:
        w = self.weights
        return w.passage_dense * self.passage_dense.get(p, 0.0) + w.passage_lexical * self.passage_lexical.get(p, 0.0)


class TwoStageRetriever(BaseRetriever):
    """Ranks the original-language sentence nodes of the store for a question (see the module doc)."""

    _near: frozenset[tuple[str, str]] = frozenset()  # (document id, paragraph id): always ranked (``near``)

    def __init__(
        self,
        vector_store: ChromaVectorStore,
        embed_model: BaseEmbedding,
        sentences: Iterable[TextNode],
        weights: FusionWeights,
        candidates: int,
        searchable: Iterable[TextNode] | None = None,
        paragraphs: Iterable[TextNode] = (),
        bm25: BM25Retriever | None = None,
        passage_bm25: BM25Retriever | None = None,
    ) -> None:
        """``sentences``: the original sentence nodes (what is ranked); ``searchable``: those and their
        renderings (what dense and BM25 match); ``bm25`` over ``searchable``, ``passage_bm25`` over
        ``passage_nodes(paragraphs, sentences)``."""
        super().__init__()
        self._embed_model = embed_model
        self._vector_store = vector_store
        self._candidates = candidates
        self._weights = weights
        self._filtered: BaseRetriever | None = None  # made on first use (see _dense_hits)
        self._vectors: dict[str, np.ndarray] = {}  # record id -> unit vector; shared by the twins
        by_id = {node.node_id: node for node in sentences}
        searchable = list(by_id.values()) if searchable is None else list(searchable)
        key_of_id = {node.node_id: _sentence_key(node) for node in searchable}
        passage_of_id = {node.node_id: _passage_key(node) for node in paragraphs}
        headings = frozenset(_passage_key(node) for node in paragraphs if role_of(node) == HEADING)
        languages = {node.node_id: node.metadata.get("lang", "") for node in [*searchable, *paragraphs]}
        self._catalog([(_sentence_key(node), _passage_key(node)) for node in by_id.values()], key_of_id, passage_of_id,
                      headings, languages)
        self._lexical = _Lexical.of_retriever(bm25, self._key_of_id) if bm25 is not None else None
        if passage_bm25 is not None:
            passage_ids = passage_of_id | {entry["node_id"]: passage_of_id.get(entry["node_id"].removesuffix(".en"))
                                           for entry in passage_bm25.corpus}
            self._passage_lexical = _Lexical.of_retriever(passage_bm25, passage_ids)
        self._nodes: Callable[[list[str]], Mapping[str, TextNode]] = lambda records: by_id
        self._node_cache: NodeCache | None = None  # when nodes are fetched from the store (from_index)
        self._late: LateInteraction | None = None  # re-scores the top candidates (``with_late``)
        self._use: UseRescorer | None = None  # re-scores the top candidates across languages (``with_use``)
        self._cross: CrossLanguage | None = None  # calibrates matches across languages (``with_cross_language``)
        self._reranker: Reranker | None = None  # reorders the final top (``with_reranker``)

    @classmethod
    def from_index(cls, vector_store: ChromaVectorStore, embed_model: BaseEmbedding, index: SearchIndex,
                   nodes: NodeCache, weights: FusionWeights, candidates: int) -> TwoStageRetriever:
        """The same retriever over a persisted ``SearchIndex`` (compact: keys and ids, no nodes); the
        nodes it returns, and their paragraphs, are fetched through ``nodes`` when returned."""
        retriever = cls(vector_store, embed_model, (), weights, candidates)
        with gc_paused():
            retriever._index_maps(index)
        retriever._nodes = nodes.get_many
        retriever._node_cache = nodes
        return retriever

    def _index_maps(self, index: SearchIndex) -> None:
        self._catalog([(r.key, (r.key[0], r.key[1], r.paragraph_id)) for r in index.sentences],
                      {r.record: r.key for r in index.records}, dict(index.paragraphs), index.headings,
                      index.languages)
        if index.bm25 is not None:
            self._lexical = _Lexical(index.bm25, [r.key for r in index.records])
        if index.passage_bm25 is not None:
            self._passage_lexical = _Lexical(index.passage_bm25,
                                             [self._passage_of_id.get(record) for record in index.passage_entries])

    def _catalog(self, sentences: list[tuple[Key, Key]], key_of_id: dict[str, Key],
                 passage_of_id: dict[str, Key], headings: frozenset[Key] = frozenset(),
                 languages: dict[str, str] | None = None) -> None:
        """The id maps: ``sentences`` (key, passage key) in store order, record id -> sentence key (of
        the sentences and their renderings), paragraph record id -> passage key; each document's
        title, when its first paragraph is a heading (``headings``: the passages that are); record
        id -> language (``languages``), the languages some sentence is matched in only, and the
        passages whose sentences have renderings (cross_language.py)."""
        self._language_of = languages or {}
        self._position = {key: n for n, (key, _) in enumerate(sentences)}
        self._passage_of = dict(sentences)
        self._members: dict[Key, list[Key]] = {}
        self._passage_before: dict[Key, Key] = {}  # each passage -> the one before it in its document
        last: dict[tuple[str, str], Key] = {}
        self._title: dict[tuple[str, str], Key] = {}  # (document, checksum) -> its title line, a sentence
        self._lead: dict[tuple[str, str], Key] = {}  # (document, checksum) -> its first sentence that is no heading
        for key, passage in sentences:
            if passage[:2] not in last and passage in headings:
                self._title[passage[:2]] = key
            elif passage[:2] not in self._lead and passage not in headings:
                self._lead[passage[:2]] = key
            if passage not in self._members and passage[:2] in last:
                self._passage_before[passage] = last[passage[:2]]
            self._members.setdefault(passage, []).append(key)
            last[passage[:2]] = passage
        self._section_after = {before: passage for passage, before in self._passage_before.items()
                               if before in headings and before in self._passage_before}
        # Store record id -> key, and back, for sentences (with their renderings) and passages.
        self._key_of_id = key_of_id
        self._records_of: dict[Key, list[str]] = {}
        for record, key in key_of_id.items():
            self._records_of.setdefault(key, []).append(record)
        # The languages some sentence can be matched in only (none has a rendering in the other).
        alone: set[str] = set()
        self._rendered: dict[Key, set[str]] = {}  # passage -> its sentences' languages, when they have renderings
        for key, records in self._records_of.items():
            languages = {self._language_of.get(record, "") for record in records}
            if len(languages) == 1:
                alone |= languages
            elif key in self._passage_of:
                self._rendered.setdefault(self._passage_of[key], set()).update(languages)
        self._alone_in = frozenset(alone)
        self._passage_of_id = passage_of_id
        self._passage_record = {key: record for record, key in passage_of_id.items()}
        self._lexical: _Lexical | None = None
        self._passage_lexical: _Lexical | None = None

    def with_late(self, late: LateInteraction | None) -> TwoStageRetriever:
        """The same retriever, its top candidates re-scored by ``late`` in the modes that weigh it."""
        twin = self.with_weights(self._weights)
        twin._late = late
        return twin

    def with_use(self, use: UseRescorer | None) -> TwoStageRetriever:
        """The same retriever, its top candidates matched across languages re-scored by ``use``."""
        twin = self.with_weights(self._weights)
        twin._use = use
        return twin

    def with_cross_language(self, cross: CrossLanguage | None) -> TwoStageRetriever:
        """The same retriever, its similarities across languages calibrated by ``cross``."""
        twin = self.with_weights(self._weights)
        twin._cross = cross
        return twin

    def with_reranker(self, reranker: Reranker | None) -> TwoStageRetriever:
        """The same retriever, its final ranking's top reordered by ``reranker`` (rerank.py)."""
        twin = self.with_weights(self._weights)
        twin._reranker = reranker
        return twin

    def near(self, passages: Iterable[tuple[str, str]]) -> TwoStageRetriever:
        """The same retriever also ranking every sentence of ``passages`` ((document id, paragraph id)),
        whatever its step 1 finds: a follow-up's own words may not find what it leans on."""
        twin = self.with_weights(self._weights)
        twin._near = frozenset(passages)
        return twin

    def with_weights(self, weights: FusionWeights) -> TwoStageRetriever:
        """The same retriever fusing with other weights; the id maps and BM25 indexes are shared."""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin._weights = weights
        return twin

    @property
    def weights(self) -> FusionWeights:
        return self._weights

    @property
    def _late_in_use(self) -> LateInteraction | None:
        """Late interaction, when attached and weighed by these weights."""
        return self._late if self._weights.late else None

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        w = self._weights
        signals = self._signals(query_bundle)
        near = {p for p in self._members if (p[0], p[2]) in self._near} if self._near else set()
        passage = self._passage_step(query_bundle, signals, near)
        best = self._best_passages(passage, signals, near)
        chosen = (signals.sentence_pool | {key for p in best for key in self._members[p]}) & self._position.keys()
        # The documents whose sentences are ordered by what the question asks of their subject: those
        # with a title line, and the others among the best passages' (each costs an embedding).
        top_documents = {p[:2] for p in best[:UNTITLED_SUBJECT_PASSAGES]}
        named: dict[tuple[str, str], list[Key]] = {}  # such a document -> its chosen sentences
        for key in chosen if w.dense else ():
            if key[:2] in self._title or key[:2] in top_documents:
                named.setdefault(key[:2], []).append(key)
        nodes = self._fetch(query_bundle, chosen, named, signals)
        items = self._lists_introduced(chosen, nodes)
        if items:
            chosen |= items
            nodes = {**nodes, **self._fetch(query_bundle, items, {}, signals)}
        self._order_by_subject(query_bundle.query_str, named, nodes, signals, passage)
        hits = self._hits(chosen, nodes, signals, passage)
        late = self._late_in_use
        if late is not None:
            # The near passages' sentences are re-scored too: a follow-up's history may lift them.
            also = {hit.node.node_id for hit in hits if self._passage_of[_sentence_key(hit.node)] in near} if near else set()
            hits = late.rerank(query_bundle.query_str, hits, w.late, w.passage_share, also, self._preceding)
        if self._use is not None:  # it re-scores nothing at weight 0 or without the calibration (``_raised``)
            language = text_language(query_bundle.query_str)
            hits = self._use.rerank(query_bundle.query_str, hits, w.across_use, w.passage_share,
                                    lambda hit: self._rescored_across(hit, language))
            hits = self._use.between(query_bundle.query_str, hits, w.between_languages, w.passage_share,
                                     lambda hit: self._rescored_across(hit, language),
                                     lambda hit: self._rescored_within(hit, language))
        return self._reranker.rerank(query_bundle.query_str, hits) if self._reranker is not None else hits

    def _signals(self, query: QueryBundle) -> _Signals:
        """The question's dense and BM25 matches, to sentences and to passages, before step 1."""
        w = self._weights
        signals = _Signals(w)
        if w.uses_dense:
            if query.embedding is None:
                query.embedding = self._embed_model.get_query_embedding(query.query_str)
            signals.dense, signals.passage_dense = self._dense_hits(query)
            signals.across, signals.passages_across = self._across_languages(query)
        if w.uses_lexical:
            # With the words a field's label names its answer by ("Venue:", "Sale date:"): label_words; and
            # the days a "weekday" is ("Monday – Friday"): days_meant.
            lexical_query = f"{query.query_str} {label_words(query.query_str)} {days_meant(query.query_str)}"
            if self._lexical is not None:
                signals.lexical = self._lexical.scores(lexical_query)
            if self._passage_lexical is not None:
                signals.passage_lexical = self._passage_lexical.scores(lexical_query)
        signals.sentence_pool = set(signals.dense) | signals.across | set(_top(signals.lexical, self._candidates))
        return signals

    def _passage_step(self, query: QueryBundle, signals: _Signals, near: set[Key]) -> dict[Key, float]:
        """Step 1: each candidate passage's score. Candidates: the dense and BM25 passage hits, the
        passages of the sentences that match on their own, and ``near``; each scored exactly (missing
        vectors fetched by id)."""
        pool = set(signals.passage_dense) | signals.passages_across | set(_top(signals.passage_lexical, self._candidates))
        pool |= {self._passage_of[key] for key in signals.sentence_pool if key in self._passage_of}
        pool = (pool | near) & self._members.keys()
        pool |= self._sections(pool)
        if self._weights.passage_dense:
            self._fill_dense(query, [], [p for p in pool if p not in signals.passage_dense], signals.dense,
                             signals.passage_dense)
        return {p: signals.passage_score(p) for p in pool}

    def _best_passages(self, passage: dict[Key, float], signals: _Signals, near: set[Key]) -> list[Key]:
        """The passages whose every sentence step 2 ranks: the best ``passages``, each passage signal's
        own first, and ``near``."""
        w = self._weights
        best = sorted(passage, key=lambda p: (-passage[p], self._position[self._members[p][0]]))[: w.passages]
        # Each passage signal's own first passage is ranked too: at 100k sentences the paragraph
        # holding a question's one rare term ("CIFG") lost the fused top 5 to passages matching a
        # common one, and HNSW missed its sentence (docs/benchmarks.md, "The 100k store").
        firsts = set(_top(signals.passage_lexical, 1)) if w.passage_lexical and w.passages else set()
        if w.passage_dense and w.passages and signals.passage_dense:
            firsts.add(max(signals.passage_dense, key=signals.passage_dense.get))
        return best + sorted(((firsts & passage.keys()) | near | self._sections(best)) - set(best),
                             key=lambda p: self._position[self._members[p][0]])

    def _sections(self, passages: Iterable[Key]) -> set[Key]:
        """The first passage of the section under each heading among ``passages`` (not a document's
        title line, whose section is all of it): a question that matches "## Core hours" is answered by
        the paragraph under it, whose words it may not share ("between 10:00 and 15:00")."""
        return {self._section_after[p] for p in passages if p in self._section_after}

    def _fetch(self, query: QueryBundle, chosen: set[Key], named: Mapping[tuple[str, str], list[Key]],
               signals: _Signals) -> Mapping[str, TextNode]:
        """The nodes of the ``chosen`` sentences, their paragraphs (the evidence stage reads them), the
        sentences late interaction reads them with, and the subject lines of the ``named`` documents;
        fetched in the same get as the chosen sentences' missing vectors (a get costs 5-14 ms whatever
        its size), which are scored into ``signals``."""
        records = [record_id(*key) for key in chosen]
        records += [self._passage_record[p] for p in {self._passage_of[k] for k in chosen} if p in self._passage_record]
        if self._late_in_use is not None:
            records += [record_id(*k) for key in chosen for k in self._context(key)]
        records += [record_id(*key) for document in named for key in self._subject_lines(document) if key]
        if self._weights.dense:
            self._fill_dense(query, [k for k in chosen if k not in signals.dense], [], signals.dense,
                             signals.passage_dense, records)
        return self._nodes(records)

    def _lists_introduced(self, chosen: set[Key], nodes: Mapping[str, TextNode]) -> set[Key]:
        """The sentences not yet ``chosen`` of the passages in which a chosen sentence introduces a list
        ("Our work is organised into three programmes:" and its bullets): the items seldom share the
        question's words ("What are the Alliance's programmes?"), and the line alone answers nothing."""
        introducing = set()
        for key in chosen:
            node, p = nodes.get(record_id(*key)), self._passage_of.get(key)
            members = self._members.get(p, [])
            # A line ending with a colon before the end of its paragraph (segmentation keeps a list
            # with the line that introduces it).
            if (p is not None and node is not None and node.get_content().rstrip().endswith(COLONS)
                    and members[-1:] != [key]):
                introducing.add(p)
        return {key for p in introducing for key in self._members[p] if key not in chosen}

    def _order_by_subject(self, question: str, named: Mapping[tuple[str, str], list[Key]],
                          nodes: Mapping[str, TextNode], signals: _Signals, passage: dict[Key, float]) -> None:
        """The dense scores of each ``named`` document's sentences and passages ordered by what
        ``question`` asks of its subject (``_ordered_by_what_is_asked``), in ``signals`` and ``passage``."""
        asked: dict[str, list[float]] = {}  # the question without its subject's words -> its embedding
        for document, keys in named.items():
            title, lead = (_content(nodes.get(record_id(*key))) if key else "" for key in self._subject_lines(document))
            moved = self._ordered_by_what_is_asked(question, title, lead, keys, signals.dense, signals.passage_dense,
                                                   asked)
            for p, delta in moved.items():
                if p in passage:
                    passage[p] += self._weights.passage_dense * delta

    def _hits(self, chosen: set[Key], nodes: Mapping[str, TextNode], signals: _Signals,
              passage: dict[Key, float]) -> list[RankedSentence]:
        """Step 2: the chosen sentences, each scored by its own match and its passage's, best first."""
        w = self._weights
        hits = []
        for key in chosen:
            node = nodes.get(record_id(*key))
            if node is None:
                continue  # removed since this index was built (another process)
            p = self._passage_of[key]
            if p not in passage:  # a passage outside the pool (its sentence came from the other signal)
                passage[p] = signals.passage_score(p)
            own = w.dense * signals.dense.get(key, 0.0) + w.lexical * signals.lexical.get(key, 0.0)
            score = (1 - w.passage_share) * own + w.passage_share * passage[p]
            hits.append(RankedSentence(node=node, score=score, own=own, passage=passage[p],
                                       dense=signals.dense.get(key, 0.0), lexical=signals.lexical.get(key, 0.0),
                                       passage_dense=signals.passage_dense.get(p, 0.0),
                                       passage_lexical=signals.passage_lexical.get(p, 0.0)))
        # Ties in store order, so that a ranking does not depend on the order the hits came in.
        hits.sort(key=lambda hit: (-(hit.score or 0.0), self._position[_sentence_key(hit.node)]))
        return hits

    def _subject_lines(self, document: tuple[str, str]) -> tuple[Key | None, Key | None]:
        """The sentences that name a document's subject: its title line (None when it has none) and its
        lead (its first sentence that is no heading)."""
        return self._title.get(document), self._lead.get(document)

    def _ordered_by_what_is_asked(self, question: str, title: str, lead: str, keys: list[Key],
                                  dense: dict[Key, float], passage_dense: dict[Key, float],
                                  embedded: dict[str, list[float]]) -> dict[Key, float]:
        """When ``question`` names the subject of the document of ``keys`` (its ranked sentences: see
        subject.py), their and their passages' dense scores ordered by the question without the
        subject's words, in place; returns how much each passage's score moved. ``embedded``: the
        questions so reduced already embedded for this ranking (two copies of a document share a title)."""
        asked = what_is_asked(question, title, lead)
        if asked is None:
            return {}
        if asked not in embedded:
            embedded[asked] = self._embed_model.get_query_embedding(asked)
        bundle = QueryBundle(asked, embedding=embedded[asked])
        passages = sorted({self._passage_of[key] for key in keys})
        sentences_asked: dict[Key, float] = {}
        passages_asked: dict[Key, float] = {}
        self._fill_dense(bundle, keys, passages, sentences_asked, passages_asked)
        dense.update(ordered_by({key: dense[key] for key in keys if key in dense}, sentences_asked))
        moved = ordered_by({p: passage_dense[p] for p in passages if p in passage_dense}, passages_asked)
        changed = {p: score - passage_dense[p] for p, score in moved.items()}
        passage_dense.update(moved)
        return changed

    def _preceding(self, nodes: list[TextNode]) -> dict[str, list[TextNode]]:
        """{node id: the nodes of the sentences it is read with} for ``nodes`` that have any (fetched with
        the ranking's nodes, so this is a lookup in the node cache)."""
        context = {node.node_id: keys for node in nodes if (keys := self._context(_sentence_key(node)))}
        found = self._nodes([record_id(*key) for keys in context.values() for key in keys]) if context else {}
        return {node_id: [found[record_id(*key)] for key in keys if record_id(*key) in found]
                for node_id, keys in context.items()}

    def _context(self, key: Key) -> list[Key]:
        """The sentences ``key`` is read with: the one before it, and its document's title line. A
        report's or a programme's sentences seldom repeat what the title names ("Harbour Lights
        Festival 2025 — مهرجان أضواء الميناء"), and a question names it: read with the title, "Concert
        tickets cost QAR 50 ..." answers "كم سعر تذكرة الحفل ... في مهرجان أضواء الميناء؟" (the festival's
        opening sentence did). Two helper-written sets of users' documents: +2 of 70 and +1 of 76
        answerable questions right, none lost; ARCD-train, XQuAD-R and the article have no title line
        (docs/benchmarks.md)."""
        before = self._before(key)
        keys = [before] if before is not None else []
        title = self._title.get(key[:2])
        if title is not None and title != key and title not in keys:
            keys.append(title)
        return keys

    def _before(self, key: Key) -> Key | None:
        """The sentence before ``key``: in its paragraph; for a paragraph of one sentence, the last of
        the paragraph before in its document; else None.

        A news article sets nearly every sentence apart as a paragraph that leans on the one before
        ("It said that this aims to reduce ISIS's ability..."); a paragraph of several sentences opens
        a topic of its own. Measured (docs/benchmarks.md, "The sentence before, across paragraphs"):
        gold hit@1 .894 -> .908; Wikipedia articles ingested whole (ARCD-train, XQuAD-R) the same to
        .001; across every paragraph break instead, gold .915 but those .003-.009 lower."""
        passage = self._passage_of.get(key)
        members = self._members.get(passage, [])
        n = members.index(key) if key in members else 0
        if n:
            return members[n - 1]
        if len(members) != 1:
            return None
        previous = self._members.get(self._passage_before.get(passage), [])
        return previous[-1] if previous else None

    def _fill_dense(self, query: QueryBundle, sentences: list[Key], passages: list[Key],
                    dense: dict[Key, float], passage_dense: dict[Key, float], nodes: Iterable[str] = ()) -> None:
        """Exact similarity of the question to the stored vectors of ``sentences`` (best of their
        records) and ``passages``, fetched by id (once; then kept): HNSW is approximate and can miss
        a region of the store entirely (100k records: docs/benchmarks.md, "Performance"). The records
        ``nodes`` that the node cache lacks are fetched in the same get, into it."""
        wanted = {record for key in sentences for record in self._records_of.get(key, [])}
        wanted |= {self._passage_record[p] for p in passages if p in self._passage_record}
        vectors = self._stored_vectors(wanted, nodes)
        question = np.asarray(query.embedding, dtype=np.float32)
        question /= np.linalg.norm(question)
        language = text_language(query.query_str)
        for record, vector in vectors.items():
            if vector is None:
                continue  # deleted meanwhile
            similarity = self._similarity(record, float(vector @ question), language, vector)
            if record in self._passage_of_id:
                passage_dense[self._passage_of_id[record]] = similarity
            if record in self._key_of_id:
                key = self._key_of_id[record]
                dense[key] = max(dense.get(key, -1.0), similarity)

    def _stored_vectors(self, records: Iterable[str], nodes: Iterable[str] = ()) -> dict[str, np.ndarray | None]:
        """The stored (unit) vectors of ``records`` (None: deleted meanwhile), fetched by id once, then
        kept. The records ``nodes`` that the node cache lacks are fetched in the same get, into it."""
        vectors = {record: self._vectors.get(record) for record in records}
        missing = sorted(record for record, vector in vectors.items() if vector is None)
        cache = self._node_cache
        unfetched = cache.missing(nodes) if cache is not None and missing else []
        if missing:
            collection = self._vector_store.client  # the Chroma collection
            include = ["embeddings", "documents", "metadatas"] if unfetched else ["embeddings"]
            found = collection.get(ids=sorted(set(missing) | set(unfetched)), include=include)
            if len(self._vectors) + len(missing) > VECTOR_CACHE:
                self._vectors.clear()
            for record, vector in zip(found["ids"], found["embeddings"]):
                if record in vectors:
                    vector = np.asarray(vector, dtype=np.float32)
                    vectors[record] = self._vectors[record] = vector / np.linalg.norm(vector)
            if unfetched:
                want = set(unfetched)
                cache.add(node_from_record(meta, text) for record, meta, text in
                          zip(found["ids"], found["metadatas"], found["documents"]) if record in want)
        return vectors

    def _dense_hits(self, query: QueryBundle) -> tuple[dict[Key, float], dict[Key, float]]:
        """Similarity of the ``candidates`` nearest sentences (best of original and rendering) and of
        the paragraphs among the same nearest records, calibrated across languages (``_similarity``).

        Chroma evaluates a metadata filter over every record it matches, which grows with the store
        (70 ms a query at 12k records, docs/benchmarks.md "Performance"), and fetching each hit's
        metadata costs more than the search. So the nearest records of any kind are fetched first,
        ids and distances only, with a second, wider fetch when fewer than ``candidates`` sentences
        are among them (near-duplicate paragraphs can fill the first: 500-900 ms a filtered query
        at 100k records, against a few ms); only then does the filtered query answer instead.
        """
        language = text_language(query.query_str)
        passages: dict[Key, float] = {}
        for fetch in (3 * self._candidates, 12 * self._candidates):
            ids, distances = self._nearest(query.embedding, fetch)
            self._hubs_known(ids, language)
            sentences: dict[Key, float] = {}
            for record, distance in zip(ids, distances):
                if record in self._key_of_id and len(sentences) < self._candidates:
                    key = self._key_of_id[record]
                    similarity = self._similarity(record, 1.0 - distance, language)  # cosine space
                    sentences[key] = max(sentences.get(key, -1.0), similarity)
                elif record in self._passage_of_id:
                    passages[self._passage_of_id[record]] = self._similarity(record, 1.0 - distance, language)
            if len(sentences) >= self._candidates or len(ids) < fetch:  # enough, or the whole store was seen
                return sentences, passages
        if self._filtered is None:  # rare, and building it imports tiktoken: 0.35 s of cold start
            index = VectorStoreIndex.from_vector_store(self._vector_store, embed_model=self._embed_model)
            self._filtered = index.as_retriever(similarity_top_k=self._candidates,
                                                filters=kind_filter(KIND_SENTENCE, KIND_RENDERING))
        sentences = {}
        hits = self._filtered.retrieve(query)
        self._hubs_known([hit.node.node_id for hit in hits], language)
        for hit in hits:
            key = _sentence_key(hit.node)
            sentences[key] = max(sentences.get(key, -1.0), self._similarity(hit.node.node_id, _cosine(hit.score), language))
        return sentences, passages

    def _across_languages(self, query: QueryBundle) -> tuple[set[Key], set[Key]]:
        """The sentences and passages nearest to the question moved toward the other language, when
        the store holds sentences that only that language matches (cross_language.py): candidates its
        own vector ranks behind every text in its own language. Unscored here: their similarities to
        the question itself are computed exactly with the other candidates' missing ones."""
        language = text_language(query.query_str)
        if self._cross is None or language is None or other_language(language) not in self._alone_in:
            return set(), set()
        moved = self._cross.toward_other(np.asarray(query.embedding, dtype=np.float32), language)
        sentences: set[Key] = set()
        passages: set[Key] = set()
        for record in self._nearest(moved.tolist(), 3 * self._candidates)[0]:
            if record in self._key_of_id and len(sentences) < self._candidates:
                sentences.add(self._key_of_id[record])
            elif record in self._passage_of_id:
                passages.add(self._passage_of_id[record])
        return sentences, passages

    def _nearest(self, embedding: list[float], fetch: int) -> tuple[list[str], list[float]]:
        """The ids and cosine distances of the ``fetch`` records nearest to ``embedding``, of any kind."""
        collection = self._vector_store.client  # the Chroma collection
        found = collection.query(query_embeddings=[embedding], n_results=fetch, include=["distances"])
        return found["ids"][0], found["distances"][0]

    def _similarity(self, record: str, cosine: float, language: str | None, vector: np.ndarray | None = None) -> float:
        """``cosine`` of the question to ``record``, on the scale of a match within one language
        (``vector``: the record's, when at hand; else the cached one, for its hubness)."""
        if self._cross is None or not self._raised(record, language):
            return cosine
        vector = vector if vector is not None else self._vectors.get(record)
        return self._cross.similarity(cosine, self._language_of.get(record, ""), language, vector,
                                      mixed_store=language in self._alone_in)

    def _raised(self, record: str, language: str | None) -> bool:
        """Whether the calibration raises the question's match to ``record`` (cross_language.py): it is
        in the other language, and neither it nor its passage has a record in the question's."""
        return (self._cross is not None and self._cross.crosses(self._language_of.get(record, ""), language)
                and not self._matched_within(record, language))

    def _rescored_across(self, hit: RankedSentence, language: str | None) -> bool:
        """Whether the second encoder re-scores ``hit`` (use_encoder.py): it is matched across languages,
        and no heading. A heading names what follows it, and an FAQ's question line, restating an
        Arabic question's words in English, took first place over the line that answers it."""
        return self._raised(hit.node.node_id, language) and role_of(hit.node) != HEADING

    def _rescored_within(self, hit: RankedSentence, language: str | None) -> bool:
        """Whether ``hit`` is matched in the question's language and no heading (use_encoder.py's
        ``between`` weighs the matches across languages against these)."""
        return (self._cross is not None and not self._raised(hit.node.node_id, language)
                and role_of(hit.node) != HEADING)

    def _hubs_known(self, records: Iterable[str], language: str | None) -> None:
        """The stored vectors of those ``records`` whose match the offset raises, in the cache, for their
        hubness (cross_language.py): one get for those not fetched before; none in a store of one
        language asked in it."""
        if self._cross is None or not self._cross.hubness_weight:
            return
        raised = [record for record in records if record not in self._vectors and self._raised(record, language)]
        if raised:
            self._stored_vectors(raised)

    def _matched_within(self, record: str, language: str | None) -> bool:
        """Whether ``record``'s sentence, or a sentence of its passage, has a record in the question's
        language (the article's English renderings): then it is matched within that language, and its
        records are left as they are. Raised, the Arabic originals outscored their renderings (3 of
        the gold set's 83 English questions lost), and junk such as "'; DROP TABLE embeddings; --" was
        answered."""
        key = self._key_of_id.get(record)
        if key is not None:
            return any(self._language_of.get(other) == language for other in self._records_of.get(key, ()))
        passage = self._passage_of_id.get(record)
        return passage is not None and language in self._rendered.get(passage, ())


def _top(scores: _LexicalScores | dict[Key, float], n: int) -> list[Key]:
    return scores.top(n) if isinstance(scores, _LexicalScores) else []


def _content(node: TextNode | None) -> str:
    return node.get_content() if node is not None else ""


def _passage_key(node: TextNode) -> Key:
    return node.metadata["document_id"], node.metadata["checksum"], node.metadata["paragraph_id"]


def _sentence_key(node: TextNode) -> Key:
    # The checksum keeps a version that another process is writing apart from the complete one.
    return node.metadata["document_id"], node.metadata["checksum"], node.metadata["sentence_id"]


def _cosine(similarity: float | None) -> float:
    # ChromaVectorStore reports exp(-distance); with cosine space, distance = 1 - cosine.
    return 1.0 + math.log(similarity) if similarity else 0.0

