"""Any OpenAI-compatible chat endpoint (OpenAI, llama.cpp's server, vLLM, Ollama, ...).

Retries are the official client's own: it retries 408/409/429/5xx and connection errors with
exponential backoff and honours `Retry-After`. Whatever is left is translated (qa/api_errors.py,
shared with the embedder) into a `GeneratorError` with a one-line fix. A stream that breaks off,
or ends without a `finish_reason`, raises `IncompleteAnswer` carrying the text received so far.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Literal

from qa.api_errors import Endpoint, translate
from qa.errors import GeneratorError, GeneratorUnavailable, IncompleteAnswer
from qa.generators.base import GenerationRequest, chat_arguments
from qa.settings import Settings

if TYPE_CHECKING:
    import openai

DEFAULT_URL = "https://api.openai.com/v1"
DEFAULT_CONTEXT = 8192
# Model-name prefix -> context window in tokens; the first match wins (longest prefixes first).
CONTEXT_WINDOWS: tuple[tuple[str, int], ...] = (
    ("gpt-4.1", 1_000_000),
    ("gpt-4o", 128_000),
)


def context_window_for(model: str) -> int:
    for prefix, window in CONTEXT_WINDOWS:
        if model.startswith(prefix):
            return window
    return DEFAULT_CONTEXT


class OpenAIGenerator:
    """`Generator` backed by an OpenAI-compatible `/chat/completions` endpoint."""

    rewrites_questions = True
    answer_style: Literal["pick", "write"] = "write"
    pick_threshold: float | None = None  # no tuned value for an unknown server model

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model = settings.model
        self.name = f"openai:{self.model}"
        self.context_window = settings.context_window or context_window_for(self.model)
        base_url = settings.effective_base_url()
        api_key = settings.effective_api_key() or ("not-needed" if base_url else None)
        if api_key is None:
            raise GeneratorUnavailable(
                "the openai generator has neither an API key nor an endpoint",
                fix="set OPENAI_API_KEY / QA_API_KEY, or QA_BASE_URL for a local server")
        self.base_url = (base_url or DEFAULT_URL).rstrip("/")
        self.endpoint = Endpoint(service="the model server", url=self.base_url, model=self.model,
                                 timeout=settings.timeout, max_retries=settings.max_retries,
                                 url_setting="QA_BASE_URL", model_setting="QA_MODEL",
                                 too_long_fix="lower QA_K or set QA_CONTEXT_WINDOW to the "
                                              "model's size")
        import openai

        self.client = openai.OpenAI(base_url=self.base_url, api_key=api_key,
                                    timeout=settings.timeout, max_retries=settings.max_retries)
        self.last_finish_reason: str | None = None

    def translate(self, exc: openai.APIError) -> GeneratorError:
        """One library error -> one `GeneratorError` with a message and a fix."""
        return translate(exc, GeneratorError, self.endpoint)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        import openai

        kwargs = {"model": self.model, **chat_arguments(request)}
        self.last_finish_reason = None
        try:
            response = self.client.chat.completions.create(**kwargs)
        except openai.APIError as exc:
            raise self.translate(exc) from exc
        produced: list[str] = []
        finish: str | None = None
        try:
            with response:
                for chunk in response:
                    for choice in chunk.choices:
                        if choice.index != 0:
                            continue
                        piece = choice.delta.content if choice.delta else None
                        if piece:
                            produced.append(piece)
                            yield piece
                        if choice.finish_reason:
                            finish = choice.finish_reason
        except openai.APIError as exc:  # the connection dropped or timed out mid-stream
            err = self.translate(exc)
            raise IncompleteAnswer(f"the answer stream broke off after {len(produced)} "
                                   f"piece(s): {err.message}", partial="".join(produced),
                                   fix=err.fix, endpoint=err.endpoint, failure=err.failure,
                                   status_code=err.status_code) from exc
        self.last_finish_reason = finish
        if finish is None:
            raise IncompleteAnswer(
                f"the model server at {self.base_url} ended the stream before the answer "
                "was finished (no finish_reason)", partial="".join(produced),
                fix="retry; check the server's log")

    def choice_probabilities(self, messages: list[dict[str, str]],
                             choices: Sequence[str]) -> list[float] | None:
        """P(the reply's first token is each choice), normalised over `choices`, from the
        server's top logprobs; None when the server reports none of them (see qa/answer/pick.py)."""
        import math

        import openai

        try:
            response = self.client.chat.completions.create(
                model=self.model, messages=messages,  # type: ignore[arg-type]
                max_tokens=1, temperature=0.0, logprobs=True, top_logprobs=20)
        except openai.BadRequestError:
            return None  # a server that rejects logprobs: answer without the check
        except openai.APIError as exc:
            raise self.translate(exc) from exc
        choice = response.choices[0] if response.choices else None
        content = choice.logprobs.content if choice and choice.logprobs else None
        if not content:
            return None
        best = dict.fromkeys(choices, -math.inf)
        for alt in content[0].top_logprobs:
            token = alt.token.strip()
            if token in best:
                best[token] = max(best[token], alt.logprob)
        top = max(best.values())
        if top == -math.inf:
            return None
        weights = [math.exp(best[c] - top) for c in choices]
        return [w / sum(weights) for w in weights]

    def constrained_reply(self, messages: list[dict[str, str]], grammar: str,
                          choices: Sequence[str], max_tokens: int) -> str:
        """A JSON reply `{"answer": "..."}`: servers take no grammar, so the answer is held to
        the evidence afterwards (qa/answer/direct.py's grounding check); `choices`, when given,
        are named in the request."""
        import json

        import openai

        del grammar
        ask = ('Reply with a JSON object {"answer": "..."}'
               + (f" whose answer is one of {json.dumps(list(choices))}." if choices else "."))
        request = [*messages[:-1], {"role": "user",
                                    "content": f"{messages[-1]['content']}\n\n{ask}"}]
        try:
            response = self.client.chat.completions.create(  # type: ignore[call-overload]
                model=self.model, messages=request, max_tokens=max_tokens + 16,
                temperature=0.0, response_format={"type": "json_object"})
        except openai.APIError as exc:
            raise self.translate(exc) from exc
        content = response.choices[0].message.content if response.choices else None
        try:
            answer = json.loads(content or "{}").get("answer", "")
        except (ValueError, AttributeError):
            return ""  # not JSON: no short answer, so the evidence stands alone
        return str(answer).strip() if isinstance(answer, str | int | float) else ""

    def close(self) -> None:
        self.client.close()
