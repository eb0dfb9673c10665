"""OpenAIGenerator against a scripted stub server: retries, timeouts, HTTP errors, broken streams,
and the one error translation it shares with the OpenAI embedder (qa/api_errors.py).

Every test is kept short by small timeouts and few retries. Nothing here asserts how long a test
took (that is bench/'s job); waits the client must honour are read from the stub's recorded
request arrival times.
"""

from __future__ import annotations

import time
from collections.abc import Generator

import pytest
from llm_servers import Reply, StubServer, closed_after_test, fail, free_port, ok

from qa.errors import BackendError, EmbedderError, GeneratorError, IncompleteAnswer
from qa.generators.base import GenerationRequest, generate
from qa.generators.openai_backend import OpenAIGenerator, context_window_for
from qa.settings import Settings
from vectorstore.openai_embedder import OpenAIEmbedder

REQUEST = GenerationRequest(task="answer", messages=[{"role": "user", "content": "Say hi."}],
                            max_tokens=16)


def make(url: str, **overrides: object) -> OpenAIGenerator:
    values: dict[str, object] = {"base_url": url, "api_key": "test-key", "model": "stub-model",
                                 "timeout": 5.0, "max_retries": 2}
    values.update(overrides)
    generator = OpenAIGenerator(Settings.model_validate(values))
    return closed_after_test(generator)


def test_streams_pieces_and_sends_request_fields(stub_server: StubServer) -> None:
    stub_server.script(ok("Hel", "lo", "!"))
    gen = make(stub_server.url)
    request = GenerationRequest(task="answer", messages=REQUEST.messages, max_tokens=7,
                                temperature=0.5, json_mode=True)
    assert list(gen.stream(request)) == ["Hel", "lo", "!"]
    assert gen.last_finish_reason == "stop"
    (seen,) = stub_server.chat_requests()
    assert seen.body["model"] == "stub-model"
    assert seen.body["stream"] is True
    assert seen.body["max_tokens"] == 7 and seen.body["temperature"] == 0.5
    assert seen.body["response_format"] == {"type": "json_object"}
    assert seen.headers["authorization"] == "Bearer test-key"
    gen.close()


def test_429_with_retry_after_is_retried_after_waiting(stub_server: StubServer) -> None:
    stub_server.script(fail(429, "slow down", headers={"Retry-After": "1"}), ok("fine"))
    assert generate(make(stub_server.url), REQUEST) == "fine"
    first, second = stub_server.chat_requests()
    # The client's own first backoff is at most 0.5s; a gap of about 1s is Retry-After: 1.
    assert second.at - first.at >= 0.95


def test_500_then_success_is_retried(stub_server: StubServer) -> None:
    stub_server.script(fail(500, "boom"), ok("recovered"))
    assert generate(make(stub_server.url), REQUEST) == "recovered"
    assert len(stub_server.chat_requests()) == 2


def test_429_after_retries_says_rate_limited(stub_server: StubServer) -> None:
    limited = fail(429, "Rate limit reached", code="rate_limit_exceeded",
                   headers={"Retry-After-Ms": "50"})
    stub_server.script(limited, limited)
    with pytest.raises(GeneratorError) as info:
        generate(make(stub_server.url, max_retries=1), REQUEST)
    assert "rate limited" in info.value.message
    assert info.value.fix == "wait and retry, or raise QA_MAX_RETRIES"
    assert len(stub_server.chat_requests()) == 2


def test_500_after_retries_names_the_status(stub_server: StubServer) -> None:
    stub_server.script(fail(503, "overloaded"))
    with pytest.raises(GeneratorError) as info:
        generate(make(stub_server.url, max_retries=0), REQUEST)
    assert "server error 503" in info.value.message and "overloaded" in info.value.message


