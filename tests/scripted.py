"""The one scripted generator for tests: a real `Generator` (and reading-check `Chooser`) whose
replies are fixed in advance, so a test can make the answer path meet any reply, failure or
interruption at a given moment. Everything around it stays real."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

from qa.generators.base import GenerationRequest


class Scripted:
    """Streams `pieces`, then raises `error` (if any); condenses follow-ups to `condensed`.

    With `probabilities`, it reports them (normalised) as the reading check's choice
    probabilities, "0" first; without, it cannot tell, and the check is skipped. It records the
    requests it streamed (`requests`) and the pick prompts it saw (`picks`)."""

    context_window = 8192
    pick_threshold: float | None = None

    def __init__(self, pieces: Sequence[str] = ("ok",), *, error: BaseException | None = None,
                 condensed: str = "", name: str = "scripted",
                 probabilities: Sequence[float] | None = None,
                 answer_style: Literal["pick", "write"] = "write",
                 rewrites_questions: bool = True) -> None:
        self.name = name
        self.pieces, self.error, self.condensed = list(pieces), error, condensed
        self.probabilities = list(probabilities) if probabilities is not None else None
        self.answer_style = answer_style
        self.rewrites_questions = rewrites_questions
        self.requests: list[GenerationRequest] = []
        self.picks: list[list[dict[str, str]]] = []

    @property
    def written(self) -> bool:
        """Whether an answer was generated (not just picked or condensed)."""
        return any(r.task == "answer" for r in self.requests)

    def choice_probabilities(self, messages: list[dict[str, str]],
                             choices: Sequence[str]) -> list[float] | None:
        if self.probabilities is None:
            return None
        self.picks.append(messages)
        values = (self.probabilities + [0.0] * len(choices))[: len(choices)]
        return [v / sum(values) for v in values]

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        self.requests.append(request)
        if request.task == "condense":
            yield self.condensed
            return
        yield from self.pieces
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        return None


class ScriptedSpans(Scripted):
    """A `Scripted` that also gives the short answer a grammar would hold it to (llama.cpp's
    `constrained_reply`): `short`, whatever the grammar admits, so a test can make the direct
    answer's checks meet any reply."""

    def __init__(self, short: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.short = short

    def constrained_reply(self, messages: list[dict[str, str]], grammar: str,
                          choices: Sequence[str], max_tokens: int) -> str:
        return self.short
