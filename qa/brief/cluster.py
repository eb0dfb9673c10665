"""Articles -> stories: entity-weighted TF-IDF, a neighbourhood-smoothed similarity, average
linkage. Pure functions: the caller brings titles, texts, dates and (optionally) vectors.

How a pair's similarity is built (every number is a field of `ClusterParams`):
1. Term vectors of the window itself: words of the title (counted `title_weight` times) and the
   text, stop words dropped, sublinear tf, smoothed idf from the window's own documents, L2 norm.
   Terms that look like names or figures (capitalised inside a sentence of the text, or holding
   a digit) weigh `entity_weight` times more: look-alike events (two earthquakes, two arrests of
   one actor) share their vocabulary and differ in places, people and numbers.
2. Cosine of those vectors; optionally mixed with the documents' dense vectors.
3. Pairs both dated and more than `max_days_apart` days apart are set to 0: one story's
   reports come within days (BASIL: at most 4 days apart), and look-alike stories of other
   weeks are the main source of wrong merges on a dated set.
4. Second-order similarity: each document is described by its similarities to its closest
   neighbours, weighted `exp(-rank / neighbour_decay)` (itself first); two documents are close
   when those neighbourhoods are. The pair's similarity is the mean of first- and second-order.
   Members of one story share several close neighbours; a bridge article between two stories
   shares few with either, which is what keeps the linkage from chaining.
5. Average linkage on 1 - similarity, cut at `distance_threshold`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qa.text import STOPWORDS

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ClusterItem:
    """One article of the window. `vector`: its L2-normalised document vector (the mean of its
    chunk vectors), or None. `text` is the body; the title is given apart because it counts
    more."""

    title: str
    text: str
    vector: npt.NDArray[np.float32] | None
    published: dt.date | None


@dataclass(frozen=True)
class ClusterParams:
    """The tuned settings. Chosen on ECB+ and BASIL (dev sets) with one setting for both; the
    figures, the sweep around each value and how they were chosen are in docs/benchmarks.md,
    "Briefings: near-duplicates and story clustering"."""

    distance_threshold: float = 0.75  # average linkage stops merging above this 1 - similarity
    title_weight: int = 2  # a title word counts as this many occurrences
    entity_weight: float = 2.0  # name/figure terms weigh this much more than other words
    neighbour_decay: float = 5.0  # rank scale of the second-order neighbourhoods
    second_order_weight: float = 0.5  # similarity = (1 - w) * first-order + w * second-order
    max_days_apart: int = 7  # dated pairs further apart are never one story
    vector_weight: float = 0.0  # share of the dense cosine; 0: vectors unused (no gain measured)


DEFAULT = ClusterParams()

_WORD = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9'’\-]*[A-Za-z0-9])?")
# What may come right before the first word of a sentence (after optional spaces).
_SENTENCE_OPENERS = frozenset('.!?"“”\'‘’\n:;([')


def cluster_stories(items: Sequence[ClusterItem], params: ClusterParams = DEFAULT) -> list[int]:
    """A story label per item, 0..k-1 in order of first appearance.

    Text features only when `params.vector_weight` is 0 (the default) or any item lacks a
    vector; otherwise the dense cosine is mixed in with that weight. Items without a date are
    compared with every other item; the date rule only separates two dated items.
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if len(items) < 2:
        return [0] * len(items)
    similarity = story_similarity(items, params)
    distance = np.clip(1.0 - similarity, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    raw = fcluster(tree, t=params.distance_threshold, criterion="distance")
    return _first_appearance_labels([int(x) for x in raw])


def story_similarity(items: Sequence[ClusterItem], params: ClusterParams = DEFAULT) -> Matrix:
    """The symmetric n x n similarity that `cluster_stories` links (1 on the diagonal)."""
    first = term_cosine(items, params)
    vectors = [item.vector for item in items]
    if params.vector_weight > 0 and all(v is not None for v in vectors):
        dense = np.vstack([np.asarray(v, dtype=np.float64) for v in vectors if v is not None])
        dense_cos = np.clip(dense @ dense.T, 0.0, 1.0)
        first = (1 - params.vector_weight) * first + params.vector_weight * dense_cos
    first *= date_gate([item.published for item in items], params.max_days_apart)
    np.fill_diagonal(first, 1.0)
    second = second_order(first, params.neighbour_decay)
    w = params.second_order_weight
    combined: Matrix = (1 - w) * first + w * second
    return combined


def term_cosine(items: Sequence[ClusterItem], params: ClusterParams = DEFAULT) -> Matrix:
    """Cosine similarity of the items' entity-weighted TF-IDF vectors (idf from the items)."""
    from scipy import sparse

    bags = [_term_bag(item, params) for item in items]
    df = Counter(term for bag in bags for term in bag)
    vocab = {term: j for j, term in enumerate(df)}
    n = len(items)
    idf = {term: math.log((1 + n) / (1 + count)) + 1 for term, count in df.items()}
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    for i, bag in enumerate(bags):
        weights = {t: w * idf[t] for t, w in bag.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        for term, weight in weights.items():
            rows.append(i)
            cols.append(vocab[term])
            values.append(weight / norm)
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(n, max(len(vocab), 1)))
    cosine: Matrix = np.asarray((matrix @ matrix.T).toarray(), dtype=np.float64)
    return cosine


def _term_bag(item: ClusterItem, params: ClusterParams) -> dict[str, float]:
    """Sublinear term weights of one item, entity terms boosted."""
    counts: Counter[str] = Counter()
    for term, _ in _terms(item.title):
        counts[term] += params.title_weight
    entities: set[str] = set()
    for term, is_entity in _terms(item.text):
        counts[term] += 1
        if is_entity:
            entities.add(term)
    return {term: (1 + math.log(c)) * (params.entity_weight if term in entities else 1.0)
            for term, c in counts.items()}


def _terms(text: str) -> list[tuple[str, bool]]:
    """(lower-cased term, looks like a name or figure) for each content word of `text`.

    A capitalised word counts as a name only inside a sentence: the first word of a sentence
    is capitalised anyway. A headline's words are not judged (headline case is common)."""
    out: list[tuple[str, bool]] = []
    for match in _WORD.finditer(text):
        word = match.group(0)
        term = word.lower().replace("’", "'")
        if term.endswith("'s"):
            term = term[:-2]
        if len(term) < 2 or term in STOPWORDS:
            continue
        digit = any(ch.isdigit() for ch in word)
        out.append((term, digit or (word[0].isupper() and not _opens_sentence(text,
                                                                            match.start()))))
    return out


def _opens_sentence(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] in _SENTENCE_OPENERS


def date_gate(dates: Sequence[dt.date | None], max_days_apart: int) -> Matrix:
    """1 where two items may be one story, 0 where both are dated and too far apart."""
    n = len(dates)
    known = np.array([d is not None for d in dates])
    ordinal = np.array([d.toordinal() if d is not None else 0 for d in dates], dtype=np.int64)
    far = np.abs(ordinal[:, None] - ordinal[None, :]) > max_days_apart
    gate: Matrix = np.ones((n, n))
    gate[far & known[:, None] & known[None, :]] = 0.0
    return gate


def second_order(similarity: Matrix, decay: float) -> Matrix:
    """Cosine of the items' neighbourhood profiles: row i keeps similarity[i, j] weighted by
    exp(-rank_i(j) / decay), rank 0 being the closest (the item itself)."""
    ranks = np.argsort(np.argsort(-similarity, axis=1, kind="stable"), axis=1, kind="stable")
    profile = np.clip(similarity, 0.0, None) * np.exp(-ranks / decay)
    norms = np.linalg.norm(profile, axis=1, keepdims=True)
    profile /= np.where(norms > 0, norms, 1.0)
    result: Matrix = profile @ profile.T
    return result


def _first_appearance_labels(raw: Sequence[int]) -> list[int]:
    seen: dict[int, int] = {}
    return [seen.setdefault(label, len(seen)) for label in raw]
