"""The evidence a direct answer keeps: the passages it is drawn from and those leading to them.

A short answer's evidence gathers sentences from the first pick, its passage's opening, a second
hop and a linked article; an option's, a sentence per option. Once the direct answer is known, a
passage that neither holds it nor leads to a passage that does is no step from the question to
the answer. HotpotQA's distractors (chosen for resembling the question) are read that way:
"Stirling, South Australia" beside the railway station whose sentence says "Adelaide Hills", the
concept article "Portable media player" beside "The Apple iPod+HP ... distributed through HP",
"Page Cortez ... a Republican" for "Are Philip Cortez and Julian Castro democratic or
republican?". A passage leads to one kept when the question names it (its title as a name, or
every word of its title among the question's capitalised words), or either passage's text
names the other's title as a name (an encyclopaedia's link), followed from every passage kept
(a comparison keeps the option not chosen and its director's passage). Only where titles name
articles (a passage opens by naming its title, or the question or a link names one): file
names and headlines link nothing, and there nothing is dropped. Replayed without a model on the
evidence of session 15's runs (docs/benchmarks.md, session 15): HotpotQA supporting precision
85.8 -> 89.3% and 89.0 -> 89.7% (two runs), 2Wiki 92.8 -> 95.6%, contains-answer unchanged on
all three; 2 of 2Wiki's 439 gold passages cited were dropped.
"""

from __future__ import annotations

import re

from qa.answer.bridge import opening
from qa.answer.evidence import bare_title, lists_articles, names_as_a_name
from qa.cite import terms
from qa.records import Answer, Passage


def connected(answer: Answer) -> Answer:
    """`answer` with the evidence sentences of its short answer or option that cite no passage
    holding the direct answer or leading to one dropped (in place). Leading: named by the
    question, or linked by a title to a passage kept (so a comparison keeps the line of the
    option not chosen, and its director's passage). Other kinds, a direct answer no cited
    sentence holds word for word, and passages titled like no article are left as they are."""
    if answer.refused or answer.kind not in ("short", "options") or not answer.direct:
        return answer
    # the answer as words ("Brazil" is not held by "Brazilian forces")
    wanted = re.compile(rf"(?<!\w){re.escape(' '.join(answer.direct.split()))}(?!\w)", re.I)
    cited = {c.number for s in answer.sentences if s.supported for c in s.citations}
    kept = {n for s in answer.sentences if s.supported for c in s.citations
            if wanted.search(_quote(answer, (n := c.number), c.span))}
    if not kept or not _titles_name_articles(answer):
        return answer
    kept |= {n for n in cited if _named(answer.question, answer.passages[n - 1])}
    while more := {n for n in cited - kept if any(
            _linked(answer.passages[n - 1], answer.passages[k - 1]) for k in kept)}:
        kept |= more
    answer.sentences = [s for s in answer.sentences
                        if not s.citations or any(c.number in kept for c in s.citations)]
    return answer


def _titles_name_articles(answer: Answer) -> bool:
    """Whether the passages read are titled like articles: one opens by naming its title (an
    encyclopaedia's lead), the question names one, or one's text names another's title. File
    names and headlines name nothing ("notes-1.txt", "UN envoy meets ..."), and there no link
    can tell which passage leads to the answer's."""
    passages = answer.passages
    return any(opening(p) for p in passages) \
        or any(names_as_a_name(answer.question, p) for p in passages) \
        or any(_linked(one, other) for i, one in enumerate(passages) for other in passages[i + 1:])


# a capitalised word, or a number: the words a question names things with
_CAPITALISED = re.compile(r"(?<![\w'’])[A-Z0-9][\w'’.\-]*")


def _named(question: str, passage: Passage) -> bool:
    """Whether the question names the passage's article: its title as a name, or every word
    of the title among the question's capitalised words ("Charles Hoy Fort" names "Charles
    Fort"; "Nekeshia Shiondrail Henderson", "Nekeshia Henderson")."""
    if names_as_a_name(question, passage):
        return True
    title = bare_title(passage)
    named = terms(" ".join(m.group() for m in _CAPITALISED.finditer(question)))
    return bool(title) and title <= named and not lists_articles(passage)


def _quote(answer: Answer, number: int, span: tuple[int, int]) -> str:
    passage = answer.passages[number - 1]
    return " ".join(f"{passage.doc.title} {passage.text[span[0]:span[1]]}".split())


def _linked(one: Passage, other: Passage) -> bool:
    """Whether either passage's text names the other's title as a name: "The film stars Tyler
    Posey" links "Tyler Posey"; "a cameo appearance by Mike Farrell" is no link to the article
    "Cameo appearance"."""
    return names_as_a_name(other.text, one) or names_as_a_name(one.text, other)