def test_401_is_not_retried_and_points_at_the_key(stub_server: StubServer) -> None:
    stub_server.script(fail(401, "Incorrect API key provided", code="invalid_api_key"))
    with pytest.raises(GeneratorError) as info:
        generate(make(stub_server.url), REQUEST)
    assert "refused the API key (401)" in info.value.message
    assert "OPENAI_API_KEY" in info.value.fix and "QA_API_KEY" in info.value.fix
    assert len(stub_server.chat_requests()) == 1


def test_404_unknown_model(stub_server: StubServer) -> None:
    # llama.cpp's server serves its one model under any name, so the unknown-model path is
    # checked here, with the error body OpenAI itself sends.
    stub_server.script(fail(404, "The model `nope` does not exist or you do not have access "
                                 "to it.", code="model_not_found"))
    with pytest.raises(GeneratorError) as info:
        generate(make(stub_server.url, model="nope"), REQUEST)
    assert "unknown model 'nope'" in info.value.message
    assert info.value.fix == "pick one from GET /v1/models or set QA_MODEL"


def test_404_route_points_at_the_base_url(stub_server: StubServer) -> None:
    gen = make(stub_server.url.removesuffix("/v1") + "/wrong")
    with pytest.raises(GeneratorError) as info:
        generate(gen, REQUEST)
    assert "QA_BASE_URL" in info.value.fix


def test_slow_response_times_out(stub_server: StubServer) -> None:
    stub_server.script(Reply(delay=3.0, pieces=("late",)))
    started = time.monotonic()
    with pytest.raises(GeneratorError) as info:
        generate(make(stub_server.url, timeout=1.0, max_retries=0), REQUEST)
    assert "timed out after 1s" in info.value.message
    assert info.value.fix.startswith("raise QA_TIMEOUT")
    assert info.value.failure == "timeout"
    assert time.monotonic() - started >= 0.9  # it waited for the timeout, not failed at once
    assert len(stub_server.chat_requests()) == 1


def test_stream_cut_mid_way_keeps_the_partial_text(stub_server: StubServer) -> None:
    stub_server.script(Reply(pieces=("Hello, ", "wor", "ld."), cut_after=2))
    pieces: list[str] = []
    with pytest.raises(IncompleteAnswer) as info:
        for piece in make(stub_server.url).stream(REQUEST):
            pieces.append(piece)
    assert pieces == ["Hello, ", "wor"]
    assert info.value.partial == "Hello, wor"
    assert "broke off" in info.value.message
    assert len(stub_server.chat_requests()) == 1  # a started stream is never silently re-sent


def test_stream_without_finish_reason_is_incomplete(stub_server: StubServer) -> None:
    stub_server.script(Reply(pieces=("Half", " an answer"), finish_reason=None))
    with pytest.raises(IncompleteAnswer) as info:
        generate(make(stub_server.url), REQUEST)
    assert info.value.partial == "Half an answer"
    assert "no finish_reason" in info.value.message


def test_length_finish_is_complete(stub_server: StubServer) -> None:
    stub_server.script(Reply(pieces=("cut by", " max_tokens"), finish_reason="length"))
    gen = make(stub_server.url)
    assert generate(gen, REQUEST) == "cut by max_tokens"
    assert gen.last_finish_reason == "length"


def test_interrupt_propagates_and_closes_the_stream(stub_server: StubServer) -> None:
    stub_server.script(ok("one", "two", "three"), ok("again"))
    gen = make(stub_server.url)
    stream = gen.stream(REQUEST)
    assert isinstance(stream, Generator)  # so the interrupt can be thrown into it
    assert next(stream) == "one"
    with pytest.raises(KeyboardInterrupt):
        stream.throw(KeyboardInterrupt)
    assert generate(gen, REQUEST) == "again"


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(GeneratorError) as info:
        generate(make(url, max_retries=1), REQUEST)
    assert info.value.message == f"cannot reach the model server at {url}"
    assert info.value.fix == "start it or fix QA_BASE_URL"


@pytest.mark.usefixtures("qa_env")
def test_no_key_and_no_endpoint_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.errors import GeneratorUnavailable

    with pytest.raises(GeneratorUnavailable):
        OpenAIGenerator(Settings(generator="openai"))


