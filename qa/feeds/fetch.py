"""`qa feeds fetch`: every due feed, conditionally; new and changed entries -> documents -> store.

The run, under a lock file in the store (two overlapping cron runs never fetch at once):
1. the feeds, a few at once (one per host), each with the validators of its last good fetch,
   so an unchanged feed is a 304 and costs nothing;
2. each feed parsed; an entry whose canonical URL is stored with the same entry hash is skipped
   without a request, and so is one a feed earlier in this run already gave;
3. the new and changed entries' pages, a few at once, robots.txt asked first; the main text, or
   the entry's own text, marked, when the page gives none;
4. one ingest of all the documents (the Ingestor embeds only these, replaces an updated
   entry's document, links same-content copies, and updates the keyword index by appending);
5. only then each feed's validators and entry hashes: a run that dies before has stored
   nothing that the next run would skip.
A failed feed changes nothing but its own status row: its documents, validators and entries
stay as they were, and the other feeds go on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from qa.errors import FeedError, FetchLocked, QAError, StoreLocked
from qa.feeds.article import Article, read_article
from qa.feeds.client import DEFAULT_LIMITS, Fetcher, Limits, Response
from qa.feeds.parse import Entry, ParsedFeed, parse_feed
from qa.ingest.formats import first_line, normalise
from qa.ingest.pipeline import Chunking, Ingestor, IngestReport
from qa.records import Document
from vectorstore.feeds import FeedRow
from vectorstore.index import Index
from vectorstore.lock import hold

LOCK_FILE = "feeds.lock"
DEFAULT_CHUNKING = Chunking()


@dataclass
class FeedResult:
    name: str
    url: str
    status: str  # "fetched" | "not modified" | "failed" | "waiting"
    new: int = 0
    updated: int = 0
    duplicates: int = 0  # same article already stored (another URL, or another feed)
    unchanged: int = 0  # changed in the feed, same text as stored
    error: FeedError | None = None
    notes: list[str] = field(default_factory=list)
    documents: list[dict[str, str]] = field(default_factory=list)  # key, title, text_from

    def line(self) -> str:
        if self.status == "fetched":
            parts = [f"{self.new} new", f"{self.updated} updated"]
            if self.duplicates:
                parts.append(f"{self.duplicates} duplicate")
            return f"{self.name}: {', '.join(parts)}"
        return f"{self.name}: {self.status}"


@dataclass
class FetchReport:
    feeds: list[FeedResult] = field(default_factory=list)
    ingest: IngestReport | None = None
    requests: int = 0

    @property
    def failed(self) -> list[FeedResult]:
        return [f for f in self.feeds if f.status == "failed"]


@dataclass
class _Todo:
    feed: FeedRow
    result: FeedResult
    entry: Entry
    article: Article | None = None


def lock_path(index: Index) -> Path:
    return index.folder / LOCK_FILE


def fetch_feeds(index: Index, names: Sequence[str] = (), *, limits: Limits = DEFAULT_LIMITS,
                chunking: Chunking = DEFAULT_CHUNKING, now: datetime | None = None) -> FetchReport:
    """Fetch `names` (default: every subscription) into the store.

    Two locks: the fetch lock, held for the whole run (network included) so overlapping cron
    runs never fetch the same feeds twice, fails at once with EX_TEMPFAIL; the store's write
    lock is taken only while the fetched documents are stored, so an ingest or a briefing is
    blocked for seconds, not for the network's minutes."""
    feeds = _chosen(index, names)
    with ExitStack() as stack:
        try:
            stack.enter_context(hold(lock_path(index), what=f"the feeds of {index.folder}"))
        except StoreLocked:
            raise FetchLocked(f"another `qa feeds fetch` is running on {index.folder}",
                              fix="let it finish; a cron job can simply run at its next time"
                              ) from None
        with Fetcher(limits) as fetcher:
            report = _run(index, fetcher, feeds, chunking, now or datetime.now(UTC))
            report.requests = fetcher.requests
            return report
    raise AssertionError("unreachable")  # mypy: ExitStack may swallow exceptions


def _chosen(index: Index, names: Sequence[str]) -> list[FeedRow]:
    if not names:
        return index.feeds.all()
    chosen = []
    for name in names:
        row = index.feeds.find(name)
        if row is None:
            raise QAError(f"{name}: no such feed", fix="see `qa feeds list`, or subscribe with "
                          "`qa feeds add URL`")
        chosen.append(row)
    return chosen


