"""The extractive backend: answers by quoting the passage sentences that best match the question.

No model, no network: it works on `request.question` and `request.passages` (already ranked by
retrieval) and ignores `request.messages`. Each quoted sentence is followed by its `[n]`, so the
citation check verifies it like any model's answer. When no sentence covers at least half of the
question's content words it replies with `NOT_IN_DOCUMENTS`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Literal

from qa.answer.sentences import Candidate, rank_sentences
from qa.cite import terms
from qa.injection import addresses_reader
from qa.refusal import NOT_IN_DOCUMENTS
from qa.text import split_sentences

if TYPE_CHECKING:
    from qa.generators.base import GenerationRequest
    from qa.records import Passage
    from qa.settings import Settings


MIN_COVERAGE = 0.5  # share of the question's content words the best sentence must contain
MAX_SENTENCES = 3
EXTRA_SENTENCE_RATIO = 0.85  # a further sentence must score this close to the best one
BRIEF_LINES = 8

class ExtractiveGenerator:
    """Quote the best-matching sentences, each with its `[n]`; refuse when nothing matches."""

    name = "extractive"
    context_window = 1_000_000  # nothing is sent to a model, so every retrieved passage fits
    rewrites_questions = False
    answer_style: Literal["pick", "write"] = "write"  # it quotes; there is no model to pick

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        if request.task == "condense":
            yield request.question
        elif request.task == "brief":
            yield brief_text(request.passages)
        else:
            sentences = answer_sentences(request.question, request.passages)
            if not sentences:
                yield NOT_IN_DOCUMENTS
                return
            for i, (sentence, number) in enumerate(sentences):
                yield _join_piece(sentence, number, last=i == len(sentences) - 1)

    def close(self) -> None:
        return None


def answer_sentences(question: str, passages: Sequence[Passage]) -> list[tuple[str, int]]:
    """The 1-3 (sentence, passage number) pairs that best answer `question`; [] when none does."""
    ranked = rank_sentences(question, passages)
    if not ranked or ranked[0].coverage < MIN_COVERAGE:
        return []
    best = ranked[0]
    chosen = [best]
    for c in ranked[1:]:
        if len(chosen) == MAX_SENTENCES or c.score < EXTRA_SENTENCE_RATIO * best.score:
            break
        if c.coverage >= MIN_COVERAGE and not any(_similar(c, o) for o in chosen):
            chosen.append(c)
    return [(c.text, c.number) for c in chosen]


def brief_text(passages: Sequence[Passage]) -> str:
    """One line per document among the top passages: its first passage's lead sentence + [n]."""
    lines: list[str] = []
    seen: set[str] = set()
    for number, passage in enumerate(passages, 1):
        if passage.doc.doc_id in seen or len(lines) == BRIEF_LINES:
            continue
        seen.add(passage.doc.doc_id)
        spans = split_sentences(passage.text)
        spans = [(a, b) for a, b in spans if not addresses_reader(passage.text[a:b])]
        leads = [passage.text[a:b] for a, b in spans if len(passage.text[a:b].split()) >= 4]
        if leads or spans:
            lead = leads[0] if leads else passage.text[slice(*spans[0])]
            lines.append(f"{lead} [{number}]")
    return "\n".join(lines) if lines else NOT_IN_DOCUMENTS


def _similar(a: Candidate, b: Candidate) -> bool:
    ta, tb = terms(a.text), terms(b.text)
    return len(ta & tb) / max(1, len(ta | tb)) > 0.7


def _join_piece(sentence: str, number: int, *, last: bool) -> str:
    """`sentence [n]` plus the separator: a space, or a line break after a headline-like sentence
    without end punctuation (so the next sentence is not run into it)."""
    piece = f"{sentence} [{number}]"
    if last:
        return piece
    return piece + (" " if sentence.rstrip("\"'”’)").endswith((".", "!", "?")) else "\n")
