"""A `Briefing` as one self-contained HTML page: inline style and script, nothing fetched. A click
on `[n]` opens the quoted passage under its sentence, the cited span in `<mark>`; a second click
closes it. Without the script, `[n]` jumps to the same passage in the list at the bottom.

Document text is untrusted: every piece of it goes through `html.escape`, only http(s) urls
become links, and a Content-Security-Policy allows nothing but this page's own style and script
(by hash), so even an escaping mistake could neither run a script nor fetch anything."""

from __future__ import annotations

import base64
import hashlib
import html
import re

from qa.brief import labels
from qa.records import Briefing, DocInfo, Passage, Sentence, Story

STYLE = """
:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#5f6368;--accent:#0b57d0;
--mark:#ffe58a;--quote:#f3f4f6}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--bg:#121212;--muted:#9aa0a6;
--accent:#8ab4f8;--mark:#5c4b00;--quote:#1e1f22}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:44rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.5rem 0 1rem}
h2{font-size:1.15rem;margin:1.8rem 0 .2rem}
a{color:var(--accent)}
.status,.from,.sources,footer,.also,.developing{color:var(--muted);font-size:.9rem}
.status{margin:.1rem 0 .5rem}
.badge{display:inline-block;padding:0 .45em;border-radius:.6em;border:1px solid currentColor}
.sentence p{margin:.45rem 0}
.cite{font-size:.8em;vertical-align:super;text-decoration:none;padding:.1em .2em;
white-space:nowrap}
.cite[aria-expanded=true]{background:var(--mark);color:var(--fg);border-radius:.2em}
blockquote{margin:.3rem 0 .8rem;padding:.5rem .75rem;border-left:3px solid var(--accent);
background:var(--quote);white-space:pre-wrap;overflow-wrap:anywhere}
mark{background:var(--mark);color:inherit}
.sources{padding-left:1.2rem;margin:.4rem 0}
.sources li,.from,code{overflow-wrap:anywhere}
footer{margin:2rem 0 1rem;border-top:1px solid var(--quote);padding-top:.5rem}
footer strong{color:var(--fg)}
@media print{body{font-size:11pt}main{max-width:none;padding:0}.reveal{display:none}
.cite{color:inherit}.story{break-inside:avoid-page}
.sources a[href^="http"]::after{content:" <" attr(href) ">";font-size:.85em}}
"""

SCRIPT = """
document.querySelectorAll("a.cite").forEach(function (cite) {
  cite.setAttribute("aria-expanded", "false");
});
document.addEventListener("click", function (event) {
  var cite = event.target.closest ? event.target.closest("a.cite") : null;
  var box = cite && document.getElementById(cite.getAttribute("aria-controls"));
  if (!box) return;
  event.preventDefault();
  box.hidden = !box.hidden;
  cite.setAttribute("aria-expanded", String(!box.hidden));
});
"""


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


CSP = (f"default-src 'none'; style-src {_csp_hash(STYLE)}; script-src {_csp_hash(SCRIPT)}; "
       "base-uri 'none'; form-action 'none'")
_HTTP_URL = re.compile(r"https?://\S+\Z")
# C0 controls other than tab and line breaks are not allowed in HTML text (nor XML, for Atom).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(text: str) -> str:
    return html.escape(_CONTROL.sub("", text), quote=True)


