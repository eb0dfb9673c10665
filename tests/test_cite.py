"""The citation check and the shared refusal phrase: hand-made cases, behaviour only."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt
import pytest

from qa import cite
from qa.records import Chunk, DocInfo, Passage, Sentence
from qa.refusal import NOT_IN_DOCUMENTS, is_refusal
from qa.text import content_words

TEXTS = [
    "Wang Yi and Antony Blinken spoke by telephone on Dec 6. "
    "Wang said the most urgent task is an immediate cease-fire in Gaza.",
    "Kissinger died on Nov 29 at the age of 100. Blinken thanked Wang for mourning him.",
    "Xi Jinping and Joe Biden met in San Francisco in mid-November. "
    "They set out the San Francisco vision for China-US relations.",
]


class HashEmbedder:
    """A tiny deterministic bag-of-words embedder: shared content words make vectors close."""

    name = "test-hash"
    dimension = 512

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in content_words(text):
                out[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
        out /= np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-9, None)
        return out


def make_passages(texts: Sequence[str]) -> list[Passage]:
    doc = DocInfo(doc_id="d" * 20, title="Diplomats talk", source="test",
                  published=date(2023, 12, 7), sha256="d" * 64)
    return [Passage(chunk=Chunk(doc_id=doc.doc_id, ordinal=i, text=t, start=0, end=len(t)),
                    doc=doc, score=1.0 / (i + 1)) for i, t in enumerate(texts)]


@pytest.fixture(params=["hash", "none"])
def embedder(request: pytest.FixtureRequest) -> HashEmbedder | None:
    return HashEmbedder() if request.param == "hash" else None


def quote(sentence: Sentence, passages: list[Passage], which: int = 0) -> str:
    c = sentence.citations[which]
    return passages[c.number - 1].text[c.span[0]:c.span[1]]


def test_right_number_is_supported_and_kept(embedder: HashEmbedder | None) -> None:
    ps = make_passages(TEXTS)
    [s] = cite.check("Kissinger died on Nov 29, aged 100 [2].", ps, embedder)
    assert s.supported and s.text == "Kissinger died on Nov 29, aged 100."
    [c] = s.citations
    assert (c.number, c.recited, c.chunk_id) == (2, False, ps[1].chunk.chunk_id)
    assert quote(s, ps) == "Kissinger died on Nov 29 at the age of 100."
    assert s.support == c.score >= cite.DEFAULT_THRESHOLDS.support


def test_wrong_number_is_moved_to_the_right_passage(embedder: HashEmbedder | None) -> None:
    ps = make_passages(TEXTS)
    [s] = cite.check("Wang said the most urgent task is a cease-fire in Gaza [3].", ps, embedder)
    assert s.supported
    assert [(c.number, c.recited) for c in s.citations] == [(1, True)]
    assert "cease-fire" in quote(s, ps)


def test_sentence_without_citation_gets_one(embedder: HashEmbedder | None) -> None:
    ps = make_passages(TEXTS)
    [s] = cite.check("Xi and Biden met in San Francisco.", ps, embedder)
    assert s.supported and [(c.number, c.recited) for c in s.citations] == [(3, True)]


def test_out_of_range_number(embedder: HashEmbedder | None) -> None:
    ps = make_passages(TEXTS)
    moved, lost = cite.check("Blinken and Wang spoke on Dec 6 [9]. "
                             "The bridge over the Tern River opened in March [9].", ps, embedder)
    assert moved.supported and [(c.number, c.recited) for c in moved.citations] == [(1, True)]
    assert not lost.supported and lost.citations == []


def test_shared_words_but_different_facts_is_unsupported(embedder: HashEmbedder | None) -> None:
    ps = make_passages(["Kissinger died on Nov 29 at the age of 100."])
    [s] = cite.check("Kissinger died on Dec 5 at the age of 90 [1].", ps, embedder)
    assert not s.supported
    assert [c.number for c in s.citations] == [1]  # kept for display
    assert s.support < cite.DEFAULT_THRESHOLDS.support


@pytest.mark.parametrize("markers", ["[1, 3]", "[1][3]", "[1] [3]", "[1-3]", "[Passage 1, 3]"])
def test_multiple_markers(markers: str) -> None:
    ps = make_passages(TEXTS)
    [s] = cite.check(f"Wang and Blinken spoke on Dec 6, and Xi met Biden in San Francisco "
                     f"{markers}.", ps, HashEmbedder())
    assert s.text == "Wang and Blinken spoke on Dec 6, and Xi met Biden in San Francisco."
    numbers = [c.number for c in s.citations]
    assert s.supported and 1 in numbers and 2 not in numbers  # [1-3] expands; 2 fails the bar


def test_marker_after_the_full_stop_belongs_to_the_sentence_before() -> None:
    ps = make_passages(TEXTS)
    first, second = cite.check("Kissinger died on Nov 29. [2] Biden met Xi in San Francisco. [3]",
                               ps, HashEmbedder())
    assert (first.text, [c.number for c in first.citations]) == ("Kissinger died on Nov 29.", [2])
    assert [(c.number, c.recited) for c in second.citations] == [(3, False)]


def test_bullets_are_sentences() -> None:
    ps = make_passages(TEXTS)
    raw = ("- Kissinger died on Nov 29 [2]\n* Xi met Biden in San Francisco [3]\n"
           "1. Wang called for an immediate cease-fire in Gaza [1]")
    sentences = cite.check(raw, ps, HashEmbedder())
    assert [s.text for s in sentences] == [
        "Kissinger died on Nov 29", "Xi met Biden in San Francisco",
        "Wang called for an immediate cease-fire in Gaza"]
    assert [[c.number for c in s.citations] for s in sentences] == [[2], [3], [1]]
    assert all(s.supported and not s.citations[0].recited for s in sentences)


def test_refusal_has_no_citations_and_counts_as_supported(embedder: HashEmbedder | None) -> None:
    ps = make_passages(TEXTS)
    [s] = cite.check(NOT_IN_DOCUMENTS, ps, embedder)
    assert s.supported and s.citations == [] and s.text == NOT_IN_DOCUMENTS
    fact, gap = cite.check("Kissinger died on Nov 29 [2]. The passages do not say where he died.",
                           ps, embedder)
    assert fact.supported and gap.supported and gap.citations == []


def test_filler_is_dropped_and_strict_drops_unsupported() -> None:
    ps = make_passages(TEXTS)
    raw = ("Sure. Here is the answer: Kissinger died on Nov 29 [2]. "
           "He was born in Paris in 1923 [2].")
    loose = cite.check(raw, ps, HashEmbedder())
    assert [(s.text, s.supported) for s in loose] == [("Kissinger died on Nov 29.", True),
                                                      ("He was born in Paris in 1923.", False)]
    assert cite.support_summary(loose) == "1 of 2 sentences supported"
    strict = cite.check(raw, ps, HashEmbedder(), strict=True)
    assert [s.text for s in strict] == ["Kissinger died on Nov 29."]
    assert cite.support_summary(strict) == "1 of 1 sentence supported"


def test_attach_citations_ignores_the_model_markers() -> None:
    ps = make_passages(TEXTS)
    sentences = cite.attach_citations("Kissinger died on Nov 29 [1]. Xi met Biden [7].", ps, None)
    assert [(c.number, c.recited) for s in sentences for c in s.citations] == [(2, True),
                                                                                 (3, True)]


def test_uncited_sentence_combining_two_passages_cites_both() -> None:
    ps = make_passages(TEXTS)
    [s] = cite.attach_citations("Wang and Blinken spoke on Dec 6, and Xi met Biden in "
                                "San Francisco.", ps, HashEmbedder())
    assert s.supported and sorted((c.number, c.recited) for c in s.citations) == [(1, True),
                                                                                   (3, True)]


def test_empty_input_and_no_passages() -> None:
    assert cite.check("", make_passages(TEXTS), None) == []
    [s] = cite.check("Kissinger died on Nov 29 [1].", [], HashEmbedder())
    assert not s.supported and s.citations == []


def test_one_batched_embed_call() -> None:
    texts = [f"{t} Officials met again on day {i} to discuss the talks." for i, t in
             enumerate(TEXTS * 2)]
    ps = make_passages(texts)
    raw = ("Kissinger died on Nov 29 at the age of 100 [2]. Blinken thanked Wang [5]. "
           "Wang and Blinken spoke on Dec 6 [3]. Gaza needs an immediate cease-fire [1]. "
           "Xi and Biden met in San Francisco [6]. They set out a vision [3].")
    embedder = HashEmbedder()
    sentences = cite.check(raw, ps, embedder)
    assert len(embedder.calls) == 1
    assert len(sentences) == 6 and all(s.supported for s in sentences)


def test_thresholds_change_the_verdict() -> None:
    ps = make_passages(TEXTS)
    raw = "Wang and Blinken discussed Gaza by phone [1]."
    assert cite.check(raw, ps, None, thresholds=cite.Thresholds(support_overlap_only=0.1))[0] \
        .supported
    assert not cite.check(raw, ps, None,
                          thresholds=cite.Thresholds(support_overlap_only=0.99))[0].supported


@pytest.mark.parametrize("text", [
    NOT_IN_DOCUMENTS, "i could not find this in your documents", "I could not find this in "
    "your documents!", "I cannot find information about the capital of Peru in the documents.",
    "The answer is not in the provided passages.", "The passages do not contain this information.",
    "Sorry, I couldn't find that in the passages.", "There is no information about Peru.",
    "None of the passages mention Peru."])
def test_refusal_variants(text: str) -> None:
    assert is_refusal(text)


@pytest.mark.parametrize("text", [
    "", "Kissinger died on Nov 29 [2].", "Wang did not find the proposal acceptable.",
    "The passages do not say who designed it, but it cost 42 million dollars [2].",
    "Blinken said the US is in favour of a two-state solution, which is not in doubt. " * 5])
def test_answers_are_not_refusals(text: str) -> None:
    assert not is_refusal(text)


def test_with_minilm() -> None:
    from vectorstore.minilm import MiniLMEmbedder

    ps = make_passages(TEXTS)
    raw = ("Wang and Blinken talked by phone on Dec 6 [1]. "
           "The most urgent task, Wang said, is an immediate Gaza cease-fire [2]. "
           "Kissinger died on Dec 5 at the age of 90 [2]. Xi and Biden met in Paris [3].")
    right, moved, wrong_numbers, wrong_place = cite.check(raw, ps, MiniLMEmbedder())
    assert right.supported and not right.citations[0].recited
    assert moved.supported and [(c.number, c.recited) for c in moved.citations] == [(1, True)]
    assert "cease-fire" in quote(moved, ps)
    assert not wrong_numbers.supported and not wrong_place.supported
