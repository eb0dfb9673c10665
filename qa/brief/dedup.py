"""PLACEHOLDER until brief-cluster lands."""
from __future__ import annotations

from collections.abc import Sequence


def near_duplicate_groups(texts: Sequence[str], *, threshold: float = 0.8) -> list[list[int]]:
    sh = [set(zip(*(t.lower().split()[i:] for i in range(5)), strict=False)) for t in texts]
    parent = list(range(len(texts)))
    for i in range(len(texts)):
        for j in range(i):
            u = sh[i] | sh[j]
            if u and len(sh[i] & sh[j]) / len(u) >= threshold:
                parent[i] = parent[j]
    groups: dict[int, list[int]] = {}
    for i, p in enumerate(parent):
        groups.setdefault(p, []).append(i)
    return [g for g in groups.values() if len(g) > 1]
