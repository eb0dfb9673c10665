"""Prompt templates live in prompts/*.md and are rendered with named fields.

`settings.prompts_dir` may hold the user's own copies; a file missing there falls back to the
packaged one (so a user can override just one template), but a `prompts_dir` that does not exist
is an error, never silently ignored. A template that names an unknown field is an error.
"""

from __future__ import annotations

import string
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import ConfigError
from qa.refusal import NOT_IN_DOCUMENTS
from qa.text import count_tokens

if TYPE_CHECKING:
    from qa.settings import Settings
    from qa.types import Passage


def load_template(name: str, prompts_dir: Path | None = None) -> str:
    filename = f"{name}.md"
    if prompts_dir is not None:
        if not prompts_dir.is_dir():
            raise ConfigError(f"{prompts_dir}: prompts folder not found",
                              fix="fix QA_PROMPTS_DIR or create the folder")
        custom = prompts_dir / filename
        if custom.is_file():
            return custom.read_text(encoding="utf-8")
    try:
        return resources.files("prompts").joinpath(filename).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"prompt template {filename} not found",
                          fix="reinstall qa-desk or add it to your prompts folder") from exc


def render(template: str, **fields: str) -> str:
    fields.setdefault("not_in_documents", NOT_IN_DOCUMENTS)
    names = {f for _, f, _, _ in string.Formatter().parse(template) if f}
    missing = names - set(fields)
    if missing:
        raise ConfigError(f"prompt template uses unknown field(s): {', '.join(sorted(missing))}",
                          fix=f"use only {{{'}, {'.join(sorted(fields))}}}")
    return template.format(**fields)


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


def answer_messages(settings: Settings, question: str, passages: list[Passage],
                    context_window: int) -> tuple[list[dict[str, str]], list[Passage]]:
    """Chat messages for an answer, and the passages that made it in (numbered 1..n)."""
    system = render(load_template("system", settings.prompts_dir))
    template = load_template("answer", settings.prompts_dir)
    fixed = count_tokens(system) + count_tokens(render(template, passages="", question=question))
    budget = context_window - settings.answer_tokens - fixed - 32  # 32: chat-format overhead
    packed = pack_passages(passages, max(budget, 0))
    body = "\n".join(format_passage(i, p) for i, p in enumerate(packed, 1))
    user = render(template, passages=body, question=question)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}], packed
