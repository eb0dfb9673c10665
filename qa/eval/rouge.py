"""ROUGE of summaries (rouge-score, Porter-stemmed, F1) and the First-k baseline, shared by
`qa eval brief` and bench/. The baseline splits sentences with `qa.text.split_sentences`, the
splitter the extractive summaries use, so both sides are cut the same way."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from qa.text import split_sentences

if TYPE_CHECKING:
    from rouge_score.rouge_scorer import RougeScorer

METRICS = ("rouge1", "rouge2", "rougeL")


@cache
def _scorer() -> RougeScorer:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)


def rouge_scores(candidate: str, reference: str) -> dict[str, float]:
    """ROUGE-1, ROUGE-2 and ROUGE-L F1 (0-1) of `candidate` against one `reference`."""
    scores = _scorer().score(reference, candidate)  # rouge-score takes (target, prediction)
    return {name: scores[name].fmeasure for name in METRICS}


def truncate_words(text: str, n: int) -> str:
    """The first `n` whitespace-separated words of `text`: the literature's length budgets."""
    return " ".join(text.split()[:n])


def first_k(text: str, k: int = 3) -> str:
    """The First-k (Lead-k) baseline: the first `k` sentences of `text`, space-joined."""
    return " ".join(text[a:b] for a, b in split_sentences(text)[:k])
