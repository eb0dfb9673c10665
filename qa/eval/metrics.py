"""Retrieval and answer metrics, as pure functions (shared by `qa eval` and bench/)."""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence


def ndcg_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(rel / math.log2(i + 2) for i, rel in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    wanted = {d for d, rel in relevant.items() if rel > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: Mapping[str, int]) -> float:
    for i, doc in enumerate(ranked):
        if relevant.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# SQuAD's official answer normalisation: lower case, no punctuation, no articles, single spaces.
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    return float(any(normalize_answer(prediction) == normalize_answer(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    best = 0.0
    pred = normalize_answer(prediction).split()
    for gold in golds:
        ref = normalize_answer(gold).split()
        common = sum((Counter(pred) & Counter(ref)).values())
        if common:
            p, r = common / len(pred), common / len(ref)
            best = max(best, 2 * p * r / (p + r))
    return best


def contains_answer(prediction: str, golds: Sequence[str]) -> bool:
    norm = normalize_answer(prediction)
    return any(normalize_answer(g) and normalize_answer(g) in norm for g in golds)


# Clustering metrics: `gold` and `pred` give one label per item (any hashable labels).

def _contingency(gold: Sequence[object], pred: Sequence[object]) -> Counter[tuple[object, object]]:
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predicted")
    return Counter(zip(gold, pred, strict=True))


def _pairs(n: int) -> float:
    return n * (n - 1) / 2


def adjusted_rand_index(gold: Sequence[object], pred: Sequence[object]) -> float:
    """Hubert and Arabie's ARI: pair agreement corrected for chance (1 = same partition, about
    0 = chance). Two partitions with no pair structure to compare (both all-singletons, or both
    one cluster) score 1.0 when equal, as scikit-learn does."""
    cells = _contingency(gold, pred)
    n = len(gold)
    both = sum(_pairs(c) for c in cells.values())
    in_gold = sum(_pairs(c) for c in Counter(gold).values())
    in_pred = sum(_pairs(c) for c in Counter(pred).values())
    total = _pairs(n)
    expected = in_gold * in_pred / total if total else 0.0
    best = (in_gold + in_pred) / 2
    if best == expected:
        return 1.0 if both == best else 0.0
    return (both - expected) / (best - expected)


def bcubed_f1(gold: Sequence[object], pred: Sequence[object]) -> tuple[float, float, float]:
    """B-cubed (Bagga and Baldwin 1998): per item, the share of its predicted cluster that shares
    its gold label (precision) and the share of its gold cluster it was put with (recall),
    averaged over items; returns (precision, recall, F1 of the two averages)."""
    cells = _contingency(gold, pred)
    n = len(gold)
    if not n:
        return 0.0, 0.0, 0.0
    gold_sizes, pred_sizes = Counter(gold), Counter(pred)
    # every item in cell (g, p) sees the same overlap, so sum per cell
    precision = sum(c * c / pred_sizes[p] for (_, p), c in cells.items()) / n
    recall = sum(c * c / gold_sizes[g] for (g, _), c in cells.items()) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def purity(gold: Sequence[object], pred: Sequence[object]) -> float:
    """Share of items whose predicted cluster's majority gold label is their own."""
    cells = _contingency(gold, pred)
    if not gold:
        return 0.0
    majority: dict[object, int] = {}
    for (_, p), c in cells.items():
        majority[p] = max(majority.get(p, 0), c)
    return sum(majority.values()) / len(gold)
