"""The bridge article and the opening sentence: evidence a short answer's first pick leads to.

A multi-hop question's first evidence names the entity the question turns on ("Baby Driver
... stars Ansel Elgort, Kevin Spacey ..."), and in encyclopaedic text the fact asked sits in that
entity's own article, near its start. On the 258 HotpotQA questions kept apart from the
evaluation sample, the answer of 137 of the 208 short ones is in the opening sentence of a gold
paragraph and of 184 in its first two; the four passages retrieved for the question hold it for
only 128. A document's opening sentence that names its title says what the document is about
(an encyclopaedia's lead), so it joins the evidence of the passage it opens, and the article
linked to the first evidence (titled with a name it holds, or a retrieved passage whose title
its passages' text or the question names) lends its best sentence and its opening one, when it
holds what the first passages lack of the question (`LINK_SCORE`).

No model reads the bridge: the 1.5B's choice among offered sentences adds nothing to their
ranking (docs/benchmarks.md, session 11), so the best sentence is the ranking's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.answer.evidence import (
    Hop,
    Retriever,
    bare_title,
    lists_articles,
    names_as_a_name,
    new_names,
    titled,
    wanted_terms,
)
from qa.answer.sentences import rank_sentences
from qa.cite import terms, vocabulary
from qa.records import Passage
from qa.text import split_sentences

if TYPE_CHECKING:
    from vectorstore.embedders import Embedder

# The least share of the question's terms missing from the first evidence's passages that a
# linked article must hold. Tuned on the 208 held-out HotpotQA short questions, the ranking's top
# sentence standing in for the pick (`python bench/bridge_tune.py`, session 14): the evidence
# holds the answer / supporting precision with no link 26.0% / 82.7%, at 0.2 47.6 / 85.2, at 0.3
# 47.1 / 85.6, at 0.4 44.7 / 85.9, at 0.5 42.8 / 85.5. Session 13 chose the article whose best
# sentence matched the whole question best (38.9 / 83.8): that favours the distractors, which
# HotpotQA picked for resembling the question, over the article that holds what the first
# passage lacks.
LINK_SCORE = 0.3
MAX_NAMES = 6  # names tried, in the order the evidence gives them (each may cost a retrieval)

Evidence = list[tuple[str, int]]  # (verbatim sentence, 1-based passage number)


@dataclass(frozen=True)
class Bridge:
    query: str  # the name whose article was read
    passage: Passage
    sentences: tuple[str, ...]  # its best sentence for the question, then its opening one
    score: float  # the share of what the first passages lack of the question that it holds


def opening(passage: Passage) -> str:
    """The document's first sentence when `passage` starts its document and that sentence
    names what the document's title does (an encyclopaedia's lead: "Nora Vale (born 1980) is
    a Norwegian singer"); else "". A news story's first line is its headline, and the line
    after it may be a photo's caption: neither says what the story holds."""
    if passage.chunk.ordinal != 0:
        return ""
    spans = split_sentences(passage.text)
    if not spans:
        return ""
    sentence = " ".join(passage.text[spans[0][0]:spans[0][1]].split())
    title = bare_title(passage)
    # it names the title's terms, and says more than them (the headline itself does not)
    return sentence if title and title <= vocabulary(sentence) and terms(sentence) - title \
        else ""


def with_openings(evidence: Evidence, passages: Sequence[Passage]) -> Evidence:
    """The evidence, then the opening sentence of each of its passages that it lacks."""
    added = [(first, n) for n in dict.fromkeys(n for _, n in evidence)
             if (first := opening(passages[n - 1]))]
    return list(dict.fromkeys([*evidence, *added]))


def bridge(question: str, evidence: Evidence, passages: Sequence[Passage],
           more: Retriever | None, embedder: Embedder | None, *,
           least_score: float = LINK_SCORE) -> Bridge | None:
    """The linked article that holds most of what the first evidence's passages lack of the
    question, if that share is at least `least_score`; None otherwise (or when they lack
    nothing). Linked: titled with a name the evidence (or its passages' openings) holds and the
    question does not (retrieved already, else retrieved by that name), or a retrieved passage
    whose title a first passage's text or the question names (`linked_articles`). Ties go to
    the first found."""
    first = [passages[n - 1] for _, n in evidence]
    missing = wanted_terms(question) - vocabulary(" ".join(_titled_text(p) for p in first))
    if not missing:
        return None
    read = [s for s, _ in evidence] + [o for p in first if (o := opening(p))]
    asked = terms(question)
    names = list(dict.fromkeys(n for s in read for n in new_names(s, asked)))[:MAX_NAMES]
    found = [(name, article) for name in names
             if (article := _article(Hop(name, (name,)), passages, first, more)) is not None]
    found += [(p.doc.title, p) for p in linked_articles(passages, first, question)]
    best: tuple[float, str, Passage] | None = None
    for name, article in found:
        share = len(missing & vocabulary(_titled_text(article))) / len(missing)
        if best is None or share > best[0]:
            best = (share, name, article)
    if best is None or best[0] < least_score:
        return None
    share, name, article = best
    ranked = rank_sentences(question, [article], embedder)
    sentences = [" ".join(ranked[0].text.split())] if ranked else []
    return Bridge(name, article, tuple(dict.fromkeys(s for s in (*sentences, opening(article))
                                                     if s)), share)


def linked_articles(passages: Sequence[Passage], first: Sequence[Passage],
                    question: str = "") -> list[Passage]:
    """The retrieved passages whose title a passage of the first evidence holds (the college a
    biography says she taught at) or the question names as a name (the film "I Love You Too"
    when the first pick was its writer's biography), in retrieval order; not those under a
    first passage's own title, nor disambiguation pages."""
    seen = {bare_title(p) for p in first}
    return [p for p in passages if (title := bare_title(p)) and title not in seen
            and not lists_articles(p) and (any(title <= vocabulary(f.text) for f in first)
                 or names_as_a_name(question, p))]


def _titled_text(passage: Passage) -> str:
    return f"{passage.doc.title}\n{passage.text}"


def _article(hop: Hop, passages: Sequence[Passage], first: Sequence[Passage],
             more: Retriever | None) -> Passage | None:
    """The passage titled with the hop's name: among those retrieved, else retrieved by it."""
    for passage in passages:
        if titled(hop, passage, first):
            return passage
    return next((p for p in more(hop.query) if titled(hop, p, first)), None) if more else None
