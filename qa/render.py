"""Showing answers, passages and documents: rich text for people, plain text for pipes, markdown
for saved transcripts, JSON for scripts. Every command and the chat render through here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from qa.records import Answer, Chunk, Citation, DocInfo, Passage
from qa.text import flowed

UNSUPPORTED_MARK = "⚠"


# -- untrusted text -------------------------------------------------------------------------------
# Titles, sources, file names and passages come from documents: an ESC or a C1 CSI in them would
# let a file clear the screen, retitle the window or plant an OSC 8 link. Every C0/C1 control but
# newline and tab is shown as one visible character (C0 and DEL as Unicode control pictures, e.g.
# ESC as "␛", C1 as "�"), so cited spans, which index the stored text, still line up.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def printable(text: str) -> str:
    """`text` with no character a terminal would act on (same length: spans stay valid)."""
    return _CONTROL.sub(_picture, text)


def one_line(text: str) -> str:
    """`printable`, and a new line or tab shown too (␤, ␉): a report line naming a file stays one
    line, so a file named "x\nskipped notes.txt: empty" cannot forge a second one."""
    return printable(text).replace("\n", "\u2424").replace("\t", "\u2409")


class SafeConsole(Console):
    """A rich Console that passes document text through `printable` at the last step, whatever
    built the renderable (f-strings, tables, Live): only rich's own styling reaches the terminal."""

    def render(self, renderable: RenderableType,
               options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control or not _CONTROL.search(segment.text):
                yield segment
            else:
                yield Segment(printable(segment.text), segment.style)


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """JSON for stdout. json.dumps escapes C0 (\\u001b) but leaves DEL and C1 raw: escape them
    too (same value to a JSON reader)."""
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=str)
    return re.sub("[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def _where(passage: Passage) -> tuple[str, str, str]:
    """(date or "undated", path or doc id, page suffix) of a passage."""
    doc = passage.doc
    when = doc.published.isoformat() if doc.published else "undated"
    where = doc.keys[0] if doc.keys else doc.doc_id
    return when, where, str(passage.chunk.page) if passage.chunk.page else ""


def passage_label(passage: Passage) -> str:
    when, where, page = _where(passage)
    return f"{passage.doc.title} — {passage.doc.source}, {when} — {where}" + \
        (f", p. {page}" if page else "")


def has_short_answer(answer: Answer) -> bool:
    """Whether the direct answer is a short one shown above its evidence (open questions are
    answered by their evidence sentences themselves)."""
    return bool(answer.direct) and not answer.refused and answer.kind not in ("open", "summary")


def answer_text(answer: Answer) -> Text:
    """The direct answer on the first line, then its evidence, one cited sentence a line; an
    open question's answer is its cited sentences."""
    out = Text()
    short = has_short_answer(answer)
    if short:
        out.append(flowed(answer.direct), style="bold")
    for i, sentence in enumerate(answer.sentences):
        if short:
            out.append("\n  ")
        elif i:
            out.append(" ")
        style = "" if sentence.supported else "dim"
        out.append(flowed(sentence.text), style=style)
        for number in sorted({c.number for c in sentence.citations}):
            out.append(f" [{number}]", style="bold cyan" if sentence.supported else "dim")
        if not sentence.supported:
            out.append(f" {UNSUPPORTED_MARK}unsupported", style="dim yellow")
    if not answer.complete:
        out.append(" [cut short: the answer is incomplete]", style="bold red")
    return out


def cited_numbers(answer: Answer) -> list[int]:
    return sorted({c.number for s in answer.sentences for c in s.citations})


def spans_for(answer: Answer, number: int) -> list[tuple[int, int]]:
    return sorted({c.span for s in answer.sentences for c in s.citations if c.number == number})


def sources_text(answer: Answer, numbers: list[int] | None = None) -> Text:
    out = Text()
    for number in numbers if numbers is not None else cited_numbers(answer):
        passage = answer.passages[number - 1]
        out.append(f"[{number}] ", style="bold cyan")
        out.append(passage_label(passage) + "\n")
        for start, end in spans_for(answer, number):
            quote = " ".join(passage.text[start:end].split())
            out.append(f"    “{quote}”\n", style="italic")
    return out


def support_line(answer: Answer) -> str:
    if answer.refused:
        return ""
    total = len(answer.sentences)
    return f"{answer.supported_count} of {total} sentence{'s' if total != 1 else ''} supported"


def error_text(message: object) -> Text:
    """The one `error: ...` line (the message may quote paths and names: never markup)."""
    return Text.assemble(("error: ", "bold red"), str(message))


def backend_line(backend: str) -> Text:
    return Text(f"answered by {backend}", style="dim")


def print_answer(console: Console, answer: Answer, *, header: bool = True) -> None:
    if header:
        console.print(backend_line(answer.backend))
    console.print(answer_text(answer))
    if answer.refused:
        return
    console.print(support_line(answer), style="dim")
    if cited_numbers(answer):
        console.print()
        console.print("Sources", style="bold")
        console.print(sources_text(answer), end="")


def compact_sources(answer: Answer) -> Text:
    """One dim `[n] label` line per cited passage (chat's footer)."""
    out = Text()
    for number in cited_numbers(answer):
        out.append(f"[{number}] ", style="bold cyan")
        out.append(passage_label(answer.passages[number - 1]) + "\n", style="dim")
    return out


def print_chat_answer(console: Console, answer: Answer) -> None:
    """The checked answer ([n] highlighted, unsupported sentences dimmed), a footer naming the
    backend and support, why anything was withheld, and the cited sources."""
    for query in answer.hops:
        console.print(Text(f"also searched: {query}", style="dim"))
    console.print(answer_text(answer))
    footer = " · ".join(p for p in (answer.backend, support_line(answer)) if p)
    console.print(Text(footer, style="dim"))
    if answer.withheld:
        console.print(Text(f"withheld: {answer.withheld}", style="dim"))
    sources = compact_sources(answer)
    if sources:
        console.print(sources, end="", soft_wrap=True)  # paths stay whole for copying


def print_passage(console: Console, answer: Answer, number: int) -> None:
    """Passage `number` of `answer` in full, with its document, the cited spans highlighted."""
    passage = answer.passages[number - 1]
    when, where, page = _where(passage)
    console.print(Text(f"[{number}] {passage.doc.title}", style="bold"))
    console.print(Text(f"{passage.doc.source} · {when} · {where}" + (f" · p. {page}" if page
                                                                   else ""), style="dim"))
    body = Text(passage.text)
    spans = spans_for(answer, number)
    for start, end in spans:
        body.stylize("bold yellow reverse", start, end)
    console.print(body)
    if not spans:
        console.print("(retrieved, not cited in the answer)", style="dim")


def print_search_results(console: Console, passages: list[Passage]) -> None:
    if not passages:
        console.print("no passages found")
    for i, p in enumerate(passages, 1):
        scores = f"score {p.score:.4f}"
        if p.dense_score is not None:
            scores += f" · dense {p.dense_score:.3f}"
        if p.keyword_score is not None:
            scores += f" · bm25 {p.keyword_score:.2f}"
        console.print(Text.assemble((f"[{i}] ", "bold cyan"), passage_label(p), "  ",
                                    (scores, "dim")))
        console.print(Text("    " + " ".join(p.text.split())[:400], style="italic"))


# -- documents and settings -----------------------------------------------------------------------
def docs_table(docs: Sequence[DocInfo]) -> Table:
    table = Table("id", "published", "source", "title", "chunks", box=None, header_style="bold")
    for doc in docs:
        table.add_row(doc.doc_id[:12], doc.published.isoformat() if doc.published else "-",
                      Text(printable(doc.source)), Text(printable(doc.title[:70])),
                      str(doc.chunk_count))  # printable here too: the columns measure it
    return table


def print_document(console: Console, doc: DocInfo, chunks: Sequence[Chunk] | None) -> None:
    """A document's metadata, one field a line; with `chunks`, each chunk's span and text."""
    for key, value in doc_json(doc).items():
        console.print(Text.assemble((f"{key:>12}", "bold"), " ", str(value)))
    for chunk in chunks or ():
        page = f" page {chunk.page}" if chunk.page else ""
        console.print(Text.assemble("\n", (f"chunk {chunk.ordinal}", "cyan"), " ",
                                    (f"chars {chunk.start}-{chunk.end}{page}", "dim")))
        console.print(Text(chunk.text))


def settings_table(rows: Sequence[tuple[str, str, str]]) -> Table:
    table = Table("setting", "value", "from", box=None, header_style="bold")
    for name, value, origin in rows:
        table.add_row(name, Text(value), origin)
    return table


# -- markdown (saved transcripts) -----------------------------------------------------------------
def answer_markdown(answer: Answer) -> str:
    parts = []
    for sentence in answer.sentences:
        marks = "".join(f" [{n}]" for n in sorted({c.number for c in sentence.citations}))
        flag = "" if sentence.supported else f" *({UNSUPPORTED_MARK} unsupported)*"
        parts.append(flowed(sentence.text) + marks + flag)
    text = f"**{flowed(answer.direct)}**\n\n" + "\n".join(f"- {p}" for p in parts) \
        if has_short_answer(answer) else " ".join(parts)
    return text + (" **[cut short: the answer is incomplete]**" if not answer.complete else "")


def sources_markdown(answer: Answer) -> list[str]:
    """`- [n] label` lines with the cited quotes below them; [] when nothing is cited."""
    lines = []
    for number in cited_numbers(answer):
        lines.append(f"- [{number}] {passage_label(answer.passages[number - 1])}")
        for start, end in spans_for(answer, number):
            quote = " ".join(answer.passages[number - 1].text[start:end].split())
            lines.append(f"  > {quote}")
    return lines


# -- JSON -----------------------------------------------------------------------------------------
def doc_json(doc: DocInfo) -> dict[str, Any]:
    return {"doc_id": doc.doc_id, "title": doc.title, "source": doc.source,
            "published": doc.published.isoformat() if doc.published else None,
            "url": doc.url, "external_id": doc.external_id, "paths": list(doc.keys),
            "chunks": doc.chunk_count, "sha256": doc.sha256}


def citation_json(citation: Citation, passage: Passage) -> dict[str, Any]:
    start, end = citation.span
    return {"number": citation.number, "chunk_id": citation.chunk_id, "doc_id": passage.doc.doc_id,
            "span": [start, end], "quote": passage.text[start:end],
            "score": round(citation.score, 4), "recited": citation.recited}


def passage_json(number: int, passage: Passage) -> dict[str, Any]:
    doc = passage.doc
    return {"number": number, "chunk_id": passage.chunk.chunk_id, "doc_id": doc.doc_id,
            "title": doc.title, "source": doc.source,
            "published": doc.published.isoformat() if doc.published else None,
            "path": doc.keys[0] if doc.keys else None, "page": passage.chunk.page,
            "char_start": passage.chunk.start, "char_end": passage.chunk.end,
            "score": passage.score, "dense_score": passage.dense_score,
            "keyword_score": passage.keyword_score, "text": passage.text}


def answer_json(answer: Answer) -> dict[str, Any]:
    evidence = [{"text": s.text, "supported": s.supported, "support": round(s.support, 4),
                 "citations": [citation_json(c, answer.passages[c.number - 1])
                               for c in s.citations]} for s in answer.sentences]
    return {
        "question": answer.question, "backend": answer.backend, "refused": answer.refused,
        "complete": answer.complete, "text": answer.raw_text,
        "verification": answer.verification, "withheld": answer.withheld or None,
        "answer": None if answer.refused else answer.direct or None, "kind": answer.kind or None,
        "evidence": evidence, "hops": list(answer.hops),
        "supported": answer.supported_count, "sentence_count": len(answer.sentences),
        "sentences": evidence,  # the name before the direct answer existed, kept for scripts
        "passages": [passage_json(i, p) for i, p in enumerate(answer.passages, 1)],
    }
