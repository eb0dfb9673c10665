"""The records that travel between pipeline stages. Plain dataclasses: no behaviour, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Document:
    """One loaded document. `key` names where it came from (a path, or `path#record-id`)."""

    key: str
    text: str
    title: str
    source: str  # outlet or origin, e.g. "China Daily", "reuters", or the folder name
    published: date | None
    sha256: str  # of `text`, utf-8: the content identity; same content under two keys is one doc
    url: str = ""
    external_id: str = ""  # an id the input itself gave (corpus record id), kept for evaluation
    # (page number, character offset where that page starts in `text`), for PDFs
    pages: tuple[tuple[int, int], ...] = ()

    @property
    def doc_id(self) -> str:
        return self.sha256[:20]


@dataclass(frozen=True)
class Chunk:
    """A token window of a document, snapped to sentence boundaries."""

    doc_id: str
    ordinal: int
    text: str
    start: int  # character offsets into Document.text: text == doc.text[start:end]
    end: int
    page: int | None = None

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}:{self.ordinal}"


@dataclass(frozen=True)
class DocInfo:
    """What the store knows about a document, without its text."""

    doc_id: str
    title: str
    source: str
    published: date | None
    sha256: str
    url: str = ""
    external_id: str = ""
    keys: tuple[str, ...] = ()
    chunk_count: int = 0


@dataclass
class Passage:
    """A retrieved chunk with its document's metadata and its retrieval scores."""

    chunk: Chunk
    doc: DocInfo
    score: float  # fused score used for ranking
    dense_score: float | None = None
    keyword_score: float | None = None

    @property
    def text(self) -> str:
        return self.chunk.text


@dataclass
class Citation:
    """A `[n]` marker resolved to a passage and the span in it that supports the sentence."""

    number: int  # 1-based index into the answer's passage list
    chunk_id: str
    span: tuple[int, int]  # character offsets into the chunk text
    score: float
    recited: bool = False  # True when the checker moved the citation to a better passage


@dataclass
class Sentence:
    text: str  # the sentence without its [n] markers
    citations: list[Citation] = field(default_factory=list)
    supported: bool = True
    support: float = 0.0


@dataclass
class Answer:
    question: str
    sentences: list[Sentence]
    passages: list[Passage]
    backend: str
    refused: bool = False
    complete: bool = True
    raw_text: str = ""
    # P(some passage sentence states the answer), from the reading check (qa/answer/pick.py)
    verification: float | None = None
    withheld: str = ""  # why a proposed answer was replaced by the refusal, if it was

    @property
    def supported_count(self) -> int:
        return sum(1 for s in self.sentences if s.supported)
