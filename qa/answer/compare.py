"""Comparisons and relation chains: a line of evidence per thing the question names.

"Who was born first, A or B?", "Are A and B from the same country?": no passage sentence states
the answer, so the reading check's P(none) says "none" for nearly all of them (2WikiMultihopQA,
200 questions, the 1.5B: 35 of 79 option questions and 17 of 17 yes/no comparisons refused at
P ~ 0.7-0.8; of the 44 option questions answered, the direct answer was right for 18). A
comparison is answered when each thing compared has a passage: its best sentence (and, when the
question turns on a relation, "the director of film A", the best sentences of the related
person's passage, reached by a hop) is its evidence; the lines' years or places decide where
they can (qa/answer/decide.py), else the direct answer (qa/answer/direct.py) chooses an option
or yes/no from those sentences alone. A thing compared that no passage is about is the refusal.

A chain (qa/answer/chain.py: "Where was the director of film X born?", "the playwright who
wrote X") is the same line for X alone, its bridge found by the role's verb or by the title of
a passage of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from qa.answer.direct import COMPARATIVE, Kind
from qa.answer.evidence import (
    MAX_EVIDENCE,
    Retriever,
    bare_title,
    is_about,
    names_a_relation,
    titled_with,
    unseen,
)
from qa.answer.sentences import QUESTION_FILLER, rank_sentences
from qa.records import Passage
from qa.support import terms, vocabulary

# the two things a yes/no comparison names: "Are [the movies] A and B [both] from ...?"
_WORD = r"[A-Z0-9][\w’'.\-]*"
ENTITY = rf"{_WORD}(?:\s+(?:\([^)]*\)|of|the|de|la|le|von|van|and|by|in|on|a|{_WORD}))*"
_PAIR = re.compile(rf"({ENTITY}),?\s+and\s+(?:(?:the\s+)?director\s+of\s+(?:the\s+)?film\s+)?"
                   rf"({ENTITY})")
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
    if not COMPARATIVE.search(question):
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
            more: Retriever | None, *, titled: bool = False,
            bridge: Bridge | None = None) -> Comparison:
    """One `Line` per entity (its best sentence for the question, then its bridge's), or the
    first entity no passage is about (`titled`: no passage titled with its name). `bridge`:
    how the sentence names what the question turns on; by default the role's person when the
    question names a relation ("the director of film A"), else no bridge."""
    about = _titled if titled else is_about
    if bridge is None:
        bridge = "role" if names_a_relation(question) else None
    asked = terms(question) - QUESTION_FILLER
    lines: list[Line] = []
    for entity in entities:
        others = frozenset().union(*(terms(e) for e in entities if e != entity)) - terms(entity)
        focus = " ".join(w for w in re.findall(r"[\w’'\-]+", question)
                         if not terms(w) & others)
        queries: list[str] = []
        mine = _theirs(entity, passages, about, own=not titled, question=question)
        # no passage about it, or none its own: retrieve for it
        if more is not None and (not mine or not titled and _lacks_own(entity, passages, mine)):
            queries.append(f"{entity} {focus}")
            passages = _extend(passages, more(queries[-1]))
            mine = _theirs(entity, passages, about, own=not titled, question=question)
        first = _best(focus, passages, mine) if mine else None
        if first is None:
            return Comparison(lines, passages, missing=entity)
        if bridge == "role":
            first = _anchored(question, first, asked | terms(entity), passages)
        evidence = [first]
        if bridge is not None and more is not None:
            missing = _missing(question, entity, first[0], others)
            found, passages = _bridged(bridge, question, first, asked | terms(entity), missing,
                                       passages, more)
            if found is not None:
                queries.append(found[0])
                evidence += _best_two(found[0], passages, found[1])
        lines.append(Line(entity, evidence, tuple(queries)))
    return Comparison(lines, passages)


# How an entity's sentence names what the question turns on: "role", the person after the
# asked role's verb ("directed by Y"; passages about Y); "titled", the first name with a
# passage of its own (titled with it), which is how encyclopaedic text links its articles.
Bridge = Literal["role", "titled"]
TITLED_TRIES = 3  # names retrieved for when no passage held yet is titled with one


def _bridged(bridge: Bridge, question: str, first: tuple[str, int], known: frozenset[str],
             missing: list[str], passages: list[Passage], more: Retriever
             ) -> tuple[tuple[str, list[int]] | None, list[Passage]]:
    """The bridge's query and its passages' numbers (None when the sentence names none), and
    the passages with what its retrieval brought."""
    if bridge == "role":
        names = _new_names(first[0], known, question)
        if not names:
            return None, passages
        query = " ".join([*names, *missing])
        passages = _extend(passages, more(query))
        theirs = [n for n, p in enumerate(passages, 1)
                  if n != first[1] and any(is_about(name, p) for name in names)]
        return ((query, theirs) if theirs else None), passages
    own_title = bare_title(passages[first[1] - 1])
    names = [n for n in _new_names(first[0], known, question, every=True)
             if terms(n) != own_title]
    # the names' passages held already, else each name retrieved for in turn
    rounds = [names, *([name] for name in names[:TITLED_TRIES])]
    for tried, candidates in enumerate(rounds):
        if tried:
            passages = _extend(passages, more(" ".join([*candidates, *missing])))
        for candidate in candidates:
            theirs = [n for n, p in enumerate(passages, 1)
                      if n != first[1] and titled_with(candidate, p)]
            if theirs:
                return (" ".join([candidate, *missing]), theirs), passages
    return None, passages


# Where a thing compared is read: in its own article (titled with its name) when one is held,
# not in any passage naming it: "Joyce Brabner" names her husband Harvey Pekar, but when he was
# born is in "Harvey Pekar". "retrieve": also retrieve for it when no passage held is its own.
# bench/compare_tune.py measures the three.
OWN_ARTICLE: Literal["off", "held", "retrieve"] = "retrieve"


def _theirs(entity: str, passages: Sequence[Passage],
            about: Callable[[str, Passage], bool], *, own: bool, question: str) -> list[int]:
    """The numbers of the passages about `entity`: with `own`, its own articles when any is
    held (those whose title's parenthesis the question's words hold, when any does: "Which
    band, A Silent Film or ...?" is about "A Silent Film", not "A Silent Film (album)"), else
    every passage `about` accepts."""
    mine = [n for n, p in enumerate(passages, 1) if about(entity, p)]
    owned = [n for n in mine if _own(entity, passages[n - 1])] if own else []
    asked = terms(question)
    fitting = [n for n in owned if _qualifier(passages[n - 1]) <= asked]
    return fitting or owned or mine


def _lacks_own(entity: str, passages: Sequence[Passage], numbers: Sequence[int]) -> bool:
    """Whether none of the passages `numbers` is the entity's own article, and one is to be
    retrieved for then (OWN_ARTICLE "retrieve")."""
    return OWN_ARTICLE == "retrieve" and not any(_own(entity, passages[n - 1]) for n in numbers)


def _qualifier(passage: Passage) -> frozenset[str]:
    """The terms of the title's parenthesis: "Magazine (band)" -> {"band"}."""
    return terms(" ".join(re.findall(r"\(([^)]*)\)", passage.doc.title)))


def _own(entity: str, passage: Passage) -> bool:
    return OWN_ARTICLE != "off" and titled_with(entity, passage)


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
    # a mother is named after the father: "son of X and Y", "son of X, ..., by his wife Y"
    "father": r"(?:son|daughter|child)\s+of",
    "mother": r"(?:son|daughter|child)\s+of\s+[^.;]*?\s+(?:and|by)",
    "husband": r"married(?:\s+to)?|wife\s+of", "wife": r"married(?:\s+to)?|husband\s+of",
    "spouse": r"married(?:\s+to)?|(?:wife|husband)\s+of",
}


def _new_names(sentence: str, known: frozenset[str], question: str, *,
               every: bool = False) -> list[str]:
    """Names the sentence holds that the question does not (the film's director): the one
    after the asked role's verb when the sentence has it, else the first two (`every`: all,
    in the sentence's order)."""
    found = [m.group() for m in _names(sentence, known)]
    if every:
        return list(dict.fromkeys(found))
    anchor = _anchor(question)
    named = _after_anchor(sentence, known, anchor) if anchor else None
    return [named] if named else list(dict.fromkeys(found))[:2]


def _anchored(question: str, first: tuple[str, int], known: frozenset[str],
              passages: Sequence[Passage]) -> tuple[str, int]:
    """The sentence of `first`'s passage that names the asked role's person after its verb:
    `first` itself when it does (or the question names no such role), else the passage's best
    one that does. "Annick Dumont (born 1962 in Montreuil) is a French coach" is her best
    sentence for "the place of birth of Annick Dumont's husband"; "She was married to Didier
    Gailhaguet" is three sentences on."""
    anchor = _anchor(question)
    if anchor is None or _after_anchor(first[0], known, anchor):
        return first
    return next((pair for pair in _ranked(question, passages, [first[1]])
                 if _after_anchor(pair[0], known, anchor)), first)


def _anchor(question: str) -> str | None:
    """The verb pattern of the first role the question names ("director": "directed by")."""
    return next((anchor for role, anchor in _ANCHORS.items()
                 if re.search(rf"\b{role}", question, re.I)), None)


def _after_anchor(sentence: str, known: frozenset[str], anchor: str) -> str | None:
    at = re.search(rf"\b(?:{anchor})\s+", sentence, re.I)
    return next((m.group() for m in _names(sentence, known) if m.start() >= at.end()),
                None) if at else None


def _names(sentence: str, known: frozenset[str]) -> list[re.Match[str]]:
    return [m for m in _NAME_RUN.finditer(sentence)
            if m.start() > 0 and terms(m.group()) and not terms(m.group()) <= known]


def _missing(question: str, entity: str, sentence: str, others: frozenset[str]) -> list[str]:
    """The question's words (born, died, country) that the entity's sentence lacks."""
    held = vocabulary(sentence) | terms(entity) | others
    return list(dict.fromkeys(w for w in re.findall(r"[\w’'\-]+", question)
                              if terms(w) and not terms(w) & held
                              and not terms(w) <= QUESTION_FILLER))


def _extend(passages: list[Passage], found: Sequence[Passage]) -> list[Passage]:
    return [*passages, *unseen(passages, found)]
