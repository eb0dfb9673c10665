"""A short answer of the wrong kind is no answer (qa/answer/asked.py): "Who ...?" answered with
no name, or a "when" / "how many" question whose evidence holds no time or number beyond the
question's own, is withheld, not shown as if the evidence answered it."""

from __future__ import annotations

import pytest
from articles import articles_fixture
from scripted import ScriptedSpans

from qa.answer.ask import AnswerOptions, ask
from qa.answer.asked import missing_kind, nameless
from qa.generators.extractive import ExtractiveGenerator
from qa.refusal import NOT_IN_DOCUMENTS
from vectorstore.index import Index

ARTICLES = {
    "Cosmos (band)": "Cosmos was a Latvian a cappella band that formed in Riga in 2002. "
                     "Its six singers recorded four albums.",
    "Bass (voice type)": "The bass voice has the lowest vocal range of all voice types.",
}

index = articles_fixture(ARTICLES)


@pytest.mark.parametrize(("short", "question", "no_one"), [
    ("bass", "Who had the lowest vocal range in Cosmos?", True),
    ("Jānis Strazdiņš", "Who had the lowest vocal range in Cosmos?", False),
    ("the 3rd Baronet", "Whom did he succeed?", False),  # a number names someone too
    ("romance", "What genre did the writer whose novel was filmed write?", False),
    ("bass", "...who had the lowest range?", True),
])
def test_an_answer_to_who_must_name_someone(short: str, question: str, no_one: bool) -> None:
    assert nameless(short, question) is no_one


@pytest.mark.parametrize(("question", "evidence", "missing"), [
    ("When was Cosmos formed?", ["Cosmos is a band from Riga."], "time"),
    ("When was Cosmos formed?", ["Cosmos formed in 2002."], ""),
    ("When was Cosmos formed?", ["Cosmos formed in the 20th century."], ""),
    ("In what year did the band form?", ["It formed in May."], ""),
    # the question's own number is no answer to it
    ("The 2011 team played in a conference with how many members?",
     ["The 2011 team represented the university in the 2011 season."], "number"),
    ("How many albums did Cosmos record?", ["Its six singers recorded four albums."], ""),
    ("What percentage of farmland grows wheat?", ["A quarter of farmland grows crops."], ""),
    # "how much" is answered in words ("vast areas"), and a name wanted "when" is no time
    ("How much of the state is undeveloped?", ["It has vast undeveloped areas."], ""),
    ("Who was the leader when the Franks arrived?", ["Oursel led them."], ""),
    ("She has been a model since when?", ["She has modelled for the brand."], "time"),
])
def test_a_time_or_number_asked_for_must_be_in_the_evidence(
        question: str, evidence: list[str], missing: str) -> None:
    assert missing_kind(question, evidence) == missing


def _replying(short: str) -> ScriptedSpans:
    """A model that picks the first sentence offered and answers `short`."""
    return ScriptedSpans(short, answer_style="pick", probabilities=[0.0, 1.0])


def test_who_answered_with_no_name_is_withheld(index: Index) -> None:
    question = "Who had the lowest vocal range in Cosmos?"
    answer = ask(index, _replying("bass"), question, AnswerOptions(k=2, verify=False))
    assert answer.refused and answer.sentences[0].text == NOT_IN_DOCUMENTS
    assert "'bass' names no one" in answer.withheld
    named = ask(index, _replying("Riga"), question, AnswerOptions(k=2, verify=False))
    assert not named.refused and named.direct == "Riga"


def test_a_when_question_the_evidence_holds_no_time_for_is_withheld(index: Index) -> None:
    answer = ask(index, ExtractiveGenerator(), "When did Cosmos record its albums?",
                 AnswerOptions(k=2))
    assert answer.refused
    assert answer.withheld == "the evidence holds no time, which the question asks for"
    dated = ask(index, ExtractiveGenerator(), "When was Cosmos formed in Riga?",
                AnswerOptions(k=2))
    assert not dated.refused and dated.direct == "2002"
