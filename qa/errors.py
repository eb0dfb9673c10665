"""One small error tree. Backends translate library errors into these; the CLI prints one line.

Every error carries a `fix`: what the user should do next. `str(err)` is the one-line message.
"""

from __future__ import annotations


class QAError(Exception):
    """Root of every expected failure. Anything else is a bug and may show a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, fix: str = "") -> None:
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


class StoreError(QAError):
    """The vector store or its manifest is missing, corrupt, foreign or unreachable."""


class EmbedderMismatch(StoreError):
    """A collection built by one embedder was opened with another."""


class EmbedderError(QAError):
    """The embedder could not run (model file missing, endpoint failure)."""


class GeneratorError(QAError):
    """A language-model backend failed (connection, timeout, HTTP status, broken stream)."""


class GeneratorUnavailable(GeneratorError):
    """The chosen backend is not installed or not configured."""


class IncompleteAnswer(GeneratorError):
    """A streamed answer stopped before the model finished; the partial text is kept."""

    def __init__(self, message: str, partial: str, *, fix: str = "") -> None:
        super().__init__(message, fix=fix)
        self.partial = partial
