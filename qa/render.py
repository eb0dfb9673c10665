"""Showing answers and passages: rich text for people, plain text for pipes, JSON for scripts."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from qa.types import Answer, Citation, Passage

UNSUPPORTED_MARK = "⚠"


def passage_label(passage: Passage) -> str:
    doc = passage.doc
    when = doc.published.isoformat() if doc.published else "undated"
    where = doc.keys[0] if doc.keys else doc.doc_id
    page = f", p. {passage.chunk.page}" if passage.chunk.page else ""
    return f"{doc.title} — {doc.source}, {when} — {where}{page}"


def answer_text(answer: Answer) -> Text:
    out = Text()
    for i, sentence in enumerate(answer.sentences):
        if i:
            out.append(" ")
        style = "" if sentence.supported else "dim"
        out.append(sentence.text, style=style)
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


def print_answer(console: Console, answer: Answer, *, header: bool = True) -> None:
    if header:
        console.print(f"answered by {answer.backend}", style="dim")
    console.print(answer_text(answer))
    if answer.refused:
        return
    console.print(support_line(answer), style="dim")
    if cited_numbers(answer):
        console.print()
        console.print("Sources", style="bold")
        console.print(sources_text(answer), end="")


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
    return {
        "question": answer.question, "backend": answer.backend, "refused": answer.refused,
        "complete": answer.complete, "text": answer.raw_text,
        "verification": answer.verification, "withheld": answer.withheld or None,
        "supported": answer.supported_count, "sentence_count": len(answer.sentences),
        "sentences": [{"text": s.text, "supported": s.supported, "support": round(s.support, 4),
                       "citations": [citation_json(c, answer.passages[c.number - 1])
                                     for c in s.citations]} for s in answer.sentences],
        "passages": [passage_json(i, p) for i, p in enumerate(answer.passages, 1)],
    }
