"""The briefing's output formats (qa/brief/output.py, page.py, atom.py) on briefings built by
hand: Markdown, the JSON schema of docs/briefing-format.md, the HTML page's escaping and
self-containment, and the Atom feed's replace-on-rerun."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from qa.brief.atom import ATOM, entry_id
from qa.brief.output import (
    SCHEMA,
    append_atom,
    atom_entry,
    briefing_html,
    briefing_json,
    briefing_markdown,
)
from qa.errors import ConfigError
from qa.records import Article, Briefing, Chunk, Citation, DocInfo, Passage, Sentence, Story

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = '<script>alert("x")</script> & [link](javascript:alert(1)) *bold*'
ECB_TEXT = ("Frankfurt, Dec 6.\nThe European Central Bank kept its key rate at 4% on Wednesday. "
            "Markets had expected the decision.")
ECB_SPAN = "The European Central Bank kept its key rate at 4% on Wednesday."
PARIS = datetime(2023, 12, 6, tzinfo=UTC)


def doc(doc_id: str, source: str, title: str, *, url: str = "", key: str = "",
        at: datetime | None = None) -> DocInfo:
    return DocInfo(doc_id=doc_id, title=title, source=source, published=date(2023, 12, 6),
                   sha256=doc_id * 3, url=url, keys=(key,) if key else (), chunk_count=1,
                   published_at=at)


def passage(d: DocInfo, text: str) -> Passage:
    return Passage(chunk=Chunk(d.doc_id, 0, text, 0, len(text)), doc=d, score=0.5)


def cite(number: int, p: Passage, quote: str) -> Citation:
    start = p.text.index(quote)
    return Citation(number, p.chunk.chunk_id, (start, start + len(quote)), 0.91)


def sample_briefing() -> Briefing:
    """Two written stories (an update carried by two outlets, a single-source new one with a
    hostile title), one "also", one "still developing", one dropped sentence."""
    reuters = doc("a" * 20, "Reuters", "ECB holds rates", url="https://example.com/ecb",
                  at=datetime(2023, 12, 6, 13, 5, tzinfo=UTC))
    ap = doc("b" * 20, "AP", "ECB keeps rates unchanged", key="news/ap-ecb.txt")
    local = doc("c" * 20, "Town Crier", HOSTILE, key="news/town.txt")
    p1 = passage(reuters, ECB_TEXT)
    p2 = passage(ap, "Inflation fell to 2.4% in November, the lowest in two years.")
    p3 = passage(local, "The mayor opened the new bridge on Wednesday.\nIt cost 3 million.")
    ecb = Story("story-ecb", "ECB holds rates at 4%", [
        Sentence("The European Central Bank kept its key rate at 4% on Wednesday.",
                 [cite(1, p1, ECB_SPAN)], support=0.93),
        Sentence("Inflation fell to 2.4% in November.",
                 [cite(2, p2, "Inflation fell to 2.4% in November"), cite(1, p1, "Markets")]),
    ], [Article(reuters, copies=(ap,))], status="update", first_seen=date(2023, 12, 5),
        score=3.5)
    bridge = Story("story-bridge", HOSTILE, [
        Sentence("The mayor opened the new bridge on Wednesday.",
                 [cite(3, p3, "The mayor opened the new bridge on Wednesday.")]),
    ], [Article(local)], score=1.0)
    also = Story("story-also", "Port strike enters second day", [],
                 [Article(doc("d" * 20, "AFP", "Port strike")),
                  Article(doc("e" * 20, "Reuters", "Dockers strike"))], score=0.7)
    developing = Story("story-dev", "Election recount", [], [Article(doc("f" * 20, "BBC", "R"))],
                       status="developing", first_seen=date(2023, 12, 4))
    return Briefing(
        brief_id="2023-12-06", day=date(2023, 12, 6), since=PARIS - timedelta(hours=1),
        until=PARIS + timedelta(hours=23), tz="Europe/Paris", stories=[ecb, bridge],
        also=[also], developing=[developing], passages=[p1, p2, p3],
        created_at=datetime(2023, 12, 6, 21, 0, tzinfo=UTC), documents=6, duplicates=1,
        dropped=1, seconds=0.42)


# ---------------------------------------------------------------------------- markdown


def test_markdown_has_one_entry_per_story_with_citations_sources_and_support() -> None:
    text = briefing_markdown(sample_briefing())
    lines = text.splitlines()
    assert lines[0] == "# Briefing 2023-12-06 (Europe/Paris)"
    assert sum(line.startswith("## ") for line in lines) == 5  # 2 stories, also, developing, cites
    assert "## ECB holds rates at 4%" in lines
    assert ("The European Central Bank kept its key rate at 4% on Wednesday. [1] "
            "Inflation fell to 2.4% in November. [1] [2]") in lines
    # sources: outlet, title, the time in the briefing's zone, link or path; copies beneath
    assert "- Reuters: ECB holds rates — 2023-12-06 14:05 CET — <https://example.com/ecb>" in lines
    assert "  - copy: AP: ECB keeps rates unchanged — 2023-12-06 — news/ap-ecb.txt" in lines
    assert "- [1] Reuters: ECB holds rates" in lines
    assert f"  > {ECB_SPAN}" in lines  # line breaks of the chunk collapse in the quote
    assert lines[-1] == "**3 of 4 sentences supported, 1 dropped**"


def test_markdown_marks_updates_single_sources_also_and_developing() -> None:
    lines = briefing_markdown(sample_briefing()).splitlines()
    assert "*update · first seen 2023-12-05 · Reuters, AP*" in lines
    assert "*new · Town Crier · single source*" in lines
    assert "- Port strike enters second day — AFP, Reuters" in lines
    assert "- still developing: Election recount (first seen 2023-12-04)" in lines


def test_markdown_escapes_document_text_that_would_change_structure() -> None:
    b = sample_briefing()
    b.stories[0].headline = "# Breaking\n- list item [1]"
    text = briefing_markdown(b)
    assert "## \\# Breaking - list item \\[1\\]" in text.splitlines()
    assert "\\<script\\>" in text and "<script>" not in text
    assert "\\[link\\](javascript:alert(1)) \\*bold\\*" in text


def test_markdown_of_a_window_names_its_bounds_and_topic() -> None:
    b = replace(sample_briefing(), day=None, topic="central banks", stories=[], also=[],
                developing=[], dropped=0)
    lines = briefing_markdown(b).splitlines()
    assert lines[0] == ("# Briefing 2023-12-06 00:00 – 2023-12-07 00:00 (Europe/Paris)"
                        " · topic: central banks")
    assert "No story to report in this window." in lines
    assert lines[-1] == "**0 of 0 sentences supported, 0 dropped**"


# ---------------------------------------------------------------------------- JSON


def documented_keys(section: str) -> set[str]:
    """The backticked field names in the table under `### section` of docs/briefing-format.md."""
    doc = (ROOT / "docs" / "briefing-format.md").read_text(encoding="utf-8")
    block = doc.split(f"### {section}\n", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9_]+)` \|", block, re.MULTILINE))


def test_json_round_trips_and_matches_the_documented_schema() -> None:
    data: dict[str, Any] = json.loads(json.dumps(briefing_json(sample_briefing())))
    assert data["schema"] == SCHEMA
    assert set(data) == documented_keys("briefing")
    story = data["stories"][0]
    assert set(story) == documented_keys("story head") | documented_keys("story")
    assert set(story["sentences"][0]) == documented_keys("sentence")
    citation = story["sentences"][0]["citations"][0]
    assert set(citation) == documented_keys("citation")
    document = documented_keys("document")
    assert set(story["articles"][0]) == document | documented_keys("article")
    assert set(story["articles"][0]["copies"][0]) == document
    assert set(data["also"][0]) == documented_keys("story head")
    assert set(data["passages"][0]) == documented_keys("passage")
    assert set(data["window"]) == {"since", "until"}
    assert set(data["support"]) == documented_keys("support")
    assert set(data["counts"]) == documented_keys("counts")


def test_json_carries_status_citations_spans_and_document_ids() -> None:
    b = sample_briefing()
    data = briefing_json(b)
    ecb, bridge = data["stories"]
    assert (ecb["id"], ecb["status"], ecb["first_seen"]) == ("story-ecb", "update", "2023-12-05")
    assert ecb["outlets"] == ["Reuters", "AP"] and not ecb["single_source"]
    assert bridge["single_source"] and bridge["headline"] == HOSTILE
    citation = ecb["sentences"][0]["citations"][0]
    start, end = citation["span"]
    passage = data["passages"][citation["number"] - 1]
    assert passage["text"][start:end] == ECB_SPAN == citation["quote"]
    assert citation["doc_id"] == passage["doc_id"] == "a" * 20
    article = ecb["articles"][0]
    assert article["published_at"] == "2023-12-06T13:05:00+00:00"
    assert article["copies"][0]["paths"] == ["news/ap-ecb.txt"]
    assert data["developing"][0]["status"] == "developing"
    assert data["support"] == {"supported": 3, "dropped": 1,
                               "text": "3 of 4 sentences supported, 1 dropped"}
    assert data["counts"]["duplicates"] == 1 and data["window"]["since"].startswith("2023-12-05T23")


def test_the_documented_example_is_what_briefing_json_writes() -> None:
    doc = (ROOT / "docs" / "briefing-format.md").read_text(encoding="utf-8")
    example = json.loads(doc.split("```json\n", 1)[1].split("```", 1)[0])
    written = briefing_json(sample_briefing())
    assert set(example) == set(written)
    assert set(example["stories"][0]) == set(written["stories"][0])


# ---------------------------------------------------------------------------- HTML

EXTERNAL = re.compile(r"<link[^>]+href=|<script[^>]+src=|@import|url\(|<img|<iframe|src=",
                      re.IGNORECASE)


def test_html_escapes_hostile_document_text() -> None:
    page = briefing_html(sample_briefing())
    assert page.count("<script>") == 1  # the page's own, nothing from the documents
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in page
    assert 'href="javascript' not in page


def test_html_is_self_contained() -> None:
    page = briefing_html(sample_briefing())
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert '<meta name="viewport"' in page and "@media print" in page
    # the only http(s) urls are the articles' own links, never something the page loads
    assert re.findall(r'"(https?://[^"]*)"', page) == ["https://example.com/ecb"]


def test_html_has_a_hidden_reveal_per_citation_and_the_passage_list() -> None:
    page = briefing_html(sample_briefing())
    assert page.count('class="cite"') == 4 and page.count('class="reveal"') == 4
    assert page.count(" hidden>") == 4
    assert f"<mark>{ECB_SPAN}</mark>" in page
    for n in (1, 2, 3):
        assert f'id="p{n}"' in page and f'href="#p{n}"' in page
    assert "3 of 4 sentences supported, 1 dropped" in page
    assert "update · first seen 2023-12-05" in page and "single source" in page
    assert "still developing: Election recount" in page


# ---------------------------------------------------------------------------- Atom


NS = {"a": ATOM}


def parse_feed(path: Path) -> ET.Element:
    """The feed, after checking what Atom requires of it and of each entry."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{{{ATOM}}}feed"
    for tag in ("a:id", "a:title", "a:updated", "a:author/a:name"):
        assert (root.findtext(tag, namespaces=NS) or "").strip(), f"the feed has no {tag}"
    for entry in root.findall("a:entry", NS):
        for tag in ("a:id", "a:title", "a:updated", "a:content"):
            assert (entry.findtext(tag, namespaces=NS) or "").strip(), f"an entry has no {tag}"
    return root