def _run(index: Index, fetcher: Fetcher, feeds: list[FeedRow], chunking: Chunking,
         now: datetime) -> FetchReport:
    report = FetchReport()
    due = []
    for feed in feeds:
        if feed.retry_after and datetime.fromisoformat(feed.retry_after) > now:
            result = FeedResult(feed.name, feed.url, "waiting")
            result.notes.append(f"feed {feed.name}: skipped until {feed.retry_after}, as its "
                                "server asked (Retry-After)")
            report.feeds.append(result)
        else:
            due.append(feed)
    replies = fetcher.map(lambda f: _get_feed(fetcher, f), due)
    todo: list[_Todo] = []
    claimed: set[str] = set()  # canonical URLs an earlier feed of this run gave
    fetched: list[tuple[FeedRow, FeedResult, Response]] = []
    for feed, reply in zip(due, replies, strict=True):
        result = FeedResult(feed.name, feed.url, "fetched")
        report.feeds.append(result)
        if isinstance(reply, FeedError):
            result.status, result.error = "failed", reply
            continue
        if reply.status == 304:
            result.status = "not modified"
            fetched.append((feed, result, reply))
            continue
        try:
            parsed = parse_feed(feed.name, reply.url, reply.body,
                                reply.headers.get("content-type", ""))
        except FeedError as exc:
            result.status, result.error = "failed", exc
            continue
        if parsed.note:
            result.notes.append(parsed.note)
        fetched.append((feed, result, reply))
        todo += _changed_entries(index, feed, result, parsed, claimed)
    for item, article in zip(todo, fetcher.map(
            lambda t: read_article(fetcher, t.feed.name, t.entry), todo), strict=True):
        item.article = article
    report.ingest = _store(index, todo, chunking, now)
    stamp = now.isoformat(timespec="seconds")
    for feed, result, reply in fetched:
        validators = reply.headers if reply.status == 200 else {
            "etag": feed.etag, "last-modified": feed.last_modified}
        index.feeds.record_success(feed.name, etag=validators.get("etag", ""),
                                   last_modified=validators.get("last-modified", ""),
                                   fetched=stamp, new=result.new)
    for result in report.feeds:
        if result.error is not None:
            error = result.error
            index.feeds.record_failure(result.name, error=f"{error.reason} ({error.fix})",
                                       fetched=stamp,
                                       retry_after=result.error.retry_after)
    return report


def _get_feed(fetcher: Fetcher, feed: FeedRow) -> Response | FeedError:
    headers = {}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    try:
        return fetcher.get(feed.name, feed.url, headers)
    except FeedError as exc:
        return exc


def _changed_entries(index: Index, feed: FeedRow, result: FeedResult, parsed: ParsedFeed,
                     claimed: set[str]) -> list[_Todo]:
    known = index.feeds.entry_hashes([e.key for e in parsed.entries])
    out = []
    for entry in parsed.entries:
        if known.get(entry.key) == entry.hash:  # stored as the feed gives it: no request
            claimed.add(entry.key)
            continue
        if entry.key in claimed:  # a feed earlier in this run gave it
            result.duplicates += 1
            continue
        claimed.add(entry.key)
        out.append(_Todo(feed, result, entry))
    return out


def _store(index: Index, todo: list[_Todo], chunking: Chunking, now: datetime) -> IngestReport:
    docs: list[Document] = []
    batch: set[str] = set()
    for item in todo:
        assert item.article is not None
        if item.article.note:
            item.result.notes.append(f"entry {item.entry.link}: {item.article.note}; stored "
                                     f"the {item.article.text_from or 'title only'}"
                                     if item.article.text else
                                     f"entry {item.entry.link}: {item.article.note}, and the "
                                     "feed gives no text; skipped")
        doc = _document(item)
        if doc is None:
            continue
        _count(index, item.result, doc, batch)
        item.result.documents.append({"key": doc.key, "title": doc.title,
                                      "text_from": item.article.text_from})
        docs.append(doc)
    with index.writing():
        report = Ingestor(index, chunking).run_healed(docs)
        stamp = now.isoformat(timespec="seconds")
        index.feeds.put_entries([(t.entry.key, t.feed.name, t.entry.hash,
                                  t.article.text_from if t.article else "", stamp)
                                 for t in todo])
    return report


def _count(index: Index, result: FeedResult, doc: Document, batch: set[str]) -> None:
    """What the Ingestor will do with `doc`, per feed (its report counts the whole run)."""
    stored = index.manifest.doc_for_key(doc.key)
    if stored and stored[1] == doc.sha256:
        result.unchanged += 1
    elif stored:
        result.updated += 1
    elif doc.doc_id in batch or index.manifest.has_doc(doc.doc_id):
        result.duplicates += 1
    else:
        result.new += 1
    batch.add(doc.doc_id)


def _document(item: _Todo) -> Document | None:
    article, entry = item.article, item.entry
    assert article is not None
    text = normalise(article.text)
    if not text:
        return None
    draft = article.draft
    published_at = entry.published_at or (draft.published_at if draft else None)
    published = entry.published or (draft.published if draft else None)
    if published_at is not None and entry.published is None:
        published = published_at.date()
    return Document(key=entry.key, text=text,
                    title=entry.title or (draft.title if draft else "") or first_line(text),
                    source=item.feed.outlet, published=published,
                    sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), url=entry.key,
                    external_id=entry.guid, published_at=published_at)
