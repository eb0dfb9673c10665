"""Ranking passage sentences against a question: the idf-weighted share of the question's terms,
a bonus for higher-ranked passages and one for holding the kind of thing asked for (a date for
"when", a name for "who"). The extractive backend quotes the top sentences; the reading check
(qa/answer/pick.py) offers them to a model."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from qa.cite import terms, vocabulary
from qa.injection import addresses_reader
from qa.records import Passage
from qa.text import split_sentences

if TYPE_CHECKING:
    from vectorstore.embedders import Embedder

AnswerType = Literal["when", "who", "number", "where", "why", "other"]

RANK_BONUS = 0.1  # the top-ranked passage's bonus, falling linearly to 0 for the last
CUE_BONUS = 0.15  # a sentence holding the kind of thing asked for (a date for "when", ...)
# With an embedder, a sentence also scores its cosine similarity to the question, times this:
# the words a sentence shares miss its paraphrases ("founded" for "established"). On 598
# answerable SQuAD 2.0 questions kept apart from the evaluation sample (bench/squad_rank.py),
# the top sentence held the answer for 480 by words alone, 505 at 1.0 (0.7: 504, 2.0: 493).
DENSE_WEIGHT = 1.0

# Question words that say what is asked rather than what it is about.
QUESTION_FILLER = frozenset(
    "many much long old happen happened name kind type year date day time month percentage "
    "number amount mean".split())
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
CUES: dict[AnswerType, re.Pattern[str]] = {
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


def rank_sentences(question: str, passages: Sequence[Passage],
                   embedder: Embedder | None = None) -> list[Candidate]:
    """Every sentence of the passages, best match for `question` first (idf-weighted share of
    the question's terms, a bonus for higher-ranked passages and for holding what is asked,
    with `embedder` the sentence's similarity to the question); sentences that address the
    reader or the model are left out (qa/injection.py)."""
    wanted = terms(question) - QUESTION_FILLER
    if not passages or not wanted:
        return []
    kind = question_type(question)
    # Sentences that address the reader or the model (injected instructions) are no answer.
    candidates = [Candidate(number=i, text=p.text[a:b], words=vocabulary(p.text[a:b]))
                  for i, p in enumerate(passages, 1) for a, b in split_sentences(p.text)
                  if not addresses_reader(p.text[a:b])]
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
    if embedder is not None and candidates:
        vectors = embedder.embed([question, *(c.text for c in candidates)])
        for c, vector in zip(candidates, vectors[1:], strict=True):
            c.score += DENSE_WEIGHT * float(vector @ vectors[0])
    return sorted(candidates, key=lambda c: c.score, reverse=True)


def question_type(question: str) -> AnswerType:
    for kind, pattern in _TYPES:
        if pattern.search(question):
            return kind
    return "other"


def has_cue(sentence: str, kind: AnswerType, question: str = "") -> bool:
    """Whether `sentence` holds the kind of thing the question asks for."""
    if kind in CUES:
        return CUES[kind].search(sentence) is not None
    asked = terms(question)
    if kind == "who":
        return any(terms(m.group()) - asked for m in _CAPITALISED.finditer(sentence))
    if kind == "where":
        return any(terms(m.group(1)) - asked for m in _PLACE.finditer(sentence))
    return False
