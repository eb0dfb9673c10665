"""Chains: questions that name what they ask about only through something else.

A relation: "Where was the director of film X born?", "X's husband": the passage titled X, the
person its sentence names after the role's verb ("directed by Y"), Y's passage. A description:
"In what year did the playwright who wrote "The City Heiress" die?", "Where is the band which
Howard Devoto is the singer of formed?": the passage titled with a name of the description
(The City Heiress), the first name its best sentence holds that has a passage of its own (Aphra
Behn), that passage. In both the bridge's sentences come first: they hold what is asked. Where
a chain breaks (no passage titled with the subject, none with a name its sentence holds), the
question is answered as any other (qa/answer/ask.py).
"""

from __future__ import annotations

import re

from qa.answer.compare import ENTITY, Comparison, compare
from qa.answer.evidence import ROLES, Retriever, names_a_relation
from qa.records import Passage
from qa.support import terms

# "Where was the director of film X born?", "the place of birth of X's husband": X, whose own
# passage names the person asked about
_OF_SUBJECT = re.compile(rf"\bthe\s+(?i:(?:paternal\s+|maternal\s+)?(?:{ROLES})s?)\s+of\s+"
                         rf"(?:the\s+)?(?i:(?:film|movie|song|album|book|novel|play|band|series|"
                         rf"show)\s+)?({ENTITY})")
_POSSESSIVE_SUBJECT = re.compile(rf"({ENTITY})(?:'s|’s)\s+"
                                 rf"(?i:(?:paternal\s+|maternal\s+)?(?:{ROLES}))")
# A description: "the playwright who ...", "a man who hired ...", "the band which X is the
# singer of", "the aviator in whose honour ...", "the abolitionist featured in ...". Its head
# noun is lower-case: "the American Indian Movement which ..." is a name, not a description.
_DESCRIPTION = re.compile(
    r"\b(?:[Tt]he|[Aa]n?)\s+(?:[\w’'\-]+\s+){0,4}?[a-z][\w’'\-]*\s+"
    r"(?:who|whom|whose|which|that|where|in\s+whose|in\s+which|of\s+which|"
    r"[a-z]+ed\s+(?:in|by|on|at|for|with|from))\s")
# "Who is the explorer who ...?": the description is what is asked, not a bridge to it
_ASKED = re.compile(r"^\s*(?:who|what|which)\s+(?:is|was|are|were)\s+", re.I)
# a description asking before it names ("the actor who played whom on X") is not a bridge
_ASKING = re.compile(r"\b(?:what|whom|how)\b", re.I)
_QUOTED = re.compile(r"[\"“]([^\"”]+)[\"”]")
# capitalised words, "d'Auteuil" too, joined by particles ("Lord of the Rings"); a number only
# leads ("2016 Miami Dolphins"), so "Normandy in 1066" is Normandy
_WORD = r"(?:[dl]['’])?[A-Z][\w’'.\-]*"
_NAME = re.compile(rf"(?:\d+\s+)?{_WORD}(?:\s+(?:(?:of|the|de|du|la|le|von|van|for|and|in|on|a)"
                   rf"\s+)?{_WORD})*")
SUBJECTS = 2  # names of a description tried as its subject


def chain_of(question: str, passages: list[Passage],
             more: Retriever | None) -> Comparison | None:
    """The chain a question names through a relation or a description, or None."""
    if subject := relation_subject(question):
        return follow(question, subject, passages, more)
    subjects = described_subjects(question)
    return follow_description(question, subjects, passages, more) if subjects else None


def relation_subject(question: str) -> str:
    """The name a relation question turns on ("film X" in "the director of film X"), or ""."""
    if not names_a_relation(question):
        return ""
    match = _OF_SUBJECT.search(question) or _POSSESSIVE_SUBJECT.search(question)
    subject = match.group(1).strip() if match else ""
    return subject if terms(subject) else ""


def described_subjects(question: str) -> list[str]:
    """The names in the description a question turns on ("The City Heiress" in "the playwright
    who wrote "The City Heiress""), quoted titles first, at most SUBJECTS; [] for none."""
    asked = _ASKED.match(question)
    at = 0
    # every start, overlapping: "the nickname of the player who ..." holds "the player who"
    while match := _DESCRIPTION.search(question, at):
        at = match.start() + 1
        if asked and match.start() == asked.end():
            continue
        clause = question[match.end():]
        names = [(m.start(), m.group(1).strip()) for m in _QUOTED.finditer(clause)]
        bare = _QUOTED.sub(lambda m: " " * len(m.group()), clause)
        names += [(m.start(), re.sub(r"(?:'s|’s)$", "", m.group())) for m in _NAME.finditer(bare)]
        names = [(i, n) for i, n in names if terms(n) and not n.isdigit()]
        asking = _ASKING.search(clause)
        if not names or (asking and asking.start() < min(i for i, _ in names)):
            continue
        return list(dict.fromkeys(n for _, n in names))[:SUBJECTS]
    return []


def follow(question: str, subject: str, passages: list[Passage],
           more: Retriever | None) -> Comparison | None:
    """A relation question's chain: the passage titled with the subject's name, the person its
    best sentence names, that person's passage; None unless the chain reaches the person (the
    caller then answers as for any question)."""
    return _reached(compare(question, [subject], passages, more, titled=True))


def follow_description(question: str, subjects: list[str], passages: list[Passage],
                       more: Retriever | None) -> Comparison | None:
    """A description's chain, from the first of its `subjects` that reaches a bridge: the
    subject's titled passage, the first name its sentence holds with a passage titled with
    it, that passage's two best sentences; None when none reaches one."""
    for subject in subjects:
        found = _reached(compare(question, [subject], passages, more, titled=True,
                                 bridge="titled"))
        if found is not None:
            return found
    return None


def _reached(found: Comparison) -> Comparison | None:
    return None if found.missing or len(found.lines[0].evidence) < 2 else found
