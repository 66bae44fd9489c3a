"""What retrieval needs in memory, persisted beside the vector index: BM25 and a compact catalog.

Start-up used to read every stored node (text, metadata) to build both BM25 indexes and the id
maps: 1.3 GB of RSS at 10k sentences, 3.1 GB at 100k, and seconds of start-up that grow with the
store. Now one build per store version writes, under ``<data_dir>/search/<namespace>/<version>/``:

- ``sentences/`` and ``passages/``: the two bm25s indexes (sentences with their English renderings;
  paragraphs with their sentences' renderings joined), loaded memory-mapped (``bm25s.BM25.load(
  mmap=True)``): the score matrix stays in the page cache, shared between processes;
- ``catalog.json``: per searchable record its id, sentence key, paragraph id, offset and language,
  per paragraph its id and language, which paragraphs are headings; the BM25 entries in order. No text: nodes are
  fetched by id when returned;
- ``params.json``: the format, bm25s and PyStemmer versions, a fingerprint of the tokenizer (token
  pattern, stopwords, the source of ``normalize``, which holds the stemmer) and the store version
  (its complete documents and their checksums). A directory whose params differ is not used.

``<version>`` is a hash of the store version, so another process's ingest, or this process's,
makes a new directory (the old ones are removed once a newer one is written; a process that still
maps their files keeps them until it is done). Writing goes to a temporary directory renamed into
place, so a reader never sees half an index and two processes building at once both succeed.

Why not llama-index's ``BM25Retriever.persist`` / ``from_persist_dir``: it saves each node's whole
metadata as the bm25s corpus (``node_to_metadata_dict``, the node again as JSON) and reads it back
to map entries to nodes; we need only the record ids, which the catalog holds.

A rebuild reads every node of the store in pages (their text, to tokenise) once; it runs when the
store changed (after an ingest or remove here, or another process's). Its cost grows with the
store: see ``build`` for the numbers measured.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib.metadata
import inspect
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import bm25s
from llama_index.core.schema import MetadataMode, TextNode

from . import normalize
from .normalize import BM25_TOKEN_PATTERN, STOPWORDS, BilingualStemmer
from .segmentation import HEADING
from .store import role_of
from .types import KIND_PARAGRAPH, KIND_RENDERING, KIND_SENTENCE

if TYPE_CHECKING:
    from .settings import Settings
    from .store import SentenceStore

log = logging.getLogger(__name__)

# 2: the catalog names the paragraphs that are headings (a document's title line is context).
# 3: and each record's language (retrieval calibrates similarities across languages).
FORMAT = 3
Key = tuple[str, str, str]  # (document id, checksum, sentence id or paragraph id)
BM25_STOPWORDS = STOPWORDS + [normalize.normalize(word) for word in STOPWORDS]
_SENTENCES, _PASSAGES, _CATALOG, _PARAMS = "sentences", "passages", "catalog.json", "params.json"
# Records read per page when building (10k-sentence store, 12.3k records, load 4.6): pages of 10,000
# took 5.4 s and raised peak RSS by 440 MB, of 2,500 4.6 s and 100 MB, of 1,000 8.2 s (Chroma's
# offset paging rescans) and 90 MB.
BUILD_PAGE = 2_500


class Record(NamedTuple):
    """One searchable record: an original sentence or its English rendering."""

    record: str  # the store's record id
    key: Key  # the sentence it belongs to
    paragraph_id: str
    start: int
    kind: str  # KIND_SENTENCE or KIND_RENDERING


@dataclass
class SearchIndex:
    """The catalog and the two BM25 indexes of one store version (``None``: nothing to index)."""

    records: list[Record]  # in store order: the order ties are broken in
    paragraphs: list[tuple[str, Key]]  # (record id, passage key), in store order
    bm25: bm25s.BM25 | None  # entries: ``records``
    passage_bm25: bm25s.BM25 | None  # entries: ``passage_entries``
    passage_entries: list[str]  # per passage BM25 entry, its paragraph's record id
    version: str = ""
    headings: frozenset[Key] = frozenset()  # the passages that are headings (segmentation.HEADING)
    languages: dict[str, str] = field(default_factory=dict)  # record id -> "ar" / "en", sentences and paragraphs

    @property
    def sentences(self) -> list[Record]:
        return [r for r in self.records if r.kind == KIND_SENTENCE]


def tokenize(texts: list[str] | str, stemmer: BilingualStemmer) -> Any:
    """bm25s tokens as ``BM25Retriever`` makes them (our stemmer, token pattern and stopwords)."""
    return bm25s.tokenize(texts, stopwords=BM25_STOPWORDS, stemmer=stemmer, token_pattern=BM25_TOKEN_PATTERN,
                          show_progress=False)


def index_texts(texts: list[str]) -> bm25s.BM25 | None:
    """A bm25s index over ``texts``, as llama-index's ``BM25Retriever`` builds it from nodes."""
    if not texts:
        return None
    bm25 = bm25s.BM25()
    bm25.index(tokenize(texts, BilingualStemmer()), show_progress=False)
    return bm25


