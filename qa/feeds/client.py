"""Polite HTTP for feeds and article pages: one httpx client, bounded in every direction.

Timeouts (connect/read, and an overall deadline so a server dripping a byte at a time cannot
hold a run), at most `max_redirects` redirects (a loop ends there), a size cap on the decoded
body (checked on Content-Length first, then while streaming, so a gzip bomb stops at the cap),
gzip and deflate accepted, a User-Agent naming the program, conditional GET by the caller's
validators, at most `workers` requests at once and one at a time per host, and robots.txt
asked before an article page (not before a feed: subscribing is the user's explicit request).
Every failure is a `FeedError` naming the feed, with what to do.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from qa import __version__
from qa.errors import FeedError

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"qa-desk/{__version__} (feed reader; +https://pypi.org/project/qa-desk/)"
ROBOTS_AGENT = "qa-desk"  # the product token robots.txt rules name
ACCEPT_FEED = ("application/rss+xml, application/atom+xml, application/rdf+xml, "
               "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
ACCEPT_PAGE = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
# A server may ask for a pause; one asking for longer than this is taken at this (a typo'd or
# hostile Retry-After must not silence a subscription for years).
MAX_RETRY_AFTER = timedelta(days=7)

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Limits:
    timeout: float = 15.0  # seconds to connect, and between bytes
    max_bytes: int = 10 * 2**20
    max_redirects: int = 5
    workers: int = 4  # requests at once (never more than one per host)

    @property
    def deadline(self) -> float:
        """Seconds one whole request may take."""
        return self.timeout * 4


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int  # 200 or 304
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


class Fetcher:
    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        import httpx

        self.limits = limits
        self.client = httpx.Client(
            timeout=httpx.Timeout(limits.timeout), follow_redirects=True,
            max_redirects=limits.max_redirects,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"})
        self._guard = threading.Lock()
        self._hosts: dict[str, threading.Lock] = {}
        self._robots: dict[str, RobotFileParser | None] = {}
        self._robots_locks: dict[str, threading.Lock] = {}  # one reader per host
        self.requests = 0  # made so far (a benchmark subtracts their time)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _host_lock(self, url: str) -> threading.Lock:
        host = urlsplit(url).netloc.lower()
        with self._guard:
            return self._hosts.setdefault(host, threading.Lock())

    def get(self, feed: str, url: str, headers: Mapping[str, str] | None = None,
            accept: str = ACCEPT_FEED) -> Response:
        """GET `url` for `feed`: a 200 with its body or a 304; anything else a `FeedError`."""
        import httpx

        with self._host_lock(url):
            self.requests += 1
            try:
                return self._get(feed, url, {"Accept": accept, **(headers or {})})
            except httpx.TimeoutException as exc:
                raise FeedError(feed, url, f"timed out after {self.limits.timeout:g} s "
                                f"({type(exc).__name__})", fix="check the URL in a browser; "
                                "raise --timeout if the server is just slow") from None
            except httpx.TooManyRedirects:
                raise FeedError(feed, url, f"more than {self.limits.max_redirects} redirects "
                                "(a redirect loop?)", fix="open the URL in a browser and "
                                "subscribe to where it finally lands") from None
            except httpx.ConnectError as exc:
                raise FeedError(feed, url, f"cannot connect ({exc})", fix="check the host "
                                "name and your network; it is tried again on the next "
                                "fetch") from None
            except httpx.HTTPError as exc:  # broken gzip, a connection cut mid-body, ...
                raise FeedError(feed, url, f"transfer failed ({type(exc).__name__}: {exc})",
                                fix="it is tried again on the next fetch; if it persists, "
                                "tell the publisher") from None

    def _get(self, feed: str, url: str, headers: Mapping[str, str]) -> Response:
        cap = self.limits.max_bytes
        started = time.monotonic()
        with self.client.stream("GET", url, headers=headers) as reply:
            final = str(reply.url)
            if reply.status_code == 304:
                return Response(final, 304, dict(reply.headers), b"")
            if reply.status_code >= 300:
                raise _status_error(feed, url, reply)
            declared = reply.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise _too_big(feed, url, f"{int(declared) / 2**20:.1f} MB declared", cap)
            parts, size = [], 0
            for part in reply.iter_bytes():
                size += len(part)
                if size > cap:
                    raise _too_big(feed, url, "more sent", cap)
                if time.monotonic() - started > self.limits.deadline:
                    raise FeedError(feed, url, f"still sending after "
                                    f"{self.limits.deadline:g} s", fix="raise --timeout if "
                                    "the server is just slow")
                parts.append(part)
            return Response(final, reply.status_code, dict(reply.headers), b"".join(parts))

    # -- robots.txt ----------------------------------------------------------------------------
    def allowed(self, feed: str, url: str) -> bool:
        """Whether robots.txt lets us fetch `url` (read once per host per run). A missing
        robots.txt (4xx) allows everything; one that cannot be read allows nothing, as
        RFC 9309 asks."""
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        with self._guard:
            reading = self._robots_locks.setdefault(base, threading.Lock())
        with reading:  # the other pages of the host wait for the one read
            if base not in self._robots:
                self._robots[base] = self._read_robots(feed, base)
            rules = self._robots[base]
        return rules.can_fetch(ROBOTS_AGENT, url) if rules else True

    def _read_robots(self, feed: str, base: str) -> RobotFileParser | None:
        rules = RobotFileParser(base + "/robots.txt")
        try:
            reply = self.get(feed, base + "/robots.txt", accept="text/plain")
        except FeedError as exc:
            if exc.status_code is not None and 400 <= exc.status_code < 500:
                return None
            rules.parse(["User-agent: *", "Disallow: /"])  # unreadable: nothing allowed
            return rules
        rules.parse(reply.body.decode("utf-8", "replace").splitlines())
        return rules

    # -- a few at once -------------------------------------------------------------------------
    def map(self, work: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`work` over `items`, `workers` at a time, results in order (the host locks keep one
        request per host)."""
        with ThreadPoolExecutor(max_workers=self.limits.workers) as pool:
            return list(pool.map(work, items))


