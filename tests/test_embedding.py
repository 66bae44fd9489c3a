"""The ONNX runtime of the bundled model against sentence-transformers (torch): same vectors.

Real model: the sentence-transformers folder from provision_e5 and its ONNX export beside it
(shared with the other tests under .data/models, built on first use).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hypothesis import given
from hypothesis import strategies as st

from assistant.embedding import (
    E5_PASSAGE_PREFIX,
    E5_QUERY_PREFIX,
    OnnxE5Embedding,
    embedding_model_id,
    length_batches,
    load_embed_model,
)
from assistant.onnx_export import ONNX_MARKER, provision_onnx, provision_onnx_int8
from assistant.provision import provision_e5
from assistant.settings import PROJECT_ROOT, EmbeddingBackend, EmbeddingPrecision, load_settings


GOLD = PROJECT_ROOT / "corpus" / "gold_qa.jsonl"
ARTICLE = PROJECT_ROOT / "corpus" / "coalition_communique.ar.txt"


@given(st.lists(st.integers(min_value=1, max_value=600), max_size=120))
def test_length_batches_cover_every_text_once_and_bound_padding(lengths):
    batches = length_batches(lengths, max_texts=8, max_tokens=1024, min_fill=0.8)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        width = max(lengths[i] for i in batch)
        assert lengths[batch[-1]] == width  # padded to its last text
        if len(batch) > 1:
            assert len(batch) <= 8 and len(batch) * width <= 1024
            assert sum(lengths[i] for i in batch) >= 0.8 * len(batch) * width


def test_short_texts_are_not_padded_to_a_long_ones_length():
    """A document's sentences and its paragraph: the sentences go together, the paragraph alone."""
    assert length_batches([30, 32, 31, 400, 29]) == [[4, 0, 2, 1], [3]]


@pytest.fixture(scope="module")
def st_folder(model_dir):
    return provision_e5(model_dir)


@pytest.fixture(scope="module")
def onnx_model(st_folder) -> OnnxE5Embedding:
    return OnnxE5Embedding(provision_onnx(st_folder), query_instruction=E5_QUERY_PREFIX,
                           text_instruction=E5_PASSAGE_PREFIX)


@pytest.fixture(scope="module")
def torch_model(model_dir):
    return load_embed_model(load_settings(env={}, model_dir=model_dir, embedding_backend="torch"))


def gold_questions() -> list[str]:
    return [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def cosines(a: list[list[float]], b: list[list[float]]) -> np.ndarray:
    a, b = np.asarray(a), np.asarray(b)
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.slow
def test_query_embeddings_match_torch_on_every_gold_question(onnx_model, torch_model):
    questions = gold_questions()
    assert len(questions) >= 170
    onnx = [onnx_model.get_query_embedding(q) for q in questions]
    torch = [torch_model.get_query_embedding(q) for q in questions]
    assert cosines(onnx, torch).min() >= 0.999
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-4)