def params(store_version: str) -> dict[str, Any]:
    tokenizer = json.dumps([BM25_TOKEN_PATTERN, BM25_STOPWORDS, inspect.getsource(normalize)], ensure_ascii=False)
    return {"format": FORMAT, "bm25s": bm25s.__version__, "pystemmer": importlib.metadata.version("PyStemmer"),
            "tokenizer": hashlib.sha256(tokenizer.encode("utf-8")).hexdigest()[:16], "store_version": store_version}


def version_hash(version: frozenset[tuple[str, str]]) -> str:
    return hashlib.sha256(json.dumps(sorted(version)).encode("utf-8")).hexdigest()[:16]


def index_dir(settings: Settings) -> Path:
    return settings.data_dir / "search" / settings.namespace


def load_or_build(settings: Settings, store: SentenceStore, version: frozenset[tuple[str, str]]) -> SearchIndex:
    """The search index of ``version`` of the store: loaded when one was written for it with these
    params, else built from the store and written (then older versions' directories are removed)."""
    name = version_hash(version)
    folder = index_dir(settings) / name
    if folder.is_dir():
        try:
            return load(folder, params(name))
        except (OSError, ValueError, KeyError) as error:  # damaged, or written with other params
            log.warning("rebuilding the search index in %s: %s", folder, error)
            shutil.rmtree(folder, ignore_errors=True)
    index = build(store, name)
    try:
        save(index, folder)
        _remove_others(folder)
    except OSError as error:  # a read-only data dir still serves, rebuilding at each start
        log.warning("cannot keep the search index in %s (%s): it is built again at each start", folder, error)
    return index


def build(store: SentenceStore, version: str) -> SearchIndex:
    """Read the store's sentences, renderings and paragraphs (a page at a time, keeping no node)
    and index them as ``BM25Retriever.from_defaults`` did (same texts: content with embed metadata).

    Cost (loaded machine, 2 cores): 8-9 s at 10k sentences (12.5k records, load 4.6), most of it
    Chroma's paged get and making its nodes; a start that rebuilt it took 16 s at 22k sentences
    (28k records, load 3.3) against 4.6 s with it loaded. It grows a little faster than the store
    (offset paging rescans), so expect about a minute at 100k, and a peak of a few hundred MB above
    serving. It runs once per store version (the process that ingests builds it; the others load
    it), not at every start.
    """
    started = time.perf_counter()
    records: list[Record] = []
    searchable: list[str] = []
    paragraphs: list[tuple[str, Key]] = []
    paragraph_texts: list[str] = []
    english: dict[Key, list[str]] = {}
    paragraph_meta: dict[Key, dict[str, Any]] = {}
    headings: set[Key] = set()
    languages: dict[str, str] = {}
    for page in store.pages(KIND_SENTENCE, KIND_RENDERING, KIND_PARAGRAPH, size=BUILD_PAGE):
        for node in page:
            meta = node.metadata
            passage = (meta["document_id"], meta["checksum"], meta["paragraph_id"])
            text = node.get_content(metadata_mode=MetadataMode.EMBED)
            languages[node.node_id] = meta.get("lang", "")
            if meta["kind"] == KIND_PARAGRAPH:
                paragraphs.append((node.node_id, passage))
                if role_of(node) == HEADING:
                    headings.add(passage)
                paragraph_texts.append(text)
                paragraph_meta[passage] = meta
                continue
            key = (meta["document_id"], meta["checksum"], meta["sentence_id"])
            records.append(Record(node.node_id, key, meta["paragraph_id"], int(meta["start"]), meta["kind"]))
            searchable.append(text)
            if meta["kind"] == KIND_SENTENCE and meta.get("translation"):
                english.setdefault(passage, []).append(meta["translation"])
    # Passage BM25: each paragraph, and its sentences' English renderings joined as a second entry of
    # the same passage, in the same order and with the same text as retrieval.passage_nodes gives
    # (a node with the paragraph's metadata, none of it excluded: its embed text holds it all).
    entries = [record for record, _ in paragraphs]
    for record, passage in paragraphs:
        if english.get(passage):
            entries.append(record)
            rendering = TextNode(id_=f"{record}.en", text=" ".join(english[passage]), metadata=paragraph_meta[passage])
            paragraph_texts.append(rendering.get_content(metadata_mode=MetadataMode.EMBED))
    index = SearchIndex(records, paragraphs, index_texts(searchable), index_texts(paragraph_texts), entries, version,
                        frozenset(headings), languages)
    log.info("built the search index of %d records and %d paragraphs in %.1f s", len(records), len(paragraphs),
             time.perf_counter() - started)
    return index


