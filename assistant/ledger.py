"""The sources ledger: what was ingested, from where, its checksum and id, kept outside the index.

The vector index can be dropped (``assistant ingest --rebuild``), damaged or killed midway; the
ledger is what a rebuild reads to ingest everything again, and what gives each source its id for
good. It is a small SQLite file in the data directory (``<data_dir>/sources.sqlite3``): written in
transactions, so a process killed at any moment leaves it as it was before or after a write. In
server mode it lives in the local data directory beside the models (the Chroma server keeps no
file of ours), so each machine that ingests into a shared server keeps the ledger of what it
ingested; its rows are keyed by the server's URL and the namespace.

A source is a file (its resolved path), an entry of a corpus manifest (the corpus folder and the
entry's id), or for a document built in code, its id. One source keeps one id; a new source whose
name gives an id that another source owns gets the next free ``<id>-2``, ``<id>-3``, ... instead of
replacing that document.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .corpus import CorpusError, Document
from .settings import Settings

LEDGER_FILE = "sources.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    store TEXT NOT NULL,        -- '' for the embedded store, else the Chroma server URL
    namespace TEXT NOT NULL,
    document_id TEXT NOT NULL,
    origin TEXT NOT NULL,       -- what ingest reads again: the file, or the corpus folder
    entry TEXT NOT NULL,        -- the manifest entry's id for a corpus document, else ''
    source TEXT NOT NULL,       -- as the document gives it (a path, or the manifest's source)
    checksum TEXT NOT NULL,
    ingested_at REAL NOT NULL,
    PRIMARY KEY (store, namespace, document_id),
    UNIQUE (store, namespace, origin, entry)
)
"""


class LedgerError(RuntimeError):
    """The ledger cannot be read or written; the message names the file."""


@dataclass(frozen=True)
class LedgerEntry:
    document_id: str
    origin: str
    entry: str
    source: str
    checksum: str
    ingested_at: float

    @property
    def key(self) -> tuple[str, str]:
        return (self.origin, self.entry)


def source_key(document: Document) -> tuple[str, str]:
    """What identifies a document's source: (file, '') or (corpus folder, manifest entry id); a
    document built in code has neither and is known by its id alone ('', id). Its ``source`` only
    describes it: two documents built with one ``source`` ("test", a web site) are two documents
    (keyed by it, the second took the first's id and both versions stayed visible)."""
    return (document.origin, document.entry) if document.origin else ("", document.id)


class SourcesLedger:
    def __init__(self, settings: Settings) -> None:
        self.path = settings.data_dir / LEDGER_FILE
        self._scope = (settings.chroma_url, settings.namespace)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30)
        except (OSError, sqlite3.Error) as error:
            raise LedgerError(f"cannot open the sources ledger {self.path}: {error}") from None
        try:
            with connection:  # one transaction: committed whole, or rolled back
                connection.execute(_SCHEMA)
                yield connection
        except sqlite3.Error as error:
            raise LedgerError(f"cannot use the sources ledger {self.path}: {error}") from None
        finally:
            connection.close()

    def entries(self) -> list[LedgerEntry]:
        with self._connection() as db:
            rows = db.execute("SELECT document_id, origin, entry, source, checksum, ingested_at FROM sources "
                              "WHERE store = ? AND namespace = ? ORDER BY ingested_at, document_id", self._scope)
            return [LedgerEntry(*row) for row in rows]

    def record(self, *documents: Document) -> None:
        """Remember that ``documents`` (with their final ids) are stored; each source keeps its id.
        One transaction for all of them (one each cost 17 ms a document, 5% of an ingest of ARCD's paragraphs)."""
        with self._connection() as db:
            for document in documents:
                origin, entry = source_key(document)
                db.execute("DELETE FROM sources WHERE store = ? AND namespace = ? AND (document_id = ? OR "
                           "(origin = ? AND entry = ?))", (*self._scope, document.id, origin, entry))
                db.execute("INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (*self._scope, document.id, origin, entry, document.source, document.checksum, time.time()))

    def forget(self, document_id: str) -> None:
        with self._connection() as db:
            db.execute("DELETE FROM sources WHERE store = ? AND namespace = ? AND document_id = ?",
                       (*self._scope, document_id))


def assign_ids(documents: Iterable[Document], entries: list[LedgerEntry],
               stored: dict[str, str]) -> list[Document]:
    """``documents`` with the ids they are stored under: a known source keeps its id; a new source
    gets its own id, or ``<id>-N`` when that id belongs to another source (ledger, store or batch).
    A document given twice is stored once; two different ones from one source are refused.

    ``stored`` maps the ids in the store to their sources: a store filled before the ledger existed
    knows its documents' sources only from there.
    """
    by_key = {e.key: e.document_id for e in entries}
    ledgered = {e.document_id for e in entries}
    unledgered = {(source, document_id) for document_id, source in stored.items() if document_id not in ledgered}
    taken = ledgered | set(stored)
    result = []
    batch: dict[tuple[str, str], str] = {}  # source -> checksum, in this ingest
    for document in documents:
        key = source_key(document)
        if key in batch:
            if batch[key] == document.checksum:
                continue  # the same file named twice ("*.txt notes.txt"): stored once
            raise CorpusError(f"{document.id}: two different documents from one source in one ingest "
                              f"({key[0] or 'built in code'})")
        batch[key] = document.checksum
        document_id = by_key.get(key)
        if document_id is None and not document.origin and by_key.get((document.source, "")) == document.id:
            document_id = document.id  # recorded under its ``source`` before such documents were known by id
        if document_id is None and (document.source, document.id) in unledgered:
            document_id = document.id  # stored before the ledger existed, from this very source
        document_id = document_id or _free(document.id, taken)
        taken.add(document_id)
        by_key[key] = document_id
        result.append(document if document_id == document.id else dataclasses.replace(document, id=document_id))
    return result


def _free(wanted: str, taken: set[str]) -> str:
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"


def origins(entries: Iterable[LedgerEntry]) -> list[Path]:
    """The files and corpus folders to ingest again, each once, in ingest order (a document built in
    code has none: its program ingests it again)."""
    return [Path(origin) for origin in dict.fromkeys(e.origin for e in entries if e.origin)]
