"""The words every briefing format shares: the title, a story's status line, an article's time in
the reader's zone, the support figure. Plain strings, not yet escaped for any format."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from qa.records import Briefing, DocInfo, Sentence, Story


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(zone(tz))


def window_label(b: Briefing) -> str:
    """The day, or the window's bounds, in the briefing's zone."""
    if b.day is not None:
        return b.day.isoformat()
    since, until = local(b.since, b.tz), local(b.until, b.tz)
    return f"{since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M}"


def title(b: Briefing) -> str:
    """`Briefing 2023-12-06 (Europe/Paris) · topic: ecb · sources: a, b`."""
    parts = [f"Briefing {window_label(b)} ({b.tz})"]
    if b.topic:
        parts.append(f"topic: {b.topic}")
    if b.sources:
        parts.append("sources: " + ", ".join(b.sources))
    return " · ".join(parts)


def published(doc: DocInfo, tz: str) -> str:
    """When an article was published: the instant in the reader's zone when the input gave one
    (a story's sources are then comparable across outlets), else its date, else "undated"."""
    if doc.published_at is not None:
        return f"{local(doc.published_at, tz):%Y-%m-%d %H:%M %Z}"
    return doc.published.isoformat() if doc.published else "undated"


def where(doc: DocInfo) -> str:
    """A link when the document has one, else the path it was ingested from, else its id."""
    return doc.url or (doc.keys[0] if doc.keys else doc.doc_id)


def status_label(story: Story) -> str:
    """`new`, or `update · first seen 2023-12-05`."""
    if story.status == "update" and story.first_seen is not None:
        return f"update · first seen {story.first_seen.isoformat()}"
    return story.status


def status_line(story: Story) -> str:
    """`update · first seen 2023-12-05 · Reuters, AP` or `new · Reuters · single source`."""
    parts = [status_label(story), ", ".join(story.outlets)]
    if story.single_source:
        parts.append("single source")
    return " · ".join(p for p in parts if p)


def also_line(story: Story) -> str:
    return f"{story.headline} — {', '.join(story.outlets)}"


def developing_line(story: Story) -> str:
    seen = f" (first seen {story.first_seen.isoformat()})" if story.first_seen else ""
    return f"still developing: {story.headline}{seen}"


def numbers(sentence: Sentence) -> list[int]:
    return sorted({c.number for c in sentence.citations})


def cited_numbers(b: Briefing) -> list[int]:
    return sorted({n for story in b.stories for s in story.sentences for n in numbers(s)})


def spans_for(b: Briefing, number: int) -> list[tuple[int, int]]:
    """Every span of passage `number` that some sentence of the briefing cites."""
    return sorted({c.span for story in b.stories for s in story.sentences
                   for c in s.citations if c.number == number})


def quote(text: str, span: tuple[int, int]) -> str:
    """The cited part of a passage, whitespace collapsed (chunk text keeps line breaks)."""
    return " ".join(text[span[0]:span[1]].split())


def support_line(b: Briefing) -> str:
    """`27 of 29 sentences supported, 2 dropped`: dropped sentences were never shown."""
    total = b.supported + b.dropped
    noun = "sentence" if total == 1 else "sentences"
    return f"{b.supported} of {total} {noun} supported, {b.dropped} dropped"


def counts_line(b: Briefing) -> str:
    """`12 documents · 3 near-duplicate copies folded · extractive · 0.8 s`."""
    documents = f"{b.documents} document{'s' if b.documents != 1 else ''}"
    copies = f"{b.duplicates} near-duplicate cop{'ies' if b.duplicates != 1 else 'y'} folded"
    return " · ".join((documents, copies, b.backend, f"{b.seconds:.1f} s"))
