"""Memory across briefings: which of today's stories continue a story briefed before.

A cluster continues an earlier story (within the lookback) when they share a document, or when
their centroids (the articles' mean chunk vectors) and their top terms are close enough; each
earlier story continues into at most one of today's clusters, best match first.

The bar was swept with `qa eval brief --replay` (docs/benchmarks.md, "Briefings: evaluation"):
BASIL by date (100 events, three outlets each, dated up to 4 days apart: distinct events of nearby
days must not be linked) and Timeline17 dev (two topics followed for months). BASIL linked right /
wrongly linked: LINK_MIN 0.55 and DENSE_WEIGHT 0.6 (before) 17% / 9%; 0.5 / 0.65: 90% / 4%; 0.55 /
0.7: 88% / 2%; **0.575 / 0.75: 90% / 2%**; 0.55 / 0.75: 93% / 12%; 0.6 / 0.75: 84% / 2%; 0.45 /
0.6: 93% / 9%. Timeline17 linked right (never wrongly: its two topics are far apart) 53% at the
chosen bar (24% before), 50-55% at every setting BASIL allows, 86% at 0.3 / 0.6 (BASIL then 28%
wrong): its gold story is the whole topic, several of a day's stories, and a day's sub-event often
resembles no earlier one. The wrong-link guard decided.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from qa.brief.stories import Cluster
from qa.text import content_words, light_stem
from vectorstore.briefs import StoryDay

LINK_MIN = 0.575  # similarity at which a cluster continues an earlier story (swept: above)
DENSE_WEIGHT = 0.75  # similarity = w * centroid cosine + (1 - w) * top-term cosine
TOP_TERMS = 25


def story_terms(cluster: Cluster, df: Counter[str], docs: int) -> dict[str, float]:
    """The cluster's top terms, tf-idf weighted (idf over the window's articles), unit length."""
    tf: Counter[str] = Counter()
    for article, text in zip(cluster.articles, cluster.texts, strict=True):
        tf.update(_terms(article.doc.title) * 2)
        tf.update(_terms(text))
    weights = {t: (1 + math.log(n)) * math.log((docs + 1) / (df[t] + 1)) for t, n in tf.items()}
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TERMS]
    norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
    return {t: round(w / norm, 4) for t, w in top if w > 0}


def window_df(clusters: Sequence[Cluster]) -> tuple[Counter[str], int]:
    df: Counter[str] = Counter()
    docs = 0
    for cluster in clusters:
        for article, text in zip(cluster.articles, cluster.texts, strict=True):
            df.update(set(_terms(article.doc.title + "\n" + text)))
            docs += 1
    return df, docs


def link(clusters: Sequence[Cluster], terms: Sequence[dict[str, float]],
         earlier: Sequence[StoryDay]) -> list[str | None]:
    """For each cluster, the id of the earlier story it continues, or None.

    Vectorised: a busy day (hundreds of clusters) against a week of stored stories is a few
    matrix products, not millions of Python comparisons."""
    out: list[str | None] = [None] * len(clusters)
    if not clusters or not earlier:
        return out
    scores = similarities(clusters, terms, earlier)  # clusters x earlier story days
    story_of = [d.story_id for d in earlier]
    pairs = [(float(scores[i, j]), i, story_of[j]) for i, j in zip(*np.nonzero(scores >= LINK_MIN),
                                                                  strict=True)]
    taken: set[str] = set()
    for _, i, story_id in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if out[i] is None and story_id not in taken:
            out[i] = story_id
            taken.add(story_id)
    return out


def similarities(clusters: Sequence[Cluster], terms: Sequence[dict[str, float]],
                 earlier: Sequence[StoryDay]) -> npt.NDArray[np.float64]:
    """w * centroid cosine + (1 - w) * top-term cosine for every (cluster, earlier day) pair
    (term cosine alone where either lacks a vector); 1.0 where they share a document."""
    from scipy.sparse import csr_matrix

    vocabulary: dict[str, int] = {}
    parts = [_csr_parts(rows, vocabulary) for rows in (terms, [d.terms for d in earlier])]
    width = max(len(vocabulary), 1)
    new_terms = csr_matrix(parts[0], shape=(len(clusters), width))
    old_terms = csr_matrix(parts[1], shape=(len(earlier), width))
    term_cos = np.asarray((new_terms @ old_terms.T).toarray(), dtype=np.float64)

    dim = next((len(c.vector) for c in clusters if c.vector is not None), 0)
    scores = term_cos
    if dim:
        zero = np.zeros(dim)
        new_vec = np.array([c.vector if c.vector is not None and len(c.vector) == dim else zero
                            for c in clusters], dtype=np.float64)
        old_vec = np.array([d.centroid if d.centroid is not None and len(d.centroid) == dim
                            else zero for d in earlier], dtype=np.float64)
        has_vec = (np.abs(new_vec).sum(axis=1) > 0)[:, None] \
            & (np.abs(old_vec).sum(axis=1) > 0)[None, :]
        blended = DENSE_WEIGHT * (new_vec @ old_vec.T) + (1 - DENSE_WEIGHT) * term_cos
        scores = np.where(has_vec, blended, term_cos)

    holders: dict[str, list[int]] = {}
    for j, day in enumerate(earlier):
        for doc_id in day.doc_ids:
            holders.setdefault(doc_id, []).append(j)
    for i, cluster in enumerate(clusters):
        for doc_id in cluster.doc_ids:
            for j in holders.get(doc_id, ()):
                scores[i, j] = 1.0
    return np.asarray(scores, dtype=np.float64)


def _csr_parts(rows: Sequence[dict[str, float]], vocabulary: dict[str, int]
               ) -> tuple[list[float], list[int], list[int]]:
    """(data, column indices, row pointers) of term-weight rows, columns from `vocabulary`."""
    data: list[float] = []
    cols: list[int] = []
    ptr = [0]
    for row in rows:
        for term, weight in row.items():
            cols.append(vocabulary.setdefault(term, len(vocabulary)))
            data.append(weight)
        ptr.append(len(cols))
    return data, cols, ptr


def new_story_id(day: str, cluster: Cluster) -> str:
    digest = hashlib.sha256((day + "\n" + "\n".join(sorted(cluster.doc_ids))).encode())
    return "s" + digest.hexdigest()[:9]


def _terms(text: str) -> list[str]:
    return [light_stem(w) for w in content_words(text) if len(w) > 2 and not w.isdigit()]
