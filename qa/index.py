"""The store as one object: manifest + vectors + keyword index + the embedder that built them.

Opening is cheap; Chroma and the embedding model load on first use, so commands that only read
the manifest (`qa docs list`, `qa stats`) stay fast.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from qa.keyword import KeywordIndex
from qa.manifest import Manifest

if TYPE_CHECKING:
    from qa.settings import Settings
    from vectorstore.chroma_store import ChunkStore
    from vectorstore.embedders import Embedder


class Index:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.store.mkdir(parents=True, exist_ok=True)
        self.manifest = Manifest(settings.store / "manifest.sqlite3")
        self.keyword = KeywordIndex(settings.store / "bm25")

    @cached_property
    def embedder(self) -> Embedder:
        from vectorstore.embedders import make_embedder

        return make_embedder(self.settings)

    @cached_property
    def vectors(self) -> ChunkStore:
        from vectorstore.chroma_store import ChunkStore

        return ChunkStore.open(self.settings, self.embedder)

    def rebuild_keyword_index(self) -> int:
        rows = ((cid, text) for cid, _doc, text in self.manifest.iter_chunk_texts())
        return self.keyword.rebuild(rows)

    def forget_doc(self, doc_id: str) -> None:
        """Remove a document's vectors, then its manifest rows (vectors first: a crash in between
        leaves a manifest entry whose re-ingest restores the vectors, never orphan vectors)."""
        self.vectors.delete_where({"doc_id": doc_id})
        self.manifest.delete_document(doc_id)

    def close(self) -> None:
        if "vectors" in self.__dict__:  # opened (cached_property); closes HTTP connections
            self.vectors.close()
        self.manifest.close()
