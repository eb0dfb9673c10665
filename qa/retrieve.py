"""Hybrid retrieval: dense (Chroma) + keyword (BM25), fused by reciprocal rank fusion.

RRF with a small constant (`fusion_k`: settings.fusion_k, default 10) held up on corpora where the
dense model is much weaker than BM25 (see ../shared/OFFLINE.md); equal-weight RRF with k=60 did
not.
Filters (published date range, sources) apply to both sides before fusion, by one rule: a date
bound keeps only documents whose date is known and in range (vectorstore/manifest.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from qa.records import Passage
from vectorstore.index import Index
from vectorstore.manifest import date_to_int

Mode = Literal["hybrid", "dense", "keyword"]
CANDIDATES = 100  # per side, before fusion
FUSION_K = 10  # the default of settings.fusion_k


@dataclass(frozen=True)
class Filters:
    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)
    doc_ids: tuple[str, ...] = field(default_factory=tuple)  # only these documents (a story's)
    scope: str = ""  # what doc_ids stand for, shown to the user ("story: ...")

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.sources or self.doc_ids)

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.since or self.until:  # undated documents (0) pass no date filter
            clauses.append({"published": {"$gte": date_to_int(self.since) or 1}})
        if self.until:
            clauses.append({"published": {"$lte": date_to_int(self.until)}})
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.doc_ids:
            clauses.append({"doc_id": {"$in": list(self.doc_ids)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


NO_FILTERS = Filters()


def rrf(rankings: list[list[str]], k: int) -> dict[str, float]:
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank + 1)
    return fused


def retrieve(index: Index, query: str, *, k: int, filters: Filters = NO_FILTERS,
             mode: Mode = "hybrid", candidates: int = CANDIDATES,
             fusion_k: int = FUSION_K) -> list[Passage]:
    """The top-k passages for `query`, best first."""
    if not query.strip():
        return []
    dense: list[tuple[str, float]] = []
    keyword: list[tuple[str, float]] = []
    if mode in ("hybrid", "dense"):
        vector = index.embedder.embed([query])[0]
        dense = index.vectors.query(vector, candidates, where=filters.chroma_where())
    if mode in ("hybrid", "keyword"):
        allowed = index.manifest.chunk_ids_where(
            since=filters.since, until=filters.until, sources=filters.sources,
            doc_ids=filters.doc_ids) if filters else None
        keyword = index.keyword.search(query, candidates, allowed=allowed)
    if mode == "dense":
        fused = dict(dense)
    elif mode == "keyword":
        fused = dict(keyword)
    else:
        fused = rrf([[c for c, _ in dense], [c for c, _ in keyword]], fusion_k)
    top = sorted(fused, key=lambda c: -fused[c])[:k]
    return build_passages(index, top, fused, dict(dense), dict(keyword))


def build_passages(index: Index, chunk_ids: list[str], fused: dict[str, float],
                   dense: dict[str, float], keyword: dict[str, float]) -> list[Passage]:
    chunks = index.manifest.chunks(chunk_ids)
    docs = {d.doc_id: d for d in index.manifest.documents({c.doc_id for c in chunks.values()})}
    passages = []
    for cid in chunk_ids:
        chunk = chunks.get(cid)
        if chunk is None or chunk.doc_id not in docs:
            continue  # vector without manifest row: an interrupted ingest; re-ingest heals it
        passages.append(Passage(chunk=chunk, doc=docs[chunk.doc_id], score=fused[cid],
                                dense_score=dense.get(cid), keyword_score=keyword.get(cid)))
    return passages
