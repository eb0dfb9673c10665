"""The reading judge (qa/judge.py) through the real 0.5B model (tests/llm_fixtures.py): P(Yes)
from one prompt evaluation, asked only for supported sentences that are not verbatim."""

from __future__ import annotations

from datetime import date

import pytest

from qa import cite
from qa.generators.local_backend import LocalGenerator
from qa.judge import ReadingJudge, reading_judge
from qa.records import Chunk, DocInfo, Passage

SPAN = "Quarterly profits at Time Warner rose 76% to $1.13bn for the three months to December."
TEXT = SPAN + " The firm is now one of the biggest investors in Google."
TRUE = "Time Warner's quarterly profits rose 76 percent in the three months to December."
# every name and number kept, the verb turned round: words cannot see it, reading can
FALSE = "Time Warner's quarterly profits fell 76 percent in the three months to December."


def passages() -> list[Passage]:
    doc = DocInfo(doc_id="t" * 20, title="Time Warner results", source="test",
                  published=date(2005, 1, 10), sha256="t" * 64)
    return [Passage(chunk=Chunk(doc_id=doc.doc_id, ordinal=0, text=TEXT, start=0,
                                end=len(TEXT)), doc=doc, score=1.0)]


@pytest.fixture
def judge(small_local_generator: LocalGenerator) -> ReadingJudge:
    found = reading_judge(small_local_generator)
    assert found is not None
    return found


def test_reading_tells_a_turned_verb_from_the_fact(judge: ReadingJudge) -> None:
    right, wrong = judge.probability(SPAN, TRUE), judge.probability(SPAN, FALSE)
    assert right is not None and wrong is not None
    assert 0.0 <= wrong < right <= 1.0
    assert right - wrong > 0.2


def test_words_pass_the_turned_verb_and_the_judge_stops_it(
        small_local_generator: LocalGenerator) -> None:
    [plain] = cite.attach_citations(FALSE, passages(), None)
    assert plain.supported  # alignment alone: every fact is there
    judge = ReadingJudge(small_local_generator, threshold=0.45)
    [read] = cite.attach_citations(FALSE, passages(), None, judge=judge)
    assert not read.supported and judge.calls == 1
    [kept] = cite.attach_citations(TRUE, passages(), None, judge=judge)
    assert kept.supported and judge.calls == 2


def test_verbatim_sentences_skip_the_judge(small_local_generator: LocalGenerator) -> None:
    judge = ReadingJudge(small_local_generator, threshold=0.99)  # would veto nearly anything
    [s] = cite.check(f"{SPAN} [1]", passages(), None, judge=judge)
    assert s.supported and judge.calls == 0


def test_backends_without_probabilities_get_no_judge() -> None:
    from qa.generators.extractive import ExtractiveGenerator

    assert reading_judge(ExtractiveGenerator()) is None
