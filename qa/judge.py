"""The reading judge of the citation check: does the aligned span state the claim?

Words settle most wrong facts (qa/align.py); a paraphrase that keeps every name and number yet
says something else ("Washington *opposes*") needs reading. A backend that reports token
probabilities (`choice_probabilities`, as the reading check of qa/answer/pick.py uses) is asked
once per sentence, with the span and the claim (prompts/judge.md), and P(Yes) is read from the
first reply token: one prompt evaluation, no generation. Verbatim sentences never reach it.

The threshold is the model's, tuned on the dev claim sets of bench/claims_build.py only
(docs/benchmarks.md, section "Citation check: alignment and reading judge").
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from qa.prompts import load_template, render

DEFAULT_THRESHOLD = 0.5  # for a model without a tuned value (the 0.5B, servers)
# Tuned on the dev claims of bench/claims_build.py only, by generator name: the best balanced
# accuracy of the sweep 0.05-0.95 (98.7% at 0.5; 98.5-98.6% anywhere in 0.4-0.7).
THRESHOLDS = {"local:qwen2.5-coder-1.5b": 0.5}
CHOICES = ("Yes", "No")


@runtime_checkable
class Chooser(Protocol):
    """A backend that reports the probabilities of one-token replies (LocalGenerator, and
    OpenAIGenerator against servers with logprobs); the same method the reading check uses."""

    def choice_probabilities(self, messages: list[dict[str, str]],
                             choices: Sequence[str]) -> list[float] | None: ...


class ReadingJudge:
    """P(the span states the claim) from a `Chooser`; counts its calls for the eval."""

    def __init__(self, chooser: Chooser, threshold: float,
                 prompts_dir: Path | None = None) -> None:
        self.chooser, self.threshold, self.prompts_dir = chooser, threshold, prompts_dir
        self.calls = 0

    def messages(self, span: str, claim: str) -> list[dict[str, str]]:
        system = render(load_template("judge_system", self.prompts_dir)).strip()
        user = render(load_template("judge", self.prompts_dir), passage=" ".join(span.split()),
                      claim=" ".join(claim.split())).strip()
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def probability(self, span: str, claim: str) -> float | None:
        self.calls += 1
        probabilities = self.chooser.choice_probabilities(self.messages(span, claim),
                                                          list(CHOICES))
        return probabilities[0] if probabilities else None


def reading_judge(generator: object, threshold: float | None = None,
                  prompts_dir: Path | None = None) -> ReadingJudge | None:
    """The judge for `generator`, or None when it cannot report token probabilities."""
    if not isinstance(generator, Chooser):
        return None
    if threshold is None:
        threshold = THRESHOLDS.get(str(getattr(generator, "name", "")), DEFAULT_THRESHOLD)
    return ReadingJudge(generator, threshold, prompts_dir)