def entry_ids(root: ET.Element) -> list[str]:
    return [e.findtext("a:id", namespaces=NS) or "" for e in root.findall("a:entry", NS)]


def test_atom_entry_is_a_standalone_entry_document() -> None:
    entry = ET.fromstring(atom_entry(sample_briefing()))
    assert entry.tag == f"{{{ATOM}}}entry"
    assert entry.findtext("a:id", namespaces=NS) == entry_id("2023-12-06")
    assert entry.findtext("a:updated", namespaces=NS) == "2023-12-06T21:00:00Z"
    content = entry.find("a:content", NS)
    assert content is not None and content.get("type") == "html"
    assert "&lt;script&gt;" in (content.text or "")  # escaped HTML inside escaped XML


def test_atom_rerun_replaces_its_entry_and_keeps_newest_first(tmp_path: Path) -> None:
    feed = tmp_path / "briefs.atom"
    first = sample_briefing()
    append_atom(feed, first)
    later = replace(first, brief_id="2023-12-07", day=date(2023, 12, 7),
                    created_at=datetime(2023, 12, 7, 21, tzinfo=UTC))
    append_atom(feed, later)
    rerun = replace(first, created_at=datetime(2023, 12, 6, 22, tzinfo=UTC), dropped=0)
    append_atom(feed, rerun)
    root = parse_feed(feed)
    assert entry_ids(root) == [entry_id("2023-12-07"), entry_id("2023-12-06")]
    assert root.findtext("a:updated", namespaces=NS) == "2023-12-07T21:00:00Z"
    assert "3 of 3 sentences supported" in feed.read_text(encoding="utf-8")  # the re-run's
    assert feed.read_text(encoding="utf-8").startswith("<?xml")
    assert "<feed xmlns=\"http://www.w3.org/2005/Atom\">" in feed.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["briefs.atom"]  # no temporary file left


def test_atom_keeps_text_xml_cannot_hold_out(tmp_path: Path) -> None:
    b = sample_briefing()
    b.stories[0].headline = "Bell\x07 and form feed\x0c and \ud800 surrogate"
    feed = tmp_path / "feed.xml"
    append_atom(feed, b)
    parse_feed(feed)  # well-formed


def test_atom_refuses_a_file_that_is_not_a_feed(tmp_path: Path) -> None:
    notes = tmp_path / "notes.xml"
    notes.write_text("<notes/>", encoding="utf-8")
    with pytest.raises(ConfigError, match="not an Atom feed"):
        append_atom(notes, sample_briefing())
    assert notes.read_text(encoding="utf-8") == "<notes/>"


def test_feedparser_reads_the_feed(tmp_path: Path) -> None:
    feedparser = pytest.importorskip(
        "feedparser", reason="feedparser is not installed; the XML checks above still ran")
    feed = tmp_path / "briefs.atom"
    append_atom(feed, sample_briefing())
    parsed = feedparser.parse(str(feed))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10" and len(parsed.entries) == 1
