"""One embedded store, several processes: real `python -m ui` and `python -m assistant` processes.

Readers share the store; a write waits for no one and is refused while another process has the
store open; a reader is refused while another process writes. Either way one clear line, no
traceback, no wrong answer.
"""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from conftest import free_port, stop_process

pytestmark = pytest.mark.slow

FINANCE = "What does the Counter ISIS Finance Group focus on?"


def _env(settings, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ASSISTANT_")}
    return env | {"ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_MODEL_DIR": str(settings.model_cache_dir),
                  "OPENBLAS_NUM_THREADS": "1", "GRADIO_ANALYTICS_ENABLED": "False", **extra}


def _cli(settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], env=_env(settings), cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=600)


def _one_clear_line(run: subprocess.CompletedProcess) -> str:
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("error: ")
    return line


def _start_ui(settings) -> tuple[subprocess.Popen, str]:
    port = free_port()
    ui = subprocess.Popen([sys.executable, "-m", "ui", "--port", str(port)], env=_env(settings), cwd=PROJECT_ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 300
    while True:
        assert ui.poll() is None, "python -m ui exited"
        try:
            with urllib.request.urlopen(url, timeout=5):
                return ui, url
        except OSError:
            assert time.monotonic() < deadline, "python -m ui did not start in time"
            time.sleep(1)


def test_an_ingest_beside_the_running_ui_is_refused_and_both_keep_answering(fresh_settings, tmp_path):
    from gradio_client import Client

    note = tmp_path / "pumps.txt"
    note.write_text("The oasis pump station lifts 480 litres a second.\n", encoding="utf-8")
    ui, url = _start_ui(fresh_settings)
    try:
        line = _one_clear_line(_cli(fresh_settings, "ingest", str(note)))
        assert f"cannot ingest: the index in {fresh_settings.store_dir} is open in another process " in line
        assert f"(pid {ui.pid}: {sys.executable} -m ui --port" in line
        assert "Embedded store or Chroma server" in line and "ASSISTANT_CHROMA_URL" in line

        reader = _cli(fresh_settings, "ask", "--json", FINANCE)  # another reader is welcome
        assert reader.returncode == 0, reader.stderr
        assert '"sentence_id": "p14.s1"' in reader.stdout
        answer = Client(url, verbose=False).predict(FINANCE, api_name="/ask")
        assert answer["citations"][0]["sentence_id"] == "p14.s1"
        assert "pumps" not in _cli(fresh_settings, "docs").stdout
    finally:
        stop_process(ui)

    stored = _cli(fresh_settings, "ingest", str(note))  # the UI is gone: the write goes through
    assert stored.returncode == 0 and "ingested: pumps" in stored.stdout, stored.stderr
    ui, url = _start_ui(fresh_settings)
    try:
        answer = Client(url, verbose=False).predict("How many litres a second does the oasis pump station lift?",
                                                    api_name="/ask")
        assert answer["citations"][0]["document_id"] == "pumps"
    finally:
        stop_process(ui)


def _written_by(lock: Path) -> int:
    """The pid holding a write lock on ``lock`` (0: none), without taking any lock."""
    if not lock.exists():
        return 0
    fd = os.open(lock, os.O_RDWR)
    try:
        request = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        kind, _, _, _, pid = struct.unpack("hhqqi4x", fcntl.fcntl(fd, fcntl.F_GETLK, request))
        if kind != fcntl.F_WRLCK:
            return 0
        return pid
    finally:
        os.close(fd)


def test_a_question_while_another_process_ingests_is_refused_then_answered(fresh_settings, tmp_path):
    first = _cli(fresh_settings, "build")
    assert first.returncode == 0, first.stderr
    folder = tmp_path / "wells"
    folder.mkdir()
    for n in range(300):
        (folder / f"well {n:02d}.txt").write_text(f"Well {n} of the oasis is {n * 3 + 20} metres deep.\n",
                                                  encoding="utf-8")
    ingest = subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(folder)], env=_env(fresh_settings),
                              cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = fresh_settings.store_dir.with_name("chroma.lock")
    try:
        deadline = time.monotonic() + 300
        while _written_by(lock) != ingest.pid:
            assert ingest.poll() is None and time.monotonic() < deadline, "the ingest never started writing"
            time.sleep(0.05)
        line = _one_clear_line(_cli(fresh_settings, "ask", "How deep is well 7 of the oasis?"))
        assert "is being written by another process (pid" in line and "run this again when it is done" in line
        assert ingest.wait(timeout=600) == 0
    finally:
        if ingest.poll() is None:
            ingest.kill()
            ingest.wait()
    answer = _cli(fresh_settings, "ask", "--json", "How deep is well 7 of the oasis?")
    assert answer.returncode == 0, answer.stderr
    assert '"document_id": "well-07"' in answer.stdout


def test_an_ingest_waits_for_a_short_reader_to_finish(fresh_settings, tmp_path):
    note = tmp_path / "gates.txt"
    note.write_text("The east gate of the oasis opens at dawn.\n", encoding="utf-8")
    fresh_settings.data_dir.mkdir(parents=True)
    # A reader that has the store open for a few seconds, as `assistant ask` has.
    reader = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from assistant.store_lock import StoreLock; "
         "StoreLock.for_store(Path(sys.argv[1])); print('open', flush=True); time.sleep(15)",
         str(fresh_settings.store_dir)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        stored = _cli(fresh_settings, "ingest", str(note))
        assert stored.returncode == 0 and "ingested: gates" in stored.stdout, stored.stderr
        assert reader.poll() == 0  # it had finished: the ingest waited for it, and wrote after
    finally:
        stop_process(reader)
