"""What forgetting a removed document's token states costs at scale (assistant/late_interaction.py).

    python benchmarks/prune_token_states.py [--sentences 100000] [--chroma DIR]

Fills a token-states file as ingest does (``put_many`` per document, with its uses) with
``--sentences`` sentences of 40 tokens (~5 KB a row, XQuAD-R's mean) in documents of 50, each
document's first sentence the previous one's second (a text two documents share); then times,
with the file's size after each step:

* ``put_many`` of one document with and without its uses (what counting uses adds to ingest);
* ``forget`` of one document (what a removal or a replacement adds), incremental vacuum included;
* ``forget`` of the whole store (what a rebuild adds), and what vacuuming all it freed at once would cost;
* the same removal in a file made before ``auto_vacuum`` (its freed pages stay in the file).

With ``--chroma DIR`` (a copy of a store's chroma folder, never one in use), also what the other
way would cost: checking each removed text against the store (``where_document $contains``).
The states are random (the cost does not depend on their values).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.late_interaction import TokenStates, Use  # noqa: E402

TOKENS, PER_DOCUMENT = 40, 50


def document(n: int, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], list[Use]]:
    texts = [f"document {n} sentence {i}" for i in range(PER_DOCUMENT)]
    texts[0] = f"document {n - 1} sentence 1"  # a text the previous document uses too
    states = {text: rng.standard_normal((TOKENS, 384)).astype(np.float32) for text in texts}
    return states, [Use(f"doc-{n}", "c1", text) for text in texts]


def fill(states: TokenStates, documents: int, rng: np.random.Generator) -> None:
    # Without waiting for the disk while filling (the steps timed after it do).
    states._connect().execute("PRAGMA synchronous = OFF")  # noqa: SLF001
    for n in range(documents):
        states.put_many(*document(n, rng))
    states._connect().execute("PRAGMA synchronous = FULL")  # noqa: SLF001


def ms(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms"


def mb(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--chroma", type=Path, help="a copy of a store's chroma folder")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    documents = args.sentences // PER_DOCUMENT
    print(f"load average {os.getloadavg()[0]:.2f}; {documents} documents, {documents * PER_DOCUMENT} sentences")
    with tempfile.TemporaryDirectory() as tmp:
        states = TokenStates(Path(tmp) / "states.sqlite3", "#default")
        started = time.perf_counter()
        fill(states, documents, rng)
        connection = sqlite3.connect(states.path)
        rows, uses = (connection.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("states", "uses"))
        print(f"filled in {time.perf_counter() - started:.0f} s: {rows} rows, {uses} uses, {mb(states.path)}")
        page = connection.execute("PRAGMA page_size").fetchone()[0]
        try:
            used = connection.execute("SELECT name, COUNT(*) FROM dbstat GROUP BY name").fetchall()
            print("pages by table:", {name: f"{count * page / 1e6:.1f} MB" for name, count in used})
        except sqlite3.OperationalError:
            pass  # sqlite built without dbstat

        with_uses, without = [], []
        for n in range(documents, documents + 40):
            fresh, its_uses = document(n, rng)
            started = time.perf_counter()
            states.put_many(fresh, its_uses)
            with_uses.append(time.perf_counter() - started)
            fresh, _ = document(n + 1000_000, rng)
            started = time.perf_counter()
            states.put_many(fresh)
            without.append(time.perf_counter() - started)
        print(f"put_many of a {PER_DOCUMENT}-sentence document: with uses {ms(with_uses)}; without {ms(without)}")

        before, rows = states.path.stat().st_size, connection.execute("SELECT COUNT(*) FROM states").fetchone()[0]
        removals = []
        for n in rng.choice(documents, 20, replace=False):
            started = time.perf_counter()
            states.forget(f"doc-{n}")
            removals.append(time.perf_counter() - started)
        left = connection.execute("SELECT COUNT(*) FROM states").fetchone()[0]
        print(f"forget one document (20 of them): {ms(removals)}; rows {rows} -> {left}, "
              f"file {before / 1e6:.1f} -> {mb(states.path)}")

        legacy = TokenStates(Path(tmp) / "legacy.sqlite3", "#default")
        legacy_connection = sqlite3.connect(legacy.path)
        legacy_connection.execute("PRAGMA auto_vacuum = NONE")
        legacy_connection.execute("CREATE TABLE t (x)")  # the mode is fixed by the first table
        legacy_connection.commit()
        fill(legacy, documents // 10, rng)
        before = legacy.path.stat().st_size
        for n in range(0, documents // 10, 10):
            legacy.forget(f"doc-{n}")
        print(f"a file without auto_vacuum ({documents // 10} documents), forget of {documents // 100}: "
              f"file {before / 1e6:.1f} -> {mb(legacy.path)} (freed pages reused by the next rows)")

        started = time.perf_counter()
        states.forget()
        left = connection.execute("SELECT COUNT(*) FROM states").fetchone()[0]
        print(f"forget the whole store: {(time.perf_counter() - started) * 1000:.0f} ms; {left} rows, {mb(states.path)}")
        started = time.perf_counter()
        states._connect().executescript("PRAGMA incremental_vacuum")  # noqa: SLF001
        print(f"vacuuming every page it freed at once: {(time.perf_counter() - started) * 1000:.0f} ms, {mb(states.path)}")

    if args.chroma:
        chroma_check(args.chroma)


def chroma_check(path: Path) -> None:
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
    collection = client.list_collections()[0]
    texts = collection.get(where={"kind": "sentence"}, include=["documents"], limit=PER_DOCUMENT, offset=1000)["documents"]
    times = []
    for text in texts:
        started = time.perf_counter()
        collection.get(where_document={"$contains": text}, include=["documents", "metadatas"])
        times.append(time.perf_counter() - started)
    print(f"checking a removed text against the store ({collection.count()} records, $contains): {ms(times)} a text, "
          f"{sum(times):.1f} s for a {len(texts)}-sentence document")


if __name__ == "__main__":
    main()
