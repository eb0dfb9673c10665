"""A comparison decided from its lines' own words, without a model: the years that decide a
comparison of time ("born first", "released more recently"), and the places that decide whether
two things are "from the same country" (the 1.5B's bare yes/no to those is "yes" every time:
2WikiMultihopQA, 200 questions, 17 of 17). "" leaves the choice to the direct answer
(qa/answer/direct.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from qa.answer.compare import Comparison, Line
from qa.answer.evidence import names_a_relation

# ---- comparisons of time: the years the lines hold ----------------------------------------------

_EARLIER = re.compile(r"\b(?:first|earlier|earliest|older|oldest|before|longer|sooner)\b", re.I)
_LATER = re.compile(r"\b(?:later|latest|last|younger|youngest|newer|newest|recent|recently|"
                    r"after)\b", re.I)
_YEAR = r"(?:1[0-9]|20)\d\d"
_LIFE = re.compile(rf"\(([^()]*?\b{_YEAR}\b)[^()]*?[–—-]\s*([^()]*?\b{_YEAR}\b)[^()]*\)")
_BORN = re.compile(rf"\bborn\b[^.;()]*?\b({_YEAR})\b", re.I)
_DIED = re.compile(rf"\bdied\b[^.;()]*?\b({_YEAR})\b", re.I)
_ANY_YEAR = re.compile(rf"\b({_YEAR})\b")


def by_time(question: str, options: Sequence[str], found: Comparison) -> str:
    """The option a comparison of time picks ("born first", "died later", "came out first",
    "released more recently") read from each option's years, or "" when the question is no
    such comparison or an option's year is missing or the years tie."""
    earlier, later = bool(_EARLIER.search(question)), bool(_LATER.search(question))
    if earlier == later or len(found.lines) != len(options) or len(options) != 2:
        return ""
    event = "died" if re.search(r"\b(?:died|death|dies)\b", question, re.I) else \
        "born" if re.search(r"\b(?:born|birth)\b", question, re.I) else "any"
    years = [_year(line, event) for line in found.lines]
    if None in years or years[0] == years[1]:
        return ""
    pick = min if earlier else max
    chosen = pick(range(2), key=lambda i: years[i] or 0)
    return options[chosen]


def _year(line: Line, event: str) -> int | None:
    """The year of the line's person or thing: of the related person's sentences when there
    are any (the director's), else of the entity's own."""
    for sentence, _ in line.evidence[1:] or line.evidence[:1]:
        if (year := _year_in(sentence, event)) is not None:
            return year
    return None


def _year_in(sentence: str, event: str) -> int | None:
    if event == "any":
        match = _ANY_YEAR.search(sentence)
        return int(match.group(1)) if match else None
    life = _LIFE.search(sentence)
    if life:
        part = life.group(1) if event == "born" else life.group(2)
        year = _ANY_YEAR.search(part)
        if year:
            return int(year.group(1))
    match = (_BORN if event == "born" else _DIED).search(sentence)
    return int(match.group(1)) if match else None


# ---- the same country: the nationality or place each line names ---------------------------------

_SAME_PLACE = re.compile(r"\bsame\s+(?:country|nationality)\b", re.I)
# what a thing is ("is a 1949 American crime film", "was an East German film director"): the
# copula's complement up to the first word that leaves it
_PREDICATE = re.compile(r"\b(?:is|was|are|were)\s+(?:a|an|one\s+of)\s+(.*?)"
                        r"(?=\s+(?:directed|written|produced|starring|by|who|which|that|of|with|"
                        r"for|in|at|from|based|located|situated|and|released|whose)\b|[,;:()]|$)")
# where it is ("located in Toronto, Canada", "a player from Catalonia, Spain"): the last name
_PLACE = re.compile(r"\b(?:in|at|from)\s+((?:(?:the\s+)?[A-Z][\w’'\-]*(?:\s+|,\s*)?)+)")
_CAPITAL = re.compile(r"(?<![\w’'])[A-Z][a-z][\w’']*")
_DEMONYM = re.compile(r"(?:an|ese|ish|ic|i)$")


def same_place(question: str, found: Comparison) -> str:
    """"yes" or "no" to "Are A and B from the same country?" (or "... the same nationality")
    from the nationality or country each line names: of the related person's sentences when
    there are any (the directors'), else of the thing's own; "" when a line names none."""
    if not _SAME_PLACE.search(question) or len(found.lines) != 2:
        return ""
    if names_a_relation(question) and any(len(line.evidence) < 2 for line in found.lines):
        return ""  # the directors' places are asked: a film's own is no answer
    places = [_places(line) for line in found.lines]
    if not all(places):
        return ""
    return "yes" if any(_same(a, b) for a in places[0] for b in places[1]) else "no"


def _places(line: Line) -> set[str]:
    """What the line's sentences say the thing is (its nationality) or, failing that, where
    it is (the last name of a place phrase)."""
    sentences = [s for s, _ in line.evidence[1:] or line.evidence[:1]]
    named = set(line.entity.split())
    said = {w for s in sentences for m in _PREDICATE.finditer(s)
            for w in _CAPITAL.findall(m.group(1).replace("/", " ").replace("-", " "))}
    if said - named:
        return said - named
    return {found[-1] for s in sentences for m in _PLACE.finditer(s)
            if (found := _CAPITAL.findall(m.group(1)))} - named


def _same(a: str, b: str) -> bool:
    """The same place: the same word, or a country and its people's adjective (Norway,
    Norwegian; America, American): a shared start of four letters, one of them a demonym."""
    if a == b:
        return True
    one_demonym = bool(_DEMONYM.search(a)) != bool(_DEMONYM.search(b))
    return one_demonym and len(os.path.commonprefix([a, b])) >= 4
