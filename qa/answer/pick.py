"""The reading check: the model picks the retrieved sentence that states the answer, or none.

SQuAD 2.0's unanswerable questions come with a plausible wrong answer in the passage, and small
models answer them anyway. Asking the model to check its own answer (P(yes) to "does the passage
state it?") barely told them apart; asking it to choose among the best-matching sentences, with
0 for "none of them", did: on 80 held-out SQuAD 2.0 questions the 1.5B gave P(0) >= 0.2 to 18 of
40 unanswerable questions and to 1 of 40 answerable ones (docs/benchmarks.md). The probabilities
are read from the first reply token, so the check costs one prompt evaluation and no generation.

The same pick is an answer in its own right ("pick" answer style): the chosen sentence, quoted
verbatim with its passage number, is right as often as the 1.5B's written answer is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from qa.answer.sentences import rank_sentences
from qa.prompts import load_template, render
from qa.records import Passage

if TYPE_CHECKING:
    from vectorstore.embedders import Embedder

DEFAULT_THRESHOLD = 0.8  # the 1.5B's tuned value, for models without their own
CANDIDATES = 6  # sentences offered; "0".."6" are single tokens for every tokenizer we ship
# The 1.5B's choice among the offered sentences is only weakly peaked, so it is weighed with
# the keyword ranking it was offered in: P(i) x (1 - RANK_DECAY)^(rank - 1). On the held-out
# questions this ties the model's bare choice and the top-ranked sentence (28 of 40 hold the
# answer either way) and keeps the seed's "Who died on Nov 29?" on the Kissinger sentence,
# where the bare choice drifted to a sentence ranked fourth.
RANK_DECAY = 0.3


@runtime_checkable
class Chooser(Protocol):
    """A backend that can report the probabilities of one-token replies."""

    pick_threshold: float | None  # its tuned refusal threshold; None: DEFAULT_THRESHOLD

    def choice_probabilities(self, messages: list[dict[str, str]],
                             choices: Sequence[str]) -> list[float] | None:
        """P(reply's first token is choices[i]), normalised over `choices`; None when the
        backend cannot tell (e.g. a server without logprobs)."""
        ...


@dataclass
class Pick:
    sentence: str
    passage: int  # 1-based passage number
    stated: float  # P(one of the sentences states the answer) = 1 - P("0")
    confidence: float  # P(this sentence) among all choices
    # every offered (sentence, passage number, P x rank decay), best first
    weighed: list[tuple[str, int, float]] = field(default_factory=list)


def refusal_threshold(setting: float | None, generator: object) -> float:
    """The least P(stated) an answer needs: the setting, else the model's tuned value."""
    if setting is not None:
        return setting
    tuned = generator.pick_threshold if isinstance(generator, Chooser) else None
    return tuned if tuned is not None else DEFAULT_THRESHOLD


def candidates(question: str, passages: Sequence[Passage], *, query: str = "",
               embedder: Embedder | None = None) -> list[tuple[str, int]]:
    """Up to CANDIDATES distinct (sentence, passage number) pairs, best match first, holding the
    best sentence of every retrieved passage: the answer of a multi-hop question often shares
    no word with it (the film's cast, the person's birth date) and would be ranked out.
    `query` adds terms to rank by (a second hop's bridge entity); `embedder` ranks by meaning
    as well (qa/answer/sentences.py)."""
    ranked = rank_sentences(f"{question} {query}".strip(), passages, embedder)
    seen: set[str] = set()
    order: list[tuple[str, int]] = []
    for c in ranked:
        text = " ".join(c.text.split())
        if text and text not in seen:
            seen.add(text)
            order.append((text, c.number))
    best_of: dict[int, tuple[str, int]] = {}
    for pair in order:
        best_of.setdefault(pair[1], pair)
    keep = set(list(best_of.values())[:CANDIDATES])
    keep |= set([o for o in order if o not in keep][:CANDIDATES - len(keep)])
    return [o for o in order if o in keep]


def pick_messages(question: str, offered: Sequence[tuple[str, int]],
                  prompts_dir: Path | None = None) -> list[dict[str, str]]:
    body = "\n".join(f"{i}. {text}" for i, (text, _) in enumerate(offered, 1))
    user = render(load_template("pick", prompts_dir), sentences=body, question=question).strip()
    system = render(load_template("pick_system", prompts_dir)).strip()
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def pick_sentence(chooser: object, question: str, passages: Sequence[Passage], *,
                  prompts_dir: Path | None = None, query: str = "",
                  embedder: Embedder | None = None) -> Pick | None:
    """The model's pick among the best-matching sentences; None when the backend cannot
    report choice probabilities or no sentence is a candidate."""
    if not isinstance(chooser, Chooser):
        return None
    offered = candidates(question, passages, query=query, embedder=embedder)
    if not offered:
        return None
    choices = [str(i) for i in range(len(offered) + 1)]
    probabilities = chooser.choice_probabilities(
        pick_messages(question, offered, prompts_dir), choices)
    if not probabilities:
        return None
    weighed = sorted(((text, number, probabilities[i] * (1 - RANK_DECAY) ** (i - 1))
                      for i, (text, number) in enumerate(offered, 1)),
                     key=lambda t: t[2], reverse=True)
    sentence, number, _ = weighed[0]
    best = offered.index((sentence, number)) + 1
    return Pick(sentence=sentence, passage=number, stated=1.0 - probabilities[0],
                confidence=probabilities[best], weighed=weighed)
