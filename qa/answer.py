"""Answering: retrieve -> pack a prompt -> generate (streamed) -> citation check -> Answer.

Briefings will reuse `generate_checked` with their own prompt: one generator layer, one check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qa import cite
from qa.errors import IncompleteAnswer
from qa.generators.base import GenerationRequest, Generator
from qa.index import Index
from qa.prompts import answer_messages
from qa.refusal import NOT_IN_DOCUMENTS, is_refusal
from qa.retrieve import Filters, retrieve
from qa.types import Answer, Passage, Sentence

OnText = Callable[[str], None]


@dataclass
class AskOptions:
    k: int = 6
    filters: Filters = Filters()
    strict: bool = False


def refusal(question: str, passages: list[Passage], backend: str) -> Answer:
    return Answer(question=question, sentences=[Sentence(text=NOT_IN_DOCUMENTS)],
                  passages=passages, backend=backend, refused=True, raw_text=NOT_IN_DOCUMENTS)


def generate_checked(index: Index, generator: Generator, request: GenerationRequest,
                     *, strict: bool, on_text: OnText | None = None) -> Answer:
    """Stream the generator's text to `on_text`, then check every sentence's citations."""
    pieces: list[str] = []
    complete = True
    try:
        for piece in generator.stream(request):
            pieces.append(piece)
            if on_text:
                on_text(piece)
    except IncompleteAnswer as exc:
        complete = False
        pieces = [exc.partial]
    except KeyboardInterrupt:
        if not pieces:
            raise
        complete = False  # Ctrl-C mid-answer: keep what came, marked as cut
    raw = "".join(pieces).strip()
    if complete and is_refusal(raw):
        return refusal(request.question, request.passages, generator.name)
    sentences = cite.check(raw, request.passages, index.embedder, strict=strict)
    return Answer(question=request.question, sentences=sentences, passages=request.passages,
                  backend=generator.name, refused=False, complete=complete, raw_text=raw)


def ask(index: Index, generator: Generator, question: str, options: AskOptions,
        on_text: OnText | None = None) -> Answer:
    passages = retrieve(index, question, k=options.k, filters=options.filters)
    if not passages:
        return refusal(question, [], generator.name)
    messages, packed = answer_messages(index.settings, question, passages,
                                       generator.context_window)
    request = GenerationRequest(task="answer", messages=messages, question=question,
                                passages=packed, max_tokens=index.settings.answer_tokens,
                                temperature=index.settings.temperature)
    return generate_checked(index, generator, request, strict=options.strict, on_text=on_text)

