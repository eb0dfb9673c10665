"""Hybrid retrieval: dense (Chroma) + keyword (BM25), fused by reciprocal rank fusion.

RRF with a small constant (settings.fusion_k, default 10) held up on corpora where the dense
model is much weaker than BM25 (see ../shared/OFFLINE.md); equal-weight RRF with k=60 did not.
Filters (published date range, sources) apply to both sides before fusion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from qa.index import Index
from qa.manifest import date_to_int
from qa.types import Passage

Mode = Literal["hybrid", "dense", "keyword"]
CANDIDATES = 100  # per side, before fusion


@dataclass(frozen=True)
class Filters:
    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.sources)

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.since:
            clauses.append({"published": {"$gte": date_to_int(self.since)}})
        if self.until:
            clauses.append({"published": {"$lte": date_to_int(self.until)}})
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def allowed_chunks(index: Index, filters: Filters) -> set[str]:
    """Chunk ids passing the filters, from the manifest (for the keyword side)."""
    sql = "SELECT c.chunk_id FROM chunks c JOIN documents d USING (doc_id) WHERE 1=1"
    args: list[Any] = []
    if filters.since:
        sql += " AND d.published >= ?"
        args.append(filters.since.isoformat())
    if filters.until:
        sql += " AND d.published IS NOT NULL AND d.published <= ?"
        args.append(filters.until.isoformat())
    if filters.sources:
        sql += f" AND d.source IN ({','.join('?' * len(filters.sources))})"
        args.extend(filters.sources)
    return {row[0] for row in index.manifest.db.execute(sql, args)}


def rrf(rankings: list[list[str]], k: int) -> dict[str, float]:
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank + 1)
    return fused


def retrieve(index: Index, query: str, *, k: int, filters: Filters = Filters(),
             mode: Mode = "hybrid", candidates: int = CANDIDATES) -> list[Passage]:
    """The top-k passages for `query`, best first."""
    if not query.strip():
        return []
    dense: list[tuple[str, float]] = []
    keyword: list[tuple[str, float]] = []
    if mode in ("hybrid", "dense"):
        vector = index.embedder.embed([query])[0]
        dense = index.vectors.query(vector, candidates, where=filters.chroma_where())
    if mode in ("hybrid", "keyword"):
        allowed = allowed_chunks(index, filters) if filters else None
        keyword = index.keyword.search(query, candidates, allowed=allowed)
    if mode == "dense":
        fused = dict(dense)
    elif mode == "keyword":
        fused = dict(keyword)
    else:
        fused = rrf([[c for c, _ in dense], [c for c, _ in keyword]], index.settings.fusion_k)
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
