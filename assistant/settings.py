"""The one settings object: typed, built from environment variables and explicit overrides.

Nothing is read at import time; ``load_settings()`` is called by the composition root's callers
(CLI, UI, tests), so each can build its own.
"""

from __future__ import annotations

import dataclasses
import enum
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENV_PREFIX = "ASSISTANT_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class AnswerBackend(str, enum.Enum):
    EXTRACTIVE = "extractive"  # quotes the sources; no LLM (the default: none ships offline)
    OPENAI = "openai"  # any OpenAI-compatible server (vLLM, LM Studio, llama.cpp server, ...)
    OLLAMA = "ollama"
    LLAMACPP = "llamacpp"  # a local GGUF file through llama-cpp-python (optional extra)


class EmbeddingBackend(str, enum.Enum):
    """How the bundled model runs (assistant/embedding.py)."""

    ONNX = "onnx"  # onnxruntime over an export built once; no torch at run time (the default)
    TORCH = "torch"  # sentence-transformers (any other embedding_model always uses it)


class EmbeddingPrecision(str, enum.Enum):
    """The arithmetic of the bundled model on the onnx backend (assistant/quantisation.py)."""

    FP32 = "fp32"  # the export as traced (the default)
    INT8 = "int8"  # int8 matrix products, activations quantised per token; vectors differ, so its own index


class RetrievalMode(str, enum.Enum):
    HYBRID = "hybrid"
    DENSE = "dense"
    BM25 = "bm25"


def _default_data_dir() -> Path:
    return PROJECT_ROOT / ".data"


@dataclasses.dataclass(frozen=True)
class Settings:
    # Where the Chroma store and the built model live.
    data_dir: Path = dataclasses.field(default_factory=_default_data_dir)
    # Documents ingested when the store is empty (a folder with manifest.json).
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    # A Chroma server (e.g. http://127.0.0.1:8000); empty means the embedded store in data_dir.
    chroma_url: str = ""
    # Prefix of the Chroma collection names, so several corpora can share one store.
    namespace: str = "default"
    # Where built models are cached; defaults to <data_dir>/models.
    model_dir: Path | None = None
    # "" means the bundled multilingual-e5-small; otherwise any sentence-transformers path.
    embedding_model: str = ""
    # How the bundled model runs. Same vectors, so the index works with either.
    embedding_backend: EmbeddingBackend = EmbeddingBackend.ONNX
    # fp32, or int8 (faster; measured in docs/benchmarks.md, "Ingest against the encoder's floor").
    embedding_precision: EmbeddingPrecision = EmbeddingPrecision.FP32
    retrieval_mode: RetrievalMode = RetrievalMode.HYBRID
    top_k: int = 3
    # Candidates each retriever contributes before fusion.
    candidates: int = 20
    # Two gates decide whether to answer (assistant/evidence.py). First, the top score of the ranking:
    # one threshold per retrieval mode, since each mode scores on its own scale (hybrid and dense mix
    # cosine similarities, bm25 is saturated BM25 only); the highest that still answers 97.5% of each
    # store's own questions (ARCD's fit half, the gold set's answerable ones).
    abstain_threshold: float = 0.825  # hybrid
    dense_abstain_threshold: float = 0.79
    bm25_abstain_threshold: float = 0.065
    # Second, the answerability probability; unset, the operating point fitted with the model
    # (assistant/answerability.v3.json, benchmarks/answerability.py).
    answerability_threshold: float | None = None
    # Added to similarities across languages (assistant/cross_language.py); unset, the value fitted
    # for the bundled model (assistant/languages.v2.json), 0 for another; 0 turns it off (and its
    # lowering of hubs, cross_language.py).
    cross_language_offset: float | None = None
    # The second encoder's weight for matches across languages (assistant/use_encoder.py); unset, the
    # fitted one (retrieval.FusionWeights); 0 turns it off, and its model is never loaded (the
    # answerability model then reads no USE similarity: it refuses more questions across languages).
    across_use_weight: float | None = None
    max_question_chars: int = 2000
    # Records (paragraphs, sentences, markers) encoded and written to the store together, across
    # documents or within a long one: fewer means more Chroma adds, more means more memory.
    ingest_batch_records: int = 1024
    # Documents uploaded from the chat UI: at most this many files at once, each at most this big.
    upload_max_files: int = 10
    upload_max_bytes: int = 5_000_000
    answer_backend: AnswerBackend = AnswerBackend.EXTRACTIVE
    llm_base_url: str = ""
    llm_model: str = ""
    # The name of the environment variable holding the API key (never the key itself).
    llm_api_key_env: str = "OPENAI_API_KEY"
    llm_timeout: float = 60.0
    # A local GGUF file for the llamacpp backend (a .gguf path in llm_model works too).
    llamacpp_model_path: Path | None = None

    def abstain_threshold_for(self, mode: RetrievalMode) -> float:
        return {RetrievalMode.HYBRID: self.abstain_threshold, RetrievalMode.DENSE: self.dense_abstain_threshold,
                RetrievalMode.BM25: self.bm25_abstain_threshold}[RetrievalMode(mode)]

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def uploads_dir(self) -> Path:
        """Where files ingested from passing copies (browser uploads) are kept for a rebuild."""
        return self.data_dir / "uploads"

    @property
    def model_cache_dir(self) -> Path:
        return self.model_dir or self.data_dir / "models"


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then ``ASSISTANT_<FIELD>`` environment variables, then ``overrides``."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for field in dataclasses.fields(Settings):
        raw = env.get(ENV_PREFIX + field.name.upper())
        if raw is not None and raw != "":
            values[field.name] = raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(values) - {f.name for f in dataclasses.fields(Settings)}
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    return Settings(**{name: _coerce(name, value) for name, value in values.items()})


def _coerce(name: str, value: Any) -> Any:
    target = {f.name: f.type for f in dataclasses.fields(Settings)}[name]
    converters = {
        "Path": Path,
        "Path | None": Path,
        "int": int,
        "float": float,
        "float | None": float,
        "str": str,
        "RetrievalMode": RetrievalMode,
        "EmbeddingBackend": EmbeddingBackend,
        "EmbeddingPrecision": EmbeddingPrecision,
        "AnswerBackend": AnswerBackend,
    }
    try:
        return converters[target](value)
    except ValueError as error:
        raise ValueError(f"setting {name}={value!r} is invalid: {error}") from None
