"""The reading check (qa/pick.py) with a scripted chooser: what is offered, how the choice is
read, and how ask() refuses or answers from it. The real models are in test_llm_answers.py."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from qa.answer import AskOptions, ask
from qa.generators.base import GenerationRequest
from qa.generators.extractive import ExtractiveGenerator
from qa.index import Index
from qa.ingest import ingest_paths
from qa.pick import CANDIDATES, candidates, pick_sentence
from qa.refusal import NOT_IN_DOCUMENTS
from qa.retrieve import retrieve
from qa.settings import Settings

TEXT = ("The Tern River bridge opened on March 1 after four years of work. "
        "Mayor Ana Ruiz said the bridge cost 42 million dollars. "
        "The old ferry will stop running in May. "
        "Engineers from Quillon designed the bridge's steel arch.")


class ScriptedChooser:
    """A backend double: replies with fixed choice probabilities and records what it saw."""

    name = "local:scripted"
    context_window = 4096

    def __init__(self, probabilities: Sequence[float]) -> None:
        self.probabilities = list(probabilities)
        self.seen: list[list[dict[str, str]]] = []
        self.written = False

    def choice_probabilities(self, messages: list[dict[str, str]],
                             choices: Sequence[str]) -> list[float]:
        self.seen.append(messages)
        values = (self.probabilities + [0.0] * len(choices))[: len(choices)]
        return [v / sum(values) for v in values]

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        self.written = True
        yield "Mayor Ana Ruiz said the bridge cost 42 million dollars [1]."

    def close(self) -> None:
        return None


@pytest.fixture
def index(store_settings: Settings, tmp_path: Path) -> Iterator[Index]:
    doc = tmp_path / "bridge.txt"
    doc.write_text(TEXT + "\n")
    index = Index(store_settings)
    ingest_paths(index, [doc])
    yield index
    index.close()


def test_candidates_are_distinct_sentences_best_match_first(index: Index) -> None:
    passages = retrieve(index, "How much did the bridge cost?", k=3)
    offered = candidates("How much did the bridge cost?", passages)
    assert 1 <= len(offered) <= CANDIDATES
    assert offered[0] == ("Mayor Ana Ruiz said the bridge cost 42 million dollars.", 1)
    assert len({text for text, _ in offered}) == len(offered)


def test_the_prompt_numbers_the_offered_sentences(index: Index) -> None:
    chooser = ScriptedChooser([0.1, 0.9])
    question = "How much did the bridge cost?"
    pick = pick_sentence(chooser, index.settings, question, retrieve(index, question, k=3))
    assert pick is not None
    prompt = chooser.seen[0][-1]["content"]
    assert "1. Mayor Ana Ruiz said the bridge cost 42 million dollars." in prompt
    assert f"Question: {question}" in prompt and "reply 0" in prompt


def test_stated_is_one_minus_the_none_choice_and_rank_breaks_near_ties(index: Index) -> None:
    passages = retrieve(index, "How much did the bridge cost?", k=3)
    offered = candidates("How much did the bridge cost?", passages)
    assert len(offered) >= 2
    near_tie = pick_sentence(ScriptedChooser([0.1, 0.4, 0.5]), index.settings,
                             "How much did the bridge cost?", passages)
    assert near_tie is not None and near_tie.sentence == offered[0][0]
    assert near_tie.stated == pytest.approx(0.9)
    clear = pick_sentence(ScriptedChooser([0.1, 0.1, 0.8]), index.settings,
                          "How much did the bridge cost?", passages)
    assert clear is not None and clear.sentence == offered[1][0]


def test_backends_without_choices_are_not_asked(index: Index) -> None:
    passages = retrieve(index, "How much did the bridge cost?", k=3)
    assert pick_sentence(ExtractiveGenerator(), index.settings, "bridge cost", passages) is None


def test_ask_refuses_when_the_model_sees_no_answer(index: Index) -> None:
    chooser = ScriptedChooser([0.6, 0.4])
    answer = ask(index, chooser, "How much did the bridge's arch cost?", AskOptions(k=3))
    assert answer.refused and answer.sentences[0].text == NOT_IN_DOCUMENTS
    assert answer.verification == pytest.approx(0.4)
    assert "P = 0.40 < 0.8" in answer.withheld
    assert not chooser.written  # refused before any generation


def test_ask_answers_with_the_picked_sentence_verbatim(index: Index) -> None:
    chooser = ScriptedChooser([0.05, 0.95])
    answer = ask(index, chooser, "How much did the bridge cost?", AskOptions(k=3))
    assert not answer.refused and not chooser.written
    [sentence] = answer.sentences
    assert sentence.text.startswith("Mayor Ana Ruiz said the bridge cost 42 million dollars.")
    assert sentence.supported and [c.number for c in sentence.citations] == [1]


def test_write_style_generates_after_the_check(index: Index) -> None:
    index.settings = index.settings.model_copy(update={"answer_style": "write"})
    chooser = ScriptedChooser([0.05, 0.95])
    answer = ask(index, chooser, "How much did the bridge cost?", AskOptions(k=3))
    assert chooser.written and not answer.refused
    assert answer.verification == pytest.approx(0.95)
    assert "42 million dollars" in answer.sentences[0].text


def test_threshold_is_the_setting_else_the_models_tuned_value() -> None:
    from qa.generators.models import KNOWN_MODELS
    from qa.pick import DEFAULT_THRESHOLD, refusal_threshold

    class Tuned:
        pick_threshold = KNOWN_MODELS["0.5b"].pick_threshold

    assert refusal_threshold(Settings(), Tuned()) == 0.7
    assert refusal_threshold(Settings(), ScriptedChooser([1.0])) == DEFAULT_THRESHOLD
    assert refusal_threshold(Settings(verify_threshold=0.5), Tuned()) == 0.5
