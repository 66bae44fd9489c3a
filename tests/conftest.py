"""Shared fixtures: the real article, one real assistant (real model, real Chroma) per session,
and a real Chroma server for the tests that run against both kinds of store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from assistant import Assistant, build_assistant, load_settings
from assistant.settings import PROJECT_ROOT

ARTICLE = PROJECT_ROOT / "corpus" / "coalition_communique.ar.txt"


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
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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
    """The server .ci/run started (ASSISTANT_TEST_CHROMA_URL), or one started here for the session."""
    url = os.environ.get("ASSISTANT_TEST_CHROMA_URL")
    if url:
        yield url
        return
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server")).start()
    yield server.url
    server.stop()


@pytest.fixture(params=["embedded", "server"])
def store_settings(request, tmp_path, model_dir):
    """Settings for an empty store of the test's own: embedded, then on the Chroma server."""
    if request.param == "embedded":
        return load_settings(env={}, data_dir=tmp_path / "data", model_dir=model_dir)
    url = request.getfixturevalue("chroma_url")
    namespace = f"t{uuid.uuid4().hex[:12]}"  # the server is shared: each test gets its own collections
    return load_settings(env={}, data_dir=tmp_path / "data", model_dir=model_dir, chroma_url=url, namespace=namespace)
