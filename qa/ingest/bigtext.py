"""A plain-text file too big to hold: read in sections, never whole (issue 10, item 5).

A text file over `STREAM_BYTES` becomes a `Document` whose `text` is empty and whose `stream`
is a `TextFile`: the loader reads the file once to check it (UTF-8, not binary), hash it and
measure it, without keeping it; the chunker then reads it again section by section, and the
manifest write a third time to slice its chunk texts. What memory holds for the file is one
section (`SECTION_CHARS`) and its chunks' offsets, so a 500 MB file costs what a 5 MB one does.

The sections are the file's normalised text (`qa.ingest.formats.normalise`: CRLF -> LF,
trailing whitespace dropped) cut after a newline, so the hash and the offsets are those of the
whole text loaded at once. The one difference from a small file: chunks never span a section
boundary (every `SECTION_CHARS`, at a line end), so their overlap starts again there.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.errors import LoadError
from qa.ingest.formats import NOT_UTF8, Source, lf_line_ends

STREAM_BYTES = 32 * 2**20  # a .txt file larger than this is read in sections
SECTION_CHARS = 4 * 2**20  # characters of normalised text per section (cut after a newline)
_READ_BYTES = 2**20


@dataclass(frozen=True)
class TextFile:
    """Where a big document's text is: `length` characters of normalised text, read in order
    by `sections()`. The file must not change between the loader's check and the ingest."""

    path: Path
    length: int
    sha256: str

    def sections(self) -> Iterator[tuple[int, str]]:
        """(offset of the section in the whole text, its text), in order; their joined texts
        are the document's text."""
        offset = 0
        digest = hashlib.sha256()
        for section in _normalised_sections(self.path):
            if offset >= self.length:
                break
            section = section[:self.length - offset]
            digest.update(section.encode("utf-8"))
            yield offset, section
            offset += len(section)
        if offset != self.length or digest.hexdigest() != self.sha256:
            raise LoadError(str(self.path), "changed while it was being ingested",
                            fix="ingest it again once it is written")


@dataclass(frozen=True)
class Scanned:
    file: TextFile
    head: str  # the start of the text, for the title


def scan(path: Path) -> Scanned:
    """Read `path` once: check, hash and measure its normalised text (LoadError when it is not
    UTF-8 text)."""
    digest = hashlib.sha256()
    length = 0
    pending = ""  # trailing whitespace seen so far: dropped if nothing follows it
    head = ""
    for section in _normalised_sections(path):
        if not head:
            head = section[:4096]
        body = section.rstrip()
        if body:
            piece = pending + body
            digest.update(piece.encode("utf-8"))
            length += len(piece)
            pending = section[len(body):]
        else:
            pending += section
    return Scanned(TextFile(path, length, digest.hexdigest()), head)


def _normalised_sections(path: Path) -> Iterator[str]:
    """The file's text, decoded and with CRLFs made LF, in pieces of about SECTION_CHARS that
    end after a newline (a CRLF is never cut in two)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    buffer = ""
    first = True
    with path.open("rb") as handle:
        while True:
            block = handle.read(_READ_BYTES)
            if first:
                Source(path, block).refuse_binary()
                first = False
            try:
                buffer += decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                raise LoadError(str(path), NOT_UTF8, fix="convert it to UTF-8") from exc
            while len(buffer) >= SECTION_CHARS:
                cut = _cut(buffer)
                yield lf_line_ends(buffer[:cut])
                buffer = buffer[cut:]
            if not block:
                break
    if buffer:
        yield lf_line_ends(buffer)


def _cut(buffer: str) -> int:
    """Where to end a section: after the last newline of its first SECTION_CHARS, else after
    the last space, else there (never right after a CR, which may start a CRLF)."""
    for mark in ("\n", " "):
        at = buffer.rfind(mark, 0, SECTION_CHARS)
        if at > 0:
            return at + 1
    cut = SECTION_CHARS
    while cut > 1 and buffer[cut - 1] == "\r":
        cut -= 1
    return cut
