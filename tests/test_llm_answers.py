"""The answer pipeline through real language models: the packaged 0.5B model in process, and the
same model behind a real llama.cpp OpenAI-compatible server reached through the `openai` client.
The 0.5B is too weak to grade on facts; these tests hold the pipeline's promises instead: the
backend is named, every shown sentence is checked, and every citation points at a retrieved
passage whose quoted span really is in it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import QA

from qa.answer.ask import AnswerOptions, ask
from qa.generators.base import Generator
from qa.records import Answer
from qa.refusal import NOT_IN_DOCUMENTS
from qa.settings import Settings
from qa.store import open_index
from vectorstore.index import Index

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def seeded_index(seeded_store: Path) -> Iterator[Index]:
    index = open_index(Settings(store=seeded_store))
    yield index
    index.close()


def assert_checked(answer: Answer) -> None:
    assert answer.sentences
    if answer.refused:
        assert answer.sentences[0].text == NOT_IN_DOCUMENTS
        return
    for sentence in answer.sentences:
        for citation in sentence.citations:
            assert 1 <= citation.number <= len(answer.passages)
            passage = answer.passages[citation.number - 1]
            start, end = citation.span
            assert 0 <= start < end <= len(passage.text)
        if sentence.supported:
            assert sentence.citations, sentence


def test_local_model_writes_through_the_pipeline(seeded_index: Index,
                                                 small_local_generator: Generator) -> None:
    pieces: list[str] = []
    answer = ask(seeded_index, small_local_generator, "Who died on Nov 29?",
                 AnswerOptions(k=3, answer_style="write", verify=False), on_text=pieces.append)
    assert answer.backend.startswith("local:")
    assert len(pieces) > 1  # streamed
    assert answer.raw_text.strip() == "".join(pieces).strip()
    assert_checked(answer)


@pytest.mark.parametrize("question", ["What did Wang Yi say is the most urgent task?",
                                      "Who died on Nov 29?",
                                      "When did Wang Yi and Blinken talk?"])
def test_local_model_picks_a_passage_sentence(seeded_index: Index,
                                              small_local_generator: Generator,
                                              question: str) -> None:
    """The embedded models answer by picking (answer_style auto): the answer is a sentence of
    the cited passage, verbatim, supported, with the model's P(stated) recorded."""
    answer = ask(seeded_index, small_local_generator, question, AnswerOptions(k=3))
    assert_checked(answer)
    assert answer.verification is not None and 0.0 <= answer.verification <= 1.0
    if answer.refused:  # the 0.5B may doubt; then the reason is given
        assert "no passage sentence states the answer" in answer.withheld
        return
    [sentence] = answer.sentences
    [citation] = sentence.citations
    passage = answer.passages[citation.number - 1].text
    assert sentence.supported and sentence.text in " ".join(passage.split())


def test_openai_backend_against_a_real_llama_server(seeded_store: Path, llama_server: str,
                                                    qa_env: dict[str, str]) -> None:
    env = {**qa_env, "QA_STORE": str(seeded_store), "QA_BASE_URL": llama_server,
           "QA_MODEL": "local", "QA_K": "3", "QA_CONTEXT_WINDOW": "2048"}
    del env["QA_GENERATOR"]  # auto: the endpoint chooses the openai backend
    result = subprocess.run([str(QA), "ask", "When did Wang Yi and Blinken talk?", "--json"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["backend"] == "openai:local"
    assert data["complete"] is True
    for sentence in data["sentences"]:
        for citation in sentence["citations"]:
            passage = data["passages"][citation["number"] - 1]
            assert citation["quote"] in passage["text"]