@pytest.mark.slow
def test_batched_passages_match_torch_whatever_their_lengths(onnx_model, torch_model):
    """Sorted-length batches pad short texts; padding must not change any vector."""
    lines = [line for line in ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = lines + [line.split("،")[0] for line in lines] + ["x", "<s> literal specials </s>", "ا" * 3000]
    onnx = onnx_model.get_text_embedding_batch(texts)
    torch = torch_model.get_text_embedding_batch(texts)
    assert cosines(onnx, torch).min() >= 0.999
    # The same text alone or in a batch: the same vector.
    alone = [onnx_model.get_text_embedding(t) for t in texts[:5]]
    assert cosines(alone, onnx[:5]).min() >= 0.99999


@pytest.mark.slow
def test_the_default_backend_is_onnx_and_keeps_the_index_identity(model_dir):
    settings = load_settings(env={}, model_dir=model_dir)
    assert settings.embedding_backend is EmbeddingBackend.ONNX
    assert isinstance(load_embed_model(settings), OnnxE5Embedding)
    # Equivalent vectors: an index built with either backend opens with the other.
    torch_settings = load_settings(env={}, model_dir=model_dir, embedding_backend="torch")
    assert embedding_model_id(settings) == embedding_model_id(torch_settings)


def test_an_unknown_backend_is_refused(model_dir):
    with pytest.raises(ValueError, match="embedding_backend='tensorflow' is invalid"):
        load_settings(env={"ASSISTANT_EMBEDDING_BACKEND": "tensorflow"}, model_dir=model_dir)


@pytest.mark.slow
def test_the_export_is_rebuilt_when_missing_or_damaged(tmp_path, st_folder):
    """A private copy of the model folder, so the shared export is left alone."""
    import shutil

    folder = tmp_path / st_folder.name
    shutil.copytree(st_folder, folder)
    exported = provision_onnx(folder)
    assert exported.parent == folder.parent and (exported / ONNX_MARKER).is_file()
    assert provision_onnx(folder) == exported  # complete: reused as is
    with open(exported / "model.onnx", "r+b") as handle:  # truncated, as by a killed copy
        handle.truncate(1000)
    rebuilt = provision_onnx(folder)
    model = OnnxE5Embedding(rebuilt, query_instruction=E5_QUERY_PREFIX)
    assert len(model.get_query_embedding("سؤال")) == 384


@pytest.mark.slow
def test_serving_with_onnx_never_imports_torch(tmp_path, model_dir):
    """The point of the ONNX backend: a process that answers does not pay for torch."""
    code = (
        "import sys\n"
        "from assistant import build_assistant, load_settings\n"
        f"a = build_assistant(load_settings(data_dir={str(tmp_path)!r}, model_dir={str(model_dir)!r}))\n"
        "answer = a.ask('Where is the coalition military leadership based?')\n"
        "assert answer.citations, answer\n"
        "heavy = sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules)\n"
        "print(','.join(heavy) or 'none')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600,
                          cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "none"


# ----------------------------------------------------------------------------- the int8 graph


@pytest.fixture(scope="module")
def int8_model(st_folder) -> OnnxE5Embedding:
    return OnnxE5Embedding(provision_onnx_int8(provision_onnx(st_folder)), query_instruction=E5_QUERY_PREFIX,
                           text_instruction=E5_PASSAGE_PREFIX)


def article_texts() -> list[str]:
    lines = [line for line in ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines + [line.split("،")[0] for line in lines]


def has_vnni() -> bool:
    """Whether this CPU multiplies u8 x s8 without int16 saturation (VNNI or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_vnni", "avx_vnni", "amx_int8"))


@pytest.mark.slow
def test_int8_vectors_stay_close_to_fp32_on_gold_questions_and_article(onnx_model, int8_model):
    """Bounds from benchmarks/quantised_encoder.py: cosine to fp32 0.9996 mean, >= 0.9988 on 464 texts,
    on a CPU with VNNI. Without it (AVX2 only) onnxruntime's u8 x s8 product adds pairs of products in
    int16 and saturates (vpmaddubsw), and the same graph gave 0.9991 mean, 0.9978 min (docs/benchmarks.md,
    "A quantised encoder")."""
    questions = gold_questions()
    fp32 = onnx_model.get_text_embedding_batch(article_texts()) + [onnx_model.get_query_embedding(q) for q in questions]
    int8 = int8_model.get_text_embedding_batch(article_texts()) + [int8_model.get_query_embedding(q) for q in questions]
    similarity = cosines(int8, fp32)
    assert similarity.mean() >= 0.999 and similarity.min() >= (0.998 if has_vnni() else 0.997)
    assert similarity.min() < 0.99999  # really another graph, not the fp32 one
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-4)


@pytest.mark.slow
def test_an_int8_vector_does_not_depend_on_its_batch_mates(int8_model):
    """Activations are scaled per token, not per batch: alone, in a batch of short texts or padded
    beside long ones, a text gets the same vector."""
    texts = article_texts()
    short = [t for t in texts if len(t) < 120][:4]
    batched = int8_model.get_text_embedding_batch(texts)
    alone = [int8_model.get_text_embedding(t) for t in short]
    with_long = int8_model.encode([E5_PASSAGE_PREFIX + t for t in short] + [E5_PASSAGE_PREFIX + texts[0] * 4])
    index = [texts.index(t) for t in short]
    assert cosines(alone, [batched[i] for i in index]).min() >= 0.99999
    assert cosines(alone, with_long[: len(short)]).min() >= 0.99999


@pytest.mark.slow
def test_a_store_built_with_the_fp32_encoder_is_refused_by_the_int8_one(fresh_settings):
    from dataclasses import replace

    from assistant import build_assistant
    from assistant.store import IndexParams, SentenceStore, StoreError

    build_assistant(fresh_settings).warm_up()
    int8 = replace(fresh_settings, embedding_precision=EmbeddingPrecision.INT8)
    assert embedding_model_id(int8) != embedding_model_id(fresh_settings)
    with pytest.raises(StoreError, match="was built with embedding_model"):
        SentenceStore(int8, IndexParams(embedding_model_id(int8))).count()


def test_int8_is_a_precision_of_the_bundled_onnx_model_only(model_dir):
    assert load_settings(env={}).embedding_precision is EmbeddingPrecision.FP32
    assert load_settings(env={"ASSISTANT_EMBEDDING_PRECISION": "int8"}).embedding_precision is EmbeddingPrecision.INT8
    with pytest.raises(ValueError, match="embedding_precision='int4' is invalid"):
        load_settings(env={"ASSISTANT_EMBEDDING_PRECISION": "int4"})
    for other in ({"embedding_backend": "torch"}, {"embedding_model": "intfloat/multilingual-e5-small"}):
        with pytest.raises(ValueError, match="onnx backend only"):
            load_embed_model(load_settings(env={}, model_dir=model_dir, embedding_precision="int8", **other))


@pytest.mark.slow
def test_the_int8_graph_is_built_once_and_rebuilt_when_damaged_or_its_export_changes(tmp_path, st_folder):
    """A private copy of the export, so the shared folders are left alone."""
    import shutil

    export = tmp_path / provision_onnx(st_folder).name
    shutil.copytree(provision_onnx(st_folder), export)
    built = provision_onnx_int8(export)
    assert built.parent == export.parent and json.loads((built / ONNX_MARKER).read_text())["int8_matmuls"] == 72
    stamp = (built / "model.onnx").stat().st_mtime_ns
    assert provision_onnx_int8(export) == built and (built / "model.onnx").stat().st_mtime_ns == stamp  # reused
    with open(built / "model.onnx.data", "r+b") as handle:  # truncated, as by a killed copy
        handle.truncate(1000)
    assert len(OnnxE5Embedding(provision_onnx_int8(export)).encode(["query: سؤال"])[0]) == 384
    marker = json.loads((export / ONNX_MARKER).read_text())
    (export / ONNX_MARKER).write_text(json.dumps(marker | {"exported_with": {"torch": "another"}}))
    stamp = (built / "model.onnx").stat().st_mtime_ns
    provision_onnx_int8(export)
    assert (built / "model.onnx").stat().st_mtime_ns != stamp  # another export: built again
