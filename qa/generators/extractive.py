"""The extractive backend: answers by quoting the passage sentences that best match the question.

No model, no network: it works on `request.question` and `request.passages` (already ranked by
retrieval) and ignores `request.messages`. Each quoted sentence is followed by its `[n]`, so the
citation check verifies it like any model's answer. When no sentence covers at least half of the
question's content words it replies with `NOT_IN_DOCUMENTS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from qa.cite import terms, vocabulary
from qa.refusal import NOT_IN_DOCUMENTS
from qa.text import split_sentences

if TYPE_CHECKING:
    from qa.generators.base import GenerationRequest
    from qa.settings import Settings
    from qa.types import Passage

AnswerType = Literal["when", "who", "number", "where", "why", "other"]

MIN_COVERAGE = 0.5  # share of the question's content words the best sentence must contain
MAX_SENTENCES = 3
EXTRA_SENTENCE_RATIO = 0.85  # a further sentence must score this close to the best one
RANK_BONUS = 0.1  # the top-ranked passage's bonus, falling linearly to 0 for the last
CUE_BONUS = 0.15  # a sentence holding the kind of thing asked for (a date for "when", ...)
BRIEF_LINES = 8

# Question words that say what is asked rather than what it is about.
_QUESTION_FILLER = frozenset(
    "many much long old happen happened name kind type year date day time month percentage "
    "number amount mean".split())
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_CUES: dict[AnswerType, re.Pattern[str]] = {
    "when": re.compile(
        rf"\b{_MONTH}\.?(?:\s+\d{{1,2}})?\b|\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b|"
        r"\b(?:1[5-9]|20)\d\d\b|\b\d{4}-\d\d-\d\d\b|\b(?:today|yesterday|tomorrow|"
        r"last (?:week|month|year)|this (?:week|month|year))\b"),
    "number": re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
                         r"twelve|dozen|hundred|thousand|million|billion|trillion)s?\b", re.I),
    "why": re.compile(r"\b(?:because|due to|since|so that|in order to|as a result|owing to|"
                      r"aims? to|to help)\b", re.I),
}
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-zA-Z’'\-]+")
_PLACE = re.compile(r"\b(?:in|at|from|near|to|into)\s+(?:the\s+)?([A-Z][a-zA-Z\-]+)")
_TYPES: list[tuple[AnswerType, re.Pattern[str]]] = [
    ("number", re.compile(r"\bhow (?:many|much|long|old|far|big|large)\b|"
                          r"\bwhat (?:percentage|number|amount)\b", re.I)),
    ("when", re.compile(r"\bwhen\b|\b(?:what|which) (?:year|date|day|month|time)\b", re.I)),
    ("who", re.compile(r"\bwho(?:m|se)?\b", re.I)),
    ("where", re.compile(r"\bwhere\b", re.I)),
    ("why", re.compile(r"\bwhy\b", re.I)),
]


@dataclass
class Candidate:
    number: int  # 1-based passage index
    text: str
    words: frozenset[str]
    coverage: float = 0.0  # share of question terms present
    score: float = 0.0


class ExtractiveGenerator:
    """Quote the best-matching sentences, each with its `[n]`; refuse when nothing matches."""

    name = "extractive"
    context_window = 1_000_000  # nothing is sent to a model, so every retrieved passage fits

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        if request.task == "condense":
            yield request.question
        elif request.task == "brief":
            yield brief_text(request.passages)
        else:
            sentences = answer_sentences(request.question, request.passages)
            if not sentences:
                yield NOT_IN_DOCUMENTS
                return
            for i, (sentence, number) in enumerate(sentences):
                yield _join_piece(sentence, number, last=i == len(sentences) - 1)

    def close(self) -> None:
        return None


def answer_sentences(question: str, passages: Sequence[Passage]) -> list[tuple[str, int]]:
    """The 1-3 (sentence, passage number) pairs that best answer `question`; [] when none does."""
    ranked = rank_sentences(question, passages)
    if not ranked or ranked[0].coverage < MIN_COVERAGE:
        return []
    best = ranked[0]
    chosen = [best]
    for c in ranked[1:]:
        if len(chosen) == MAX_SENTENCES or c.score < EXTRA_SENTENCE_RATIO * best.score:
            break
        if c.coverage >= MIN_COVERAGE and not any(_similar(c, o) for o in chosen):
            chosen.append(c)
    return [(c.text, c.number) for c in chosen]


def rank_sentences(question: str, passages: Sequence[Passage]) -> list[Candidate]:
    """Every sentence of the passages, best match for `question` first (idf-weighted share of
    the question's terms, a bonus for higher-ranked passages and for holding what is asked)."""
    wanted = terms(question) - _QUESTION_FILLER
    if not passages or not wanted:
        return []
    kind = question_type(question)
    candidates = [Candidate(number=i, text=p.text[a:b], words=vocabulary(p.text[a:b]))
                  for i, p in enumerate(passages, 1) for a, b in split_sentences(p.text)]
    idf = {w: math.log(1 + len(candidates) / (1 + sum(w in c.words for c in candidates)))
           for w in wanted}
    total_idf = sum(idf.values())
    for c in candidates:
        found = [w for w in wanted if w in c.words]
        c.coverage = len(found) / len(wanted)
        c.score = sum(idf[w] for w in found) / total_idf
        c.score += RANK_BONUS * (1 - (c.number - 1) / len(passages))
        if has_cue(c.text, kind, question):
            c.score += CUE_BONUS
    return sorted(candidates, key=lambda c: c.score, reverse=True)


def question_type(question: str) -> AnswerType:
    for kind, pattern in _TYPES:
        if pattern.search(question):
            return kind
    return "other"


def has_cue(sentence: str, kind: AnswerType, question: str = "") -> bool:
    """Whether `sentence` holds the kind of thing the question asks for."""
    if kind in _CUES:
        return _CUES[kind].search(sentence) is not None
    asked = terms(question)
    if kind == "who":
        return any(terms(m.group()) - asked for m in _CAPITALISED.finditer(sentence))
    if kind == "where":
        return any(terms(m.group(1)) - asked for m in _PLACE.finditer(sentence))
    return False


def brief_text(passages: Sequence[Passage]) -> str:
    """One line per document among the top passages: its first passage's lead sentence + [n]."""
    lines: list[str] = []
    seen: set[str] = set()
    for number, passage in enumerate(passages, 1):
        if passage.doc.doc_id in seen or len(lines) == BRIEF_LINES:
            continue
        seen.add(passage.doc.doc_id)
        spans = split_sentences(passage.text)
        leads = [passage.text[a:b] for a, b in spans if len(passage.text[a:b].split()) >= 4]
        if leads or spans:
            lead = leads[0] if leads else passage.text[slice(*spans[0])]
            lines.append(f"{lead} [{number}]")
    return "\n".join(lines) if lines else NOT_IN_DOCUMENTS


def _similar(a: Candidate, b: Candidate) -> bool:
    ta, tb = terms(a.text), terms(b.text)
    return len(ta & tb) / max(1, len(ta | tb)) > 0.7


def _join_piece(sentence: str, number: int, *, last: bool) -> str:
    """`sentence [n]` plus the separator: a space, or a line break after a headline-like sentence
    without end punctuation (so the next sentence is not run into it)."""
    piece = f"{sentence} [{number}]"
    if last:
        return piece
    return piece + (" " if sentence.rstrip("\"'”’)").endswith((".", "!", "?")) else "\n")
