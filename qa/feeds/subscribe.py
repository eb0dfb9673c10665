"""`qa feeds add|remove|import`: subscriptions in the store. Adding checks that the URL answers
with a feed and names it from the feed's title; importing takes an OPML list as it is (no
request: a reader's export of hundreds of feeds should not wait on each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from qa.errors import QAError
from qa.feeds.client import DEFAULT_LIMITS, Fetcher, Limits
from qa.feeds.opml import Outline
from qa.feeds.parse import parse_feed
from vectorstore.feeds import FeedRow
from vectorstore.index import Index


@dataclass(frozen=True)
class Added:
    feed: FeedRow
    entries: int  # the feed holds now


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise QAError(f"{url}: not an http(s) URL", fix="give the feed's full address, e.g. "
                      "https://example.com/feed.xml")
    return url.strip()


def add_feed(index: Index, url: str, *, name: str | None = None, source: str | None = None,
             limits: Limits = DEFAULT_LIMITS) -> Added:
    url = check_url(url)
    _refuse_taken(index, url, name)
    with Fetcher(limits) as fetcher:
        reply = fetcher.get(name or url, url)
    parsed = parse_feed(name or url, reply.url, reply.body, reply.headers.get("content-type", ""))
    chosen = name or parsed.title or urlsplit(url).netloc
    _refuse_taken(index, url, chosen)
    row = FeedRow(chosen, url, source or "", _now())
    index.feeds.add(row)
    return Added(row, len(parsed.entries))


def import_feeds(index: Index, outlines: list[Outline]) -> tuple[list[FeedRow], list[str]]:
    """(feeds added, lines about outlines skipped: already subscribed, or a bad URL)."""
    added, skipped = [], []
    for outline in outlines:
        try:
            url = check_url(outline.url)
            _refuse_taken(index, url, outline.name)
        except QAError as exc:
            skipped.append(f"skipped {outline.name}: {exc.message}")
            continue
        row = FeedRow(outline.name, url, outline.source, _now())
        index.feeds.add(row)
        added.append(row)
    return added, skipped


def remove_feed(index: Index, ref: str) -> FeedRow:
    row = index.feeds.find(ref)
    if row is None:
        raise QAError(f"{ref}: no such feed", fix="see `qa feeds list` for names and URLs")
    index.feeds.remove(row.name)
    return row


def _refuse_taken(index: Index, url: str, name: str | None) -> None:
    by_url = index.feeds.find(url)
    if by_url is not None and by_url.url == url:
        raise QAError(f"{url}: already subscribed as {by_url.name}", fix="see `qa feeds list`")
    if name and (by_name := index.feeds.find(name)) is not None and by_name.name == name:
        raise QAError(f"a feed named {name!r} exists ({by_name.url})",
                      fix="choose another name with --name")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
