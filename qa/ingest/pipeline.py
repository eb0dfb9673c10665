"""Incremental ingest: load -> diff against the manifest -> chunk -> embed -> store.

Unchanged content (same key, same sha256) embeds nothing. A changed file gets its new chunks
stored before the old document is removed, so an interrupted run never loses what was stored.
Chunk ids are derived from content, so re-running after a crash upserts rather than duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import LoadError
from qa.ingest.chunker import iter_chunks
from qa.ingest.formats import DateWarning
from qa.ingest.load import DEFAULT_MAX_BYTES, FieldMap, count_files, iter_documents
from qa.ingest.pending import Pending
from qa.records import Chunk, Document
from vectorstore.index import Index
from vectorstore.manifest import date_to_int

if TYPE_CHECKING:
    from qa.settings import Settings

# Chunks embedded per flush. The embedder sorts each call's texts by length, so a bigger call
# pads less, and fewer calls leave fewer Chroma upserts between them. Reuters (19,043 stories):
# pipeline overhead +16.1% over the embedder alone at 1,024, -1.8% at 4,096 (run-to-run noise
# is about 5%); 4,096 chunks of 256 tokens are a few MB of text and 6 MB of vectors.
FLUSH_CHUNKS = 4096


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # same content already stored under another key: linked, not embedded
    pruned: int = 0
    chunks: int = 0
    errors: list[LoadError] = field(default_factory=list)
    keyword_chunks: int | None = None  # set when the keyword index was rebuilt on request
    repaired: list[str] = field(default_factory=list)  # store parts healed (qa/ingest/heal.py)

    @property
    def failed(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        parts = [f"{self.added} added", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicate")
        if self.pruned:
            parts.append(f"{self.pruned} pruned")
        parts.append(f"{self.failed} failed")
        line = ", ".join(parts) + f" ({self.chunks} chunks embedded)"
        if self.keyword_chunks is not None:
            line += f"; keyword index rebuilt ({self.keyword_chunks} chunks)"
        return "\n".join([line, *(f"repaired: {done}" for done in self.repaired)])


Progress = Callable[[int, int], None]  # (documents done, documents total)
PartProgress = Callable[[str, int, int], None]  # (file name, characters done, characters)


# A document longer than this reports progress per flushed batch of its chunks, in characters
# (a 50 MB file is minutes of embedding: without it the bar sat still).
PART_PROGRESS_CHARS = 4 * 2**20


@dataclass(frozen=True)
class Chunking:
    """Chunk size and overlap in tokens. The defaults are `Settings`' (a test keeps them in
    step); `from_settings` reads the user's."""

    tokens: int = 256
    overlap: int = 64

    @classmethod
    def from_settings(cls, settings: Settings) -> Chunking:
        return cls(tokens=settings.chunk_tokens, overlap=settings.chunk_overlap)


