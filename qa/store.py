"""Where the settings meet the storage layer: the embedder and the index they name.

`vectorstore/` takes plain arguments; this is the one place that reads them from `Settings`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vectorstore.index import Index

if TYPE_CHECKING:
    from qa.errors import StoreLocked
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


def open_index(settings: Settings, *, lock_wait: float | None = 0.0,
               on_lock_wait: Callable[[StoreLocked], None] | None = None) -> Index:
    """The index in `settings.store` (vectors on `settings.chroma_url` when set). `lock_wait`:
    how a write waits for another writer (0 not at all, None for ever, else seconds)."""
    return Index(settings.store, lambda: make_embedder(settings), chroma_url=settings.chroma_url,
                 collection=settings.collection, lock_wait=lock_wait, on_lock_wait=on_lock_wait)
