"""The records that travel between pipeline stages. Plain dataclasses: no behaviour, no I/O."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol


@dataclass(frozen=True)
class Document:
    """One loaded document. `key` names where it came from (a path, or `path#record-id`)."""

    key: str
    text: str
    title: str
    source: str  # outlet or origin, e.g. "China Daily", "reuters", or the folder name
    published: date | None  # the date in the document's own time zone, or as written
    sha256: str  # of `text`, utf-8: the content identity; same content under two keys is one doc
    url: str = ""
    external_id: str = ""  # an id the input itself gave (corpus record id), kept for evaluation
    published_at: datetime | None = None  # the instant, time-zone aware, when the input gave one
    # (page number, character offset where that page starts in `text`), for PDFs
    pages: tuple[tuple[int, int], ...] = ()
    # A text file too big to hold (qa/ingest/bigtext.py): `text` is then "" and this reads it
    # in sections. Typed loosely so records stay free of I/O imports.
    stream: TextSource | None = field(default=None, compare=False, repr=False)

    @property
    def doc_id(self) -> str:
        return self.sha256[:20]

    @property
    def length(self) -> int:
        """Characters of text, held or streamed."""
        return self.stream.length if self.stream is not None else len(self.text)


class TextSource(Protocol):
    """A document's text read in order, section by section (offset in the text, section)."""

    @property
    def length(self) -> int: ...

    def sections(self) -> Iterator[tuple[int, str]]: ...


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
    published_at: datetime | None = None  # time-zone aware, when the input gave a time


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
    # The direct answer shown first (a name, number, date, yes/no, an option; for open questions
    # the evidence sentences themselves); `sentences` are its evidence, each cited.
    direct: str = ""
    kind: str = ""  # what the question asks for: short, yesno, options, open, summary
    hops: list[str] = field(default_factory=list)  # queries retrieved for after the question

    @property
    def supported_count(self) -> int:
        return sum(1 for s in self.sentences if s.supported)


# ---- briefings -------------------------------------------------------------------------------

StoryStatus = Literal["new", "update", "developing"]


@dataclass(frozen=True)
class Article:
    """One article of a story, with the near-duplicate copies (syndicated wire copy, a corrected
    version) folded into it: one article, several sources."""

    doc: DocInfo
    copies: tuple[DocInfo, ...] = ()

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d.source for d in (self.doc, *self.copies)))


@dataclass
class Story:
    """One story of a briefing: the articles about one event, what is said about it, and how it
    relates to earlier briefings (`status`; `first_seen` is the day it was first briefed)."""

    story_id: str  # stable across briefings: an update keeps the id of the story it continues
    headline: str
    sentences: list[Sentence]  # checked; each cites `Briefing.passages` by 1-based number
    articles: list[Article]
    status: StoryStatus = "new"
    first_seen: date | None = None
    score: float = 0.0  # the ranking score (outlets, articles, recency, relevance)
    relevance: float | None = None  # to --topic, when one was given
    writer: Literal["extractive", "model", "fallback"] = "extractive"  # how it was written

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o for a in self.articles for o in a.outlets))

    @property
    def single_source(self) -> bool:
        return len(self.outlets) <= 1


@dataclass
class Briefing:
    """A briefing of the documents published in [since, until), one entry per story."""

    brief_id: str
    day: date | None  # the user's day it covers, when it covers one day
    since: datetime  # time-zone aware bounds of the window
    until: datetime
    tz: str  # IANA name of the user's time zone, e.g. "Europe/Paris"
    stories: list[Story]  # written entries, ranked; status "new" or "update"
    also: list[Story] = field(default_factory=list)  # ranked past --max-stories: headline only
    developing: list[Story] = field(default_factory=list)  # continuing, nothing new to say
    passages: list[Passage] = field(default_factory=list)  # what citation numbers point at
    backend: str = "extractive"
    topic: str = ""
    sources: tuple[str, ...] = ()
    created_at: datetime | None = None
    documents: int = 0  # documents in the window
    duplicates: int = 0  # near-duplicate copies folded into other articles
    dropped: int = 0  # sentences the citation check did not support, not shown
    seconds: float = 0.0

    @property
    def supported(self) -> int:
        return sum(len(s.sentences) for s in self.stories)