class Ingestor:
    def __init__(self, index: Index, chunking: Chunking = Chunking(),
                 progress: Progress | None = None,
                 part_progress: PartProgress | None = None) -> None:
        self.index = index
        self.chunking = chunking
        self.progress = progress
        self.part_progress = part_progress
        self.report = IngestReport()
        self._pending: dict[str, Pending] = {}  # by doc_id: a duplicate is one lookup
        self._pending_chunks = 0
        # (key, doc_id, doc_id the key held before) waiting for doc_id's flush
        self._links: list[tuple[str, str, str | None]] = []
        self._changed = False
        # What this run did to the keyword index's input, so a current index can be appended
        # to (vectorstore/index.py `update_keyword_index`) instead of rebuilt from every chunk.
        self._before = index.manifest.keyword_stamp()
        self._added: set[str] = set()  # doc ids whose chunks were stored or re-titled
        self._dropped: set[str] = set()  # chunk ids removed or re-titled

    def run_healed(self, documents: Iterable[Document | LoadError],
                   prune_records: bool = False) -> IngestReport:
        """`run`, then the store check every ingest ends with (qa/ingest/heal.py): after the
        run, whose own keyword rebuild may already have made everything current."""
        report = self.run(documents, prune_records=prune_records)
        from qa.ingest.heal import heal  # heal imports this module

        report.repaired = heal(self.index)
        return report

    def run(self, documents: Iterable[Document | LoadError],
            prune_records: bool = False) -> IngestReport:
        """Store `documents` (consumed lazily: only the flush batch is held). With
        `prune_records`, forget the records of each corpus loaded here that it no longer holds."""
        corpora = _CorpusKeys()
        total = len(documents) if isinstance(documents, Sequence) else 0
        for doc_id in self.index.manifest.keyless():  # what a killed run left half-replaced
            self._forget(doc_id)
            self._changed = True
        try:
            for done, item in enumerate(documents, 1):
                corpora.note(item)
                if isinstance(item, LoadError):
                    self.report.errors.append(item)
                else:
                    self._consider(item)
                if self._pending_chunks >= FLUSH_CHUNKS:
                    self._flush()
                if self.progress:
                    self.progress(done, total)
            self._flush()
            if prune_records:
                for key in corpora.gone(self.index.manifest.keys()):
                    self._unlink(key)
                    self.report.pruned += 1
        finally:
            # Runs on Ctrl-C too: what was stored is searchable by keyword as well.
            self._update_keyword_index()
        return self.report

    def prune(self) -> None:
        """Forget documents whose files vanished (a feed entry's key is its URL, not a file:
        kept)."""
        for key in self.index.manifest.keys():
            if "://" in key:
                continue
            path = key.split("#", 1)[0]
            if not Path(path).exists():
                self._unlink(key)
                self.report.pruned += 1

    def forget(self, ref: str) -> int:
        with self.index.writing():
            docs = self.index.manifest.find_docs(str(Path(ref).resolve()) if Path(ref).exists()
                                                 else ref)
            for doc in docs:
                self._forget(doc.doc_id)
                self._changed = True
            self._update_keyword_index()
        return len(docs)

    def _update_keyword_index(self) -> None:
        if self._changed:
            self.index.update_keyword_index(self._added, self._dropped, self._before)
            self._before = self.index.manifest.keyword_stamp()
            self._added, self._dropped, self._changed = set(), set(), False

    def _forget(self, doc_id: str) -> None:
        self._dropped.update(c.chunk_id for c in self.index.manifest.doc_chunks(doc_id))
        self._added.discard(doc_id)
        self.index.forget_doc(doc_id)

    def _consider(self, doc: Document) -> None:
        manifest = self.index.manifest
        stored = manifest.doc_for_key(doc.key)
        if stored and stored[1] == doc.sha256:
            if self._relabel(doc):
                self.report.updated += 1
            else:
                self.report.unchanged += 1
            return
        queued = doc.doc_id in self._pending
        if queued or manifest.has_doc(doc.doc_id):
            # Same content already stored (or queued) under another key: record the key only,
            # then drop what the key held before if nothing else points at it. A queued
            # document is linked after its flush, so duplicates never force a small embedding
            # call (Reuters: calls averaged 85 texts when every duplicate flushed).
            link = (doc.key, doc.doc_id, stored[0] if stored else None)
            if queued:
                self._links.append(link)
            else:
                self._link([link])
                self._relabel(doc)  # a moved file: its old key is gone, its new metadata wins
            self.report.duplicates += 1
            return
        pending = Pending(doc, stored[0] if stored else None)
        self._pending[doc.doc_id] = pending
        # Chunked lazily, and a big document's vectors flushed as its chunks accumulate, so an
        # embedding call never holds more than FLUSH_CHUNKS texts. Its manifest entry is written
        # once all its chunks are stored: an interrupted run leaves vectors that the next run
        # upserts (chunk ids come from content), never a document with half its chunks.
        try:
            for chunk in iter_chunks(doc, size=self.chunking.tokens,
                                     overlap=self.chunking.overlap):
                pending.fresh.append(chunk)
                self._pending_chunks += 1
                if self._pending_chunks >= FLUSH_CHUNKS:
                    self._embed_pending()
                    if self.part_progress and doc.length > PART_PROGRESS_CHARS:
                        self.part_progress(Path(doc.key).name, chunk.end, doc.length)
        except LoadError as err:  # a streamed file changed while it was read again
            self._pending_chunks -= len(pending.fresh)
            self._abandon(pending, err)
            return
        pending.chunked = True

    def _abandon(self, pending: Pending, err: LoadError) -> None:
        """Drop a document that could not be stored whole: its vectors so far, the keys
        waiting for it; the error is reported and the run goes on."""
        doc_id = pending.doc.doc_id
        self._pending.pop(doc_id, None)
        self.index.vectors.delete_where({"doc_id": doc_id})
        self._links = [link for link in self._links if link[1] != doc_id]
        self.report.errors.append(err)

    def _relabel(self, doc: Document) -> bool:
        """Store new metadata of unchanged text (a sidecar added, a date fixed) without
        re-embedding; True when something changed."""
        [info] = self.index.manifest.documents([doc.doc_id])
        if sum(1 for key in info.keys if Path(key.split("#", 1)[0]).exists()) > 1:
            return False  # one text under several live keys: the first's metadata stays (else
            # each ingest would relabel it back and forth, as Reuters' duplicate stories did);
            # keys whose file is gone (a moved folder) do not count
        now = (doc.title, doc.source, doc.published, doc.published_at, doc.url)
        if now == (info.title, info.source, info.published, info.published_at, info.url):
            return False
        self.index.manifest.update_metadata(doc)
        chunks = self.index.manifest.doc_chunks(doc.doc_id)
        self.index.vectors.update_metadata([c.chunk_id for c in chunks],
                                           [_chunk_metadata(doc, c) for c in chunks])
        self._changed = True  # the keyword index holds titles
        self._dropped.update(c.chunk_id for c in chunks)
        self._added.add(doc.doc_id)
        return True

    def _embed_pending(self) -> None:
        """Embed and store the vectors of every pending chunk not stored yet."""
        todo = [(p.doc, p.fresh) for p in self._pending.values()]
        chunks = [(doc, c) for doc, cs in todo for c in cs]
        if chunks:
            vectors = self.index.embedder.embed([embedding_text(d, c) for d, c in chunks])
            self.index.vectors.add([c.chunk_id for _, c in chunks], vectors,
                                   [c.text for _, c in chunks],
                                   [_chunk_metadata(d, c) for d, c in chunks])
            self._changed = True
        for p in self._pending.values():
            p.mark_embedded()
        self._pending_chunks = 0

    def _flush(self) -> None:
        self._embed_pending()
        batch = [p for p in self._pending.values() if p.chunked]
        if not batch:
            return
        for item in batch:
            del self._pending[item.doc.doc_id]
        self._changed = True
        held = [item for item in batch if item.doc.stream is None]
        self.index.manifest.put_documents([(item.doc, item.chunks()) for item in held])
        for item in [item for item in batch if item.doc.stream is not None]:
            # a streamed file is read a third time for its chunk texts: alone in its
            # transaction, so that its changing on disk fails only itself
            try:
                self.index.manifest.put_documents([(item.doc, item.chunks())])
                held.append(item)
            except LoadError as err:
                self._abandon(item, err)
        batch = held
        self._added.update(item.doc.doc_id for item in batch)
        links, self._links = self._links, []
        self._link(links)
        for item in batch:
            if item.replaces and item.replaces != item.doc.doc_id:
                self._drop_if_orphan(item.replaces)
                self.report.updated += 1
            else:
                self.report.added += 1
            self.report.chunks += item.count

    def _link(self, links: Sequence[tuple[str, str, str | None]]) -> None:
        self.index.manifest.add_keys([(key, doc_id) for key, doc_id, _ in links])
        for _, doc_id, before in links:
            if before and before != doc_id:
                self._drop_if_orphan(before)
                self._changed = True

    def _unlink(self, key: str) -> None:
        orphan = self.index.manifest.remove_key(key)
        if orphan:
            self._forget(orphan)
            self._changed = True

    def _drop_if_orphan(self, doc_id: str) -> None:
        manifest = self.index.manifest
        if not any(d.keys for d in manifest.documents([doc_id])):
            self._forget(doc_id)