def save(index: SearchIndex, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(f".{folder.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    try:
        partial.mkdir()
        for name, bm25 in ((_SENTENCES, index.bm25), (_PASSAGES, index.passage_bm25)):
            if bm25 is not None:
                bm25.save(str(partial / name), show_progress=False)
        language = index.languages.get
        catalog = {"records": [[r.record, *r.key, r.paragraph_id, r.start, r.kind, language(r.record, "")]
                               for r in index.records],
                   "paragraphs": [[record, *key, language(record, "")] for record, key in index.paragraphs],
                   "passage_entries": index.passage_entries, "headings": [list(key) for key in index.headings]}
        (partial / _CATALOG).write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
        # Last: a directory with params is complete.
        (partial / _PARAMS).write_text(json.dumps(params(index.version)), encoding="utf-8")
        try:
            partial.rename(folder)
        except OSError:  # another process wrote the same version meanwhile: theirs is as good
            if not (folder / _PARAMS).is_file():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while making the catalog's many small objects (they make no
    cycles): each collection they trigger walks every object the imports made. 10k records: 0.42 s
    with it, 0.005 s without."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load(folder: Path, expected: dict[str, Any]) -> SearchIndex:
    found = json.loads((folder / _PARAMS).read_text(encoding="utf-8"))
    if found != expected:
        raise ValueError(f"built with {found}, not {expected}")
    with gc_paused():
        catalog = json.loads((folder / _CATALOG).read_text(encoding="utf-8"))
        records = [Record(record, (doc, checksum, sid), pid, start, kind)
                   for record, doc, checksum, sid, pid, start, kind, _ in catalog["records"]]
        paragraphs = [(record, (doc, checksum, pid)) for record, doc, checksum, pid, _ in catalog["paragraphs"]]
        languages = {row[0]: row[-1] for rows in (catalog["records"], catalog["paragraphs"]) for row in rows}
    bm25, passage_bm25 = ((bm25s.BM25.load(str(folder / name), mmap=True, show_progress=False)
                           if (folder / name).is_dir() else None) for name in (_SENTENCES, _PASSAGES))
    return SearchIndex(records, paragraphs, bm25, passage_bm25, catalog["passage_entries"], expected["store_version"],
                       frozenset(tuple(key) for key in catalog["headings"]), languages)


def _remove_others(keep: Path) -> None:
    """Remove the directories of older store versions, and partial ones of builds killed an hour ago."""
    newest = keep.stat().st_mtime
    for other in keep.parent.iterdir():
        with contextlib.suppress(OSError):
            age = other.stat().st_mtime
            if other != keep and (age < newest if not other.name.startswith(".") else age < time.time() - 3600):
                shutil.rmtree(other, ignore_errors=True)
