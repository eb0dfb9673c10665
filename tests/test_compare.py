"""Comparisons: which questions compare two things, a line of evidence per thing (with the
relation's hop: the film's director, then the director's own passage), the years that decide a
comparison of time, a thing no passage is about refused, and the choice scored by its direct
answer in `qa eval answer` (the evidence of a choice names every option)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from articles import articles_index

from qa.answer.ask import AnswerOptions, ask
from qa.answer.chain import described_subjects
from qa.answer.compare import Comparison, Line, compared
from qa.answer.decide import by_time, same_place
from qa.answer.direct import options_of, question_kind
from qa.eval.answers import Item, Outcome, holds_answer
from qa.generators.base import Generator
from qa.generators.extractive import ExtractiveGenerator
from qa.records import Answer
from vectorstore.index import Index


@pytest.mark.parametrize(("question", "things"), [
    ("Who was born first, Chester Bennington or Mikael Stanne?",
     ["Chester Bennington", "Mikael Stanne"]),
    ("Which film has the director died later, Secret Things or All I Desire?",
     ["Secret Things", "All I Desire"]),
    ("Are the movies Ostitto and Hangor Nodi Grenade, from the same country?",
     ["Ostitto", "Hangor Nodi Grenade"]),
    ("Do director of film Invisible Ghost and director of film Africa Texas Style have the same "
     "nationality?", ["Invisible Ghost", "Africa Texas Style"]),
    ("Are Roger Waters and Tom Johnston both musicians?", ["Roger Waters", "Tom Johnston"]),
    # no comparison: nothing says what is compared, or nothing is compared
    ("What would not create a conflict between a problem X and problem C within the context "
     "of reduction?", []),
    ("Can BSkyB veto the presence of channels on their EPG?", []),
    ("Where was the director of Night Train born?", []),
])
def test_which_questions_compare_two_things(question: str, things: list[str]) -> None:
    kind = question_kind(question)
    assert compared(question, kind, options_of(question)) == things


def _lines(*sentences: str) -> Comparison:
    return Comparison([Line(f"thing {i}", [("A film.", i), (s, i)])
                       for i, s in enumerate(sentences, 1)], [])


@pytest.mark.parametrize(("question", "sentences", "chosen"), [
    ("Which film has the director born first, A or B?",
     ("Ann Roe (3 May 1950 – 1 June 1990) was a director.", "Bo Li (born 1931) is a director."),
     "B"),
    ("Which film has the director died later, A or B?",
     ("Ann Roe (3 May 1950 – 1 June 1990) was a director.",
      "Bo Li (1931–1985) was a director."), "A"),
    ("Which film came out first, A or B?",
     ("A is a 2012 film.", "B is a 2004 drama film."), "B"),
    ("Which film was released more recently, A or B?",
     ("A is a 1964 Italian film.", "B is a 1984 Soviet film."), "B"),
    # undecided: a year missing, a tie, nothing of time asked
    ("Who was born first, A or B?", ("Ann Roe is a director.", "Bo Li (born 1931)."), ""),
    ("Which film came out first, A or B?", ("A is a 2004 film.", "B is a 2004 film."), ""),
    ("Which band has more members, A or B?", ("A formed in 1990.", "B formed in 1980."), ""),
])
def test_a_comparison_of_time_is_decided_by_the_lines_years(
        question: str, sentences: tuple[str, str], chosen: str) -> None:
    assert by_time(question, ["A", "B"], _lines(*sentences)) == chosen


def _pair(a: Sequence[str], b: Sequence[str]) -> Comparison:
    """Two lines: a thing's sentence, then its person's (when given)."""
    return Comparison([Line(f"Thing{i}", [(s, i) for s in sentences])
                       for i, sentences in enumerate((a, b), 1)], [])


@pytest.mark.parametrize(("first", "second", "answer"), [
    (["Law is a 1949 American historical crime film directed by Lew Landers."],
     ["Pie is a 2011 French comedy-drama film directed by Cédric Klapisch."], "no"),
    (["Kathryn Jordan (born December 3, 1959) is a former American tennis player."],
     ["Sergi Bruguera is a former professional tennis player from Catalonia, Spain."], "no"),
    (["Samuel Langdon (1723 – 1797) was an American Congregational clergyman."],
     ["Emil Wcela is a retired American prelate of the Roman Catholic Church."], "yes"),
    (["The NTNU University Museum in Trondheim is one of seven Norwegian university museums."],
     ["Anno Museum in Hamar, Norway is a regional museum."], "yes"),
    (["The film is based on Farrar's novel Watch That Man."],
     ["Man on Wire is a 2008 British-American documentary film."], ""),
    (["Muzaffargarh railway station is situated at Muzaffargarh, Pakistan."],
     ["Raisan railway station is located in Pakistan."], "yes"),
    # the related person's sentence decides, not the film's
    (["Harun is a 1924 Austrian film directed by Michael Curtiz.",
      "Michael Curtiz was a Hungarian-born American film director."],
     ["Smoky is a 1948 American western film directed by Ray Nazarro.",
      "Ray Nazarro was an American film director."], "yes"),
    # Austrian is not Australian; a line naming no place leaves it to the model
    (["Anna is an Austrian painter."], ["Bea is an Australian painter."], "no"),
    (["Grenade is a 1997 film directed by Chashi Nazrul Islam."],
     ["Ostitto is a 2016 Bangladeshi drama film."], ""),
])
def test_the_same_country_is_decided_by_the_places_the_lines_name(
        first: list[str], second: list[str], answer: str) -> None:
    assert same_place("Are A and B from the same country?", _pair(first, second)) == answer
    assert same_place("Are A and B both films?", _pair(first, second)) == ""


def test_the_same_country_of_related_people_needs_their_own_sentences() -> None:
    films = _pair(["Harun is a 1924 Austrian film directed by Michael Curtiz."],
                  ["Smoky is a 1948 American western film directed by Ray Nazarro."])
    assert same_place("Are the directors of films A and B from the same country?", films) == ""
    assert same_place("Are the films A and B from the same country?", films) == "no"


FILMS = {
    "Tern Lights": "Tern Lights is a 1961 drama film directed by Oskar Vilde.",
    "Oskar Vilde": "Oskar Vilde (4 April 1902 – 9 May 1977) was a Danish film director and "
                   "writer. He was born in Odense and trained as a painter.",
    "Harbour Glass": "Harbour Glass is a 1958 comedy film directed by Lena Marsh and starring "
                     "Paul Orme.",
    "Lena Marsh": "Lena Marsh (born 12 June 1890) is an English director of stage and screen.",
    "Paul Orme": "Paul Orme (born 1921 in Leeds) was an English actor, born in Leeds.",
    "The Copper Gate": "The Copper Gate is a play by Mara Lind first staged in London in 1682.",
    "Mara Lind": "Mara Lind (14 December 1640 – 16 April 1689) was an English playwright and "
                 "poet. She died in Bath.",
    "Glass Tide": '"Glass Tide" is a song recorded by singer Nora Vale for her second studio '
                  'album, "Lanterns".',
    "Lanterns (Nora Vale album)": "Lanterns, the second studio album by Nora Vale, was "
                                  "released on 3 March 2012. It was recorded in Oslo.",
}


@pytest.fixture
def films_index(tmp_path: Path) -> Iterator[Index]:
    index = articles_index(tmp_path, FILMS)
    yield index
    index.close()


def _cited_titles(answer: Answer) -> set[str]:
    return {answer.passages[c.number - 1].doc.title for s in answer.sentences
            for c in s.citations}


@pytest.mark.model
@pytest.mark.parametrize("backend", ["extractive", "local"])
def test_a_comparison_through_a_relation_cites_each_films_director(
        films_index: Index, backend: str, request: pytest.FixtureRequest) -> None:
    """Each film's passage names its director; when each was born is in the director's own
    passage, which the hops reach; the years decide, with or without a model."""
    generator: Generator = ExtractiveGenerator() if backend == "extractive" else \
        request.getfixturevalue("small_local_generator")
    answer = ask(films_index, generator,
                 "Which film has the director born first, Tern Lights or Harbour Glass?",
                 AnswerOptions(k=2))
    assert not answer.refused, answer.withheld
    assert answer.kind == "options" and answer.direct == "Harbour Glass"  # the second option
    # both directors' birth sentences
    assert {"Oskar Vilde", "Lena Marsh"} <= _cited_titles(answer), answer.sentences
    assert any("Oskar Vilde" in q for q in answer.hops)
    assert any("Lena Marsh" in q for q in answer.hops)


@pytest.mark.model
def test_a_relation_question_follows_the_subject_to_the_person_it_names(
        films_index: Index, small_local_generator: Generator) -> None:
    """The film's passage names its director (and its star, after the director: the verb of
    the role asked decides); where the director was born is in his own passage."""
    answer = ask(films_index, small_local_generator,
                 "Where was the director of film Harbour Glass born?", AnswerOptions(k=2))
    assert not answer.refused, answer.withheld
    assert any("Lena Marsh" in q for q in answer.hops), answer.hops
    assert not any("Paul Orme" in q for q in answer.hops)
    assert {"Lena Marsh", "Harbour Glass"} <= _cited_titles(answer)
    answer = ask(films_index, small_local_generator,
                 "Where was the director of film Tern Lights born?", AnswerOptions(k=2))
    assert answer.direct == "Odense", (answer.direct, answer.sentences)
    assert {"Oskar Vilde", "Tern Lights"} <= _cited_titles(answer)


class _FirstOptionModel:
    """The real model, except that asked to choose between options it takes the first."""

    def __init__(self, model: Generator) -> None:
        self._model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def constrained_reply(self, messages: list[dict[str, str]], grammar: str,
                          choices: Sequence[str], max_tokens: int) -> str:
        return choices[0]


@pytest.mark.model
def test_a_choice_the_evidence_names_one_side_of_is_that_side(
        films_index: Index, small_local_generator: Generator) -> None:
    """Only "comedy" is in the evidence: a model that would say "musical" is not asked."""
    model = cast(Generator, _FirstOptionModel(small_local_generator))
    answer = ask(films_index, model, "Was Harbour Glass a musical or a comedy?",
                 AnswerOptions(k=2, verify=False))  # the 0.5B doubts (P 0.69): not tested here
    assert answer.kind == "options" and answer.direct == "comedy", (answer.direct,
                                                                   answer.withheld)
    assert "Harbour Glass" in _cited_titles(answer)


def test_a_thing_compared_that_no_passage_is_about_is_refused(films_index: Index) -> None:
    answer = ask(films_index, ExtractiveGenerator(),
                 "Which film came out first, Tern Lights or Quiet Orchard?", AnswerOptions(k=2))
    assert answer.refused and "Quiet Orchard" in answer.withheld


def test_a_choice_holds_the_answer_only_by_its_direct_answer() -> None:
    """The evidence of "A or B?" names both options: scoring its whole text would count every
    answered choice as right."""
    item = Item(id="q", question="Which came first, Alder or Birch?", answers=["Alder"])
    text = "Alder opened in 1901. [1] Birch opened in 1950. [2]"

    def outcome(direct: str, kind: str) -> Outcome:
        return Outcome(item=item, text=text, refused=False, cited=[1, 2], cited_with_gold=1,
                       gold_retrieved=True, sentences=2, supported=2, ttft=0.1, total=0.1,
                       direct=direct, kind=kind)

    right, wrong, sentence = outcome("Alder", "options"), outcome("Birch", "options"), \
        outcome(text, "open")
    assert holds_answer(right) and not holds_answer(wrong) and holds_answer(sentence)


def test_a_choice_is_judged_by_the_option_the_gold_answer_names() -> None:
    """HotpotQA's gold names the option in full: the option chosen is judged, not spelled."""
    item = Item(id="q", question="Who was born first, Chester Bennington or Mikael Stanne?",
                answers=["Bengt Mikael Stanne"])

    def chose(direct: str) -> bool:
        return holds_answer(Outcome(item=item, text=direct, refused=False, cited=[1],
                                    cited_with_gold=1, gold_retrieved=True, sentences=1,
                                    supported=1, ttft=0.1, total=0.1, direct=direct,
                                    kind="options"))

    assert chose("Mikael Stanne") and not chose("Chester Bennington")


