"""The evidence a direct answer keeps: the passages it is drawn from and those leading to them.

A short answer's evidence gathers sentences from the first pick, its passage's opening, a second
hop and a linked article; an option's, a sentence per option. Once the direct answer is known, a
passage that neither holds it nor leads to a passage that does is no step from the question to
the answer. HotpotQA's distractors (chosen for resembling the question) are read that way:
"Stirling, South Australia" beside the railway station whose sentence says "Adelaide Hills", the
concept article "Portable media player" beside "The Apple iPod+HP ... distributed through HP",
"Page Cortez ... a Republican" for "Are Philip Cortez and Julian Castro democratic or
republican?". A passage leads to one kept when the question names it (its title, as a name), or
either names the other's title (an encyclopaedia's link), followed from every passage kept (a
comparison keeps the option not chosen and its director's passage). Replayed without a model on
session 15's runs (before this step): HotpotQA supporting precision 85.8 -> 88.7%, 2Wiki (session
14's run) 92.8 -> 95.6%, contains-answer unchanged on both; 2 of 2Wiki's 439 gold passages
cited were dropped. Only where titles name articles: file names and headlines link nothing.
"""

from __future__ import annotations

from qa.answer.evidence import bare_title, names_as_a_name
from qa.cite import vocabulary
from qa.records import Answer, Passage


def connected(answer: Answer) -> Answer:
    """`answer` with the evidence sentences of its short answer or option that cite no passage
    holding the direct answer or leading to one dropped (in place). Leading: named by the
    question, or linked by a title to a passage kept (so a comparison keeps the line of the
    option not chosen, and its director's passage). Other kinds, a direct answer no cited
    sentence holds word for word, and passages titled like no article are left as they are."""
    if answer.refused or answer.kind not in ("short", "options") or not answer.direct:
        return answer
    wanted = answer.direct.lower()
    cited = {c.number for s in answer.sentences if s.supported for c in s.citations}
    kept = {n for s in answer.sentences if s.supported for c in s.citations
            if wanted in _quote(answer, (n := c.number), c.span).lower()}
    if not kept or not _titles_name_articles(answer):
        return answer
    kept |= {n for n in cited if names_as_a_name(answer.question, answer.passages[n - 1])}
    while more := {n for n in cited - kept if any(
            _linked(answer.passages[n - 1], answer.passages[k - 1]) for k in kept)}:
        kept |= more
    answer.sentences = [s for s in answer.sentences
                        if not s.citations or any(c.number in kept for c in s.citations)]
    return answer


def _titles_name_articles(answer: Answer) -> bool:
    """Whether the passages read are titled like articles: the question names one of them, or
    one's text names another's title. File names and headlines name nothing ("notes-1.txt",
    "UN envoy meets ..."), and there no link can tell which passage leads to the answer's."""
    passages = answer.passages
    return any(names_as_a_name(answer.question, p) for p in passages) or any(
        _linked(one, other) for i, one in enumerate(passages) for other in passages[i + 1:])


def _quote(answer: Answer, number: int, span: tuple[int, int]) -> str:
    passage = answer.passages[number - 1]
    return " ".join(f"{passage.doc.title} {passage.text[span[0]:span[1]]}".split())


def _linked(one: Passage, other: Passage) -> bool:
    """Whether either passage's text holds the other's title (its parenthesis aside)."""
    return any(title and title <= vocabulary(text.text) for title, text in
               ((bare_title(one), other), (bare_title(other), one)))
