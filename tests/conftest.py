"""Shared fixtures: the real article, and one real assistant (real model, real Chroma) per session."""

from __future__ import annotations

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