@pytest.mark.parametrize(("question", "subjects"), [
    ('In what year did the playwright who wrote "The City Heiress" die?', ["The City Heiress"]),
    ("Where is the English punk rock band which Howard Devoto is the original singer of formed",
     ["Howard Devoto"]),
    ("In what year was the aviator in whose honour the Quai d'Auteuil was renamed born?",
     ["Quai d'Auteuil"]),
    # overlapping: "the nickname of the player who" holds "the player who"
    ("What was the nickname of the player who played his final season for the 2016 Miami "
     "Dolphins before dying in an accident?", ["2016 Miami Dolphins"]),
    ("What is the name of the king who ruled Normandy in 1066?", ["Normandy"]),
    # no bridge: the description is what is asked, a name, or asks before it names
    ("Who is the British explorer who partnered with Mike Stroud?", []),
    ("Which activist was known for the American Indian Movement which addresses racism?", []),
    ("Moonlight starred the actor who played whom on the remake of Hawaii Five-0?", []),
    ("Where was the director of film Night Train born?", []),
])
def test_a_description_names_the_subject_its_chain_starts_from(
        question: str, subjects: list[str]) -> None:
    assert described_subjects(question) == subjects


@pytest.mark.model
def test_a_description_is_followed_to_the_name_with_a_passage_of_its_own(
        films_index: Index, small_local_generator: Generator) -> None:
    """The play's passage names its writer, who has a passage of her own: that passage says
    when she died. Its sentences come first, then the play's that names her."""
    answer = ask(films_index, small_local_generator,
                 'In what year did the playwright who wrote "The Copper Gate" die?',
                 AnswerOptions(k=2))
    assert not answer.refused, answer.withheld
    assert any(q.startswith("Mara Lind") for q in answer.hops), answer.hops
    assert {"Mara Lind", "The Copper Gate"} <= _cited_titles(answer)
    assert "1689" in answer.sentences[0].text and "Copper Gate" in answer.sentences[-1].text
    assert answer.direct == "1689", (answer.direct, answer.sentences)


