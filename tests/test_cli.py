"""The CLI as a user runs it: a real subprocess, on a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _run(settings, *args):
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(settings.data_dir), ASSISTANT_MODEL_DIR=str(settings.model_cache_dir))
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def cli_settings(tmp_path_factory, model_dir):
    from assistant import load_settings

    return load_settings(env={}, data_dir=tmp_path_factory.mktemp("cli"), model_dir=model_dir)


def test_ask_json_contract(cli_settings):
    result = _run(cli_settings, "ask", "--json", "What does the Counter ISIS Finance Group focus on?")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert {"question", "answer", "language", "abstained", "citations", "timings_ms"} <= set(payload)
    assert payload["language"] == "en" and not payload["abstained"]
    citation = payload["citations"][0]
    assert {"n", "sentence_id", "paragraph_id", "document_id", "quote", "start", "end", "score"} <= set(citation)
    assert citation["sentence_id"] == "p14.s1"


def test_ask_human_output(cli_settings):
    result = _run(cli_settings, "ask", "ما هي مجموعات العمل التابعة للتحالف؟")
    assert result.returncode == 0, result.stderr
    assert "[1]" in result.stdout and "p14.s1" in result.stdout


def test_ingest_docs_remove(cli_settings, tmp_path):
    path = tmp_path / "extra.md"
    path.write_text("# Note\nThe coalition met in Kuwait on a Tuesday.\n", encoding="utf-8")
    assert "ingested: extra" in _run(cli_settings, "ingest", str(path)).stdout
    assert "unchanged: extra" in _run(cli_settings, "ingest", str(path)).stdout
    assert "extra" in _run(cli_settings, "docs").stdout
    assert _run(cli_settings, "remove", "extra").returncode == 0
    assert "extra" not in _run(cli_settings, "docs").stdout


def test_errors_are_readable(cli_settings, tmp_path):
    empty = _run(cli_settings, "ask", "  ")
    assert empty.returncode == 1 and "error: the question is empty" in empty.stderr
    missing = _run(cli_settings, "ingest", str(tmp_path / "nope.txt"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    assert "Traceback" not in empty.stderr + missing.stderr


def test_ingesting_the_corpus_folder_uses_its_manifest(cli_settings):
    from assistant.settings import PROJECT_ROOT

    result = _run(cli_settings, "ingest", str(PROJECT_ROOT / "corpus"))
    assert result.returncode == 0, result.stderr
    assert "unchanged: coalition-communique" in result.stdout
    assert _run(cli_settings, "docs").stdout.count("\n") == 1
