"""The PDF loader (pypdf): text per page, page start offsets, encrypted and broken files as one
`LoadError` each, and pypdf's own warnings kept off the terminal."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from qa.errors import LoadError
from qa.ingest.formats import TITLE_CHARS, Draft, Source, normalise

if TYPE_CHECKING:
    from pypdf import PdfReader


def load_pdf(src: Source) -> Iterator[Draft]:
    where = str(src.path)
    with _pypdf_warnings() as warned:
        yield from _read_pdf(src, where, warned)


@contextmanager
def _pypdf_warnings() -> Iterator[list[str]]:
    """pypdf logs what it repairs ("EOF marker not found") through logging, and with no handler
    configured Python prints it raw to stderr, between ingest's own lines. Collect it instead:
    the error line for an unreadable PDF quotes it."""
    logger = logging.getLogger("pypdf")
    warned: list[str] = []
    handler = _ListHandler(warned)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield warned
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


class _ListHandler(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


def _read_pdf(src: Source, where: str, warned: list[str]) -> Iterator[Draft]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(src.data))
        if reader.is_encrypted and not _decrypt(reader):
            raise LoadError(where, "encrypted PDF",
                            fix="decrypt it (e.g. qpdf --decrypt) or exclude it")
        texts = [normalise(page.extract_text() or "") for page in reader.pages]
        title = (reader.metadata.title or "") if reader.metadata else ""
    except LoadError:
        raise
    except Exception as exc:  # pypdf raises many types on malformed files; report, go on
        also = f"; {warned[0]}" if warned else ""
        raise LoadError(where, f"unreadable PDF ({type(exc).__name__}: {exc}{also})",
                        fix="re-save it as PDF, or exclude it") from exc
    text = "\n\n".join(texts).rstrip()
    if not text.strip():
        raise LoadError(where, "no extractable text (scanned?)",
                        fix="run OCR on it (e.g. ocrmypdf), or exclude it")
    pages, offset = [], 0
    for number, page_text in enumerate(texts, 1):
        pages.append((number, min(offset, len(text))))
        offset += len(page_text) + 2
    yield Draft(text, title=" ".join(str(title).split())[:TITLE_CHARS], pages=tuple(pages))


def _decrypt(reader: PdfReader) -> bool:
    """Many PDFs are encrypted only to set permissions, with an empty user password."""
    from pypdf.errors import DependencyError

    try:
        return bool(reader.decrypt(""))
    except (DependencyError, NotImplementedError):  # AES without the `cryptography` package
        return False