def _too_big(feed: str, url: str, what: str, cap: int) -> FeedError:
    return FeedError(feed, url, f"body too large ({what}; the cap is {cap / 2**20:g} MB), not "
                     "read", fix="raise --max-mb if the feed really is that big")


def _status_error(feed: str, url: str, reply: httpx.Response) -> FeedError:
    error = _status_message(feed, url, reply)
    error.status_code = reply.status_code
    return error


def _status_message(feed: str, url: str, reply: httpx.Response) -> FeedError:
    code = reply.status_code
    if code in (429, 503) and (wait := retry_after(reply.headers.get("retry-after", ""))):
        return FeedError(feed, url, f"the server asks to wait (HTTP {code}) until {wait}",
                         fix="nothing to do: the next fetches skip this feed until then",
                         retry_after=wait)
    if code in (404, 410):
        return FeedError(feed, url, f"not found (HTTP {code})", fix="the feed moved or ended: "
                         f"`qa feeds remove {feed}`, then `qa feeds add` its new URL")
    if code in (401, 403):
        return FeedError(feed, url, f"access refused (HTTP {code})", fix="check the URL in a "
                         f"browser; if the feed is gone, `qa feeds remove {feed}`")
    if code == 429:
        return FeedError(feed, url, "too many requests (HTTP 429)", fix="fetch less often; it "
                         "is tried again on the next fetch")
    if code >= 500:
        return FeedError(feed, url, f"server error (HTTP {code})", fix="nothing to do here: it "
                         "is tried again on the next fetch")
    return FeedError(feed, url, f"unexpected answer (HTTP {code})", fix="check the URL in a "
                     "browser")


def retry_after(value: str, now: datetime | None = None) -> str:
    """A Retry-After header (seconds, or an HTTP date) as an ISO UTC instant, capped at
    MAX_RETRY_AFTER; '' when it says nothing usable."""
    now = now or datetime.now(UTC)
    value = value.strip()
    when: datetime | None = None
    if value.isdigit():
        when = now + timedelta(seconds=int(value))
    elif value:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return ""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    if when is None or when <= now:
        return ""
    return min(when, now + MAX_RETRY_AFTER).astimezone(UTC).isoformat(timespec="seconds")
