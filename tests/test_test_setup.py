"""What `make test` sets up: a browser for the UI tests, and the session's Chroma server, which must
never outlive a run that failed, was interrupted or was killed (real pytest processes, real signals)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from ensure_browser import BROWSER_ENV, find_browser, main

from assistant.settings import PROJECT_ROOT

TESTS_DIR = Path(__file__).resolve().parent

LEAK_PROBE = '''
import sys, time

def test_probe(chroma_url):
    print("URL", chroma_url, flush=True)
    if "{mode}" == "hang":
        time.sleep(600)
    assert False, "this test fails on purpose"
'''


def test_find_browser_returns_an_executable_the_browser_tests_can_launch():
    found = find_browser()
    assert found is not None and found.is_file() and os.access(found, os.X_OK)


def test_a_named_browser_that_is_not_there_is_refused_in_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv(BROWSER_ENV, str(tmp_path / "no-such-chrome"))
    assert find_browser() is None
    assert main() == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and BROWSER_ENV in err and "no-such-chrome" in err


def _server_processes(folder: Path) -> list[int]:
    """Pids of `chroma run` processes serving a path under ``folder``."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"run" in argv and any(arg.startswith(str(folder).encode()) for arg in argv):
            pids.append(int(proc.name))
    return pids


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1):
            return True
    except OSError:
        return False


def _start_probe(tmp_path: Path, mode: str) -> tuple[subprocess.Popen, str]:
    """A real pytest run (with our conftest as its plugin) whose one test takes the Chroma server."""
    probe = tmp_path / "probe" / "test_probe.py"
    probe.parent.mkdir()
    probe.write_text(LEAK_PROBE.format(mode=mode), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS_DIR), str(PROJECT_ROOT)]))
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-s", "-q",
         f"--basetemp={tmp_path / 'basetemp'}", "--rootdir", str(probe.parent), str(probe)],
        cwd=probe.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("URL "):
            return process, line.split()[1]
    process.wait()
    pytest.fail(f"the probe run never got a server (exit {process.returncode})")


def _wait_until(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.slow
def test_a_failing_run_stops_its_chroma_server_and_removes_its_folder(tmp_path):
    process, url = _start_probe(tmp_path, "fail")
    assert _answers(url)
    process.communicate(timeout=120)
    assert process.returncode == 1  # the probe's test failed, as meant
    assert not _answers(url)
    assert _server_processes(tmp_path) == []
    assert not any((tmp_path / "basetemp").glob("chroma-server*"))


@pytest.mark.slow
def test_an_interrupted_run_stops_its_chroma_server_and_removes_its_folder(tmp_path):
    process, url = _start_probe(tmp_path, "hang")
    assert _answers(url)
    process.send_signal(signal.SIGINT)  # Ctrl-C
    process.communicate(timeout=120)
    assert _server_processes(tmp_path) == [] and not _answers(url)
    assert not any((tmp_path / "basetemp").glob("chroma-server*"))


@pytest.mark.slow
def test_a_killed_run_takes_its_chroma_server_with_it(tmp_path):
    process, url = _start_probe(tmp_path, "hang")
    assert _server_processes(tmp_path)
    process.kill()  # SIGKILL: no teardown runs; the kernel tells the server (PR_SET_PDEATHSIG)
    process.communicate(timeout=30)
    assert _wait_until(lambda: _server_processes(tmp_path) == [])
    assert not _answers(url)
