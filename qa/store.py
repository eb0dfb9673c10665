"""Where the settings meet the storage layer: the embedder and the index they name.

`vectorstore/` takes plain arguments; this is the one place that reads them from `Settings`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vectorstore.index import Index

if TYPE_CHECKING:
    from qa.settings import Settings
    from vectorstore.embedders import Embedder


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "minilm":
        from vectorstore.minilm import MiniLMEmbedder

        return MiniLMEmbedder(batch_size=settings.embed_batch)
    from vectorstore.openai_embedder import OpenAIEmbedder

    return OpenAIEmbedder(
        model=settings.embed_model,
        base_url=settings.embed_base_url or settings.effective_base_url(),
        api_key=settings.effective_api_key(),
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        batch_size=settings.embed_batch,
    )


def open_index(settings: Settings) -> Index:
    """The index in `settings.store` (vectors on `settings.chroma_url` when set)."""
    return Index(settings.store, lambda: make_embedder(settings), chroma_url=settings.chroma_url,
                 collection=settings.collection)
