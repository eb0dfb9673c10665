"""One small error tree. Backends translate library errors into these; the CLI prints one line.

Every error carries a `fix`: what the user should do next, naming a flag, setting or command
that exists (a test checks). `str(err)` is the one-line message.

    QAError
     ├── ConfigError            a setting, config file or prompt template is wrong (exit 2)
     ├── LoadError              one input file or record (keeps `path`, `reason`)
     ├── FeedError              one feed or article page could not be fetched or read
     │                          (keeps `feed`, `url`, `reason`, `retry_after`,
     │                          `status_code`)
     ├── FetchLocked            another `qa feeds fetch` holds the store's fetch lock (exit 75)
     ├── StoreError             the store is missing, corrupt, foreign or unreachable
     │    ├── EmbedderMismatch  a collection built by another embedder
     │    └── StoreLocked       another process is writing (keeps `holder`)
     └── BackendError           a model service failed (keeps `endpoint`, `failure`,
          │                     `status_code`, `retryable`)
          ├── EmbedderError
          └── GeneratorError
               ├── GeneratorUnavailable  the backend is not installed or configured
               └── IncompleteAnswer      a stream broke off (keeps `partial`)
"""

from __future__ import annotations

from typing import Literal

from qa.masking import mask_url, mask_urls_in

# What went wrong talking to a service: the request timed out, the connection failed, the
# server answered an error status, or something else (a broken reply, a missing package).
Failure = Literal["timeout", "connection", "status", "other"]
RETRYABLE_STATUS = frozenset({408, 409, 429})  # and every 5xx, as openai-python retries them


class QAError(Exception):
    """Root of every expected failure. Anything else is a bug and may show a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, fix: str = "") -> None:
        # Masked here, once: a message may quote an endpoint URL with a password or key in it.
        message, fix = mask_urls_in(message), mask_urls_in(fix)
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} ({self.fix})" if self.fix else self.message


class ConfigError(QAError):
    """A setting, a config file or a prompt template is wrong or missing."""

    exit_code = 2


class LoadError(QAError):
    """One input file (or record) could not be turned into a document."""

    def __init__(self, path: str, reason: str, *, fix: str = "") -> None:
        super().__init__(f"{path}: {reason}", fix=fix)
        self.path = path
        self.reason = reason


class FeedError(QAError):
    """A feed (or an article page) failed: timeout, HTTP error, broken XML, not a feed, too
    big. The message names the feed; the fetch goes on with the other feeds."""

    def __init__(self, feed: str, url: str, reason: str, *, fix: str = "",
                 retry_after: str = "", status_code: int | None = None) -> None:
        super().__init__(f"feed {feed} ({url}): {reason}", fix=fix)
        self.feed = feed
        self.url = url
        self.reason = reason
        self.retry_after = retry_after  # ISO instant the server asked us to wait until
        self.status_code = status_code  # the HTTP status, when the server answered an error


class FetchLocked(QAError):
    """Another feed fetch is running on the store; EX_TEMPFAIL, so a scheduler can tell it
    from a failure."""

    exit_code = 75


class StoreError(QAError):
    """The vector store or its manifest is missing, corrupt, foreign or unreachable."""


class EmbedderMismatch(StoreError):
    """A collection built by one embedder was opened with another."""


class StoreLocked(StoreError):
    """Another process holds the write lock; `holder` describes it (pid, command, since), or
    is empty when it could not be read."""

    def __init__(self, message: str, *, fix: str = "", holder: dict[str, object] | None = None
                 ) -> None:
        super().__init__(message, fix=fix)
        self.holder = holder or {}


class BackendError(QAError):
    """A model service (an embedder or a generator) failed. Keeps what retry logic and messages
    need, so callers ask the error, not its text (as openai-python and httpx do)."""

    def __init__(self, message: str, *, fix: str = "", endpoint: str = "",
                 failure: Failure = "other", status_code: int | None = None) -> None:
        super().__init__(message, fix=fix)
        self.endpoint = mask_url(endpoint) if endpoint else endpoint
        self.failure = failure
        self.status_code = status_code

    @property
    def retryable(self) -> bool:
        """Whether the same request may succeed later (timeouts, lost connections, 408/409/429,
        5xx); a bad key, an unknown model or a broken request will not."""
        if self.failure in ("timeout", "connection"):
            return True
        code = self.status_code
        return code is not None and (code in RETRYABLE_STATUS or code >= 500)


class EmbedderError(BackendError):
    """The embedder could not run (model file missing, endpoint failure)."""


class GeneratorError(BackendError):
    """A language-model backend failed (connection, timeout, HTTP status, broken stream)."""


class GeneratorUnavailable(GeneratorError):
    """The chosen backend is not installed or not configured."""


class IncompleteAnswer(GeneratorError):
    """A streamed answer stopped before the model finished; the partial text is kept."""

    def __init__(self, message: str, partial: str, *, fix: str = "", endpoint: str = "",
                 failure: Failure = "other", status_code: int | None = None) -> None:
        super().__init__(message, fix=fix, endpoint=endpoint, failure=failure,
                         status_code=status_code)
        self.partial = partial
