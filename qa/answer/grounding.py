"""Whether a short answer is grounded: its names and numbers are in the cited evidence, or it is
one of the question's options or yes/no (issue 12, item 2). An ungrounded answer is withheld."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from qa.cite import terms, vocabulary

if TYPE_CHECKING:
    from qa.answer.direct import Kind

# a number is its whole word ("1920s", not 1920; the "2" of "n2" is none)
_NUM_OR_NAME = re.compile(r"(?<!\w)\d[\d,.]*\w*|(?<![.!?]\s)(?<!^)\b[A-Z][\w’'\-]+")


def grounding_problem(short: str, kind: Kind, evidence: Sequence[str],
                      options: Sequence[str]) -> str:
    """Why `short` is not grounded in `evidence`, or "" when it is: its names and numbers appear
    in the evidence, or it is one of the question's options or yes/no, backed by evidence."""
    if not evidence:
        return "no evidence sentence supports the answer"
    text = short.strip()
    if not text:
        return "no short answer could be read from the evidence"
    if kind == "yesno":
        return "" if text.lower() in ("yes", "no") else f"{text!r} is neither yes nor no"
    if kind == "options":
        if not any(_same(text, o) for o in options):
            return f"{text!r} is not one of the options the question names"
        return ""
    vocab = vocabulary(" ".join(evidence))
    needed = {w for m in _NUM_OR_NAME.finditer(" " + text) for w in terms(m.group())} or terms(text)
    missing = sorted(w for w in needed if w not in vocab)
    if missing:
        return f"the short answer's {', '.join(missing)} is not in the cited evidence"
    return ""


def _same(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())
