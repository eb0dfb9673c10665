"""Packing retrieved passages into a model's prompt: numbered `[n] (source, date) text` lines,
most relevant first, as many whole passages as fit the context window."""

from __future__ import annotations

from pathlib import Path

from qa.prompts import load_template, render
from qa.records import Passage
from qa.text import count_tokens


def format_passage(number: int, passage: Passage) -> str:
    doc = passage.doc
    when = doc.published.isoformat() if doc.published else "undated"
    text = " ".join(passage.text.split())
    return f"[{number}] ({doc.source}, {when}) {text}"


def pack_passages(passages: list[Passage], budget: int) -> list[Passage]:
    """The most relevant passages that fit in `budget` tokens, in rank order.

    Chunks end on sentence boundaries, so a passage is either included whole or left out:
    a passage is never cut mid-sentence.
    """
    packed: list[Passage] = []
    used = 0
    for passage in passages:
        cost = count_tokens(format_passage(len(packed) + 1, passage)) + 1
        if used + cost > budget:
            continue
        packed.append(passage)
        used += cost
    return packed


def answer_messages(question: str, passages: list[Passage], *, context_window: int,
                    answer_tokens: int, prompts_dir: Path | None = None
                    ) -> tuple[list[dict[str, str]], list[Passage]]:
    """Chat messages for an answer, and the passages that made it in (numbered 1..n)."""
    system = render(load_template("system", prompts_dir))
    template = load_template("answer", prompts_dir)
    fixed = count_tokens(system) + count_tokens(render(template, passages="", question=question))
    budget = context_window - answer_tokens - fixed - 32  # 32: chat-format overhead
    packed = pack_passages(passages, max(budget, 0))
    body = "\n".join(format_passage(i, p) for i, p in enumerate(packed, 1))
    user = render(template, passages=body, question=question)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}], packed
