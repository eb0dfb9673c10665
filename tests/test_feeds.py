"""Feeds end to end against a real local HTTP server: subscribe, fetch, brief; a second fetch is
conditional and adds nothing; duplicates across feeds; an updated entry; OPML round trip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from feeds_server import ARTICLES, FeedServer, Route, article_page, news_site, rss2, running
from typer.testing import CliRunner

from qa.cli import app
from qa.settings import Settings
from qa.store import open_index


@pytest.fixture
def site(qa_env: dict[str, str]) -> Iterator[FeedServer]:
    with running() as server:
        news_site(server)
        yield server


def qa(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                     SystemExit), \
        result.exception
    return result.exit_code, result.stdout, result.stderr


def subscribe(site: FeedServer) -> None:
    for path, extra in (("/rss2.xml", ()), ("/atom.xml", ("--source", "Atom Wire")),
                        ("/rss1.rdf", ())):
        code, out, err = qa("feeds", "add", site.base + path, *extra)
        assert code == 0, err


def test_add_fetch_brief_then_a_second_fetch_is_conditional_and_adds_nothing(
        site: FeedServer, tmp_path: Path) -> None:
    subscribe(site)
    code, out, _ = qa("feeds", "list", "--json")
    listed = {f["name"]: f for f in json.loads(out)}
    assert set(listed) == {"Daily Test", "Evening Atom", "Library Notes"}  # named by title
    assert listed["Evening Atom"]["outlet"] == "Atom Wire"

    code, out, err = qa("feeds", "fetch", "--json")
    assert code == 0, err
    report = json.loads(out)
    feeds = {f["name"]: f for f in report["feeds"]}
    assert feeds["Daily Test"]["new"] == 4 and feeds["Library Notes"]["new"] == 1
    # the strike story came first through the RSS feed; the Atom copy is the same URL once the
    # tracking parameters are dropped: one document
    assert feeds["Evening Atom"]["new"] == 1 and feeds["Evening Atom"]["duplicates"] == 1
    text_from = {d["key"]: d["text_from"] for f in report["feeds"] for d in f["documents"]}
    assert text_from[f"{site.base}/articles/bridge.html"] == "article"  # utm_* dropped
    # robots.txt forbids /private/: the feed's own summary is the document, marked as such
    assert text_from[f"{site.base}/private/memo.html"] == "feed summary"
    assert not site.requests("/private/")

    index = open_index(Settings(store=tmp_path / "store"))
    try:
        docs = {d.url: d for d in index.manifest.documents()}
        bridge = docs[f"{site.base}/articles/bridge.html"]
        assert bridge.source == "Daily Test" and bridge.title == ARTICLES["bridge"][0]
        assert bridge.published_at is not None and bridge.published_at.isoformat() == \
            "2023-12-06T08:30:00+01:00"  # the zone the feed wrote
        assert docs[f"{site.base}/articles/aurora.html"].source == "Atom Wire"
        archive = docs[f"{site.base}/articles/archive.html"]
        assert archive.published_at is not None and archive.published_at.utcoffset() is not None
        text = index.manifest.doc_text(bridge.doc_id)
        assert "replaced two damaged piers" in text and "Copyright" not in text  # main text
        assert index.keyword_is_current()
        stored = index.manifest.stats()
    finally:
        index.close()

    code, out, err = qa("brief", "2023-12-06", "--tz", "Europe/Paris", "--format", "json",
                        "--no-save")
    assert code == 0, err
    briefing = json.loads(out)
    briefed = {a["url"] for story in briefing["stories"] for a in story["articles"]}
    assert {f"{site.base}/articles/{slug}.html" for slug in ARTICLES} <= briefed
    for story in briefing["stories"]:  # every sentence cites a passage that says it
        assert story["sentences"]
        for sentence in story["sentences"]:
            assert sentence["citations"]
            for c in sentence["citations"]:
                start, end = c["span"]
                assert briefing["passages"][c["number"] - 1]["text"][start:end] == c["quote"]
    assert "Atom Wire" in {o for story in briefing["stories"] for o in story["outlets"]}

    before = len(site.seen)
    code, out, err = qa("feeds", "fetch", "--json")
    assert code == 0, err
    again = site.seen[before:]
    assert {s.path for s in again} == {"/rss2.xml", "/atom.xml", "/rss1.rdf"}
    assert all("if-none-match" in s.headers or "if-modified-since" in s.headers for s in again)
    assert all(f["status"] == "not modified" for f in json.loads(out)["feeds"])
    index = open_index(Settings(store=tmp_path / "store"))
    try:
        assert index.manifest.stats() == stored
    finally:
        index.close()


def test_quiet_fetch_prints_nothing_on_success(site: FeedServer) -> None:
    subscribe(site)
    code, out, err = qa("feeds", "fetch", "--quiet")
    assert (code, out, err) == (0, "", "")


def test_an_updated_entry_replaces_its_document(site: FeedServer, tmp_path: Path) -> None:
    qa("feeds", "add", site.base + "/rss2.xml")
    assert qa("feeds", "fetch", "--quiet")[0] == 0
    correction = "Correction: the repairs cost 4.5 million dollars, not 4.2 million."
    site.routes["/articles/bridge.html"] = Route(article_page("bridge", correction),
                                                 "text/html")
    site.routes["/rss2.xml"] = Route(rss2(site.base, [
        (ARTICLES["bridge"][0] + " (updated)", "/articles/bridge.html",
         "Wed, 06 Dec 2023 15:00:00 +0100", "Updated with the final cost."),
        (ARTICLES["tram"][0], "/articles/tram.html", "Wed, 06 Dec 2023 09:00:00 +0100",
         ARTICLES["tram"][1][0]),
    ]), etag='"rss2-v2"')
    before = len(site.seen)
    code, out, err = qa("feeds", "fetch", "--json")
    assert code == 0, err
    [feed] = json.loads(out)["feeds"]
    assert (feed["new"], feed["updated"]) == (0, 1)
    # the unchanged tram entry cost no request; the changed bridge entry's page was read again
    # (robots.txt is read once per host per run)
    assert sorted(s.path for s in site.seen[before:]) == ["/articles/bridge.html",
                                                          "/robots.txt", "/rss2.xml"]
    index = open_index(Settings(store=tmp_path / "store"))
    try:
        docs = [d for d in index.manifest.documents() if "bridge" in d.url]
        assert len(docs) == 1 and docs[0].title.endswith("(updated)")
        assert correction in index.manifest.doc_text(docs[0].doc_id)
        assert index.keyword.search("correction repairs cost", 3)[0][0].startswith(
            docs[0].doc_id)
        assert index.keyword_is_current()
    finally:
        index.close()


def test_the_same_article_under_two_urls_is_stored_once(site: FeedServer,
                                                          tmp_path: Path) -> None:
    """Content dedup: another feed links a syndicated copy of the same page at another URL."""
    site.routes["/syndicated/tram"] = Route(article_page("tram"), "text/html")
    site.routes["/partner.xml"] = Route(rss2(site.base, [
        (ARTICLES["tram"][0], "/syndicated/tram", "Wed, 06 Dec 2023 09:30:00 +0100",
         "Partner copy.")]))
    qa("feeds", "add", site.base + "/rss2.xml")
    qa("feeds", "add", site.base + "/partner.xml", "--name", "Partner")
    code, out, err = qa("feeds", "fetch", "--json")
    assert code == 0, err
    feeds = {f["name"]: f for f in json.loads(out)["feeds"]}
    assert feeds["Partner"]["duplicates"] == 1 and feeds["Partner"]["new"] == 0
    index = open_index(Settings(store=tmp_path / "store"))
    try:
        tram = [d for d in index.manifest.documents() if d.title == ARTICLES["tram"][0]]
        assert len(tram) == 1 and len(tram[0].keys) == 2
    finally:
        index.close()


def test_opml_round_trip_and_remove(site: FeedServer, tmp_path: Path) -> None:
    subscribe(site)
    code, exported, _ = qa("feeds", "export")
    assert code == 0 and exported.startswith("<?xml")
    (tmp_path / "subs.opml").write_text(exported)
    code, out, _ = qa("feeds", "list", "--json")
    before = json.loads(out)
    for feed in before:
        assert qa("feeds", "remove", feed["name"])[0] == 0
    assert json.loads(qa("feeds", "list", "--json")[1]) == []
    code, out, err = qa("feeds", "import", str(tmp_path / "subs.opml"))
    assert code == 0 and "imported 3 feeds" in out, err
    after = json.loads(qa("feeds", "list", "--json")[1])
    assert [(f["name"], f["url"], f["source"]) for f in after] == \
        [(f["name"], f["url"], f["source"]) for f in before]
    code, out, err = qa("feeds", "import", str(tmp_path / "subs.opml"))
    assert "skipped 3" in out and "already subscribed" in err
    assert qa("feeds", "remove", "nope")[0] == 1


def test_add_refuses_what_is_not_a_feed_in_one_line(site: FeedServer) -> None:
    code, _, err = qa("feeds", "add", site.base + "/articles/tram.html")
    assert code == 1 and "an HTML page, not a feed" in err and len(err.strip().splitlines()) \
        == 1
    site.routes["/home"] = Route(b'<!DOCTYPE html><html><head><link rel="alternate" '
                                 b'type="application/rss+xml" href="/rss2.xml"></head>'
                                 b"<body><p>Home</p></body></html>", "text/html")
    code, _, err = qa("feeds", "add", site.base + "/home")
    assert code == 1 and f"the page links a feed: `qa feeds add {site.base}/rss2.xml`" in err
    code, _, err = qa("feeds", "add", "ftp://example.com/feed")
    assert code == 1 and "not an http(s) URL" in err


def test_requests_are_polite_one_per_host_a_few_at_once(site: FeedServer) -> None:
    """Two feeds on this host are fetched one after the other; a feed on another host (another
    server) at the same time; every request names the program; gzip is asked for and read."""
    with running() as other:
        other.routes["/far.xml"] = Route(rss2(other.base, []), sleep=1.0)
        site.routes["/rss2.xml"].sleep = 1.0
        site.routes["/slow2.xml"] = Route(rss2(site.base, []), sleep=1.0)
        # named so that the other host's feed comes last in the run's order
        for name, url in (("a", site.base + "/rss2.xml"), ("b", site.base + "/slow2.xml"),
                          ("z", other.base + "/far.xml")):
            assert qa("feeds", "add", url, "--name", name)[0] == 0
        before = len(site.seen)
        code, _, err = qa("feeds", "fetch", "--quiet")
        assert code == 0, err
        assert site.most_in_flight == 1
        far = other.requests("/far.xml")[-1]  # the fetch's (`feeds add` asked first)
        here = [s.at for s in site.seen[before:] if s.path in ("/rss2.xml", "/slow2.xml")]
        assert len(here) == 2
        assert far.at < max(here)  # it did not wait for this host's two 1 s feeds
    seen = site.requests()
    assert all(s.headers["user-agent"].startswith("qa-desk/") for s in seen)
    assert all("gzip" in s.headers.get("accept-encoding", "") for s in seen)
    assert len(site.requests("/robots.txt")) == 1  # once per host per run
