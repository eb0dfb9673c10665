"""The store as one object: manifest + vectors + keyword index + the embedder that built them.

Opening is cheap; Chroma and the embedding model load on first use, so commands that only read
the manifest (`qa docs list`, `qa stats`) stay fast. `qa.store.open_index` builds one from the
settings; this layer takes plain arguments and never reads them.

Layout of `folder`: `chroma/` (embedded Chroma, unless `chroma_url`), `manifest.sqlite3` (with the
briefings' tables), `bm25/`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from vectorstore.briefs import Briefs
from vectorstore.keyword_index import KeywordIndex
from vectorstore.manifest import Manifest

if TYPE_CHECKING:
    from vectorstore.chroma_store import ChunkStore
    from vectorstore.embedders import Embedder

DEFAULT_COLLECTION = "qa-chunks"


class Index:
    def __init__(self, folder: Path, make_embedder: Callable[[], Embedder], *,
                 chroma_url: str | None = None, collection: str = DEFAULT_COLLECTION) -> None:
        self.folder = folder
        self.chroma_url = chroma_url
        self.collection = collection
        self._make_embedder = make_embedder
        folder.mkdir(parents=True, exist_ok=True)
        self.manifest = Manifest(folder / "manifest.sqlite3")
        self.keyword = KeywordIndex(folder / "bm25")

    @property
    def vectors_location(self) -> str:
        """Where the vectors live: the server URL or the embedded Chroma folder."""
        return self.chroma_url or str(self.folder / "chroma")

    @cached_property
    def embedder(self) -> Embedder:
        return self._make_embedder()

    @cached_property
    def vectors(self) -> ChunkStore:
        from vectorstore.chroma_store import ChunkStore

        return ChunkStore.open(self.embedder, folder=self.folder / "chroma", url=self.chroma_url,
                               collection=self.collection)

    @cached_property
    def briefs(self) -> Briefs:
        """Briefings remembered, in the manifest's SQLite file."""
        return Briefs(self.manifest.db)

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
