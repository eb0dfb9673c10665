"""The bridge article and the opening sentence: evidence a short answer's first pick leads to.

A multi-hop question's first evidence names the entity the question turns on ("Baby Driver
... stars Ansel Elgort, Kevin Spacey ..."), and in encyclopaedic text the fact asked sits in that
entity's own article, near its start. On the 258 HotpotQA questions kept apart from the
evaluation sample, the answer of 137 of the 208 short ones is in the opening sentence of a gold
paragraph and of 184 in its first two; the four passages retrieved for the question hold it for
only 128. A document's opening sentence that names its title says what the document is about
(an encyclopaedia's lead), so it joins the evidence of the passage it opens, and the article
titled with a name the evidence holds (retrieved already, or retrieved by that name) lends its
best sentence and its opening one.

No model reads the bridge: the 1.5B's choice among offered sentences adds nothing to their
ranking (docs/benchmarks.md, session 11), so the best sentence is the ranking's, and an article
is read only when that sentence matches the question well (`LINK_SCORE`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.answer.evidence import Hop, Retriever, bare_title, new_names, titled
from qa.answer.sentences import rank_sentences
from qa.cite import terms, vocabulary
from qa.records import Passage
from qa.text import split_sentences

if TYPE_CHECKING:
    from vectorstore.embedders import Embedder

# The least ranking score (qa/answer/sentences.py) of a linked article's best sentence. Tuned on
# the 208 held-out HotpotQA short questions, the ranking's top sentence standing in for the pick
# (`python bench/bridge_tune.py`): the evidence holds the answer / supporting precision with
# every link 40.4% / 72.7%, at 0.5 39.9 / 83.3, at 0.6 38.9 / 83.8, at 0.8 34.1 / 84.0, with none
# 26.0 / 82.7. 0.6 keeps precision within 0.2 points of its best for one point of the answers.
LINK_SCORE = 0.6
MAX_NAMES = 6  # names tried, in the order the evidence gives them (each may cost a retrieval)

Evidence = list[tuple[str, int]]  # (verbatim sentence, 1-based passage number)


@dataclass(frozen=True)
class Bridge:
    query: str  # the name whose article was read
    passage: Passage
    sentences: tuple[str, ...]  # its best sentence for the question, then its opening one
    score: float  # that best sentence's ranking score


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
    """The article of a name the evidence (or its passages' openings) holds and the question
    does not, whose best sentence matches the question best, if that scores at least
    `least_score`; None otherwise."""
    first = [passages[n - 1] for _, n in evidence]
    read = [s for s, _ in evidence] + [o for p in first if (o := opening(p))]
    asked = terms(question)
    names = list(dict.fromkeys(n for s in read for n in new_names(s, asked)))[:MAX_NAMES]
    best: tuple[float, str, Passage, str] | None = None
    for name in names:
        article = _article(Hop(name, (name,)), passages, first, more)
        if article is None:
            continue
        ranked = rank_sentences(question, [article], embedder)
        if ranked and (best is None or ranked[0].score > best[0]):
            best = (ranked[0].score, name, article, " ".join(ranked[0].text.split()))
    if best is None or best[0] < least_score:
        return None
    score, name, article, sentence = best
    return Bridge(name, article, tuple(dict.fromkeys(s for s in (sentence, opening(article))
                                                     if s)), score)


def _article(hop: Hop, passages: Sequence[Passage], first: Sequence[Passage],
             more: Retriever | None) -> Passage | None:
    """The passage titled with the hop's name: among those retrieved, else retrieved by it."""
    for passage in passages:
        if titled(hop, passage, first):
            return passage
    return next((p for p in more(hop.query) if titled(hop, p, first)), None) if more else None
