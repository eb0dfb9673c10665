"""The Embedder protocol and the registry that picks a backend from settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from qa.settings import Settings


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str  # identifies model + variant; recorded on the collection to refuse mixing
    dimension: int

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Return an array of shape (len(texts), dimension)."""
        ...


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
