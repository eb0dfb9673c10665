"""The store as one object: manifest + vectors + keyword index + the embedder that built them.

Opening is cheap; Chroma and the embedding model load on first use, so commands that only read
the manifest (`qa docs list`, `qa stats`) stay fast. `qa.store.open_index` builds one from the
settings; this layer takes plain arguments and never reads them.

Layout of `folder`: `chroma/` (embedded Chroma, unless `chroma_url`), `manifest.sqlite3` (with the
briefings' tables), `bm25/`. A folder qa may not write is opened read-only (reading commands
work; writes fail in SQLite). The manifest is the source of truth: an empty or missing one beside
stored vectors or a keyword index is refused, never taken for a new store.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import StoreError, StoreLocked
from vectorstore.briefs import Briefs
from vectorstore.feeds import Feeds
from vectorstore.keyword_index import KeywordIndex
from vectorstore.lock import hold
from vectorstore.manifest import Manifest

if TYPE_CHECKING:
    from vectorstore.chroma_store import ChunkStore
    from vectorstore.embedders import Embedder

DEFAULT_COLLECTION = "qa-chunks"
LOCK_FILE = "write.lock"
# From this many indexed chunks on, a change to a current keyword index is appended to it
# rather than rebuilt from every chunk (see vectorstore/keyword_index.py): below it a rebuild
# takes seconds and keeps the index exact.
APPEND_FROM = 50_000


class Index:
    def __init__(self, folder: Path, make_embedder: Callable[[], Embedder], *,
                 chroma_url: str | None = None, collection: str = DEFAULT_COLLECTION,
                 read_only: bool | None = None, lock_wait: float | None = 0.0,
                 on_lock_wait: Callable[[StoreLocked], None] | None = None) -> None:
        self.folder = folder
        # How `writing()` waits for another writer: 0 not at all, None for ever, else seconds.
        self.lock_wait = lock_wait
        self.on_lock_wait = on_lock_wait
        self.chroma_url = chroma_url
        self.collection = collection
        self._make_embedder = make_embedder
        manifest = folder / "manifest.sqlite3"
        self.read_only = _read_only(folder, manifest) if read_only is None else read_only
        if not self.read_only:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the store folder {folder}: "
                                 f"{exc.strerror or exc}", fix="choose a writable --store or "
                                 "QA_STORE") from exc
        self.keyword = KeywordIndex(folder / "bm25")
        self._refuse_a_lost_manifest(manifest)
        self.manifest = Manifest(manifest, read_only=self.read_only)

    def _refuse_a_lost_manifest(self, manifest: Path) -> None:
        if manifest.is_file() and manifest.stat().st_size > 0:
            return
        left = [part for part, holds in (
            ("keyword index", self.keyword.stamp() is not None),
            ("vectors", not self.chroma_url and (self.folder / "chroma" / "chroma.sqlite3")
             .is_file())) if holds]
        if left:
            state = "empty" if manifest.exists() else "missing"
            raise StoreError(f"{manifest}: the manifest is {state} but the store still holds "
                             f"{' and '.join(left)}", fix="restore manifest.sqlite3 from a "
                             "backup, or re-ingest your files into a new --store")

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store's write lock (`<store>/write.lock`) for the block: every command that
        writes (ingest, forget, repair, a saved briefing, import) runs inside one, so a second
        writer gets one line naming the holder, or waits (`lock_wait`). Readers take no lock.
        The vectors behind a `chroma run` server are shared, but the manifest and keyword index
        beside them are this folder's, so the lock is taken in both modes. A read-only store
        takes none: nothing here can write it."""
        if self.read_only:
            yield
            return
        with hold(self.folder / LOCK_FILE, what=f"the store {self.folder}", wait=self.lock_wait,
                  on_wait=self.on_lock_wait):
            yield

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
        return Briefs(self.manifest.db, read_only=self.read_only)

    @cached_property
    def feeds(self) -> Feeds:
        """Feed subscriptions and their entries, in the manifest's SQLite file."""
        return Feeds(self.manifest.db, read_only=self.read_only)

    def rebuild_keyword_index(self) -> int:
        stamp = self.manifest.keyword_stamp()
        rows = ((cid, text) for cid, _doc, text in self.manifest.iter_chunk_texts())
        return self.keyword.rebuild(rows, stamp)

    def update_keyword_index(self, doc_ids: Collection[str], dropped: Collection[str],
                             before: str) -> int | None:
        """Bring the keyword index up to date after an ingest that added the chunks of
        `doc_ids` and removed (or re-titled) the chunks `dropped`, starting from the manifest
        state `before` (a `keyword_stamp`). Appends when the index was current at `before` and
        big enough to be worth it, else rebuilds; returns the chunks rebuilt, None if
        appended."""
        keyword = self.keyword
        try:
            if keyword.stamp() == before and keyword.count() >= APPEND_FROM:
                rows = ((cid, text) for cid, _doc, text in
                        self.manifest.iter_chunk_texts(doc_ids))
                if keyword.append(rows, dropped, self.manifest.keyword_stamp()) is not None:
                    return None
        except StoreError:
            pass  # an unreadable index: the rebuild below replaces it
        return self.rebuild_keyword_index()

    def keyword_is_current(self) -> bool:
        return self.keyword.stamp() == self.manifest.keyword_stamp()

    def forget_doc(self, doc_id: str) -> None:
        """Remove a document's vectors, then its manifest rows (vectors first: a crash in between
        leaves a manifest entry whose re-ingest restores the vectors, never orphan vectors)."""
        self.vectors.delete_where({"doc_id": doc_id})
        self.manifest.delete_document(doc_id)

    def close(self) -> None:
        if "vectors" in self.__dict__:  # opened (cached_property); closes HTTP connections
            self.vectors.close()
        self.manifest.close()


def _read_only(folder: Path, manifest: Path) -> bool:
    """True for an existing store this process may not write (a read-only disk, another user's
    folder); a folder still to be created is not read-only (creating it may fail: one line)."""
    if manifest.exists():
        return not (os.access(manifest, os.W_OK) and os.access(folder, os.W_OK))
    return folder.is_dir() and not os.access(folder, os.W_OK)
