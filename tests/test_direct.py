"""The direct answer (qa/answer/direct.py): what a question asks for, the grammar that holds a
model's short answer to the evidence, the no-model answer, and the grounding check."""

from __future__ import annotations

import re

import pytest

from qa.answer.asked import untimely
from qa.answer.direct import (
    grounding_problem,
    heuristic_answer,
    matched_option,
    only_named,
    options_of,
    question_kind,
    span_grammar,
)

EVIDENCE = ["Baby Driver is a 2017 film directed by Edgar Wright.",
            "It stars Ansel Elgort, Kevin Spacey, and Jamie Foxx."]


@pytest.mark.parametrize(("question", "kind"), [
    ("Summarise the phone call.", "summary"),
    ("What did Wang say about Taiwan?", "open"),
    ("What did Wang Yi say is the most urgent task?", "short"),
    ("Why did the talks fail?", "open"),
    ("Are Centaurium and Dacrydium both genuses of plant species?", "yesno"),
    ("Who was born first, Arthur Conan Doyle or Penelope Lively?", "options"),
    ("Between Harvey Pekar and Denise Levertov who was born earlier?", "options"),
    ("Who died on Nov 29?", "short"),
    ("How many people live in Warsaw?", "short"),
])
def test_question_kinds(question: str, kind: str) -> None:
    assert question_kind(question) == kind


def test_options_are_read_from_both_forms() -> None:
    assert options_of("Which film has the director who died later, The More The Merrier or "
                      "Sleep, My Love?") == ["The More The Merrier", "Sleep, My Love"]
    assert options_of("Between Harvey Pekar and Denise Levertov who was born earlier?") == \
        ["Harvey Pekar", "Denise Levertov"]
    assert options_of("Who died on Nov 29?") == []


@pytest.mark.parametrize("question,options", [
    # no comma before the first option: the names either side of "or"
    ("Who was born first David Draiman or Terry Kath?", ["David Draiman", "Terry Kath"]),
    ("Was Pennsylvania State University or University of California, San Francisco founded "
     "first?", ["Pennsylvania State University", "University of California, San Francisco"]),
    ("Which documentary Hacking Democracy or The Memory of Justice was produced first ?",
     ["Hacking Democracy", "The Memory of Justice"]),
    ("Did Franki Valli sing with Hellogoodbye or the Four Seasons?",
     ["Hellogoodbye", "Four Seasons"]),
    # a yes/no frame ending on a choice of words
    ("Is the output of a functional problem typically characterized by a simple or complex "
     "answer?", ["simple", "complex"]),
    ("Are Philip Cortez and Julian Castro democratic or republican?",
     ["democratic", "republican"]),
    # options set off by commas, the question going on after them; a title's comma stays
    ("Which director, Chris O'Dea or Lucky McKee,  is a Master of Fine Arts graduate of the "
     "UCLA School of Theater, Film and Television?", ["Chris O'Dea", "Lucky McKee"]),
    ("Which band, A Silent Film or The Frames, has more members?", ["A Silent Film", "The Frames"]),
    ("Which film has the director who died later, The More The Merrier or Sleep, My Love?",
     ["The More The Merrier", "Sleep, My Love"]),
    # "or" and "between" that offer no choice
    ("What machine does not define BQP or QMA?", []),
    ("What often affects or facilitates ease of analysis in computational problems?", []),
    ("Do both Adventist World and Girls' Life have a headquarter or editor based in Maryland?",
     []),
    ("What Norman law was developed between 1000 and 1300?", []),
    ("What are two complexity classes between L and P?", []),
    ("Are Stealing Harvard and Between Day And Night from the same country?", []),
])
def test_options_where_the_question_runs_into_them(question: str, options: list[str]) -> None:
    assert options_of(question) == options


