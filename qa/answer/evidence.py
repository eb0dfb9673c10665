"""Which passage sentences are the evidence of an answer, and when to retrieve a second time.

The reading check (qa/answer/pick.py) weighs every offered sentence; the evidence is its pick plus,
for questions one sentence cannot answer, the others it weighed close: open questions ("What did
X say about Y?") take every close sentence, comparisons the best sentence about each option.
A multi-hop question turns on an entity the first evidence names (the film's cast, the person's
father): `bridge_query` is what to retrieve for next, built from that entity and the question's
words the evidence does not hold yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from qa.answer.direct import Kind
from qa.answer.pick import Pick
from qa.answer.sentences import QUESTION_FILLER
from qa.cite import terms, vocabulary
from qa.records import Passage

Retriever = Callable[[str], list[Passage]]  # a hop's query -> its passages
MAX_EVIDENCE = 4
BRIDGED_EXTRA = 2
CLOSE = 0.3  # a further sentence is evidence when weighed at least this share of the pick
UNCOVERED = 0.34  # share of the question's terms the first evidence lacks that calls a hop
_NAME_RUN = re.compile(r"\b[A-Z][\w’'\-]*(?:\s+(?:of|de|von|van|the|and)?\s*[A-Z][\w’'\-]*)*")
# capitalised, but no entity to retrieve for: "born 15 March 1952" is no bridge to "March"
_CALENDAR = re.compile(r"(?:January|February|March|April|May|June|July|August|September|"
                       r"October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|"
                       r"Saturday|Sunday)")


def select(kind: Kind, pick: Pick, options: Sequence[str],
           topic: frozenset[str] = frozenset()) -> list[tuple[str, int]]:
    """The evidence (sentence, passage number) pairs, the pick first, at most MAX_EVIDENCE.
    With `topic` (what an open question is about), a further sentence must mention it."""
    chosen = [(pick.sentence, pick.passage)]
    top = pick.weighed[0][2] if pick.weighed else 0.0
    if kind == "options":
        for option in options:
            wanted = terms(option)
            if any(wanted <= vocabulary(s) for s, _ in chosen):
                continue
            about = [(s, n) for s, n, _ in pick.weighed if wanted and wanted <= vocabulary(s)]
            chosen += about[:1]
    elif kind in ("open", "summary"):
        chosen += [(s, n) for s, n, w in pick.weighed[1:] if top and w >= CLOSE * top
                   and (not topic or topic & vocabulary(s))]
    return list(dict.fromkeys(chosen))[:MAX_EVIDENCE]


def select_bridged(kind: Kind, pick: Pick, options: Sequence[str],
                   topic: frozenset[str] = frozenset()) -> list[tuple[str, int]]:
    """The second hop's evidence: as `select`, plus for short answers up to BRIDGED_EXTRA more
    close sentences of the picked passage. The 1.5B's pick there is often the entity's opening
    line ("Aubrey Scotto (1895-1953) was an American film director"), and the fact asked about
    (where he died) is a sentence or two on, in the same passage."""
    chosen = select(kind, pick, options, topic)
    if kind == "short" and pick.weighed:
        top = pick.weighed[0][2]
        chosen += [(s, n) for s, n, w in pick.weighed[1:]
                   if n == pick.passage and w >= CLOSE * top][:BRIDGED_EXTRA]
    return list(dict.fromkeys(chosen))


# A question about someone's relative or maker ("Where was the director of film X born?",
# "Who is X's paternal grandfather?") turns on that person, whom the first passage names (it
# says who directed X) while the fact asked is in that person's own passage. The first
# passage then holds most of the question's words, so the coverage test alone never hops:
# 2Wiki's "director of film" questions were answered with the film's passage.
ROLES = (r"director|father|mother|wife|husband|spouse|son|daughter|composer|producer|author|"
          r"founder|creator|performer|presenter|grandfather|grandmother|brother|sister|owner|"
          r"publisher|writer|singer|coach|captain|manager|designer|architect|inventor|"
          r"developer|successor|predecessor|star|actor|actress")
# ("Do director of film A and director of film B ...?", "both directors of films A and B": no
# article, the work named)
_RELATION = re.compile(r"(?:\b(?:the|whose|his|her|its|their)\s+(?:\w+\s+){0,2}?|'s\s+"
                       rf"(?:\w+\s+)?)(?:paternal\s+|maternal\s+)?(?:{ROLES})s?\b|"
                       rf"\b(?:{ROLES})s?\s+of\s+(?:the\s+)?(?:films?|movies?|songs?|albums?)\b",
                       re.I)
# ... unless that person is the answer: "Who was the father of X?", "Who is X's father?" (but
# "Who is the spouse of the director of film X?" still turns on the director)
_ASKED_ROLE = re.compile(rf"^(?:who|what|which)\s+(?:is|was|are|were)\s+(?:the\s+)?"
                         rf"(?:paternal\s+|maternal\s+)?(?:{ROLES})s?\b", re.I)
_ASKED_POSSESSIVE = re.compile(rf"^(?:who|whom)\s+(?:is|was|are|were)\s+[^?]*?('s\s+"
                               rf"(?:paternal\s+|maternal\s+)?(?:{ROLES})s?\s*\?)$", re.I)


def names_a_relation(question: str) -> bool:
    """Whether the question asks something about a person it names only by their relation to
    someone or something else (the director of a film, a man's wife)."""
    question = question.strip()
    if asked := _ASKED_ROLE.match(question):
        question = question[asked.end():]
    elif asked := _ASKED_POSSESSIVE.match(question):
        question = question[:asked.start(1)]
    return bool(_RELATION.search(question))


def wanted_terms(question: str) -> frozenset[str]:
    return terms(question) - QUESTION_FILLER


@dataclass(frozen=True)
class Hop:
    query: str  # what to retrieve for
    entities: tuple[str, ...]  # what the first evidence named that the question turns on


def bridge_query(question: str, evidence: Sequence[tuple[str, int]],
                 passages: Sequence[Passage], options: Sequence[str]) -> Hop | None:
    """What to retrieve for in a second hop, or None when the first hop holds the question.

    A comparison needs a passage about each option; otherwise a hop is taken when the evidence's
    passages lack a fair share of the question's terms and the evidence names someone or
    something the question does not: that entity, with the missing terms, is the query."""
    held = frozenset().union(*(vocabulary(_passage_text(passages[n - 1])) for _, n in evidence))
    if options:
        missing = [o for o in options if not terms(o) <= held]
        return Hop(missing[0], (missing[0],)) if missing else None
    wanted = wanted_terms(question)
    if not wanted:
        return None
    uncovered = [w for w in wanted if w not in held]
    if len(uncovered) / len(wanted) < UNCOVERED and not names_a_relation(question):
        return None
    asked = terms(question)
    names = list(dict.fromkeys(n for s, _ in evidence for n in new_names(s, asked)))[:3]
    if not names:
        return None
    missing_words = [w for w in _question_words(question) if w.lower() in
                     {u.lower() for u in uncovered} or terms(w) & set(uncovered)]
    return Hop(" ".join([*names, *dict.fromkeys(missing_words)]), tuple(names))


# A nationality or party said of someone ("is an American actor", "a Democratic member"): one
# capitalised word after an article (or "by"), before a lower-case noun. On HotpotQA "American",
# "Australian" and "British" led second hops to unrelated passages about other Americans.
_DEMONYM = re.compile(r"[A-Z][a-z]+(?:an|ese|ish|ch|ic|i)")
_ARTICLE_BEFORE = re.compile(r"\b(?:a|an|the|by)\s+$", re.I)
_NOUN_AFTER = re.compile(r"\s+(?!(?:is|was|are|were|has|had|and|or|in|on|at|to|of|for|with|"
                         r"from|said)\b)[a-z]")  # "by Logan was" names Logan


def new_names(sentence: str, asked: frozenset[str]) -> Iterator[str]:
    """The names a sentence holds that the question does not, past its first word, in order
    (a month is no name: "born 15 March 1952", nor is a nationality: "an American actor")."""
    for m in _NAME_RUN.finditer(sentence):
        name = m.group()
        if m.start() > 0 and not terms(name) <= asked and not _CALENDAR.fullmatch(name) \
                and not _said_of_someone(sentence, m):
            yield name


def _said_of_someone(sentence: str, m: re.Match[str]) -> bool:
    return bool(_DEMONYM.fullmatch(m.group()) and _ARTICLE_BEFORE.search(sentence[:m.start()])
                and _NOUN_AFTER.match(sentence, m.end()))


def reached(hop: Hop, passage: Passage) -> bool:
    """Whether `passage` is about one of the hop's entities: only then may what it says rescue
    an answer the first hop doubted. A SQuAD 2.0 question made unanswerable by a changed detail
    would otherwise get a second chance from any passage of the same article."""
    return any(is_about(e, passage) for e in hop.entities)


def titled(hop: Hop, passage: Passage, first: Sequence[Passage]) -> bool:
    """Whether `passage` is the article of one of the hop's entities: titled with it, and not
    under the title of a passage of the first evidence. In encyclopaedic text that is where
    the fact about the bridge is ("Buzzcocks" for the band Howard Devoto's passage names); a
    news corpus's titles are headlines, which it leaves alone."""
    seen = {bare_title(p) for p in first}
    return bare_title(passage) not in seen and any(titled_with(e, passage) for e in hop.entities)


def titled_with(name: str, passage: Passage) -> bool:
    """Whether the passage is the article of `name`: its title, the parenthesis aside, is the
    name, and it is no disambiguation page."""
    return bool(terms(name)) and bare_title(passage) == terms(name) \
        and not lists_articles(passage)


# "Tom Johnston may refer to: ...", "United States (disambiguation)": a list of the articles a
# name may mean, never a gold paragraph of HotpotQA or 2WikiMultihopQA (1 of 958 questions), so
# no bridge to read for the facts about the name.
_DISAMBIGUATION = re.compile(r"\b(?:may|can|might)\s+(?:also\s+)?(?:refer|be\s+used\s+to\s+"
                             r"refer)\s+to\b", re.I)


def lists_articles(passage: Passage) -> bool:
    """Whether the passage is a disambiguation page: so titled, or its document's first
    sentence says what the name may refer to (a later one may say it of a nickname: "The
    Griffon Bruxellois may refer to" three breeds, in a gold paragraph)."""
    if passage.doc.title.endswith("(disambiguation)"):
        return True
    first = re.split(r"(?<=[.!?])\s", passage.text[:300], maxsplit=1)[0]
    return passage.chunk.ordinal == 0 and _DISAMBIGUATION.search(first) is not None


def bare_title(passage: Passage) -> frozenset[str]:
    """The terms of the passage's title without its parenthesis ("Magazine (band)")."""
    return terms(plain_title(passage))


def plain_title(passage: Passage) -> str:
    """The passage's title without its parenthesis: "Magazine (band)" -> "Magazine"."""
    return re.sub(r"\s*\([^)]*\)", "", passage.doc.title).strip()


def names_as_a_name(text: str, passage: Passage) -> bool:
    """Whether `text` names the passage's article word for word (its title, the parenthesis
    aside, in any case: questions capitalise "Step Into The Light") and as a name, not in lower
    case: "What portable media player ...?" names no article "Portable media player"."""
    title = plain_title(passage)
    return bool(title) and not lists_articles(passage) and any(
        not text[m.start()].islower()
        for m in re.finditer(rf"(?<!\w){re.escape(title)}(?!\w)", text, re.I))


def is_about(entity: str, passage: Passage) -> bool:
    """Whether the passage (its title or text) holds every term of `entity`."""
    wanted = terms(entity)
    return bool(wanted) and wanted <= vocabulary(_passage_text(passage))


def unseen(passages: Sequence[Passage], found: Sequence[Passage]) -> list[Passage]:
    """What a hop `found` that `passages` do not hold already."""
    seen = {p.chunk.chunk_id for p in passages}
    return [p for p in found if p.chunk.chunk_id not in seen]


def _question_words(question: str) -> list[str]:
    return re.findall(r"[\w’'\-]+", question)


def _passage_text(passage: Passage) -> str:
    return f"{passage.doc.title}\n{passage.text}"
