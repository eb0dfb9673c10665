"""A document on its way into the store (qa/ingest/pipeline.py): the chunks not embedded yet,
and only the offsets of those that are, so a big file's chunk texts are never all held."""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from qa.errors import LoadError
from qa.records import Chunk, Document


@dataclass
class Pending:
    """A document being stored: its chunks not embedded yet, and the offsets of those that are.
    An embedded chunk keeps only (start, end, page) until the manifest write slices its text
    from the document again: a 500 MB file's chunk texts (1.3x the file, with the overlap) and
    chunk objects (about 250 bytes each) are never all held at once."""

    doc: Document
    replaces: str | None  # doc_id previously stored under doc.key
    fresh: list[Chunk] = field(default_factory=list)  # chunked, vectors not stored yet
    stored: array[int] = field(default_factory=lambda: array("q"))  # start, end, page or -1
    chunked: bool = False  # every chunk has been made

    @property
    def count(self) -> int:
        return len(self.stored) // 3 + len(self.fresh)

    def mark_embedded(self) -> None:
        for c in self.fresh:
            self.stored.extend((c.start, c.end, -1 if c.page is None else c.page))
        self.fresh = []

    def chunks(self) -> Iterator[Chunk]:
        """Every chunk, in order, its text sliced from the document (read again if streamed)."""
        spans = ((self.stored[i], self.stored[i + 1], self.stored[i + 2])
                 for i in range(0, len(self.stored), 3))
        return itertools.chain(_sliced(self.doc, spans), self.fresh)


def _sliced(doc: Document, spans: Iterable[tuple[int, int, int]]) -> Iterator[Chunk]:
    """The chunks at (start, end, page or -1), numbered in order, their texts sliced from
    `doc` again; a streamed document is read again, section by section (no chunk spans two)."""
    sections = doc.stream.sections() if doc.stream is not None else iter([(0, doc.text)])
    base, section = 0, ""
    for ordinal, (start, end, page) in enumerate(spans):
        while end > base + len(section):
            base, section = next(sections, (-1, ""))
            if base < 0:
                raise LoadError(doc.key, "changed while it was being ingested",
                                fix="ingest it again once it is written")
        yield Chunk(doc.doc_id, ordinal, section[start - base:end - base], start, end,
                    None if page < 0 else page)
