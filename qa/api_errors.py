"""One translation of `openai` client errors, shared by the generator and the embedder.

The official client has already retried what is worth retrying (408/409/429/5xx, connection
errors, with backoff and `Retry-After`); what reaches here becomes one `BackendError` of the
caller's family (`GeneratorError`, `EmbedderError`) with a one-line message, a fix that names a
real setting, and what a caller needs to decide for itself: `failure` (timeout, connection,
status), `status_code` and `retryable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from qa.errors import BackendError

if TYPE_CHECKING:
    import openai

E = TypeVar("E", bound=BackendError)


@dataclass(frozen=True)
class Endpoint:
    """What the messages name: the service, its URL and model, and the settings that fix them."""

    service: str  # "the model server", "the embedding endpoint"
    url: str
    model: str
    timeout: float
    max_retries: int
    url_setting: str  # "QA_BASE_URL", "QA_EMBED_BASE_URL"
    model_setting: str  # "QA_MODEL", "QA_EMBED_MODEL"
    too_long_fix: str = "send less text"


def server_message(exc: openai.APIError) -> str:
    """The server's own error text, without the client's 'Error code: ...' wrapping."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            for key in ("message", "detail"):
                if isinstance(inner.get(key), str):
                    return str(inner[key])
        elif isinstance(inner, str):
            return inner
    elif isinstance(body, str) and body.strip():
        return body.strip()
    return exc.message


def one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def translate(exc: openai.APIError, family: type[E], at: Endpoint) -> E:
    """One library error -> one `family` error with a message, a fix and its failure kind."""
    import openai

    url, service = at.url, at.service
    if isinstance(exc, openai.APITimeoutError):
        return family(f"{service} at {url} timed out after {at.timeout:g}s",
                      fix="raise QA_TIMEOUT, or use a smaller model", endpoint=url,
                      failure="timeout")
    if isinstance(exc, openai.APIConnectionError):
        return family(f"cannot reach {service} at {url}",
                      fix=f"start it or fix {at.url_setting}", endpoint=url, failure="connection")
    if not isinstance(exc, openai.APIStatusError):
        return family(f"{service} at {url} failed: {one_line(exc.message)}",
                      fix="retry; check the server's log", endpoint=url)
    said = one_line(server_message(exc))
    status = exc.status_code

    def status_error(message: str, fix: str) -> E:
        return family(message, fix=fix, endpoint=url, failure="status", status_code=status)

    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return status_error(f"{service} at {url} refused the API key ({status}): {said}",
                            "set OPENAI_API_KEY / QA_API_KEY")
    if isinstance(exc, openai.NotFoundError):
        if "model" in said.lower():
            return status_error(f"unknown model {at.model!r} at {url} ({said})",
                                f"pick one from GET /v1/models or set {at.model_setting}")
        return status_error(f"not found at {url}: {said}",
                            f"fix {at.url_setting} (it usually ends in /v1)")
    if isinstance(exc, openai.RateLimitError):
        if exc.code == "insufficient_quota":
            return status_error(f"the account has no quota left at {url}: {said}",
                                "check the plan and billing of the API key")
        return status_error(f"rate limited by {url} (429) after {at.max_retries} retries: "
                            f"{said}", "wait and retry, or raise QA_MAX_RETRIES")
    if status >= 500:
        return status_error(f"server error {status} from {url}: {said}",
                            "retry later; check the server's log")
    if exc.code == "context_length_exceeded" or "context" in said.lower():
        return status_error(f"the input is too long for {at.model!r}: {said}", at.too_long_fix)
    return status_error(f"{service} at {url} rejected the request ({status}): {said}",
                        f"check {at.model_setting} and the server's log")
