"""PLACEHOLDER until brief-cluster lands."""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qa.text import content_words


@dataclass(frozen=True)
class ClusterItem:
    title: str
    text: str
    vector: npt.NDArray[np.float32] | None
    published: dt.date | None


def cluster_stories(items: Sequence[ClusterItem]) -> list[int]:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if len(items) < 2:
        return [0] * len(items)
    bags = [Counter(content_words(i.title + " " + i.title + " " + i.text)) for i in items]
    df: Counter[str] = Counter(t for b in bags for t in b)
    n = len(items)
    vocab = {t: k for k, t in enumerate(df)}
    m = np.zeros((n, len(vocab)))
    for r, b in enumerate(bags):
        for t, c in b.items():
            m[r, vocab[t]] = (1 + math.log(c)) * math.log((n + 1) / (df[t] + 1) + 1)
    m /= np.linalg.norm(m, axis=1, keepdims=True) + 1e-9
    d = np.clip(1 - m @ m.T, 0, 2)
    np.fill_diagonal(d, 0)
    z = linkage(squareform(d, checks=False), "average")
    raw = fcluster(z, 0.8, "distance")
    order: dict[int, int] = {}
    return [order.setdefault(int(x), len(order)) for x in raw]
