"""Embeddings from an OpenAI-compatible `/v1/embeddings` endpoint (OpenAI itself or a local server).

The `openai` client is imported and built on the first `embed`, so a misconfigured endpoint only
fails the commands that actually embed. Library errors become `EmbedderError` one-liners.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from qa.api_errors import Endpoint, one_line, translate
from qa.errors import EmbedderError

PLACEHOLDER_KEY = "not-needed"  # local servers accept any key, the client insists on one


class OpenAIEmbedder:
    """L2-normalised float32 vectors from `model` at `base_url` (default: api.openai.com).

    `dimension` is 0 until the first response, then the width of the vectors the endpoint
    returned; a later response of another width is an error.
    """

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None,
                 timeout: float = 60.0, max_retries: int = 2, batch_size: int = 32) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.model = model
        self.base_url = base_url
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.batch_size = batch_size
        self.name = f"openai:{model}"
        self.dimension = 0
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return self.base_url or "https://api.openai.com/v1"

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                key = self.api_key
                if not key:
                    if not self.base_url:
                        raise EmbedderError(
                            "the openai embedder needs an API key",
                            fix="set QA_API_KEY or OPENAI_API_KEY, or QA_EMBED_BASE_URL for a "
                                "local server, or set QA_EMBEDDER=minilm")
                    key = PLACEHOLDER_KEY
                try:
                    import openai
                except ImportError as exc:
                    raise EmbedderError("the openai package is not installed",
                                        fix="pip install openai") from exc
                self._client = openai.OpenAI(api_key=key, base_url=self.base_url,
                                             timeout=self.timeout, max_retries=self.max_retries)
            return self._client

    def close(self) -> None:
        """Close the HTTP client (its connection pool); a later `embed` opens a new one."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Return an array of shape (len(texts), dimension), each row of unit length."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not one string")
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        client = self._get_client()
        parts = [self._embed_batch(client, texts[i:i + self.batch_size])
                 for i in range(0, len(texts), self.batch_size)]
        return np.concatenate(parts, axis=0)

    def _embed_batch(self, client: Any, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        # The API rejects empty strings; a single space embeds as "nothing" on every server.
        batch = [t if t.strip() else " " for t in texts]
        response = self._call(client, batch)
        data = sorted(response.data, key=lambda item: item.index)
        if len(data) != len(batch):
            raise EmbedderError(f"{self.endpoint} returned {len(data)} embeddings for "
                                f"{len(batch)} texts", fix="check the embedding server")
        try:
            vectors = np.asarray([item.embedding for item in data], dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise EmbedderError(f"{self.endpoint} returned malformed embeddings",
                                fix="set QA_EMBED_MODEL to an embedding model") from exc
        if vectors.ndim != 2 or vectors.shape[1] == 0:
            raise EmbedderError(
                f"{self.endpoint} returned per-token or empty vectors, not one per text",
                fix="serve a pooled embedding model (e.g. llama.cpp with --pooling mean)")
        width = int(vectors.shape[1])
        if self.dimension == 0:
            self.dimension = width
        elif width != self.dimension:
            raise EmbedderError(f"{self.endpoint} returned {width}-d vectors after "
                                f"{self.dimension}-d ones", fix="check the embedding server")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: npt.NDArray[np.float32] = (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit

    def _call(self, client: Any, batch: list[str]) -> Any:
        import openai

        try:
            return client.embeddings.create(model=self.model, input=batch,
                                            encoding_format="float")
        except openai.APIError as exc:
            raise translate(exc, EmbedderError, self._endpoint) from exc
        except openai.OpenAIError as exc:
            raise EmbedderError(f"embedding request to {self.endpoint} failed: "
                                f"{one_line(str(exc))}", fix="check the embedding server",
                                endpoint=self.endpoint) from exc

    @property
    def _endpoint(self) -> Endpoint:
        return Endpoint(service="the embedding endpoint", url=self.endpoint, model=self.model,
                        timeout=self.timeout, max_retries=self.max_retries,
                        url_setting="QA_EMBED_BASE_URL", model_setting="QA_EMBED_MODEL",
                        too_long_fix="lower QA_CHUNK_TOKENS and re-ingest into a new --store")
