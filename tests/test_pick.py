"""The reading check (qa/answer/pick.py) with a scripted chooser: what is offered, how the choice is
read, and how ask() refuses or answers from it. The real models are in test_llm_answers.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scripted import Scripted

from qa.answer.ask import AnswerOptions, ask
from qa.answer.pick import CANDIDATES, candidates, pick_sentence
from qa.generators.extractive import ExtractiveGenerator
from qa.ingest.pipeline import ingest_paths
from qa.refusal import NOT_IN_DOCUMENTS
from qa.retrieve import retrieve
from qa.settings import Settings
from qa.store import open_index
from vectorstore.index import Index

TEXT = ("The Tern River bridge opened on March 1 after four years of work. "
        "Mayor Ana Ruiz said the bridge cost 42 million dollars. "
        "The old ferry will stop running in May. "
        "Engineers from Quillon designed the bridge's steel arch.")


WRITTEN = "Mayor Ana Ruiz said the bridge cost 42 million dollars [1]."


def chooser(probabilities: list[float]) -> Scripted:
    """A backend double that picks like the embedded models and writes WRITTEN if asked to."""
    return Scripted([WRITTEN], probabilities=probabilities, answer_style="pick")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    """The bridge note in an embedded store (the store kinds are tested in test_pipeline.py)."""
    root = tmp_path_factory.mktemp("pick")
    (root / "bridge.txt").write_text(TEXT + "\n")
    index = open_index(Settings(store=root / "store"))
    ingest_paths(index, [root / "bridge.txt"])
    yield index
    index.close()


def test_candidates_are_distinct_sentences_best_match_first(index: Index) -> None:
    passages = retrieve(index, "How much did the bridge cost?", k=3)
    offered = candidates("How much did the bridge cost?", passages)
    assert 1 <= len(offered) <= CANDIDATES
    assert offered[0] == ("Mayor Ana Ruiz said the bridge cost 42 million dollars.", 1)
    assert len({text for text, _ in offered}) == len(offered)


def test_the_prompt_numbers_the_offered_sentences(index: Index) -> None:
    model = chooser([0.1, 0.9])
    question = "How much did the bridge cost?"
    pick = pick_sentence(model, question, retrieve(index, question, k=3))
    assert pick is not None
    prompt = model.picks[0][-1]["content"]
    assert "1. Mayor Ana Ruiz said the bridge cost 42 million dollars." in prompt
    assert f"Question: {question}" in prompt and "reply 0" in prompt


def test_stated_is_one_minus_the_none_choice_and_rank_breaks_near_ties(index: Index) -> None:
    passages = retrieve(index, "How much did the bridge cost?", k=3)
    offered = candidates("How much did the bridge cost?", passages)
    assert len(offered) >= 2
    near_tie = pick_sentence(chooser([0.1, 0.4, 0.5]), "How much did the bridge cost?",
                             passages)
    assert near_tie is not None and near_tie.sentence == offered[0][0]
    assert near_tie.stated == pytest.approx(0.9)
    clear = pick_sentence(chooser([0.1, 0.1, 0.8]), "How much did the bridge cost?", passages)
    assert clear is not None and clear.sentence == offered[1][0]


def test_backends_without_choices_are_not_asked(index: Index) -> None:
    passages = retrieve(index, "How much did the bridge cost?", k=3)
    assert pick_sentence(ExtractiveGenerator(), "bridge cost", passages) is None
    assert pick_sentence(Scripted(), "bridge cost", passages) is None  # reports no choices


def test_ask_refuses_when_the_model_sees_no_answer(index: Index) -> None:
    model = chooser([0.6, 0.4])
    answer = ask(index, model, "How much did the bridge's arch cost?", AnswerOptions(k=3))
    assert answer.refused and answer.sentences[0].text == NOT_IN_DOCUMENTS
    assert answer.verification == pytest.approx(0.4)
    assert "P = 0.40 < 0.8" in answer.withheld
    assert not model.written  # refused before any generation


def test_ask_answers_with_the_picked_sentence_verbatim(index: Index) -> None:
    model = chooser([0.05, 0.95])
    answer = ask(index, model, "How much did the bridge cost?", AnswerOptions(k=3))
    assert not answer.refused and not model.written
    [sentence] = answer.sentences
    assert sentence.text.startswith("Mayor Ana Ruiz said the bridge cost 42 million dollars.")
    assert sentence.supported and [c.number for c in sentence.citations] == [1]


def test_write_style_generates_after_the_check(index: Index) -> None:
    model = chooser([0.05, 0.95])
    answer = ask(index, model, "How much did the bridge cost?",
                 AnswerOptions(k=3, answer_style="write"))
    assert model.written and not answer.refused
    assert answer.verification == pytest.approx(0.95)
    assert "42 million dollars" in answer.sentences[0].text


def test_threshold_is_the_setting_else_the_models_tuned_value() -> None:
    from qa.answer.pick import DEFAULT_THRESHOLD, refusal_threshold
    from qa.generators.models import KNOWN_MODELS

    class Tuned(Scripted):
        pick_threshold = KNOWN_MODELS["0.5b"].pick_threshold

    assert refusal_threshold(None, Tuned()) == 0.7
    assert refusal_threshold(None, chooser([1.0])) == DEFAULT_THRESHOLD
    assert refusal_threshold(0.5, Tuned()) == 0.5


def test_the_embedder_ranks_a_paraphrase_the_words_miss(index: Index) -> None:
    # no word of the question is in the note: by words alone the sentences tie, in text order
    question = "What was the price of the construction?"
    passages = retrieve(index, question, k=3)
    by_words = candidates(question, passages)
    assert by_words[0][0].startswith("The Tern River bridge opened")
    by_meaning = candidates(question, passages, embedder=index.embedder)
    assert by_meaning[0] == ("Mayor Ana Ruiz said the bridge cost 42 million dollars.", 1)
    assert sorted(by_meaning) == sorted(by_words)  # the same sentences, ranked otherwise