def marked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` escaped, with the spans (clamped, overlaps merged) inside `<mark>`."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, at = [], 0
    for start, end in merged:
        out += [esc(text[at:start]), "<mark>", esc(text[start:end]), "</mark>"]
        at = end
    return "".join(out) + esc(text[at:])


def doc_link(doc: DocInfo) -> str:
    """The title, linked when the document has an http(s) url; else the title and its path."""
    if _HTTP_URL.match(doc.url):
        return f'<a href="{esc(doc.url)}" rel="noopener noreferrer">{esc(doc.title)}</a>'
    return f"{esc(doc.title)} <code>{esc(labels.where(doc))}</code>"


def source_item(doc: DocInfo, tz: str, *, copy: bool = False) -> str:
    when = labels.published(doc, tz)
    stamp = (f'<time datetime="{esc(doc.published_at.isoformat())}">{esc(when)}</time>'
             if doc.published_at else esc(when))
    prefix = "copy: " if copy else ""
    return f"<li>{prefix}<b>{esc(doc.source)}</b>: {doc_link(doc)} · {stamp}"


def passage_from(number: int, passage: Passage) -> str:
    return f'<div class="from">[{number}] {esc(passage.doc.source)}: {esc(passage.doc.title)}</div>'


def sentence_html(sentence: Sentence, b: Briefing, key: str, reveal: bool) -> str:
    """The sentence with a `[n]` per cited passage; with `reveal`, a hidden box per `[n]` right
    under it holding that passage with this sentence's spans marked."""
    cites, boxes = [], []
    for n in labels.numbers(sentence):
        box_id = f"q{key}-{n}"
        controls = f' aria-controls="{box_id}"' if reveal else ""
        cites.append(f'<a class="cite" href="#p{n}"{controls}>[{n}]</a>')
        if reveal:
            passage = b.passages[n - 1]
            spans = [c.span for c in sentence.citations if c.number == n]
            boxes.append(f'<div class="reveal" id="{box_id}" hidden>{passage_from(n, passage)}'
                         f"<blockquote>{marked(passage.text, spans)}</blockquote></div>")
    return (f'<div class="sentence"><p>{esc(sentence.text)} {" ".join(cites)}</p>'
            + "".join(boxes) + "</div>")


def story_html(story: Story, index: int, b: Briefing, reveal: bool) -> str:
    badge = story.status if story.status in ("new", "update", "developing") else "new"
    status = [f'<span class="badge {badge}">{esc(labels.status_label(story))}</span>',
              esc(", ".join(story.outlets))]
    if story.single_source:
        status.append('<span class="badge single">single source</span>')
    sources = []
    for article in story.articles:
        sources.append(source_item(article.doc, b.tz))
        sources += [source_item(copy, b.tz, copy=True) for copy in article.copies]
    return "\n".join([
        f'<article class="story" id="s{index}"><h2>{esc(story.headline)}</h2>',
        f'<p class="status">{" · ".join(s for s in status if s)}</p>',
        *(sentence_html(s, b, f"{index}-{i}", reveal) for i, s in enumerate(story.sentences)),
        f'<ul class="sources">{"".join(sources)}</ul></article>'])


def passages_html(b: Briefing) -> str:
    """Every cited passage, all of its cited spans marked: the no-script and print view."""
    items = []
    for n in labels.cited_numbers(b):
        passage = b.passages[n - 1]
        items.append(f'<div class="passage" id="p{n}">{passage_from(n, passage)}'
                     f"<blockquote>{marked(passage.text, labels.spans_for(b, n))}</blockquote>"
                     "</div>")
    if not items:
        return ""
    return '<section class="passages"><h2>Citations</h2>\n' + "\n".join(items) + "</section>"


def briefing_body(b: Briefing, *, reveal: bool = True) -> str:
    """The page's content without head, style or script (also the Atom entry's content, where
    `reveal=False`: feed readers strip scripts, the passage list does the work)."""
    parts = [f"<h1>{esc(labels.title(b))}</h1>"]
    parts += [story_html(s, i, b, reveal) for i, s in enumerate(b.stories)]
    if not b.stories:
        parts.append("<p>No story to report in this window.</p>")
    if b.also:
        parts.append('<h2>Also</h2><ul class="also">' + "".join(
            f"<li>{esc(labels.also_line(s))}</li>" for s in b.also) + "</ul>")
    if b.developing:
        parts.append('<h2>Still developing</h2><ul class="developing">' + "".join(
            f"<li>{esc(labels.developing_line(s))}</li>" for s in b.developing) + "</ul>")
    parts.append(passages_html(b))
    parts.append(f"<footer><p>{esc(labels.counts_line(b))}</p>"
                 f"<p><strong>{esc(labels.support_line(b))}</strong></p></footer>")
    return "\n".join(p for p in parts if p)


def briefing_html(b: Briefing) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="qa brief">
<title>{esc(labels.title(b))}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
{briefing_body(b)}
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""
