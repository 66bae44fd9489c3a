"""A bilingual (Arabic / English) question-answering assistant with verifiable citations.

    from assistant import build_assistant, load_settings
    answer = build_assistant(load_settings()).ask("What does the Counter ISIS Finance Group focus on?")
"""

from .app import Assistant, IngestResult, QuestionError, build_assistant
from .corpus import CorpusError, Document
from .settings import RetrievalMode, Settings, load_settings
from .store import DocumentInfo, StoreError
from .types import Answer, Citation

__all__ = [
    "Answer",
    "Assistant",
    "Citation",
    "CorpusError",
    "Document",
    "DocumentInfo",
    "IngestResult",
    "QuestionError",
    "RetrievalMode",
    "Settings",
    "StoreError",
    "build_assistant",
    "load_settings",
]
