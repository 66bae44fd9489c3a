"""Shared fixtures: the real article, one real assistant (real model, real Chroma) per session,
and a real Chroma server for the tests that run against both kinds of store."""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from assistant import Assistant, build_assistant, load_settings
from assistant.settings import PROJECT_ROOT

ARTICLE = PROJECT_ROOT / "corpus" / "coalition_communique.ar.txt"
# A run writes about 1 GB of stores, exports and model copies under the temp folder. With too little
# room, tests fail wherever the disk fills ("No space left on device" in a copy of the model, then
# every store fixture): a CI run did. Say so once, before any test runs.
MIN_FREE_BYTES = 3 * 1024**3


def pytest_sessionstart(session: pytest.Session) -> None:
    folder = tempfile.gettempdir()
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        pytest.exit(f"only {free / 1024**3:.1f} GB free in {folder}; the tests need {MIN_FREE_BYTES // 1024**3} GB "
                    "there (stores, exports, model copies): free some space first", returncode=1)


@pytest.fixture(scope="session")
def article_text() -> str:
    return ARTICLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """Built models are shared across test runs (building takes a while), never the store."""
    path = PROJECT_ROOT / ".data" / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def assistant(tmp_path_factory, model_dir) -> Assistant:
    """An assistant on a fresh store filled from the real corpus."""
    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp("data"), model_dir=model_dir)
    return build_assistant(settings).warm_up()


@pytest.fixture
def fresh_settings(tmp_path, model_dir):
    """Settings for an assistant on an empty store of its own."""
    return load_settings(env={}, data_dir=tmp_path / "data", model_dir=model_dir)


def assistant_with(settings, folder, filename: str, text: str):
    """An assistant over ``settings``' store with ``text`` ingested as the file ``filename``."""
    assistant = build_assistant(settings)
    path = folder / filename
    path.write_text(text, encoding="utf-8")
    assistant.ingest(path)
    return assistant


def _die_with_parent() -> None:
    """In the child before exec: the kernel sends SIGTERM when the test process ends in any way
    (a failed run, Ctrl-C, SIGKILL), so no `chroma run` outlives the suite (Linux's PR_SET_PDEATHSIG)."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class ChromaServer:
    """A real `chroma run` process on a loopback port (the script chromadb installs)."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> ChromaServer:
        chroma = Path(sys.executable).with_name("chroma")
        self._process = subprocess.Popen(
            [str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self._process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"no heartbeat from the Chroma server at {self.url} within {timeout} s")

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process, timeout=10)


def stop_process(process: subprocess.Popen, timeout: float = 30) -> None:
    """Terminate a process this test started; kill it if it does not exit in ``timeout`` s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory) -> str:
    """The one Chroma server of the test session, started here: stopped and its folder removed at
    the end, also when tests fail; if the run is killed, the server dies with it (_die_with_parent)."""
    # mkdtemp, not tmp_path_factory.mktemp: that leaves a "chroma-servercurrent" link behind.
    server = ChromaServer(Path(tempfile.mkdtemp(prefix="chroma-server-", dir=tmp_path_factory.getbasetemp())))
    try:
        yield server.start().url
    finally:
        server.stop()
        shutil.rmtree(server.path, ignore_errors=True)


@pytest.fixture(params=["embedded", "server"])
def store_settings(request, tmp_path, model_dir):
    """Settings for an empty store of the test's own: embedded, then on the Chroma server."""
    if request.param == "embedded":
        return load_settings(env={}, data_dir=tmp_path / "data", model_dir=model_dir)
    url = request.getfixturevalue("chroma_url")
    namespace = f"t{uuid.uuid4().hex[:12]}"  # the server is shared: each test gets its own collections
    return load_settings(env={}, data_dir=tmp_path / "data", model_dir=model_dir, chroma_url=url, namespace=namespace)
