"""The extractive generator on the seed article, wrapped by hand as three passages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qa import cite
from qa.generators.base import GenerationRequest, Task, generate
from qa.generators.extractive import ExtractiveGenerator
from qa.records import Chunk, DocInfo, Passage
from qa.refusal import NOT_IN_DOCUMENTS

ROOT = Path(__file__).resolve().parent.parent
SEED_NAME = "000_17a65ebd6864479a.txt"
SEED_PLACES = [ROOT.parent / "shared" / "seeds" / SEED_NAME,
               ROOT / "seeds" / "2023-12-06_wang-yi-blinken-phone-call.txt"]


@pytest.fixture(scope="module")
def passages() -> list[Passage]:
    seed = next((p for p in SEED_PLACES if p.is_file()), None)
    if seed is None:
        pytest.skip(f"seed article {SEED_NAME} not found in ../shared/seeds or seeds/")
    text = seed.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    doc = DocInfo(doc_id="a" * 20, title=lines[0].strip(), source="China Daily",
                  published=date(2023, 12, 7), sha256="a" * 64)
    out, start = [], 0
    for ordinal, first in enumerate(range(0, len(lines), 6)):
        body = "".join(lines[first:first + 6])
        chunk_text = body.strip()
        offset = start + body.index(chunk_text)
        chunk = Chunk(doc_id=doc.doc_id, ordinal=ordinal, text=chunk_text, start=offset,
                      end=offset + len(chunk_text))
        assert text[chunk.start:chunk.end] == chunk.text
        out.append(Passage(chunk=chunk, doc=doc, score=1.0 / (ordinal + 1)))
        start += len(body)
    assert len(out) == 3
    return out


def ask(question: str, passages: list[Passage], task: Task = "answer") -> str:
    request = GenerationRequest(task=task, messages=[], question=question, passages=passages)
    return generate(ExtractiveGenerator(), request)


SEED_QUESTIONS = [
    ("What did Wang Yi say is the most urgent task?", "an immediate cease-fire in Gaza"),
    ("Who died on Nov 29?", "Kissinger, who died on Nov 29"),
    ("When did Wang Yi and Blinken talk?", "telephone conversation on Dec 6"),
    ("How old was Kissinger when he died?", "at the age of 100"),
    ("Where did Xi and Biden meet?", "Joe Biden in San Francisco"),
]


@pytest.mark.parametrize(("question", "expected"), SEED_QUESTIONS)
@pytest.mark.parametrize("reverse", [False, True], ids=["ranked", "reversed"])
def test_seed_questions_quote_and_cite_the_answer(passages: list[Passage], question: str,
                                                  expected: str, reverse: bool) -> None:
    ranked = passages[::-1] if reverse else passages
    sentences = cite.check(ask(question, ranked), ranked, None)
    assert sentences and all(s.supported and s.citations for s in sentences)
    quotes = [ranked[c.number - 1].text[c.span[0]:c.span[1]]
              for s in sentences for c in s.citations]
    assert any(expected in q for q in quotes[:1]), quotes  # the best sentence comes first
    assert not any(c.recited for s in sentences for c in s.citations)  # cited where quoted


@pytest.mark.parametrize("question", ["What is the capital of Peru?",
                                      "When did the Tern bridge open?", "?"])
def test_question_outside_the_documents_is_refused(passages: list[Passage],
                                                   question: str) -> None:
    assert ask(question, passages) == NOT_IN_DOCUMENTS


def test_no_passages_is_refused() -> None:
    assert ask("Who died on Nov 29?", []) == NOT_IN_DOCUMENTS


def test_answer_is_verbatim_sentences_each_with_its_marker(passages: list[Passage]) -> None:
    answer = ask("What did Blinken say about the two-state solution?", passages)
    assert answer.count("[") <= 3 and answer.rstrip().endswith("]")
    text = "\n".join(p.text for p in passages)
    for sentence in cite.check(answer, passages, None):
        assert sentence.text in text


def test_condense_returns_the_question_unchanged(passages: list[Passage]) -> None:
    question = "And what did he say about it?"
    assert ask(question, passages, task="condense") == question


def test_brief_gives_one_lead_line_per_document(passages: list[Passage]) -> None:
    other_doc = DocInfo(doc_id="b" * 20, title="Bridge", source="Harbor Times",
                        published=date(2021, 3, 2), sha256="b" * 64)
    text = "The new bridge over the Tern River opened on March 1. It cost 42 million dollars."
    bridge = Passage(chunk=Chunk(doc_id=other_doc.doc_id, ordinal=0, text=text, start=0,
                                 end=len(text)), doc=other_doc, score=0.1)
    lines = ask("", [*passages, bridge], task="brief").splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Top China, US diplomats") and lines[0].endswith("[1]")
    assert lines[1] == "The new bridge over the Tern River opened on March 1. [4]"


def test_generator_protocol_surface(passages: list[Passage]) -> None:
    generator = ExtractiveGenerator()
    assert generator.name == "extractive" and generator.context_window >= 100_000
    request = GenerationRequest(task="answer", messages=[], question="Who died on Nov 29?",
                                passages=passages)
    assert "".join(generator.stream(request)) == generate(generator, request)
    generator.close()


def test_answers_pass_the_citation_check_with_minilm(passages: list[Passage]) -> None:
    from vectorstore.minilm import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    for question, expected in SEED_QUESTIONS:
        sentences = cite.check(ask(question, passages), passages, embedder, strict=True)
        assert sentences and all(not c.recited for s in sentences for c in s.citations)
        first = sentences[0].citations[0]
        assert expected in passages[first.number - 1].text[first.span[0]:first.span[1]]
