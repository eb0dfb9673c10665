"""The evidence a short answer keeps: the passages it is drawn from and those that lead to them.

A short answer's evidence gathers sentences from the first pick, its passage's opening, a second
hop and a linked article. Once the direct answer is known, a passage that neither holds it nor
leads to a passage that does is no step from the question to the answer: HotpotQA's distractors
(chosen for resembling the question) are read that way: "Stirling, South Australia" beside the
railway station whose sentence says "Adelaide Hills", the concept article "Portable media player"
beside "The Apple iPod+HP ... distributed through HP". A passage leads to the answer's when the
question names it (its title, as a name), or one of the two names the other's title (an
encyclopaedia's link). On the 200-question HotpotQA sample (session 15's run, replayed without a
model) that drops 11 passages cited beside the answer, 9 of them no gold supporting paragraph,
and no answer loses the gold answer. Headlines link nothing: in a news store a short answer
keeps the passages holding it and those the question names.
"""

from __future__ import annotations

from qa.answer.evidence import bare_title, names_as_a_name
from qa.cite import vocabulary
from qa.records import Answer, Passage


def connected(answer: Answer) -> Answer:
    """`answer` with the evidence sentences of its short answer that cite no passage holding
    the direct answer or leading to one dropped (in place). Other kinds, and a short answer no
    cited sentence holds word for word, are left as they are."""
    if answer.refused or answer.kind != "short" or not answer.direct:
        return answer
    wanted = answer.direct.lower()
    holding = {c.number for s in answer.sentences if s.supported for c in s.citations
               if wanted in _quote(answer, c.number, c.span).lower()}
    if not holding:
        return answer
    sources = [answer.passages[n - 1] for n in holding]

    def kept(number: int) -> bool:
        passage = answer.passages[number - 1]
        return number in holding or names_as_a_name(answer.question, passage) \
            or any(_linked(passage, source) for source in sources)

    answer.sentences = [s for s in answer.sentences
                        if not s.citations or any(kept(c.number) for c in s.citations)]
    return answer


def _quote(answer: Answer, number: int, span: tuple[int, int]) -> str:
    passage = answer.passages[number - 1]
    return " ".join(f"{passage.doc.title} {passage.text[span[0]:span[1]]}".split())


def _linked(one: Passage, other: Passage) -> bool:
    """Whether either passage's text holds the other's title (its parenthesis aside)."""
    return any(title and title <= vocabulary(text.text) for title, text in
               ((bare_title(one), other), (bare_title(other), one)))
