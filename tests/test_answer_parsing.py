"""How a model's quote-first reply becomes the text the citation check sees."""

from __future__ import annotations

from qa.answer.ask import answer_from_quote, split_quote_first
from qa.records import Chunk, DocInfo, Passage

TEXT = ("Wang said the most urgent task is to achieve an immediate cease-fire in Gaza. "
        "Wang emphasized that any solution must adhere to the two-state solution.")


def passage(text: str = TEXT) -> Passage:
    doc = DocInfo(doc_id="d", title="t", source="s", published=None, sha256="x")
    return Passage(chunk=Chunk("d", 0, text, 0, len(text)), doc=doc, score=1.0)


def test_answer_line_is_kept_and_inherits_the_quote_number() -> None:
    text, quotes = split_quote_first('Quote [2]: "the bridge cost 42"\nAnswer: It cost 42.')
    assert quotes == [(2, "the bridge cost 42")]
    assert text == "It cost 42. [2]"


def test_own_markers_win_and_filler_phrases_go() -> None:
    text, _ = split_quote_first('Quote [1]: "x"\nAnswer: He died on Nov 29, according to '
                                'the passage [2].')
    assert text == "He died on Nov 29 [2]."


def test_refusal_and_plain_replies_pass_through() -> None:
    assert split_quote_first("I could not find this in your documents.")[0] == \
        "I could not find this in your documents."
    assert split_quote_first("The bridge opened [1].") == ("The bridge opened [1].", [])


def test_an_answer_that_drifted_from_its_quote_is_replaced_by_the_quoted_sentence() -> None:
    drifted = "Wang emphasized that any solution must adhere to the two-state solution. [1]"
    quotes = [(1, "the most urgent task is to achieve an immediate cease-fire in Gaza")]
    fixed = answer_from_quote(drifted, quotes, [passage()])
    assert fixed == ("Wang said the most urgent task is to achieve an immediate cease-fire in "
                     "Gaza. [1]")


def test_an_answer_that_matches_its_quote_is_left_alone() -> None:
    answer = "The most urgent task is an immediate cease-fire in Gaza. [1]"
    quotes = [(1, "the most urgent task is to achieve an immediate cease-fire in Gaza")]
    assert answer_from_quote(answer, quotes, [passage()]) == answer


def test_a_quote_not_in_its_passage_changes_nothing() -> None:
    answer = "Something else entirely. [1]"
    assert answer_from_quote(answer, [(1, "words that appear nowhere")], [passage()]) == answer
    assert answer_from_quote(answer, [(7, "cease-fire in Gaza")], [passage()]) == answer


def test_off_topic_needs_both_signals_to_fail() -> None:
    from qa.answer.ask import off_topic_reason

    p = passage("Henry Kissinger died on Nov 29 at the age of 100.")
    p.dense_score = 0.16  # short questions score low against long chunks...
    assert off_topic_reason("Who died on Nov 29?", [p], 0.3, 0.7) == ""  # ...but share words
    reason = off_topic_reason("What is the capital of Peru?", [p], 0.3, 0.7)
    assert "no passage is close" in reason
    p.dense_score = 0.5
    assert off_topic_reason("What is the capital of Peru?", [p], 0.3, 0.7) == ""
