"""A short answer keeps the evidence passages it is drawn from and those leading to them
(qa/answer/connected.py): a passage neither holding the answer, nor named by the question, nor
linked to the answer's passage by a title is no step from the question to the answer."""

from __future__ import annotations

from pathlib import Path

from articles import articles_fixture, articles_index

from qa.answer.connected import connected
from qa.records import Answer, Citation, Passage, Sentence
from qa.retrieve import retrieve
from vectorstore.index import Index

ARTICLES = {
    "Glass Tide": '"Glass Tide" is a song recorded by the singer Nora Vale in 2011.',
    "Nora Vale": "Nora Vale (born 4 May 1980 in Bergen) is a Norwegian singer.",
    "Harbour Lights": "Harbour Lights is a song recorded in 2011 by a singer from Oslo.",
    "Portable music player": "A portable music player is a device that stores and plays songs.",
}

index = articles_fixture(ARTICLES)


def _answer(index: Index, question: str, direct: str, titles: list[str],
            articles: dict[str, str] = ARTICLES) -> Answer:
    """An answer whose evidence is the whole text of each titled passage, cited in turn."""
    passages: list[Passage] = []
    for title in titles:
        passages += [p for p in retrieve(index, articles[title], k=4) if p.doc.title == title][:1]
    sentences = [Sentence(p.text, [Citation(n, p.chunk.chunk_id, (0, len(p.text)), 1.0)])
                 for n, p in enumerate(passages, 1)]
    return Answer(question, sentences, passages, "test", direct=direct, kind="short")


def _cited(answer: Answer) -> list[str]:
    return [answer.passages[c.number - 1].doc.title for s in answer.sentences
            for c in s.citations]


def test_a_passage_that_leads_nowhere_is_dropped(index: Index) -> None:
    question = "Glass Tide is a song recorded by a singer born in which city?"
    answer = connected(_answer(index, question, "Bergen",
                               ["Nora Vale", "Glass Tide", "Harbour Lights"]))
    # the singer's article holds the answer; the song's names her (and the question names it);
    # the other song shares the question's words only
    assert _cited(answer) == ["Nora Vale", "Glass Tide"]


def test_a_concept_the_question_names_in_lower_case_is_no_step(index: Index) -> None:
    question = "What portable music player did Nora Vale record on?"
    answer = connected(_answer(index, question, "Norwegian",
                               ["Nora Vale", "Portable music player"]))
    assert _cited(answer) == ["Nora Vale"]
    question = "Who wrote about the Portable Music Player?"  # named as a name: kept
    answer = connected(_answer(index, question, "Norwegian",
                               ["Nora Vale", "Portable music player"]))
    assert _cited(answer) == ["Nora Vale", "Portable music player"]


def test_evidence_not_holding_the_answer_word_for_word_is_kept_whole(index: Index) -> None:
    titles = ["Nora Vale", "Harbour Lights"]
    answer = connected(_answer(index, "Where was Nora Vale born?", "the west coast", titles))
    assert _cited(answer) == titles
    answer = _answer(index, "Who recorded Harbour Lights?", "Oslo", titles)
    assert _cited(connected(answer)) == ["Harbour Lights"]
    answer = _answer(index, "Is Harbour Lights from Oslo?", "yes", titles)
    answer.kind = "yesno"  # only short answers and options are trimmed
    assert _cited(connected(answer)) == titles


def test_a_comparison_keeps_each_line_and_the_passages_linked_to_it(index: Index) -> None:
    """The option not chosen is named by the question; the singer's article is linked to its
    song's passage, not to the chosen option's: kept all the same (links are followed from
    every passage kept)."""
    answer = _answer(index, "Which song is older, Glass Tide or Harbour Lights?",
                     "Harbour Lights",
                     ["Harbour Lights", "Glass Tide", "Nora Vale", "Portable music player"])
    answer.kind = "options"
    assert _cited(connected(answer)) == ["Harbour Lights", "Glass Tide", "Nora Vale"]


def test_titles_that_name_nothing_link_nothing(tmp_path: Path) -> None:
    """File names (or headlines) are no article titles: the film's passage, which names the
    star whose passage holds the answer, stays."""
    files = {"notes-1": "Night Train is a 2017 crime film starring Ines Okafor.",
             "notes-2": "Ines Okafor is an actress born in 1984 in Lagos."}
    index = articles_index(tmp_path, files)
    try:
        answer = connected(_answer(index, "Where was the star of Night Train born?", "Lagos",
                                   ["notes-2", "notes-1"], files))
    finally:
        index.close()
    assert _cited(answer) == ["notes-2", "notes-1"]


def test_a_title_whose_words_the_question_capitalises_is_named(index: Index) -> None:
    question = "Which city is the singer of Harbour Lights from, asked Nora Kristin Vale?"
    answer = connected(_answer(index, question, "Oslo", ["Harbour Lights", "Nora Vale"]))
    assert _cited(answer) == ["Harbour Lights", "Nora Vale"]
    answer = connected(_answer(index, question, "Oslo",
                               ["Harbour Lights", "Portable music player"]))
    assert _cited(answer) == ["Harbour Lights"]


def test_the_answer_is_held_as_a_word(index: Index) -> None:
    """"Berg" is no word of "Bergen": no passage holds it, and nothing is dropped."""
    titles = ["Nora Vale", "Harbour Lights"]
    answer = connected(_answer(index, "Where was Nora Vale born?", "Berg", titles))
    assert _cited(answer) == titles


def test_a_title_named_in_lower_case_is_no_link(tmp_path: Path) -> None:
    """The film's text says "a cameo role": a common noun, no link to the article "Cameo role",
    while it names "Ines Okafor" as a name."""
    pages = {"Night Train": "Night Train is a 2017 crime film with a cameo role by Ines Okafor.",
             "Cameo role": "A cameo role is a brief appearance of a known person in a film.",
             "Ines Okafor": "Ines Okafor is an actress born in 1984 in Lagos."}
    index = articles_index(tmp_path, pages)
    try:
        answer = connected(_answer(index, "Where was the actress with a cameo in Night Train "
                                          "born?", "Lagos", list(pages), pages))
    finally:
        index.close()
    assert _cited(answer) == ["Night Train", "Ines Okafor"]