def _admits(grammar: str, reply: str) -> bool:
    """Whether the grammar's language holds `reply`, by walking its word-chain rules (the
    grammar is only alternatives of literals and `(sep " " next)?` continuations)."""
    rules = dict(line.split(" ::= ", 1) for line in grammar.strip().splitlines())
    literal = re.compile(r'"((?:[^"\\]|\\.)*)"')

    def walk(rule: str, rest: str) -> bool:
        body = rules[rule]
        head = literal.match(body)
        assert head
        word = head.group(1)
        if not rest.startswith(word):
            return False
        rest = rest[len(word):]
        if not rest:
            return True
        more = re.search(r'\((?:"([^"]*)" )?" " (\w+)\)\?$', body)
        if not more:
            return False
        sep = (more.group(1) or "") + " "
        return rest.startswith(sep) and walk(more.group(2), rest[len(sep):])

    starts = rules["root"].split(" | ")
    if any(literal.fullmatch(s) and literal.fullmatch(s).group(1) == reply  # type: ignore[union-attr]
           for s in starts):
        return True
    return any(not literal.fullmatch(s) and walk(s, reply) for s in starts)


def test_the_grammar_admits_spans_of_the_evidence_and_nothing_else() -> None:
    grammar = span_grammar("short", EVIDENCE, [])
    for span in ("Kevin Spacey", "Edgar Wright", "2017", "Ansel Elgort, Kevin Spacey",
                 "Baby Driver is a 2017 film directed by Edgar Wright"):
        assert _admits(grammar, span), span
    for other in ("Kevin Bacon", "Spacey Kevin", "yes", "Wright."):
        assert not _admits(grammar, other), other


def test_a_span_does_not_start_on_the_question_s_own_words() -> None:
    grammar = span_grammar("short", EVIDENCE, [], "Who directed the film Baby Driver?")
    assert _admits(grammar, "Edgar Wright") and _admits(grammar, "2017 film")
    assert not _admits(grammar, "Baby Driver") and not _admits(grammar, "Driver")


def test_the_grammar_for_options_and_yes_no_is_exactly_them() -> None:
    options = ["Arthur Conan Doyle", "Penelope Lively"]
    assert _admits(span_grammar("options", EVIDENCE, options), "Penelope Lively")
    assert not _admits(span_grammar("options", EVIDENCE, options), "Kevin Spacey")
    assert _admits(span_grammar("yesno", EVIDENCE, []), "no")
    assert not _admits(span_grammar("yesno", EVIDENCE, []), "maybe")


def test_grammar_literals_escape_quotes() -> None:
    grammar = span_grammar("short", ['A 5"x7" print and a back\\slash.'], [])
    assert '"5\\"x7"' in grammar  # quote escaped
    assert '"back\\\\slash"' in grammar


def test_grounding() -> None:
    assert grounding_problem("Kevin Spacey", "short", EVIDENCE, []) == ""
    assert "bacon" in grounding_problem("Kevin Bacon", "short", EVIDENCE, [])
    assert "2018" in grounding_problem("2018", "short", EVIDENCE, [])
    assert grounding_problem("anything", "short", [], []) != ""  # no evidence, no answer
    options = ["Arthur Conan Doyle", "Penelope Lively"]
    assert grounding_problem("Penelope Lively", "options", EVIDENCE, options) == ""
    assert "not one of the options" in grounding_problem("Jane Austen", "options", EVIDENCE,
                                                         options)
    assert grounding_problem("Yes", "yesno", EVIDENCE, []) == ""
    assert grounding_problem("perhaps", "yesno", EVIDENCE, []) != ""


def test_the_one_option_the_evidence_names_is_the_answer() -> None:
    """SQuAD 2.0: "... characterized by a simple or complex answer?" and the evidence says "more
    complex"; the 1.5B chose "simple"."""
    evidence = ["Computational complexity theory: the output is more complex than that of a "
                "decision problem"]
    assert only_named(["simple", "complex"], evidence) == "complex"
    # both named (a comparison's lines) or neither: the evidence does not decide
    assert only_named(["Ansel Elgort", "Kevin Spacey"], EVIDENCE) == ""
    assert only_named(["Jane Austen", "Penelope Lively"], EVIDENCE) == ""


