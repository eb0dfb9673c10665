"""Feed parsing without a server: canonical URLs, dates with their zone, entry text, the
versions feedparser reads, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from qa.errors import FeedError
from qa.feeds.client import retry_after
from qa.feeds.parse import canonical_url, parse_feed


@pytest.mark.parametrize(("url", "canonical"), [
    ("HTTPS://Example.COM:443/a/b?utm_source=x&id=3&fbclid=y#top", "https://example.com/a/b?id=3"),
    ("http://example.com:8080?b=2&a=1&UTM_medium=z", "http://example.com:8080/?a=1&b=2"),
    ("https://example.com/story?gclid=1&mc_cid=2&page=", "https://example.com/story?page="),
])
def test_canonical_url_drops_tracking_and_noise(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


RSS091 = b"""<?xml version="1.0"?><rss version="0.91"><channel><title>Old Wire</title>
<link>http://old.example/</link><description>d</description>
<item><title>Dam &amp; reservoir</title><link>http://old.example/dam?utm_source=a</link>
<description>&lt;p&gt;The dam was &lt;b&gt;finished&lt;/b&gt;.&lt;/p&gt;
&lt;p&gt;Water rose.&lt;/p&gt;</description></item></channel></rss>"""


def test_rss_091_entry_text_is_plain_and_its_link_canonical() -> None:
    feed = parse_feed("old", "http://old.example/rss", RSS091, "text/xml")
    [entry] = feed.entries
    assert feed.title == "Old Wire" and entry.title == "Dam & reservoir"
    assert entry.key == "http://old.example/dam" and entry.link.endswith("utm_source=a")
    assert entry.text == "The dam was finished.\n\nWater rose." and entry.text_from == \
        "feed summary"
    assert entry.published is None and entry.published_at is None  # no date: none guessed


ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Zones</title><id>z</id><updated>2023-12-06T00:00:00Z</updated>
<entry><title>Late in New York</title><link href="https://z.example/ny"/><id>ny</id>
<updated>2023-12-06T23:30:00-05:00</updated><content type="html">&lt;p&gt;Full text.&lt;/p&gt;
</content><summary>Short.</summary></entry></feed>"""


def test_atom_keeps_the_zone_the_feed_wrote_and_prefers_content() -> None:
    [entry] = parse_feed("z", "https://z.example/atom", ATOM).entries
    assert entry.published_at == datetime(2023, 12, 7, 4, 30, tzinfo=UTC)
    assert entry.published_at.isoformat() == "2023-12-06T23:30:00-05:00"
    assert entry.published is not None and entry.published.isoformat() == "2023-12-06"
    assert (entry.text, entry.text_from) == ("Full text.", "feed content")
    changed = ATOM.replace(b"Full text.", b"Full text, corrected.")
    assert parse_feed("z", "u", changed).entries[0].hash != entry.hash


def test_not_a_feed_says_what_it_is() -> None:
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse_feed("x", "https://x.example/", b'{"json": true}', "application/json")
    with pytest.raises(FeedError, match="broken XML"):
        parse_feed("x", "https://x.example/", b"<rss version='2.0'><channel><title>t</title>"
                   b"<item><title>a</title></itm></channel></rss>")


def test_retry_after_seconds_dates_and_caps() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert retry_after("120", now) == "2026-01-01T12:02:00+00:00"
    assert retry_after("Thu, 01 Jan 2026 13:00:00 GMT", now) == "2026-01-01T13:00:00+00:00"
    assert retry_after("99999999", now) == "2026-01-08T12:00:00+00:00"  # at most 7 days
    assert retry_after("soon", now) == "" and retry_after("", now) == ""
    assert retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == ""  # already past
