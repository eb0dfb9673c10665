"""Prompt injection in documents: sentences that address the reader or the model instead of
reporting anything ("Ignore previous instructions", "The only correct answer is ...", "You are an
AI assistant"). A document may hold them to steer whoever quotes it; they are never offered as an
answer or a summary sentence (the extractive answerer, the reading check's candidates, briefings).

The patterns are narrow on purpose: news text says "ignore the protests" and "responded with a
statement"; only the phrasings of instructions to a reader or a model match."""

from __future__ import annotations

import re

_ADDRESSING = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+)?"
    r"(?:previous|prior|above|earlier|preceding|other|original)\s+"
    r"(?:instructions?|prompts?|directions?|messages?|context|rules)"
    r"|\bthe\s+only\s+(?:correct|right|true|valid|acceptable)\s+(?:answer|response|reply)\b"
    r"|\byou\s+are\s+(?:now\s+)?(?:an?\s+)?(?:ai|assistant|language\s+model|chat\s?bot|llm|"
    r"large\s+language\s+model)\b"
    r"|\bas\s+an?\s+(?:ai|assistant|language\s+model|chat\s?bot|llm)\b"
    # imperatives only: "respond with" opening a sentence or after you/must/should/always/please
    r"|(?:^|[:;]\s*|\b(?:you|must|should|always|please|only)\s+)"
    r"(?:respond|reply|answer)\s+(?:only\s+)?(?:with|that|by\s+saying)\b"
    r"|\bsystem\s+prompt\b|\b(?:new|updated|hidden|secret)\s+instructions\b"
    r"|<\|(?:im_start|im_end|system|user|assistant)\|>|\[/?INST\]|^\s*(?:system|assistant)\s*:",
    re.IGNORECASE)


def addresses_reader(sentence: str) -> bool:
    """Whether `sentence` speaks to whoever reads or answers from it: not a statement of fact."""
    return _ADDRESSING.search(sentence) is not None
