"""Whether a short answer, or the evidence it is read from, is of the kind the question asks for:
a time for "when", a number for "how many", someone for "who". What is of the wrong kind is no
answer to the question, however well the evidence grounds it (qa/answer/direct.py `finish`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.answer.sentences import CUES, AnswerType, has_cue, question_type
from qa.cite import terms

_BARE_NUMBER = re.compile(r"^\(?\d[\d,.]*\)?$")
# Asked strictly: "Who was the leader when the Franks entered ...?" wants a name, though
# `question_type` reads "when" in it; "how much" and "how long" are answered in words ("vast
# areas", "decades"). Of the 172 questions these ask on the dev sets (SQuAD 2.0 sample, HotpotQA
# and 2Wiki dev), 3 have a gold answer with no time or number beyond the question's own ("a
# single output", "worst-case" to "When extensive time is required ..., what case ...?").
_ASKS_TIME = re.compile(r"^\W*when\b|\bwhen\s*\?\s*$|\b(?:what|which) (?:year|date|day|month)\b",
                        re.I)
_ASKS_COUNT = re.compile(r"\bhow many\b|\bwhat (?:percentage|number)\b", re.I)
_TIME = re.compile(rf"{CUES['when'].pattern}|\b\d{{3,4}}s?\b|\b[Cc]entur(?:y|ies)\b")
# a share in words is a number too: "A quarter of farmland is used to grow consumable crops." to
# "What percentage of farmland grows wheat?" (SQuAD 2.0)
_COUNT = re.compile(rf"{CUES['number'].pattern}|\b(?:half|halves|quarters?|thirds?|fifths?|"
                    r"tenths?|percent|per cent)\b", re.I)
_ASKS_WHO = re.compile(r"^\W*who(?:m|se)?\b", re.I)
_NAMES = re.compile(r"[A-Z0-9]")


def asks_for(question: str) -> AnswerType | None:
    """"when" or "number" when the question asks for a time or a number (`question_type`'s
    number: "how many", "how long", ...), else None."""
    if _ASKS_TIME.search(question):
        return "when"
    return "number" if question_type(question) == "number" else None


def untimely(short: str, question: str) -> bool:
    """A short answer to "when" or "how many" that holds no time or number (any digit counts:
    "953" is a year the time cue's 1500-2099 misses)."""
    asked = asks_for(question)
    return asked is not None and not has_cue(short, asked) \
        and not any(ch.isdigit() for ch in short)


def misplaced_number(short: str, question: str, evidence: Sequence[str]) -> bool:
    """A bare number as the answer to a question that asks for no number or time, or a number
    the evidence sentences do not hold (only a title before them does). On SQuAD 2.0 the 1.5B
    answered "37" (the passage's number in its title) to "What is the problem attributed to
    defining if two finite graphs are isomorphic?", and "17" to "When were the Normans in
    Normandy?"."""
    number = short.strip().strip("()")
    if not _BARE_NUMBER.match(short.strip()):
        return False
    if not asks_for(question):
        return True
    return not any(re.search(rf"(?<![\d.,]){re.escape(number)}(?![\d])", q) for q in evidence)


def nameless(short: str, question: str) -> bool:
    """An answer to "Who ...?" that names no one: no capital letter, no number. The 1.5B
    answered "bass" to "Who had the lowest vocal range in Cosmos?" from a sentence on bass
    voices; on the dev sets 4 of 221 "who" answers are lower-case words ("dukes")."""
    return bool(_ASKS_WHO.match(question)) and not _NAMES.search(short)


def missing_kind(question: str, evidence: Sequence[str]) -> str:
    """What the question asks for ("time", "number") when the evidence holds none beyond the
    question's own, else "". Then no sentence of the evidence answers it: asked "... competed in
    a conference with how many members?", the evidence held only the question's 2011."""
    if _ASKS_TIME.search(question):
        kind, cue = "time", _TIME
    elif _ASKS_COUNT.search(question):
        kind, cue = "number", _COUNT
    else:
        return ""
    asked = terms(question)
    for quote in evidence:
        for m in cue.finditer(quote):
            if not (terms(m.group()) and terms(m.group()) <= asked) \
                    and m.group() not in question:
                return ""
    return kind
