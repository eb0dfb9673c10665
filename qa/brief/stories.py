"""The window's documents -> articles (near-duplicates folded) -> stories, ranked.

Everything comes from what the store already holds: the manifest's dates, titles and chunk texts,
and Chroma's chunk vectors (a document's vector is the normalised mean of its chunks'); nothing
is embedded again. `--topic` keeps the documents retrieval finds about it, by the same two
signals as the off-topic gate of `qa ask` (dense cosine, share of the topic's words).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from qa.brief.cluster import ClusterItem, cluster_stories
from qa.brief.dedup import near_duplicate_groups
from qa.brief.window import Window
from qa.records import Article, DocInfo
from qa.retrieve import Filters, retrieve
from qa.text import content_words
from vectorstore.index import Index

# The off-topic gate's bars (Settings.min_relevance, min_coverage; docs/benchmarks.md): a chunk
# about the topic has a dense cosine this high, or holds this share of the topic's words.
TOPIC_MIN_COSINE = 0.3
TOPIC_MIN_COVERAGE = 0.7
TOPIC_CHUNKS = 400  # chunks retrieved for a topic: enough for a busy day's articles


@dataclass
class Cluster:
    """A story before it is written: its articles, texts and vectors, ranked."""

    articles: list[Article]
    texts: list[str]  # each article's text (the representative's), as stored
    vector: npt.NDArray[np.float32] | None  # normalised centroid of the articles' vectors
    score: float = 0.0
    relevance: float | None = None

    @property
    def doc_ids(self) -> list[str]:
        return [d.doc_id for a in self.articles for d in (a.doc, *a.copies)]

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o for a in self.articles for o in a.outlets))


@dataclass
class Gathered:
    clusters: list[Cluster]  # ranked, best first
    documents: int
    duplicates: int


def window_documents(index: Index, window: Window, *, sources: Sequence[str] = (),
                     topic: str = "") -> tuple[list[DocInfo], dict[str, float]]:
    """The documents published in the window (about `topic`, if given) and, with a topic, each
    one's relevance (its best chunk's dense cosine)."""
    # a document's own date may be a day either side of the user's (time zones)
    first, last = window.first_day - timedelta(days=1), window.last_day + timedelta(days=1)
    docs = [d for d in index.manifest.documents_dated(first, last, sources) if window.holds(d)]
    if not topic or not docs:
        return docs, {}
    inside = {d.doc_id for d in docs}
    topic_words = set(content_words(topic))
    relevance: dict[str, float] = {}
    for passage in retrieve(index, topic, k=TOPIC_CHUNKS, candidates=TOPIC_CHUNKS,
                            filters=Filters(since=first, until=last, sources=tuple(sources))):
        doc_id = passage.doc.doc_id
        if doc_id not in inside:
            continue
        cosine = passage.dense_score or 0.0
        held = topic_words & set(content_words(passage.doc.title + " " + passage.text))
        coverage = len(held) / len(topic_words) if topic_words else 0.0
        if cosine >= TOPIC_MIN_COSINE or coverage >= TOPIC_MIN_COVERAGE:
            relevance[doc_id] = max(relevance.get(doc_id, 0.0), cosine, coverage)
    return [d for d in docs if d.doc_id in relevance], relevance


def gather(index: Index, window: Window, *, sources: Sequence[str] = (),
           topic: str = "") -> Gathered:
    docs, relevance = window_documents(index, window, sources=sources, topic=topic)
    if not docs:
        return Gathered([], 0, 0)
    docs.sort(key=lambda d: (window.when(d) or window.since, d.doc_id))
    clusters, duplicates = group_stories(index, docs, relevance)
    for cluster in clusters:
        cluster.score = story_score(cluster, window)
    clusters.sort(key=lambda c: (-c.score, c.doc_ids[0]))
    return Gathered(clusters, len(docs), duplicates)


def group_stories(index: Index, docs: Sequence[DocInfo],
                  relevance: dict[str, float] | None = None) -> tuple[list[Cluster], int]:
    """`docs` (earliest first) -> near-duplicates folded -> stories, unranked; and how many
    copies were folded. Apart from `gather` so that `qa eval brief` measures this very path on
    undated story sets, which no window holds."""
    relevance = relevance or {}
    texts = [index.manifest.doc_text(d.doc_id) for d in docs]
    vectors = _doc_vectors(index, docs)

    # near-duplicates: the earliest copy stands for the article, the others are its copies
    representative = list(range(len(docs)))
    for group in near_duplicate_groups(texts):
        first = min(group)
        for i in group:
            representative[i] = first
    keep = [i for i in range(len(docs)) if representative[i] == i]
    copies: dict[int, list[DocInfo]] = {i: [] for i in keep}
    for i, rep in enumerate(representative):
        if rep != i:
            copies[rep].append(docs[i])

    items = [ClusterItem(title=docs[i].title, text=texts[i], vector=vectors.get(docs[i].doc_id),
                         published=docs[i].published) for i in keep]
    labels = cluster_stories(items)
    grouped: dict[int, list[int]] = {}
    for i, label in zip(keep, labels, strict=True):
        grouped.setdefault(label, []).append(i)
    clusters = []
    for members in grouped.values():
        articles = [Article(docs[i], tuple(copies[i])) for i in members]
        vecs = [vectors[docs[i].doc_id] for i in members if docs[i].doc_id in vectors]
        rel = [relevance[d.doc_id] for a in articles for d in (a.doc, *a.copies)
               if d.doc_id in relevance]
        clusters.append(Cluster(articles, [texts[i] for i in members], _unit_mean(vecs),
                                relevance=max(rel) if rel else None))
    return clusters, len(docs) - len(keep)


def story_score(cluster: Cluster, window: Window) -> float:
    """Distinct outlets first (what several newsrooms chose to cover), then articles (on a log
    scale: a wire story copied ten times is not ten stories' worth), then recency within the
    window (0..1), then relevance to the topic."""
    span = (window.until - window.since).total_seconds() or 1.0
    times = [t for a in cluster.articles if (t := window.when(a.doc)) is not None]
    recency = max(((t - window.since).total_seconds() / span for t in times), default=0.0)
    articles = sum(1 + len(a.copies) for a in cluster.articles)
    return (len(cluster.outlets) + math.log2(articles) + 0.5 * min(max(recency, 0.0), 1.0)
            + 2.0 * (cluster.relevance or 0.0))


def _doc_vectors(index: Index, docs: Sequence[DocInfo]) -> dict[str, npt.NDArray[np.float32]]:
    ids = [f"{d.doc_id}:{n}" for d in docs for n in range(d.chunk_count)]
    stored = index.vectors.vectors_for(ids)
    out: dict[str, npt.NDArray[np.float32]] = {}
    for d in docs:
        rows = [stored[f"{d.doc_id}:{n}"] for n in range(d.chunk_count)
                if f"{d.doc_id}:{n}" in stored]
        mean = _unit_mean(rows)
        if mean is not None:
            out[d.doc_id] = mean
    return out


def _unit_mean(rows: Sequence[npt.NDArray[np.float32]]) -> npt.NDArray[np.float32] | None:
    if not rows:
        return None
    mean = np.mean(np.stack(rows), axis=0).astype(np.float32)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else None
