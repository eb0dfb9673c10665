"""A real local HTTP server for the feed tests: RSS 2.0, Atom and RSS 1.0 feeds, their article
pages, robots.txt, and every fault a feed fetch must survive. Routes are plain data the test may
change (an updated entry); every request is recorded with its headers."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

ARTICLES: dict[str, tuple[str, list[str]]] = {
    "bridge": ("Tern River bridge reopens after flood repairs", [
        "The Tern River bridge reopened to traffic on Wednesday morning after six weeks of "
        "flood repairs, the county roads department said.",
        "Engineers replaced two damaged piers and resurfaced the whole deck at a cost of 4.2 "
        "million dollars.",
        "Commuters had faced a detour of almost forty minutes while the crossing was closed.",
        "The department said a new river gauge upstream will give earlier warning of floods.",
    ]),
    "tram": ("City council approves tram line to the airport", [
        "The city council voted 31 to 9 on Tuesday night to build a tram line linking the "
        "central station with the airport.",
        "Construction of the 14-kilometre line is due to start next spring and take three "
        "years.",
        "Opponents argued that the 900 million euro budget would be better spent on buses.",
        "The mayor said the line would take twelve thousand cars off the road every day.",
    ]),
    "strike": ("Harbour port strike ends with wage deal", [
        "Dock workers at the harbour port ended a nine-day strike on Wednesday after accepting "
        "a wage deal worth 7 percent over two years.",
        "The union said members approved the agreement by a large majority in a vote "
        "overnight.",
        "More than forty container ships had queued outside the port during the stoppage.",
        "Port managers expect the backlog of cargo to clear within a week.",
    ]),
    "aurora": ("Northern lights seen across the region after solar storm", [
        "The northern lights were seen as far south as the coast on Tuesday night after a "
        "strong solar storm reached Earth.",
        "The national weather service said the geomagnetic storm reached level four on its "
        "five-level scale.",
        "Photographers gathered on hills outside the city to capture green and red skies.",
        "Forecasters said the lights may be visible again on Wednesday if skies stay clear.",
    ]),
    "archive": ("Library opens digital archive of century-old newspapers", [
        "The state library opened a free digital archive of newspapers printed between 1880 "
        "and 1925 on Wednesday.",
        "Volunteers scanned more than two hundred thousand pages over four years for the "
        "project.",
        "Historians said the archive will make local records far easier to search.",
        "The library plans to add the years up to 1950 by the end of next year.",
    ]),
}


def article_page(slug: str, extra: str = "") -> bytes:
    title, paragraphs = ARTICLES[slug]
    body = "".join(f"<p>{p}</p>" for p in [*paragraphs, *([extra] if extra else [])])
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article>"
            f"<h1>{title}</h1>{body}</article><footer>Copyright the Daily Test</footer>"
            f"</body></html>").encode()


def rss2(base: str, items: list[tuple[str, str, str, str]]) -> bytes:
    """items: (title, link path, pubDate, description)."""
    xml = "".join(f"<item><title>{t}</title><link>{base}{link}</link><guid>{base}{link}</guid>"
                  f"<pubDate>{when}</pubDate><description>{d}</description></item>"
                  for t, link, when, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Daily Test</title><link>{base}/</link><description>News</description>"
            f"{xml}</channel></rss>").encode()


def atom(base: str, entries: list[tuple[str, str, str, str]]) -> bytes:
    xml = "".join(f"<entry><title>{t}</title><link href='{base}{link}'/><id>{base}{link}</id>"
                  f"<updated>{when}</updated><summary>{s}</summary></entry>"
                  for t, link, when, s in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Evening Atom</title><id>{base}/atom</id><updated>2023-12-06T18:00:00Z"
            f"</updated>{xml}</feed>").encode()


def rss1(base: str, items: list[tuple[str, str, str, str]]) -> bytes:
    about = "".join(f"<rdf:li rdf:resource='{base}{link}'/>" for _, link, _, _ in items)
    xml = "".join(f"<item rdf:about='{base}{link}'><title>{t}</title><link>{base}{link}</link>"
                  f"<dc:date>{when}</dc:date><description>{d}</description></item>"
                  for t, link, when, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rdf:RDF '
            f'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            f'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel rdf:about='{base}/rss1'><title>Library Notes</title><link>{base}/</link>"
            f"<description>Notes</description><items><rdf:Seq>{about}</rdf:Seq></items>"
            f"</channel>{xml}</rdf:RDF>").encode()


@dataclass
class Route:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str = ""
    last_modified: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    sleep: float = 0.0
    huge: int = 0  # declare this Content-Length and stream zeros until the client hangs up
    endless: int = 0  # stream this many bytes with no Content-Length
    gzip: bool = False


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.most_in_flight = 0  # requests this server answered at the same time
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                with server._lock:
                    server.seen.append(Seen(self.path, {k.lower(): v for k, v in
                                                        self.headers.items()}))
                    server.in_flight += 1
                    server.most_in_flight = max(server.most_in_flight, server.in_flight)
                try:
                    server.answer(self)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def requests(self, path_prefix: str = "") -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path.startswith(path_prefix)]

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        route = self.routes.get(urlsplit(h.path).path)
        if route is None:
            h.send_response(404)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if route.sleep:
            time.sleep(route.sleep)
        if route.etag and h.headers.get("If-None-Match") == route.etag or (
                route.last_modified and h.headers.get("If-Modified-Since") ==
                route.last_modified):
            h.send_response(304)
            h.end_headers()
            return
        h.send_response(route.status)
        for name, value in route.headers.items():
            h.send_header(name, value)
        if route.status in (301, 302, 307, 308) or route.status >= 400:
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        h.send_header("Content-Type", route.content_type)
        if route.etag:
            h.send_header("ETag", route.etag)
        if route.last_modified:
            h.send_header("Last-Modified", route.last_modified)
        try:
            if route.huge or route.endless:
                self._stream(h, route)
                return
            body = route.body
            if route.gzip and "gzip" in h.headers.get("Accept-Encoding", ""):
                body = gzip.compress(body)
                h.send_header("Content-Encoding", "gzip")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def _stream(h: BaseHTTPRequestHandler, route: Route) -> None:
        if route.huge:
            h.send_header("Content-Length", str(route.huge))
        h.end_headers()
        block = b"<!-- " + b"x" * 65536 + b" -->"
        sent = 0
        while sent < (route.huge or route.endless):
            h.wfile.write(block)
            sent += len(block)

    def serve(self) -> None:
        self.httpd.serve_forever(poll_interval=0.05)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def running() -> Iterator[FeedServer]:
    server = FeedServer()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.close()
        thread.join(timeout=5)


def summary(slug: str) -> str:
    return ARTICLES[slug][1][0]


def news_site(server: FeedServer) -> None:
    """The three good feeds, their articles and robots.txt."""
    base = server.base
    for slug in ARTICLES:
        server.routes[f"/articles/{slug}.html"] = Route(article_page(slug),
                                                        "text/html; charset=utf-8")
    server.routes["/private/memo.html"] = Route(article_page("bridge"), "text/html")
    server.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private/\n", "text/plain")
    server.routes["/rss2.xml"] = Route(rss2(base, [
        (ARTICLES["bridge"][0], "/articles/bridge.html?utm_source=rss&amp;utm_medium=feed",
         "Wed, 06 Dec 2023 08:30:00 +0100", summary("bridge")),
        (ARTICLES["tram"][0], "/articles/tram.html", "Wed, 06 Dec 2023 09:00:00 +0100",
         summary("tram")),
        (ARTICLES["strike"][0], "/articles/strike.html", "Wed, 06 Dec 2023 11:15:00 +0100",
         summary("strike")),
        ("Council memo on bridge inspections", "/private/memo.html",
         "Wed, 06 Dec 2023 12:00:00 +0100",
         "An internal memo lists the bridges due for inspection next year."),
    ]), etag='"rss2-v1"', last_modified="Wed, 06 Dec 2023 12:00:00 GMT", gzip=True)
    server.routes["/atom.xml"] = Route(atom(base, [
        (ARTICLES["aurora"][0], "/articles/aurora.html", "2023-12-06T07:45:00-05:00",
         summary("aurora")),
        # the RSS feed's strike story again, behind a tracking link: one document
        (ARTICLES["strike"][0], "/articles/strike.html?utm_campaign=atom&amp;fbclid=abc",
         "2023-12-06T10:20:00Z", summary("strike")),
    ]), "application/atom+xml", etag='"atom-v1"')
    server.routes["/rss1.rdf"] = Route(rss1(base, [
        (ARTICLES["archive"][0], "/articles/archive.html", "2023-12-06T10:00:00+01:00",
         summary("archive")),
    ]), "application/rdf+xml", last_modified="Wed, 06 Dec 2023 10:00:00 GMT")
