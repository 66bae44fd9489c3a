"""A bilingual (Arabic / English) question-answering assistant with verifiable citations.

    from assistant import build_assistant, load_settings
    answer = build_assistant(load_settings()).ask("What does the Counter ISIS Finance Group focus on?")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Public name -> the module that defines it. Imported on first use, so that `assistant --help`
# and other light commands do not pay for llama-index, chromadb and torch.
_EXPORTS = {
    "Answer": "types",
    "Citation": "types",
    "Hit": "types",
    "Ranking": "types",
    "Assistant": "app",
    "IngestResult": "app",
    "QuestionError": "app",
    "build_assistant": "app",
    "Conversation": "conversation",
    "Fusion": "conversation",
    "Lean": "conversation",
    "Turn": "conversation",
    "CorpusError": "corpus",
    "Document": "corpus",
    "load_file": "corpus",
    "AnswerBackend": "settings",
    "EmbeddingBackend": "settings",
    "EmbeddingPrecision": "settings",
    "RetrievalMode": "settings",
    "Settings": "settings",
    "load_settings": "settings",
    "LedgerError": "ledger",
    "DocumentInfo": "store",
    "IncompleteVersion": "store",
    "StoreError": "store",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .app import Assistant, IngestResult, QuestionError, build_assistant
    from .conversation import Conversation, Fusion, Lean, Turn
    from .ledger import LedgerError
    from .corpus import CorpusError, Document, load_file
    from .settings import AnswerBackend, EmbeddingBackend, EmbeddingPrecision, RetrievalMode, Settings, load_settings
    from .store import DocumentInfo, IncompleteVersion, StoreError
    from .types import Answer, Citation, Hit, Ranking


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value
