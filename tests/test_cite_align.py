"""The citation check's alignment (qa/align.py through qa/cite.py): each wrong fact below passed
the check before alignment (`BEFORE`: the same scores, no fact required in the aligned
sentences) and fails now; the true sentences beside them still pass."""

from __future__ import annotations

from datetime import date

import pytest

from qa import align, cite
from qa.records import Chunk, DocInfo, Passage

BEFORE = cite.Thresholds(fact_penalty=1.0)

ARTICLE = (
    "Chelsea beat Arsenal 2-1 at Stamford Bridge on Saturday. "
    "Quarterly profits at Time Warner rose 76% to $1.13bn for the three months to December. "
    "The club's chairman, Bruce Buck, said the board did not discuss a new stadium. "
    "Frank Lampard scored twice, and he was named man of the match. "
    "Ticket sales reached 200 million pounds in 2004, the club said. "
    "Roman Abramovich bought the club in 2003. Chelsea have won 20 of their 24 games."
)


def passages(text: str = ARTICLE) -> list[Passage]:
    doc = DocInfo(doc_id="c" * 20, title="Chelsea report", source="test",
                  published=date(2005, 1, 10), sha256="c" * 64)
    return [Passage(chunk=Chunk(doc_id=doc.doc_id, ordinal=0, text=text, start=0,
                                end=len(text)), doc=doc, score=1.0)]


def supported(claim: str, thresholds: cite.Thresholds = cite.DEFAULT_THRESHOLDS) -> bool:
    sentences = cite.attach_citations(claim, passages(), None, thresholds=thresholds)
    return bool(sentences) and all(s.supported for s in sentences)


WRONG = {
    # a name of another sentence of the same chunk
    "entity": "Frank Lampard bought the club in 2003.",
    # subject and object traded
    "role": "Arsenal beat Chelsea 2-1 at Stamford Bridge on Saturday.",
    # "20" is not "200"; a scale changed; a number of another sentence
    "number": "Ticket sales reached 20 million pounds in 2004, the club said.",
    "scale": "Ticket sales reached 200 billion pounds in 2004, the club said.",
    "year": "Roman Abramovich bought the club in 2004.",
    # a dropped "not"; an added one
    "negation dropped": "The club's chairman, Bruce Buck, said the board discussed a new stadium.",
    "negation added": "Frank Lampard did not score twice, and he was named man of the match.",
    # a swapped pronoun
    "pronoun": "Frank Lampard scored twice, and she was named man of the match.",
    "weekday": "Chelsea beat Arsenal 2-1 at Stamford Bridge on Sunday.",
}
RIGHT = [
    "Chelsea beat Arsenal 2-1 at Stamford Bridge on Saturday.",  # verbatim
    "Chelsea beat Arsenal at Stamford Bridge on Saturday.",
    "Profits at Time Warner rose 76 percent to $1.13bn in the three months to December.",
    "Bruce Buck, the club's chairman, said the board did not discuss a new stadium.",
    "Lampard was named man of the match after he scored twice.",
    "Ticket sales reached 200 million pounds in 2004.",
    "Abramovich bought the club in 2003.",
]


@pytest.mark.parametrize("kind", sorted(WRONG))
def test_wrong_fact_passed_before_and_fails_now(kind: str) -> None:
    claim = WRONG[kind]
    assert supported(claim, BEFORE), "the old check already caught it: not a regression case"
    assert not supported(claim)


@pytest.mark.parametrize("claim", RIGHT)
def test_true_sentences_and_paraphrases_pass(claim: str) -> None:
    assert supported(claim)


def test_a_claim_joining_two_sentences_aligns_to_both() -> None:
    claim = "Frank Lampard scored twice, and Roman Abramovich bought the club in 2003."
    assert supported(claim)
    [sentence] = cite.attach_citations(claim, passages(), None)
    assert sentence.citations and sentence.citations[0].number == 1


def test_failures_name_what_is_missing() -> None:
    span = "Ticket sales reached 200 million pounds in 2004, the club said."
    assert align.failures(align.claim_facts("Sales reached 20 million pounds."), span) == \
        ["number 20 million"]
    assert align.failures(align.claim_facts("Sales reached 200 million pounds."), span) == []
    assert align.failures(align.claim_facts("The club did not say so."),
                          "The club said so.") == ["negation"]


def test_pronoun_in_the_span_lets_the_sentence_before_name_the_subject() -> None:
    text = "Wang Yi met Antony Blinken on Dec 6. He said a cease-fire was the most urgent task."
    sentences = cite.attach_citations("Wang Yi said a cease-fire was the most urgent task.",
                                      passages(text), None)
    assert sentences[0].supported
    # without a pronoun to refer back, a name of the sentence before does not count
    text = "Wang Yi met Antony Blinken on Dec 6. Officials said a cease-fire was urgent."
    sentences = cite.attach_citations("Wang Yi said a cease-fire was urgent.",
                                      passages(text), None)
    assert not sentences[0].supported


@pytest.mark.parametrize(("claim", "verbatim"), [
    ("Chelsea beat Arsenal 2-1 at Stamford Bridge", True),
    ("chelsea  beat arsenal 2-1 at stamford bridge on saturday.", True),
    ("The club's chairman, Bruce Buck, said the board did", False),  # cut before its "not"
    ("Chelsea beat Arse", False),  # not at a word's end
    ("Chelsea beat Arsenal 3-1", False),
])
def test_verbatim(claim: str, verbatim: bool) -> None:
    assert align.is_verbatim(claim, ARTICLE) is verbatim
