"""A `Briefing` as Markdown (stdout, `--out FILE`) and as JSON (scripts; the schema is
docs/briefing-format.md). The HTML page and the Atom feed live in qa/brief/page.py and
qa/brief/atom.py and are re-exported here, so callers import every format from one place."""

from __future__ import annotations

import re
from typing import Any

from qa.brief import labels
from qa.brief.atom import append_atom, atom_entry
from qa.brief.page import briefing_html
from qa.records import Article, Briefing, DocInfo, Sentence, Story
from qa.render import citation_json, doc_json, passage_json

__all__ = ["SCHEMA", "append_atom", "atom_entry", "briefing_html", "briefing_json",
           "briefing_markdown"]

# Bump when a field changes meaning or goes away; adding a field keeps the version.
SCHEMA = "qa.briefing/1"

# -- Markdown -----------------------------------------------------------------------------------
# Document text may hold anything. Only what would change the page's structure is escaped: inline
# markup characters everywhere, block markers (#, >, -, 1.) where a text starts, and line breaks
# (a title spanning lines could open a heading or a list), which collapse to spaces.
_INLINE = re.compile(r"([\\`*_\[\]<>~|&])")
_BLOCK_START = re.compile(r"^([#>+=-])")
_ORDERED_START = re.compile(r"^(\d+)([.)])")
_SAFE_URL = re.compile(r"https?://[^\s<>]+\Z")


def md(text: str) -> str:
    flat = " ".join(text.split())
    inline = _INLINE.sub(r"\\\1", flat)
    return _ORDERED_START.sub(r"\1\\\2", _BLOCK_START.sub(r"\\\1", inline))


def md_where(doc: DocInfo) -> str:
    """An http(s) link as an autolink; anything else (a path, a strange url) as escaped text."""
    place = labels.where(doc)
    return f"<{place}>" if _SAFE_URL.match(place) else md(place)


def md_sentences(sentences: list[Sentence]) -> str:
    return " ".join(md(s.text) + "".join(f" [{n}]" for n in labels.numbers(s))
                    for s in sentences)


def md_doc(doc: DocInfo, tz: str) -> str:
    return (f"{md(doc.source)}: {md(doc.title)} — {labels.published(doc, tz)} — "
            f"{md_where(doc)}")


def md_story(story: Story, tz: str) -> list[str]:
    lines = [f"## {md(story.headline)}", "", f"*{md(labels.status_line(story))}*", ""]
    if story.sentences:
        lines += [md_sentences(story.sentences), ""]
    lines.append("Sources:")
    for article in story.articles:
        lines.append(f"- {md_doc(article.doc, tz)}")
        lines += [f"  - copy: {md_doc(copy, tz)}" for copy in article.copies]
    return [*lines, ""]


def briefing_markdown(b: Briefing) -> str:
    lines = [f"# {md(labels.title(b))}", ""]
    for story in b.stories:
        lines += md_story(story, b.tz)
    if not b.stories:
        lines += ["No story to report in this window.", ""]
    if b.also:
        lines += ["## Also", "", *(f"- {md(labels.also_line(s))}" for s in b.also), ""]
    if b.developing:
        lines += ["## Still developing", "",
                  *(f"- {md(labels.developing_line(s))}" for s in b.developing), ""]
    if cited := labels.cited_numbers(b):
        lines += ["## Citations", ""]
        for n in cited:
            passage = b.passages[n - 1]
            lines.append(f"- [{n}] {md(passage.doc.source)}: {md(passage.doc.title)}")
            lines += [f"  > {md(labels.quote(passage.text, span))}"
                      for span in labels.spans_for(b, n)]
        lines.append("")
    lines += [md(labels.counts_line(b)), "", f"**{labels.support_line(b)}**"]
    return "\n".join(lines) + "\n"


# -- JSON ---------------------------------------------------------------------------------------
# Documents, citations and passages use the same objects as `qa ask --json` (qa/render.py), so one
# parser reads both; a document here also carries `published_at`, the instant when known.
def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def doc_json_at(doc: DocInfo) -> dict[str, Any]:
    return {**doc_json(doc), "published_at": _iso(doc.published_at)}


def article_json(article: Article) -> dict[str, Any]:
    return {**doc_json_at(article.doc), "outlets": list(article.outlets),
            "copies": [doc_json_at(copy) for copy in article.copies]}


def story_head_json(story: Story) -> dict[str, Any]:
    """What "also" and "still developing" entries carry: no sentences, no articles."""
    return {"id": story.story_id, "status": story.status, "headline": story.headline,
            "first_seen": _iso(story.first_seen), "score": round(story.score, 4),
            "relevance": story.relevance, "outlets": list(story.outlets),
            "single_source": story.single_source}


def story_json(story: Story, b: Briefing) -> dict[str, Any]:
    return {**story_head_json(story),
            "sentences": [{"text": s.text, "supported": s.supported,
                           "support": round(s.support, 4),
                           "citations": [citation_json(c, b.passages[c.number - 1])
                                         for c in s.citations]} for s in story.sentences],
            "articles": [article_json(a) for a in story.articles]}


def briefing_json(b: Briefing) -> dict[str, Any]:
    return {
        "schema": SCHEMA, "brief_id": b.brief_id, "title": labels.title(b),
        "day": _iso(b.day), "window": {"since": b.since.isoformat(), "until": b.until.isoformat()},
        "tz": b.tz, "topic": b.topic or None, "sources": list(b.sources), "backend": b.backend,
        "created_at": _iso(b.created_at),
        "stories": [story_json(s, b) for s in b.stories],
        "also": [story_head_json(s) for s in b.also],
        "developing": [story_head_json(s) for s in b.developing],
        "passages": [passage_json(n, p) for n, p in enumerate(b.passages, 1)],
        "support": {"supported": b.supported, "dropped": b.dropped,
                    "text": labels.support_line(b)},
        "counts": {"documents": b.documents, "duplicates": b.duplicates,
                   "stories": len(b.stories), "also": len(b.also),
                   "developing": len(b.developing)},
        "seconds": round(b.seconds, 3),
    }