class _CorpusKeys:
    """The record keys each corpus file gave in this run, to forget the ones it dropped. A corpus
    with a broken record is left alone: the broken line may be a record still meant to be kept
    (its id unreadable), and forgetting it would lose what is stored."""

    def __init__(self) -> None:
        self.keys: dict[str, set[str]] = {}  # corpus path -> record keys loaded
        self.broken: set[str] = set()  # error paths ("path:line") of this run

    def note(self, item: Document | LoadError) -> None:
        if isinstance(item, DateWarning):
            return  # stored, undated
        if isinstance(item, LoadError):
            self.broken.add(item.path.rsplit(":", 1)[0])
        elif "#" in item.key:
            self.keys.setdefault(item.key.split("#", 1)[0], set()).add(item.key)

    def gone(self, stored: Iterable[str]) -> list[str]:
        out = []
        for key in stored:
            path = key.split("#", 1)[0]
            if "#" in key and path in self.keys and path not in self.broken \
                    and key not in self.keys[path]:
                out.append(key)
        return out


def embedding_text(doc: Document, chunk: Chunk) -> str:
    """What the dense model sees: the chunk, headed by its document's title (a later chunk alone
    often lacks the subject; "title. text" is what scored best on SciFact, see OFFLINE.md)."""
    if chunk.text.startswith(doc.title):
        return chunk.text
    return f"{doc.title}. {chunk.text}"


def _chunk_metadata(doc: Document, chunk: Chunk) -> dict[str, str | int]:
    meta: dict[str, str | int] = {"doc_id": doc.doc_id, "published": date_to_int(doc.published),
                                  "source": doc.source, "ordinal": chunk.ordinal}
    if chunk.page is not None:
        meta["page"] = chunk.page
    return meta


def ingest_paths(index: Index, paths: Sequence[Path], *, chunking: Chunking = Chunking(),
                 max_bytes: int = DEFAULT_MAX_BYTES, include: Sequence[str] = (),
                 exclude: Sequence[str] = (), default_date: date | None = None,
                 source: str | None = None, fields: FieldMap | None = None, prune: bool = False,
                 progress: Progress | None = None,
                 part_progress: PartProgress | None = None) -> IngestReport:
    """Load `paths`, skip what is stored unchanged, chunk, embed and store the rest.

    Documents stream from the loaders (a list of them held every file's text at once);
    `progress` counts files, from a walk that reads none of them first."""
    total = count_files(paths, include=include, exclude=exclude) if progress else 0
    done = 0

    def file_done() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(min(done, total), total)

    documents = iter_documents(paths, include=include, exclude=exclude, date=default_date,
                               source=source, fields=fields or FieldMap(), max_bytes=max_bytes,
                               on_file=file_done)
    ingestor = Ingestor(index, chunking, part_progress=part_progress)
    with index.writing():  # the whole run: one writer at a time (vectorstore/lock.py)
        if prune:
            ingestor.prune()
        return ingestor.run_healed(documents, prune_records=prune)
