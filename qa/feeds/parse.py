"""A feed's bytes -> its title and entries (feedparser: RSS 0.9x, 1.0, 2.0 and Atom).

Each entry gets a canonical URL (the document key: scheme and host lower-cased, default port,
fragment and tracking parameters such as `utm_*` dropped, the rest of the query sorted), its
date with the zone the feed wrote (never a guessed one), and its own text (content, else
summary) for when the article page gives none. A feed feedparser calls ill-formed ("bozo") is
refused whole, except for a wrong or missing charset, which feedparser recovers from (it is
reported as a note): a half-parsed feed would store half the entries.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from qa.errors import FeedError
from qa.ingest.formats import parse_date, parse_timestamp

# Query parameters that only track the reader; two links differing in them are one article.
TRACKING = frozenset({"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
                      "mc_cid", "mc_eid", "igshid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok",
                      "ocid", "cmpid", "ns_mchannel", "ns_source", "ns_campaign", "ref_src"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host += f":{parts.port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not k.lower().startswith("utm_") and k.lower() not in TRACKING)
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


@dataclass(frozen=True)
class Entry:
    key: str  # canonical URL of the entry's link
    link: str  # as the feed gave it (absolute)
    title: str
    published: date | None
    published_at: datetime | None
    text: str  # the feed's own text of the entry ('' if none)
    text_from: str  # "feed content" | "feed summary" | ""
    guid: str
    hash: str  # of what the feed said about the entry: a change means an updated entry


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: list[Entry]
    note: str = ""  # a charset recovered from, for the user to pass on to the publisher


def parse_feed(feed: str, url: str, body: bytes, content_type: str = "") -> ParsedFeed:
    import feedparser

    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers)
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(problem, feedparser.NonXMLContentType):
        problem = None  # XML served as text/plain or without a type: read as it is
    charset = isinstance(problem, (feedparser.CharacterEncodingOverride,
                                   feedparser.CharacterEncodingUnknown))
    if not parsed.get("version"):
        head = body[:2048].lower()
        if b"<html" in head or b"<!doctype html" in head or "html" in content_type:
            linked = feed_links(body.decode("utf-8", "replace"), url)
            raise FeedError(feed, url, "an HTML page, not a feed", fix=(
                f"the page links a feed: `qa feeds add {linked[0]}`" if linked else
                "open the page and subscribe to its RSS or Atom link instead"))
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            problem = None  # not XML at all (JSON, plain text): not "broken XML"
        if problem is not None and not charset:
            raise _broken(feed, url, problem)
        raise FeedError(feed, url, "not an RSS or Atom feed", fix="check the URL: it should "
                        "give RSS or Atom XML")
    if problem is not None and not charset:
        raise _broken(feed, url, problem)
    note = ""
    if charset:
        note = (f"feed {feed} ({url}): charset missing or wrong, read as "
                f"{parsed.get('encoding', '?')}; tell the publisher to declare it")
    title = " ".join(str(parsed.feed.get("title", "")).split())
    entries = [e for e in (_entry(raw) for raw in parsed.entries) if e is not None]
    return ParsedFeed(title, entries, note)


class _FeedLinks(HTMLParser):
    TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k.lower(): (v or "") for k, v in attrs}
        if tag == "link" and "alternate" in attr.get("rel", "").lower().split() \
                and attr.get("type", "").lower() in self.TYPES and attr.get("href"):
            self.hrefs.append(attr["href"])


def feed_links(html: str, base: str) -> list[str]:
    """The feeds an HTML page announces (`<link rel="alternate" type="application/rss+xml">`),
    as absolute URLs."""
    from urllib.parse import urljoin

    scan = _FeedLinks()
    scan.feed(html)
    scan.close()
    return [urljoin(base, href) for href in scan.hrefs]


def _broken(feed: str, url: str, problem: object) -> FeedError:
    where = ""
    line = getattr(problem, "getLineNumber", None)
    if callable(line):
        where = f" at line {line()}"
    message = getattr(problem, "getMessage", None)
    what = message() if callable(message) else str(problem)
    return FeedError(feed, url, f"broken XML{where} ({what}); nothing of it stored",
                     fix="tell the publisher; it is tried again on the next fetch")


def _entry(raw: Any) -> Entry | None:
    link = str(raw.get("link") or "")
    if not link.startswith(("http://", "https://")):
        return None  # an entry we could not cite by URL
    contents = raw.get("content") or []
    content = _text(str(contents[0].get("value", ""))) if contents else ""
    summary = _text(str(raw.get("summary", "")))
    text, text_from = (content, "feed content") if content else \
        (summary, "feed summary") if summary else ("", "")
    when = raw.get("published") or raw.get("updated") or ""
    published_at = parse_timestamp(when)
    published = published_at.date() if published_at else parse_date(when)
    if published is None:  # a form only feedparser reads: its UTC date is the best we have
        stamp = raw.get("published_parsed") or raw.get("updated_parsed")
        published = date(stamp[0], stamp[1], stamp[2]) if stamp else None
    title = " ".join(_text(str(raw.get("title", ""))).split())
    digest = hashlib.sha256(json.dumps([link, title, str(when), content, summary])
                            .encode("utf-8")).hexdigest()
    return Entry(key=canonical_url(link), link=link, title=title, published=published,
                 published_at=published_at, text=text, text_from=text_from,
                 guid=str(raw.get("id") or ""), hash=digest)


class _Text(HTMLParser):
    """An entry's HTML as plain text: block elements become line breaks."""

    BLOCKS = frozenset({"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
                        "blockquote", "pre", "section", "article"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _text(html: str) -> str:
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    scan = _Text()
    scan.feed(html)
    scan.close()
    lines = (" ".join(line.split()) for line in "".join(scan.parts).split("\n"))
    return "\n\n".join(line for line in lines if line)