def test_context_window_table() -> None:
    assert context_window_for("gpt-4o-mini") == 128_000
    assert context_window_for("gpt-4.1-nano") == 1_000_000
    assert context_window_for("local") == 8192
    assert make("http://127.0.0.1:9/v1", context_window=2048).context_window == 2048


CHOOSE = [{"role": "user", "content": "Which sentence? Reply 0, 1 or 2."}]


def test_choices_without_logprobs_step_aside(stub_server: StubServer) -> None:
    """Servers that ignore logprobs, or reject them with 400, get no reading check (None)
    rather than a failed answer; other errors still surface."""
    stub_server.script(ok("1"), fail(400, "logprobs is not supported"),
                       fail(401, "Incorrect API key provided", code="invalid_api_key"))
    gen = make(stub_server.url, max_retries=0)
    assert gen.choice_probabilities(CHOOSE, ["0", "1", "2"]) is None
    assert gen.choice_probabilities(CHOOSE, ["0", "1", "2"]) is None
    with pytest.raises(GeneratorError):
        gen.choice_probabilities(CHOOSE, ["0", "1", "2"])
    first = stub_server.chat_requests()[0].body
    assert first["logprobs"] is True and first["max_tokens"] == 1 and not first.get("stream")


# ------------------------------------------------- errors keep what callers decide with

# fault -> (scripted reply, or None for a port nothing listens on; failure, status, retryable,
# words both families' messages contain)
FAULTS: dict[str, tuple[Reply | None, str, int | None, bool, str]] = {
    "timeout": (Reply(delay=1.5), "timeout", None, True, "timed out after 0.5s"),
    "refused": (None, "connection", None, True, "cannot reach"),
    "401": (fail(401, "Incorrect API key provided", code="invalid_api_key"), "status", 401,
            False, "refused the API key (401): Incorrect API key provided"),
    "429": (fail(429, "Rate limit reached", code="rate_limit_exceeded"), "status", 429, True,
            "(429) after 0 retries: Rate limit reached"),
    "500": (fail(500, "boom"), "status", 500, True, "server error 500 from"),
}


def _generator_error(url: str) -> GeneratorError:
    gen = make(url, timeout=0.5, max_retries=0)
    with pytest.raises(GeneratorError) as info:
        generate(gen, REQUEST)
    gen.close()
    return info.value


def _embedder_error(url: str) -> EmbedderError:
    embedder = OpenAIEmbedder("stub-model", url, "test-key", timeout=0.5, max_retries=0)
    closed_after_test(embedder)
    with pytest.raises(EmbedderError) as info:
        embedder.embed(["hello"])
    return info.value


@pytest.mark.parametrize("fault", list(FAULTS))
def test_both_families_keep_failure_status_and_retryable(stub_server: StubServer,
                                                        fault: str) -> None:
    """The generator and the embedder raise their own family's error from one translation:
    the same failure kind, status code, retryability and wording, differing only in the
    service's name and the settings the fix names."""
    reply, failure, status, retryable, words = FAULTS[fault]
    url = stub_server.url if reply else f"http://127.0.0.1:{free_port()}/v1"
    stub_server.script(*([reply, reply] if reply else []))
    gen = _generator_error(url)
    emb = _embedder_error(url)
    for err in (gen, emb):
        assert isinstance(err, BackendError)
        assert (err.failure, err.status_code, err.retryable) == (failure, status, retryable)
        assert err.endpoint == url
        assert words in err.message and url in err.message
        assert err.fix and "\n" not in str(err)
    assert not isinstance(gen, EmbedderError) and not isinstance(emb, GeneratorError)
    assert emb.message.replace("the embedding endpoint", "the model server") == gen.message
    assert emb.fix.replace("QA_EMBED_", "QA_") == gen.fix
    if reply:  # max_retries=0: each family asked exactly once
        assert len(stub_server.chat_requests()) == len(stub_server.embedding_requests()) == 1
