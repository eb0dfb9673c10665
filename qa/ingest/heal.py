"""Keep the store's three parts in step: the manifest (the truth), the vectors, the keyword index.

Run after every ingest (and by `qa doctor --repair`). The check is cheap: the vectors' count
against the manifest's chunk count, and the keyword index's stamp (the manifest's change and
chunk counts when it was built, see `Manifest.keyword_stamp`). Only when a count disagrees are
the ids compared. Repairs read nothing but the store: the manifest holds every chunk's text, so
a lost keyword index is rebuilt from it and lost vectors are re-embedded from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.errors import StoreError
from qa.ingest.pipeline import _chunk_metadata, embedding_text
from qa.records import DocInfo, Document
from vectorstore.index import Index

REEMBED_BATCH = 4096  # chunks per embedding call, as an ingest flush


@dataclass
class Health:
    """The parts' counts and what is out of step (empty `problems`: all in step)."""

    documents: int = 0
    chunks: int = 0
    vectors: int | None = None  # None: the vectors could not be opened
    keyword_entries: int | None = None  # None: the keyword index is unreadable
    keyword_current: bool = False
    missing_vectors: set[str] = field(default_factory=set)
    orphan_vectors: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def check(index: Index) -> Health:
    stats = index.manifest.stats()
    health = Health(documents=stats["documents"], chunks=stats["chunks"])
    try:
        health.vectors = index.vectors.count()
    except StoreError as exc:
        health.problems.append(f"vectors unreadable: {exc.message}")
    if health.vectors is not None and health.vectors != health.chunks:
        stored = index.vectors.ids()
        wanted = index.manifest.chunk_ids_where()
        health.missing_vectors = wanted - stored
        health.orphan_vectors = stored - wanted
        if health.missing_vectors:
            health.problems.append(f"{len(health.missing_vectors)} chunks have no vector")
        if health.orphan_vectors:
            health.problems.append(f"{len(health.orphan_vectors)} vectors belong to no chunk")
    try:
        health.keyword_entries = index.keyword.count()  # small files: the index is not loaded
        health.keyword_current = index.keyword_is_current()
    except StoreError as exc:
        health.problems.append(f"keyword index unreadable: {exc.message}")
    if health.keyword_entries is not None and not health.keyword_current:
        health.problems.append(f"keyword index stale ({health.keyword_entries} entries for "
                               f"{health.chunks} chunks)")
    return health


def heal(index: Index) -> list[str]:
    """Repair what `check` finds; one line per repair made. Checked inside the write lock: a
    check made before it may describe a store another writer has changed since."""
    with index.writing():
        health = check(index)
        done: list[str] = []
        if health.missing_vectors:
            done.append(f"re-embedded {reembed(index, health.missing_vectors)} lost vectors "
                        "from the stored chunks")
        if health.orphan_vectors:
            index.vectors.delete(sorted(health.orphan_vectors))
            done.append(f"removed {len(health.orphan_vectors)} vectors of no stored chunk")
        if not health.keyword_current:
            done.append(f"rebuilt the keyword index ({index.rebuild_keyword_index()} chunks)")
    return done


def reembed(index: Index, chunk_ids: set[str]) -> int:
    """Embed the manifest's texts of `chunk_ids` again, exactly as an ingest did."""
    ordered = sorted(chunk_ids)
    for start in range(0, len(ordered), REEMBED_BATCH):
        chunks = list(index.manifest.chunks(ordered[start:start + REEMBED_BATCH]).values())
        docs = {d.doc_id: _as_document(d)
                for d in index.manifest.documents({c.doc_id for c in chunks})}
        texts = [embedding_text(docs[c.doc_id], c) for c in chunks]
        index.vectors.add([c.chunk_id for c in chunks], index.embedder.embed(texts),
                          [c.text for c in chunks],
                          [_chunk_metadata(docs[c.doc_id], c) for c in chunks])
    return len(ordered)


def _as_document(info: DocInfo) -> Document:
    """The stored document's fields the embedding text and the vector metadata are made of."""
    return Document(key=info.keys[0] if info.keys else "", text="", title=info.title,
                    source=info.source, published=info.published, sha256=info.sha256,
                    url=info.url, external_id=info.external_id, published_at=info.published_at)
