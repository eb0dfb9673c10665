"""qa.text sentence spans: hard-wrapped text (wire copy, PDFs) against one paragraph a line."""

from __future__ import annotations

from qa.records import Answer, Sentence
from qa.render import answer_markdown, answer_text
from qa.text import hard_wrapped, split_sentences

# Reuters-21578 style: lines broken at a width, paragraphs indented, a table after a blank line
WIRE = """\
Comissaria Smith said spot bean prices rose
to 340 to 350 cruzados per arroba of 15 kilos, while butter
rose 0.50 to
1.50 dlr, the usda said. Standard Oil Co.
Plc said it would form a venture to manage money market
borrowing and investment activities of both companies.
    The venture will be called BP/Standard Financial Trading
and will be run by Standard Oil

Shr 34 cts vs 1.19 dlrs
- Net 807,000 vs 2,858,000
- Assets 510.2 mln vs 479.7 mln"""

NEWS = """\
Wang Yi holds phone talks with Blinken
Chinese Foreign Minister Wang Yi held a phone call with U.S. Secretary of State Antony Blinken \
on Wednesday at the request of the U.S. side, the ministry said in a statement
He reiterated Beijing's firm position on the Taiwan question. Both sides agreed to keep talking.
Related coverage"""


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def test_hard_wrapped_text_ends_sentences_at_full_stops_and_paragraphs_not_at_lines() -> None:
    assert hard_wrapped(WIRE)
    got = sentences(WIRE)
    assert got[:2] == [
        "Comissaria Smith said spot bean prices rose\nto 340 to 350 cruzados per arroba of 15 "
        "kilos, while butter\nrose 0.50 to\n1.50 dlr, the usda said.",
        # "Co." is an abbreviation, the line break after it no sentence end
        "Standard Oil Co.\nPlc said it would form a venture to manage money market\nborrowing "
        "and investment activities of both companies."]
    # an indented line and a blank line end a paragraph (and its sentence); list items stand alone
    assert got[2:] == ["The venture will be called BP/Standard Financial Trading\nand will be run "
                       "by Standard Oil", "Shr 34 cts vs 1.19 dlrs",
                       "- Net 807,000 vs 2,858,000", "- Assets 510.2 mln vs 479.7 mln"]


def test_one_paragraph_a_line_keeps_every_line_break_as_a_sentence_end() -> None:
    """A headline, a paragraph with no full stop and a trailing link line: each line is its own
    sentence, as before wrapped text was read."""
    assert not hard_wrapped(NEWS)
    got = sentences(NEWS)
    assert got[0] == "Wang Yi holds phone talks with Blinken"
    assert got[1].endswith("the ministry said in a statement")
    assert got[2:] == ["He reiterated Beijing's firm position on the Taiwan question.",
                       "Both sides agreed to keep talking.", "Related coverage"]


def test_a_few_lines_or_a_list_are_not_taken_for_wrapped_text() -> None:
    assert not hard_wrapped("Shopping\n- apples\n- pears and plums\n- bread")
    assert not hard_wrapped("One line only, no full stop")
    assert not hard_wrapped("")


def test_a_wrapped_sentence_is_shown_on_one_line() -> None:
    """Its span still indexes the stored text with the line breaks; plain and markdown output
    show it as one line."""
    quote = sentences(WIRE)[0]
    answer = Answer("What did butter rise to?", [Sentence(quote)], [], "test",
                    direct="1.50\ndlr", kind="short")
    plain = answer_text(answer).plain
    assert plain.splitlines() == ["1.50 dlr", "  " + " ".join(quote.split())]
    assert "\n" not in answer_markdown(answer).split("\n\n", 1)[1]
