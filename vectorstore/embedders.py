"""The Embedder protocol: what the store needs from an embedding backend (`minilm.py`,
`openai_embedder.py`); `qa.store.make_embedder` picks one from the settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt



class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str  # identifies model + variant; recorded on the collection to refuse mixing
    dimension: int

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Return an array of shape (len(texts), dimension)."""
        ...
