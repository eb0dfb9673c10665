"""Comparisons and relation chains: a line of evidence per thing the question names.

"Who was born first, A or B?", "Are A and B from the same country?": no passage sentence states
the answer, so the reading check's P(none) says "none" for nearly all of them (2WikiMultihopQA,
200 questions, the 1.5B: 35 of 79 option questions and 17 of 17 yes/no comparisons refused at
P ~ 0.7-0.8; of the 44 option questions answered, the direct answer was right for 18). A
comparison is answered when each thing compared has a passage: its best sentence (and, when the
question turns on a relation, "the director of film A", the best sentences of the related
person's passage, reached by a hop) is its evidence; the years in the lines decide a comparison
of time, else the direct answer (qa/answer/direct.py) chooses an option or yes/no from those
sentences alone. A thing compared that no passage is about is the refusal.

A relation question ("Where was the director of film X born?") follows the same line for X
alone: the passage titled X, the person its sentence names after the role's verb ("directed
by Y"), Y's passage. Where the chain breaks, the question is answered as any other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from qa.answer.direct import Kind
from qa.answer.evidence import (
    MAX_EVIDENCE,
    ROLES,
    Retriever,
    is_about,
    names_a_relation,
    unseen,
)
from qa.answer.sentences import QUESTION_FILLER, rank_sentences
from qa.records import Passage
from qa.support import terms, vocabulary

# A comparison says what it compares by: "born first", "older", "the same country". Without one
# "between A and B" is no comparison ("What would not create a conflict between problem X and
# problem C?", a SQuAD 2.0 question made unanswerable).
_COMPARATIVE = re.compile(
    r"\b(?:first|last|earlier|later|earliest|latest|older|younger|oldest|youngest|newer|"
    r"longer|shorter|higher|lower|larger|bigger|smaller|greater|farther|further|closer|more|"
    r"most|less|least|fewer|same|both|before|after|sooner)\b", re.I)
# the two things a yes/no comparison names: "Are [the movies] A and B [both] from ...?"
_WORD = r"[A-Z0-9][\w’'.\-]*"
_ENTITY = rf"{_WORD}(?:\s+(?:\([^)]*\)|of|the|de|la|le|von|van|and|by|in|on|a|{_WORD}))*"
_PAIR = re.compile(rf"({_ENTITY}),?\s+and\s+(?:(?:the\s+)?director\s+of\s+(?:the\s+)?film\s+)?"
                   rf"({_ENTITY})")
_KIND_WORDS = re.compile(r"^(?:both\s+)?(?:the\s+)?(?:(?:directors?|films?|movies?|stations?|"
                         r"churches?|bands?|magazines?|tennis players?|players?|songs?|albums?)"
                         r"\s+)+(?:of\s+(?:the\s+)?films?\s+)?", re.I)


@dataclass(frozen=True)
class Line:
    """The evidence for one thing compared: (sentence, passage number) pairs, and the queries
    retrieved for it (its own passage when the first hop had none, its relation's)."""

    entity: str
    evidence: list[tuple[str, int]]
    queries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comparison:
    lines: list[Line]
    passages: list[Passage]  # the first hop's, then what the entities' hops brought
    missing: str = ""  # a thing compared that no passage is about: nothing can be compared

    @property
    def evidence(self) -> list[tuple[str, int]]:
        """Each line's first two sentences (the entity's, its person's best), line by line,
        then the lines' further ones while there is room: at most MAX_EVIDENCE."""
        pairs = [pair for line in self.lines for pair in line.evidence[:2]]
        pairs += [pair for line in self.lines for pair in line.evidence[2:]]
        return list(dict.fromkeys(pairs))[:MAX_EVIDENCE]

    @property
    def queries(self) -> list[str]:
        return [q for line in self.lines for q in line.queries]


def compared(question: str, kind: Kind, options: Sequence[str]) -> list[str]:
    """The two things a comparison question compares, else []."""
    if not _COMPARATIVE.search(question):
        return []
    if kind == "options":
        return list(options)
    if kind != "yesno":
        return []
    body = re.sub(r"^\s*\w+\s+", "", question.strip())  # the auxiliary: "Are", "Do"
    body = _KIND_WORDS.sub("", body)
    match = _PAIR.search(body)
    if not match:
        return []
    pair = [_KIND_WORDS.sub("", m).strip(" ,") for m in match.groups()]
    return pair if all(terms(p) for p in pair) else []


def compare(question: str, entities: Sequence[str], passages: list[Passage],
            more: Retriever | None, *, titled: bool = False) -> Comparison:
    """One `Line` per entity (its best sentence for the question, then its relation's), or the
    first entity no passage is about (`titled`: no passage titled with its name)."""
    about = _titled if titled else is_about
    relation = names_a_relation(question)
    asked = terms(question) - QUESTION_FILLER
    lines: list[Line] = []
    for entity in entities:
        others = frozenset().union(*(terms(e) for e in entities if e != entity)) - terms(entity)
        focus = " ".join(w for w in re.findall(r"[\w’'\-]+", question)
                         if not terms(w) & others)
        queries: list[str] = []
        mine = [n for n, p in enumerate(passages, 1) if about(entity, p)]
        if not mine and more is not None:
            queries.append(f"{entity} {focus}")
            passages = _extend(passages, more(queries[-1]))
            mine = [n for n, p in enumerate(passages, 1) if about(entity, p)]
        first = _best(focus, passages, mine) if mine else None
        if first is None:
            return Comparison(lines, passages, missing=entity)
        evidence = [first]
        if relation and more is not None:
            names = _new_names(first[0], asked | terms(entity), question)
            if names:
                queries.append(" ".join([*names, *_missing(question, entity, first[0], others)]))
                passages = _extend(passages, more(queries[-1]))
                theirs = [n for n, p in enumerate(passages, 1)
                          if n != first[1] and any(is_about(name, p) for name in names)]
                evidence += _best_two(queries[-1], passages, theirs) if theirs else []
        lines.append(Line(entity, evidence, tuple(queries)))
    return Comparison(lines, passages)


# "Where was the director of film X born?", "the place of birth of X's husband": X, whose own
# passage names the person asked about
_OF_SUBJECT = re.compile(rf"\bthe\s+(?i:(?:paternal\s+|maternal\s+)?(?:{ROLES})s?)\s+of\s+"
                         rf"(?:the\s+)?(?i:(?:film|movie|song|album|book|novel|play|band|series|"
                         rf"show)\s+)?({_ENTITY})")
_POSSESSIVE_SUBJECT = re.compile(rf"({_ENTITY})(?:'s|’s)\s+"
                                 rf"(?i:(?:paternal\s+|maternal\s+)?(?:{ROLES}))")


def relation_subject(question: str) -> str:
    """The name a relation question turns on ("film X" in "the director of film X"), or ""."""
    if not names_a_relation(question):
        return ""
    match = _OF_SUBJECT.search(question) or _POSSESSIVE_SUBJECT.search(question)
    subject = match.group(1).strip() if match else ""
    return subject if terms(subject) else ""


def follow(question: str, subject: str, passages: list[Passage],
           more: Retriever | None) -> Comparison | None:
    """A relation question's chain: the passage titled with the subject's name, the person its
    best sentence names, that person's passage; None unless the chain reaches the person (the
    caller then answers as for any question)."""
    found = compare(question, [subject], passages, more, titled=True)
    if found.missing or len(found.lines[0].evidence) < 2:
        return None
    return found


def _titled(entity: str, passage: Passage) -> bool:
    wanted = terms(entity)
    return bool(wanted) and wanted <= vocabulary(passage.doc.title)


def _best_two(query: str, passages: Sequence[Passage], numbers: Sequence[int]
              ) -> list[tuple[str, int]]:
    """The best sentence of the passages `numbers`, and the next best of the same passage (the
    person's opening line gives the dates, the next where they were born)."""
    ranked = _ranked(query, passages, numbers)
    best = next(ranked, None)
    if best is None:
        return []
    again = next((pair for pair in ranked if pair[1] == best[1] and pair[0] != best[0]), None)
    return [best, again] if again else [best]


def _best(query: str, passages: Sequence[Passage], numbers: Sequence[int]
          ) -> tuple[str, int] | None:
    return next(_ranked(query, passages, numbers), None)


def _ranked(query: str, passages: Sequence[Passage], numbers: Sequence[int]
            ) -> Iterator[tuple[str, int]]:
    """(sentence, passage number) of the passages `numbers`, best match for `query` first."""
    allowed = set(numbers)
    for candidate in rank_sentences(query, passages):
        text = " ".join(candidate.text.split())
        if candidate.number in allowed and text:
            yield text, candidate.number


_NAME_RUN = re.compile(r"\b[A-Z][\w’'\-]*(?:\s+(?:of|de|von|van|the)?\s*[A-Z][\w’'\-]*)*")


# Where a sentence names the related person: after the verb of the role the question asks
# about ("directed by X", "son of X", "married X"); a film's sentence names its cast too.
_ANCHORS = {
    "direct": r"direct\w*\s+by", "perform": r"perform\w*\s+by|by", "compos": r"compos\w*\s+by",
    "produc": r"produc\w*\s+by", "found": r"found\w*\s+by", "creat": r"creat\w*\s+by",
    "writ": r"writ\w*\s+by", "author": r"writ\w*\s+by", "star": r"starring",
    "actor": r"starring", "actress": r"starring",
    "father": r"(?:son|daughter|child)\s+of", "mother": r"(?:son|daughter|child)\s+of",
    "husband": r"married(?:\s+to)?|wife\s+of", "wife": r"married(?:\s+to)?|husband\s+of",
    "spouse": r"married(?:\s+to)?|(?:wife|husband)\s+of",
}


def _new_names(sentence: str, known: frozenset[str], question: str) -> list[str]:
    """Names the sentence holds that the question does not (the film's director): the one
    after the asked role's verb when the sentence has it, else the first two."""
    found = [m for m in _NAME_RUN.finditer(sentence)
             if m.start() > 0 and terms(m.group()) and not terms(m.group()) <= known]
    for role, anchor in _ANCHORS.items():
        if re.search(rf"\b{role}", question, re.I):
            at = re.search(rf"\b(?:{anchor})\s+", sentence, re.I)
            after = [m for m in found if at and m.start() >= at.end()]
            if after:
                return [after[0].group()]
            break
    return list(dict.fromkeys(m.group() for m in found))[:2]


def _missing(question: str, entity: str, sentence: str, others: frozenset[str]) -> list[str]:
    """The question's words (born, died, country) that the entity's sentence lacks."""
    held = vocabulary(sentence) | terms(entity) | others
    return list(dict.fromkeys(w for w in re.findall(r"[\w’'\-]+", question)
                              if terms(w) and not terms(w) & held
                              and not terms(w) <= QUESTION_FILLER))


def _extend(passages: list[Passage], found: Sequence[Passage]) -> list[Passage]:
    return [*passages, *unseen(passages, found)]


# ---- comparisons of time, decided from the years the lines hold ---------------------------------

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
