"""Every fault a feed can have, against a real local server: one line naming the feed and a fix,
the other feeds go on, exit 1, and nothing stored for that feed changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from feeds_server import ARTICLES, FeedServer, Route, news_site, rss2, running
from test_feeds import qa

from qa.settings import Settings
from qa.store import open_index

LATIN1 = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Le Caf\xe9</title>'
          "<link>{base}/</link><description>Actualit\xe9s</description><item>"
          "<title>Caf\xe9 r\xe9ouvert</title><link>{base}/cafe</link>"
          "<pubDate>Wed, 06 Dec 2023 09:00:00 +0100</pubDate>"
          "<description>Le caf\xe9 de la gare a r\xe9ouvert mercredi apr\xe8s "
          "travaux.</description></item></channel></rss>")

# path -> (route, words the one line must hold)
FAULTS: dict[str, tuple[Route, str]] = {
    "/slow.xml": (Route(b"<rss/>", sleep=3.0), "timed out after 1 s"),
    "/gone.xml": (Route(b"", status=404), "not found (HTTP 404)"),
    "/error.xml": (Route(b"", status=500), "server error (HTTP 500)"),
    "/busy.xml": (Route(b"", status=429, headers={"Retry-After": "3600"}),
                  "the server asks to wait (HTTP 429) until"),
    "/broken.xml": (Route(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                          b"<item><title>a & b</title></item></channel>"), "broken XML"),
    "/page.html": (Route(b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>"
                         b"Welcome</p></body></html>", "text/html"), "an HTML page, not a feed"),
    "/loop-a": (Route(b"", status=302, headers={"Location": "/loop-b"}), "redirects"),
    "/huge.xml": (Route(b"", huge=50 * 2**20), "body too large (50.0 MB declared"),
    "/endless.xml": (Route(b"", endless=3 * 2**20, content_type="application/rss+xml"),
                     "body too large (more sent; the cap is 1 MB)"),
}


@pytest.fixture
def site(qa_env: dict[str, str]) -> Iterator[FeedServer]:
    with running() as server:
        news_site(server)
        server.routes["/loop-b"] = Route(b"", status=302, headers={"Location": "/loop-a"})
        yield server


def _subscribe_faults(site: FeedServer, tmp_path: Path) -> None:
    """Subscribe without `feeds add` (it would refuse them): an OPML list, as a reader gives."""
    outlines = "".join(f'<outline text="{path.strip("/")}" xmlUrl="{site.base}{path}"/>'
                       for path in FAULTS)
    (tmp_path / "faults.opml").write_text(f"<opml version='2.0'><body>{outlines}</body></opml>")
    assert qa("feeds", "import", str(tmp_path / "faults.opml"))[0] == 0


def _store_state(tmp_path: Path) -> tuple[object, ...]:
    index = open_index(Settings(store=tmp_path / "store"))
    try:
        docs = sorted((d.doc_id, d.title, d.keys) for d in index.manifest.documents())
        return (index.manifest.stats(), docs, index.manifest.keyword_stamp())
    finally:
        index.close()


def test_every_fault_is_one_line_the_good_feeds_go_on_and_nothing_stored_changes(
        site: FeedServer, tmp_path: Path) -> None:
    for route in FAULTS:
        site.routes[route] = FAULTS[route][0]
    assert qa("feeds", "add", site.base + "/rss2.xml")[0] == 0
    assert qa("feeds", "fetch", "--quiet")[0] == 0
    _subscribe_faults(site, tmp_path)
    stored = _store_state(tmp_path)
    # the good feed changes: its new entry is stored although every other feed fails
    site.routes["/rss2.xml"] = Route(rss2(site.base, [
        (ARTICLES["aurora"][0], "/articles/aurora.html", "Wed, 06 Dec 2023 19:00:00 +0100",
         ARTICLES["aurora"][1][0])]), etag='"v2"')

    code, out, err = qa("feeds", "fetch", "--quiet", "--timeout", "1", "--max-mb", "1")
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == len(FAULTS), err
    for path, (_, words) in FAULTS.items():
        [line] = [x for x in lines if f"({site.base}{path})" in x]
        assert line.startswith(f"failed feed {path.strip('/')} ") and words in line, line
        assert line.endswith(")") and " (" in line  # a fix in parentheses

    after = _store_state(tmp_path)
    assert after[0]["documents"] == stored[0]["documents"] + 1  # type: ignore[index]
    assert set(stored[1]) <= set(after[1])  # type: ignore[arg-type]

    listed = {f["name"]: f for f in json.loads(qa("feeds", "list", "--json")[1])}
    assert listed["Daily Test"]["failures"] == 0 and listed["Daily Test"]["last_new"] == 1
    assert listed["gone.xml"]["failures"] == 1 and "HTTP 404" in listed["gone.xml"]["last_error"]
    assert listed["busy.xml"]["retry_after"]

    # fail twice more: flagged as failing; the 429 feed waits out its Retry-After, unasked
    for _ in range(2):
        before = len(site.seen)
        assert qa("feeds", "fetch", "--quiet", "--timeout", "1", "--max-mb", "1")[0] == 1
        assert not [s for s in site.seen[before:] if s.path == "/busy.xml"]
    code, out, _ = qa("feeds", "list")
    assert "gone.xml" in out and "failing: 3 fetches in a row" in out
    assert "busy.xml" in out and "waiting until" in out
    assert _store_state(tmp_path)[1] == after[1]


def test_a_feed_without_charset_in_latin1_is_read_with_a_note(site: FeedServer,
                                                              tmp_path: Path) -> None:
    site.routes["/latin1.xml"] = Route(LATIN1.format(base=site.base).encode("latin-1"),
                                       "application/rss+xml")
    site.routes["/cafe"] = Route(b"", status=404)  # the page is gone: the feed's text stays
    assert qa("feeds", "add", site.base + "/latin1.xml")[0] == 0
    code, out, err = qa("feeds", "fetch")
    assert code == 0
    assert "charset missing or wrong" in err and "Le Café" in err
    index = open_index(Settings(store=tmp_path / "store"))
    try:
        [doc] = index.manifest.documents()
        assert doc.title == "Café réouvert" and doc.source == "Le Café"
        assert "après travaux" in index.manifest.doc_text(doc.doc_id)
    finally:
        index.close()


def test_an_overlapping_run_is_refused_by_the_lock(site: FeedServer, tmp_path: Path) -> None:
    import fcntl

    assert qa("feeds", "add", site.base + "/rss2.xml")[0] == 0
    with open(tmp_path / "store" / "feeds.lock", "a") as held:  # another process's run
        fcntl.flock(held, fcntl.LOCK_EX)
        before = len(site.seen)
        code, _, err = qa("feeds", "fetch", "--quiet")
        assert code == 75 and "another `qa feeds fetch` is running" in err
        assert len(site.seen) == before
    assert qa("feeds", "fetch", "--quiet")[0] == 0
