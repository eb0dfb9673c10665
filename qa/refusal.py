"""The one "not in your documents" phrase that prompts, code and tests share, and its detection.

Models asked to reply exactly with `NOT_IN_DOCUMENTS` often paraphrase it ("I cannot find this
information in the provided passages.", "The passages do not contain the answer."), so
`is_refusal` accepts the common variations. It judges the whole text as one refusal: an answer
that states facts and then says one detail is missing is not a refusal.
"""

from __future__ import annotations

import re

NOT_IN_DOCUMENTS = "I could not find this in your documents."

_SOURCES = r"(?:your|the|these|those|my|provided|given|supplied|available|above|\s)*" \
    r"(?:documents?|passages?|sources?|context|texts?|excerpts?|materials?|information)\b"
_NEGATIONS = [
    # "I could not find this in your documents", "I cannot find any information about X in ..."
    r"\bI\s+(?:could\s*n[o']t|can\s*n[o']t|cannot|did\s*n[o']t|do\s*n[o']t|was\s+unable\s+to|"
    r"am\s+unable\s+to|am\s+not\s+able\s+to|was\s+not\s+able\s+to)\s+(?:find|locate|see|"
    r"determine|answer)\b",
    # "The passages do not contain / mention / say / provide ..."
    _SOURCES + r"\s+(?:do|does|did)\s*(?:n[o']t|not)\s+(?:contain|mention|say|state|include|"
    r"provide|specify|give|discuss|cover|answer|address|have)\b",
    # "is not in the provided passages", "not mentioned in the documents"
    r"\bnot\s+(?:\w+\s+)?(?:in|within|from)\s+" + _SOURCES,
    r"\bnot\s+(?:mentioned|stated|found|given|provided|specified|covered|available|included)\s+"
    r"(?:in|within|by)\s+" + _SOURCES,
    # "There is no information about X in the passages", "No information ... is provided"
    r"\b(?:there\s+is|there's|contains?)\s+no\s+(?:\w+\s+){0,3}(?:information|mention|answer|"
    r"details?)\b",
    r"^no\s+(?:relevant\s+)?(?:information|answer|mention)\b",
    r"\bnone\s+of\s+" + _SOURCES,
    r"\b(?:cannot|can\s*n[o']t|could\s*n[o']t)\s+be\s+(?:found|answered|determined)\b",
]
_REFUSAL = re.compile("|".join(f"(?:{p})" for p in _NEGATIONS), re.IGNORECASE)
# Lead-ins that do not change the meaning: "Sorry,", "Unfortunately,", "Answer:".
_LEAD_IN = re.compile(r"^(?:answer\s*:|sorry[,.!]?|i'm\s+sorry[,.!]?|i\s+am\s+sorry[,.!]?|"
                      r"unfortunately[,.]?|however[,.]?)\s*", re.IGNORECASE)
# A refusal is short; a long text that merely contains "not in the passages" is an answer.
_MAX_WORDS = 40
_MARKER = re.compile(r"\[\s*\d+(?:\s*[-–,;]\s*\d+)*\s*\]")
_PHRASE = NOT_IN_DOCUMENTS.lower().rstrip(".")


def _normalise(text: str) -> str:
    text = " ".join(text.replace("’", "'").split()).strip().strip("\"'“”*_` ")
    previous = None
    while previous != text:
        previous = text
        text = _LEAD_IN.sub("", text)
    return text.rstrip(".!?… ").strip()


def is_refusal(text: str) -> bool:
    """True when `text` as a whole says the answer is not in the documents.

    Text that cites a passage (`[n]`) is an answer, even if it also says a detail is missing.
    """
    norm = _normalise(text)
    if not norm:
        return False
    if norm.lower() == _PHRASE:
        return True
    if _MARKER.search(norm) or len(norm.split()) > _MAX_WORDS:
        return False
    return _REFUSAL.search(norm) is not None
