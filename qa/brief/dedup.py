"""Near-duplicates: syndicated copies and light rewrites of one article, found by the Jaccard
similarity of their word shingles.

MinHash LSH (datasketch) proposes candidate pairs in about linear time; each candidate is then
checked with the exact Jaccard of the two shingle sets, so the threshold means what it says and
the LSH's estimation error only costs recall, and little of it: LSH is asked for pairs from
`LSH_MARGIN` below the threshold. Words are lower-cased and punctuation and spacing ignored,
so re-wrapped or re-punctuated copies match exactly. The threshold and shingle size were chosen
from the figures in docs/benchmarks.md ("Briefings: near-duplicates and story clustering"):
light rewrites of real articles on one side, different outlets' reports of one event on the
other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

SHINGLE_WORDS = 5  # words per shingle
NUM_PERM = 128  # MinHash permutations
LSH_MARGIN = 0.15  # LSH looks for candidates from threshold - margin
DEFAULT_THRESHOLD = 0.55  # exact shingle Jaccard at or above which two texts are one article

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The text's runs of `size` consecutive words, lower-cased; a shorter text is one
    shingle; an empty text has none."""
    words = [w.replace("’", "'") for w in _WORD.findall(text.lower())]
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def near_duplicate_groups(texts: Sequence[str], *,
                          threshold: float = DEFAULT_THRESHOLD) -> list[list[int]]:
    """Groups of indices of `texts` that are copies of one article: only groups of two or more
    (an index in no group has no near-duplicate), each sorted, ordered by their first index.

    Two texts are linked when their shingle Jaccard is at least `threshold`; a group is a
    connected set of links (a copy of a copy belongs with the original). Pass the body texts:
    a copy republished under another headline is still a copy. Empty texts are never linked.
    """
    from datasketch import MinHash, MinHashLSH

    sets = [shingles(text) for text in texts]
    present = [i for i, s in enumerate(sets) if s]
    if len(present) < 2:
        return []
    hashes = MinHash.bulk([[s.encode("utf-8") for s in sets[i]] for i in present],
                          num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=max(threshold - LSH_MARGIN, 0.05), num_perm=NUM_PERM)
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, minhash in zip(present, hashes, strict=True):
        for j in lsh.query(minhash):
            if jaccard(sets[i], sets[j]) >= threshold:
                parent[root(i)] = root(j)
        lsh.insert(i, minhash)
    groups: dict[int, list[int]] = {}
    for i in present:
        groups.setdefault(root(i), []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0])
