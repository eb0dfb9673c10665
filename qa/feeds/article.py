"""An entry -> the text its document holds: the linked page's main text (trafilatura, through the
HTML loader), else the feed's own content or summary, marked as such in `text_from`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.errors import FeedError, LoadError
from qa.feeds.client import ACCEPT_PAGE, Fetcher
from qa.feeds.parse import Entry
from qa.ingest.formats import Draft, Source, load_html

ARTICLE = "article"


@dataclass(frozen=True)
class Article:
    text: str
    text_from: str  # ARTICLE, "feed content", "feed summary", or "" (no text at all)
    draft: Draft | None = None  # what the page said about itself (date, title), when read
    note: str = ""  # why the page was not used, when it was not


def read_article(fetcher: Fetcher, feed: str, entry: Entry) -> Article:
    """The page's main text; on any failure, the entry's own text with the reason."""
    if not fetcher.allowed(feed, entry.link):
        return _fallback(entry, "robots.txt disallows the page")
    try:
        page = fetcher.get(feed, entry.link, accept=ACCEPT_PAGE)
    except FeedError as exc:
        return _fallback(entry, exc.reason)
    if page.content_type and "html" not in page.content_type:
        return _fallback(entry, f"the page is {page.content_type}, not HTML")
    try:
        drafts = list(load_html(Source(Path(entry.key), page.body)))
    except LoadError as exc:
        return _fallback(entry, exc.reason)
    draft = drafts[0]
    if len(draft.text) < len(entry.text):
        # a teaser page (paywall, consent wall) holding less than the feed itself
        return _fallback(entry, "the page holds less text than the feed")
    return Article(draft.text, ARTICLE, draft)


def _fallback(entry: Entry, why: str) -> Article:
    return Article(entry.text, entry.text_from, None, why)
