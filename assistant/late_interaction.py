"""Late interaction: the question matched word by word against its best candidates' words.

A sentence vector squeezes a sentence into one point; e5's last-layer token states keep one vector
per token. MaxSim (ColBERT's late interaction): each of the question's tokens takes its best cosine
among a sentence's tokens, and the sentence's match is their mean. It re-scores only the top
``candidates`` of the two-step ranking (retrieval.py), as a term of each sentence's own match:
``own += late * (MaxSim - best MaxSim among the candidates)``, so the best-matching candidate keeps
its score, the others fall behind it by what they match less, and the sentences after the
candidates by the most any candidate fell (scores stay on the scale the abstention floors and the
evidence stage were fitted on). Measured through ``ask`` (docs/benchmarks.md, "Late interaction"),
before -> after, late = 1.0 over the top 10: XQuAD-R held-out R@1 AR->AR .740 -> .755, EN->AR
.583 -> .639 (an English question's words find their Arabic counterparts where one sentence vector
does not); ARCD-train report half R@1 .688 -> .699, r@5 .934 -> .946; gold set hit@1 .873 -> .894.
IDF weights on the question's tokens moved nothing by more than .005, so the mean is plain.

Each candidate is read with the sentence before it in its paragraph (a paragraph of one sentence,
with the last of the paragraph before: retrieval.TwoStageRetriever._before): a question token takes its
best cosine among the sentence's tokens or the previous sentence's. A sentence that names its
subject by a pronoun ("It trains police officers") then matches the name the question uses, which
only the sentence before holds; that sentence is not moved, since it is read with the one before it
in turn. Chosen on the fit halves (docs/benchmarks.md, "The sentence before"): ARCD r@5 .899 ->
.933, answer in any citation .748 -> .781; XQuAD-R even indexes AR->AR +.014, EN->AR +.006; every
earlier sentence of the paragraph or a discount on the borrowed matches did no better. A document
that opens with a title line (a heading: "# Harbour Lights Festival 2025") has every sentence read
with it too (retrieval.TwoStageRetriever._context).

The token states of a stored sentence (and of its English rendering) come from the pass that
embeds it at ingest (store._embed) and are kept in a SQLite file beside the index, keyed by the
embedded text, projected to 128 dimensions (``PROJECTION_FILE``) and int8 per value with one scale
per token: R@1 within .002 of float32 at 384 dimensions. A sentence
without them, in a store built before or through a Chroma server by another machine, has them
computed when it is first a candidate, then kept.

Each row counts its uses: the stored document versions whose sentences or renderings embed its
text. When a version leaves the store (removed, replaced, an unfinished ingest collected, the index
dropped), its uses go, and with them the rows no other version uses (``TokenStates.forget``): a
lookup by the removed version in the uses' primary key, never a scan of the store or of the rows
(checking each removed text against Chroma instead, a ``where_document $contains``, cost 34-54 ms
a text at 47.5k records: 2-3 s to remove a 50-sentence document). A row computed at query time
counts the version it was computed for only: a text another document shares may lose its row with
it, and is computed again when next needed.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

import numpy as np
from llama_index.core.schema import MetadataMode, TextNode

if TYPE_CHECKING:
    from .retrieval import RankedSentence
    from .settings import Settings

logger = logging.getLogger(__name__)

# The ranking's top candidates that are re-scored: 10 did as well as 20 or 40 (docs/benchmarks.md).
CANDIDATES = 10
TOKEN_STATES_DIR = "token_states"
# The token states' first principal directions (benchmarks/fit_token_projection.py): states are
# matched and stored in these 128 dimensions instead of e5's 384.
PROJECTION_FILE = Path(__file__).with_name("token_projection.v1.npy")
# Free pages given back to the disk per ``TokenStates.forget``: a sentence's row takes ~2.2 pages, so
# a removal gives back what it freed, in tens of ms; the 220k pages a drop frees at 100k sentences
# took 33 s at once (benchmarks/prune_token_states.py) and are filled again by the rebuild after it.
VACUUM_PAGES = 2048


# The retriever's map of its sentences to those each is read with (the one before it, its document's
# title): {node id: nodes}.
Preceding = Callable[[list[TextNode]], Mapping[str, list[TextNode]]]


@runtime_checkable
class TokenEncoder(Protocol):
    """An embedding model that also gives the token states of what it encodes (embedding.OnnxE5Embedding)."""

    text_instruction: str

    def encode_with_states(self, texts: list[str], instruction: str,
                           keep: list[bool] | None = None) -> tuple[np.ndarray, list[np.ndarray]]: ...

    def query_token_states(self, query: str) -> np.ndarray: ...

    def collecting_token_states(self, wanted: set[str]) -> AbstractContextManager[dict[str, np.ndarray]]: ...


@functools.cache
def _projection() -> np.ndarray:
    return np.load(PROJECTION_FILE).astype(np.float32)


def project(states: np.ndarray) -> np.ndarray:
    """Token states (unit rows, e5's dimensions) in the fitted projection, unit rows again."""
    rows = states @ _projection()
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def maxsim(question: np.ndarray, passage: np.ndarray, before: np.ndarray | None = None) -> float:
    """Mean over the question's token rows of their best cosine with ``passage``'s (unit rows), or
    with ``before``'s (the sentence before it), whichever is better."""
    if not len(question) or not len(passage):
        return 0.0
    best = (question @ passage.T).max(axis=1)
    if before is not None and len(before):
        best = np.maximum(best, (question @ before.T).max(axis=1))
    return float(best.mean())


def embedded_texts(node: TextNode) -> list[str]:
    """What the store embedded for a sentence node: its text and, when it has one, its English
    rendering (stored as a record of its own with the same embedded metadata)."""
    texts = [node.get_content(MetadataMode.EMBED)]
    translation = node.metadata.get("translation")
    if translation:
        texts.append(node.model_copy(update={"text": translation}).get_content(MetadataMode.EMBED))
    return texts


class Use(NamedTuple):
    """A stored document version embeds ``text``: what a token-state row's uses are counted by."""

    document_id: str
    checksum: str
    text: str


def uses_of(node: TextNode) -> list[Use]:
    """The texts a stored sentence node embeds (``embedded_texts``), as its version's uses."""
    return [Use(node.metadata["document_id"], node.metadata["checksum"], text) for text in embedded_texts(node)]


def pack(states: np.ndarray) -> bytes:
    """``states`` (tokens x dim, float) as int8 values with one float32 scale per token."""
    scale = np.maximum(np.abs(states).max(axis=1, keepdims=True), 1e-12) / 127.0
    values = np.round(states / scale).astype(np.int8)
    return scale.astype(np.float32).tobytes() + values.tobytes()


def unpack(data: bytes, tokens: int, dim: int) -> np.ndarray:
    scale = np.frombuffer(data, dtype=np.float32, count=tokens).reshape(tokens, 1)
    values = np.frombuffer(data, dtype=np.int8, offset=4 * tokens).reshape(tokens, dim)
    rows = values.astype(np.float32) * scale
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


class TokenStates:
    """Projected token states by the text they were computed from, in one SQLite file per embedding
    model and projection, with their uses (the module doc).

    Content-addressed, so documents that share a text share its row, and a row without a stored
    sentence (an ingest killed before its Chroma add) is harmless. Opened on first use.
    ``store`` names the store whose documents the uses are counted for: one file serves every
    namespace and Chroma server of a data directory.
    """

    def __init__(self, path: Path, store: str = "") -> None:
        self.path = path
        self.store = store
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings, model_id: str) -> TokenStates:
        # The projection's bytes name the file too: states projected by an earlier fit are never read.
        projection = hashlib.sha1(PROJECTION_FILE.read_bytes()).hexdigest()
        name = hashlib.sha1(f"{model_id} {projection}".encode()).hexdigest()[:16]
        return cls(settings.data_dir / TOKEN_STATES_DIR / f"{name}.sqlite3", f"{settings.chroma_url}#{settings.namespace}")

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The default rollback journal, not WAL: a write that fails on a full disk deletes its
            # journal and gives the space back, so the Chroma store beside it still opens.
            connection = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            # Before the first table (a new file only): pages freed by ``forget`` can go back to the disk.
            connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
            connection.execute("CREATE TABLE IF NOT EXISTS states (key BLOB PRIMARY KEY, tokens INTEGER NOT NULL,"
                               " dim INTEGER NOT NULL, data BLOB NOT NULL) WITHOUT ROWID")
            connection.execute("CREATE TABLE IF NOT EXISTS uses (store TEXT NOT NULL, document TEXT NOT NULL,"
                               " checksum TEXT NOT NULL, key BLOB NOT NULL,"
                               " PRIMARY KEY (store, document, checksum, key)) WITHOUT ROWID")
            connection.execute("CREATE INDEX IF NOT EXISTS uses_by_key ON uses (key)")
            self._connection = connection
        return self._connection

    def get_many(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        keys = {_key(text): text for text in texts}
        if not keys:
            return {}
        with self._lock:
            rows = self._connect().execute(
                f"SELECT key, tokens, dim, data FROM states WHERE key IN ({','.join('?' * len(keys))})",
                list(keys)).fetchall()
        return {keys[key]: unpack(data, tokens, dim) for key, tokens, dim, data in rows}

    def put_many(self, states: Mapping[str, np.ndarray], uses: Iterable[Use] = ()) -> None:
        """Keep ``states`` (text -> its token states as the encoder gives them), projected, and ``uses``."""
        self.put_projected({text: project(matrix) for text, matrix in states.items()
                            if matrix.ndim == 2 and matrix.shape[1]}, uses)

    def put_projected(self, projected: Mapping[str, np.ndarray], uses: Iterable[Use] = ()) -> None:
        """Keep token states already projected (``project``), and ``uses``."""
        rows = [(_key(text), len(matrix), matrix.shape[1], pack(matrix)) for text, matrix in projected.items()]
        used = {(self.store, use.document_id, use.checksum, _key(use.text)) for use in uses}
        with self._lock:
            connection = self._connect()
            with connection:  # one transaction: no row is ever seen without its uses
                connection.executemany("INSERT OR REPLACE INTO states VALUES (?, ?, ?, ?)", rows)
                connection.executemany("INSERT OR IGNORE INTO uses VALUES (?, ?, ?, ?)", used)

    def kept_or_computed(self, uses: Collection[Use],
                         compute: Callable[[list[str]], list[np.ndarray]]) -> dict[str, np.ndarray]:
        """The rows of the texts ``uses`` name, by text: those kept read, the others made by ``compute``
        (already projected) and kept with these ``uses``."""
        found = self.get_many(use.text for use in uses)
        missing = [text for text in dict.fromkeys(use.text for use in uses) if text not in found]
        if missing:
            fresh = dict(zip(missing, compute(missing)))
            try:
                self.put_projected(fresh, [use for use in uses if use.text in fresh])
            except sqlite3.Error as error:  # e.g. a full disk: answer anyway, and keep them next time
                logger.warning("token states not kept in %s: %s", self.path, error)
            found |= fresh
        return found

    def forget(self, document_id: str | None = None, checksum: str | None = None, but: str | None = None) -> None:
        """Delete the uses of ``document_id``'s version ``checksum``, of all its versions ``but`` one,
        or of all its versions, then the rows they leave without a use. With no ``document_id``
        (the index dropped): every use in this store, then every row no store uses (e.g. kept
        before uses were counted).

        Never fails: a row left behind only takes space (logged), a row missing is computed again.
        """
        where, args = "store = ?", [self.store]
        for column, test, value in (("document", "=", document_id), ("checksum", "=", checksum), ("checksum", "!=", but)):
            if value is not None:
                where, args = f"{where} AND {column} {test} ?", [*args, value]
        unused = "NOT EXISTS (SELECT 1 FROM uses WHERE uses.key = states.key)"
        try:
            with self._lock:
                connection = self._connect()
                with connection:
                    keys = connection.execute(f"DELETE FROM uses WHERE {where} RETURNING key", args).fetchall()
                    if document_id is None:
                        connection.execute(f"DELETE FROM states WHERE {unused}")
                    else:
                        connection.executemany(f"DELETE FROM states WHERE key = ? AND {unused}", set(keys))
                # Freed pages back to the disk (a file made before auto_vacuum keeps them for its next
                # rows); executescript steps it to the end, where execute frees one page.
                connection.executescript(f"PRAGMA incremental_vacuum({VACUUM_PAGES})")
        except (sqlite3.Error, OSError) as error:  # e.g. a full disk, a read-only data directory
            logger.warning("token states of %s not pruned in %s: %s", document_id or "the dropped index", self.path, error)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class LateInteraction:
    """Re-scores a ranking's top candidates by MaxSim (see the module doc)."""

    def __init__(self, encoder: TokenEncoder, states: TokenStates, candidates: int = CANDIDATES) -> None:
        self._encoder = encoder
        self._states = states
        self._candidates = candidates

    def rerank(self, query: str, hits: list[RankedSentence], weight: float, passage_share: float,
               also: Collection[str] = (), preceding: Preceding | None = None) -> list[RankedSentence]:
        """``hits`` (best first) with ``weight`` of the MaxSim gap in each one's own match, best first;
        the hits whose node ids are in ``also`` are re-scored as candidates wherever they rank. With
        ``preceding``, each candidate is read with the sentence before it (see the module doc)."""
        top = [hit for n, hit in enumerate(hits) if n < self._candidates or hit.node.node_id in also]
        if len(top) < 2 or not weight:
            return hits
        question = project(self._encoder.query_token_states(query))
        uses = [uses_of(hit.node) for hit in top]
        previous = preceding([hit.node for hit in top]) if preceding else {}
        before = {node_id: [use for node in nodes for use in uses_of(node)] for node_id, nodes in previous.items()}
        states = self.states_of([use for group in [*uses, *before.values()] for use in group])
        late = [max(maxsim(question, states[use.text], _stacked(states, before.get(hit.node.node_id, ())))
                    for use in group) for hit, group in zip(top, uses)]
        # The scale comes from the top candidates alone: ``also`` does not move the others' scores.
        best, worst = max(late[: self._candidates]), min(late[: self._candidates])
        rescored = [hit.moved(weight * (match - best), passage_share, late=match) for hit, match in zip(top, late)]
        chosen = {hit.node.node_id for hit in top}
        rescored += [hit.moved(weight * (worst - best), passage_share, late=0.0)
                     for hit in hits if hit.node.node_id not in chosen]
        return sorted(rescored, key=lambda hit: -(hit.score or 0.0))  # stable: ties keep the ranking's order

    def states_of(self, uses: list[Use]) -> dict[str, np.ndarray]:
        """The token states of the texts stored sentences embed, by text; computed and kept (with
        these ``uses``) for those not stored."""
        def computed(texts: list[str]) -> list[np.ndarray]:
            _, states = self._encoder.encode_with_states(texts, self._encoder.text_instruction)
            return [project(matrix) for matrix in states]

        return self._states.kept_or_computed(uses, computed)


def _stacked(states: Mapping[str, np.ndarray], uses: Iterable[Use]) -> np.ndarray | None:
    """The token rows of ``uses``' texts (a sentence and its rendering) in one matrix."""
    rows = [states[use.text] for use in uses if len(states[use.text])]
    return np.vstack(rows) if rows else None


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()