def test_the_option_whose_evidence_holds_the_question_s_words_is_the_answer() -> None:
    """Both options are named, but only one's sentence says what is asked: that one, when it
    holds at least two more of the question's words; never for a comparison, whose deciding
    word ("first") neither sentence holds."""
    evidence = ["Lev Yashin: Lev Ivanovich Yashin, nicknamed the \"Black Spider\", was a Soviet "
                "football goalkeeper.",
                "Turgay Şeren: Turgay Sabit Şeren was the former goalkeeper of Galatasaray."]
    options = ["Turgay Şeren", "Lev Yashin"]
    question = 'Which goalkeeper was nicknamed the "Black Spider", Turgay Şeren or Lev Yashin?'
    assert matched_option(question, options, evidence) == "Lev Yashin"
    assert matched_option("Which goalkeeper played for Galatasaray, Turgay Şeren or Lev "
                          "Yashin?", options, evidence) == ""  # one word more only
    assert matched_option("Which goalkeeper was born first, Turgay Şeren or Lev Yashin?",
                          options, evidence) == ""


def test_a_number_is_grounded_as_the_whole_word() -> None:
    """SQuAD 2.0: "1920s" was withheld for its "1920", "DTIME(n2" for the "2" of "n2"."""
    decade = ["Since the 1920s, motion pictures have been major industries."]
    assert grounding_problem("1920s", "short", decade, []) == ""
    assert "1930s" in grounding_problem("1930s", "short", decade, [])
    classes = ["Although DTIME(n) is contained in DTIME(n2), it would be interesting."]
    assert grounding_problem("DTIME(n2", "short", classes, []) == ""


def test_the_no_model_answer_takes_the_kind_asked_for() -> None:
    assert heuristic_answer("When was Baby Driver released?", "short", EVIDENCE, []) == "2017"
    assert heuristic_answer("Who directed Baby Driver?", "short", EVIDENCE, []) == \
        "Edgar Wright"
    assert heuristic_answer("Who was born first, Kevin Spacey or Jane Austen?", "options",
                            EVIDENCE, ["Kevin Spacey", "Jane Austen"]) == "Kevin Spacey"


@pytest.mark.parametrize(("short", "question", "misplaced"), [
    ("37", "What is the problem attributed to defining if two graphs are isomorphic?", True),
    ("17", "When were the Normans in Normandy?", True),  # not in the evidence: the title's
    ("911", "When did the Normans reach Normandy?", False),
    ("3", "How many counties are there?", False),
    ("23", "How many metropolitan areas are there?", True),
    ("Rollo", "Who led the Normans?", False),
])
def test_a_bare_number_must_be_asked_for_and_held_by_the_evidence(
        short: str, question: str, misplaced: bool) -> None:
    from qa.answer.asked import misplaced_number

    evidence = ["In 911 the Normans reached Normandy under Rollo, and held its 3 counties."]
    assert misplaced_number(short, question, evidence) is misplaced


@pytest.mark.parametrize(("short", "question", "untimely_"), [
    ("reputation", "... from the album scheduled to be released on what date?", True),
    ("Big Machine", "How many albums did she release?", True),
    ("November 10, 2017", "When was it released?", False),
    ("953", "When did his father die?", False),
    ("three singles titles", "How many more titles did he win?", False),
    ("Reputation", "Which album is the song from?", False),
    # a name is asked for, though "when" is in the question
    ("Oursel", "Who was the leader when the Franks entered the valley?", False),
    ("the sixties", "She has been a model since when?", True),
])
def test_a_when_or_how_many_answer_must_hold_a_time_or_number(
        short: str, question: str, untimely_: bool) -> None:
    assert untimely(short, question) is untimely_
