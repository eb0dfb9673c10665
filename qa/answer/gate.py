"""The off-topic gate: nothing retrieved is about the question, so no model is asked (a small
model answers off-topic questions from memory)."""

from __future__ import annotations

from qa.records import Passage
from qa.text import content_words


def off_topic_reason(question: str, passages: list[Passage], min_relevance: float,
                     min_coverage: float) -> str:
    """Why the passages cannot be about the question, or "" when they may be.

    Both signals must fail: short questions score low on dense similarity against long chunks
    ("Who died on Nov 29?": 0.16 on the seed) yet share all their words with the passage.
    """
    best = max((p.dense_score for p in passages if p.dense_score is not None), default=-1.0)
    asked = set(content_words(question))
    held = {w for p in passages for w in content_words(p.text)}
    coverage = len(asked & held) / len(asked) if asked else 1.0
    if best < min_relevance and coverage < min_coverage:
        return (f"no passage is close to the question (similarity {best:.2f} < {min_relevance}, "
                f"{coverage:.0%} of its words found)")
    return ""