@pytest.mark.model
def test_a_retrieved_article_of_a_name_the_evidence_holds_is_read_first(
        films_index: Index, small_local_generator: Generator) -> None:
    """The song's sentence names its album, whose own passage (retrieved with the question,
    no hop needed) says when it was released."""
    answer = ask(films_index, small_local_generator,
                 '"Glass Tide" is a Nora Vale song from the album released on what date?',
                 AnswerOptions(k=4))
    assert not answer.refused, answer.withheld
    assert answer.hops == ["Lanterns"]
    assert {"Lanterns (Nora Vale album)", "Glass Tide"} <= _cited_titles(answer)
    assert "2012" in answer.direct, (answer.direct, answer.sentences)


POETS = {
    "Ivo Rant": "Ivo Rant (born 3 May 1939) was an American comic book writer from Ohio.",
    "Mina Holt": "Mina Holt is a writer, born first of three children, who married Ivo Rant "
                 "in 1983.",
    "Dena Sorel": "Dena Sorel (24 October 1923 – 1997) was a British-born poet.",
    "Harbour Lines": "Harbour Lines is a magazine that printed poems by Dena Sorel, born "
                     "first in her family to write.",
}


@pytest.mark.parametrize("k", [4, 2])
def test_a_thing_compared_is_read_in_its_own_article(tmp_path: Path, k: int) -> None:
    """Mina Holt's passage names her husband and the question's words; when he was born is in
    his own article, read when it was retrieved (k=4) and retrieved for when not (k=2)."""
    index = articles_index(tmp_path, POETS)
    try:
        answer = ask(index, ExtractiveGenerator(),
                     "Who was born first, Ivo Rant or Dena Sorel?", AnswerOptions(k=k))
    finally:
        index.close()
    assert not answer.refused, answer.withheld
    assert _cited_titles(answer) == {"Ivo Rant", "Dena Sorel"}, answer.sentences
    assert answer.direct == "Dena Sorel"


def test_of_two_own_articles_the_one_the_question_qualifies_is_read(tmp_path: Path) -> None:
    """"Tern (album)" is titled with the band's name too; the question asks about a band."""
    index = articles_index(tmp_path, {
        "Tern (album)": "Tern is an album by the band Tern, whose first single was formed "
                        "in 1990 from demos.",
        "Tern": "Tern is a band formed in 1998 in Oslo.",
        "Vale": "Vale is a band formed in 1995 in Bergen."})
    try:
        answer = ask(index, ExtractiveGenerator(), "Which band was formed first, Tern or Vale?",
                     AnswerOptions(k=4))
    finally:
        index.close()
    assert _cited_titles(answer) == {"Tern", "Vale"}, answer.sentences
    assert answer.direct == "Vale"
