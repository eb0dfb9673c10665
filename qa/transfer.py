"""Moving a store: `qa export FILE.jsonl` writes it out, `qa import FILE.jsonl` reads it in.

The file is JSON Lines (gzip when the name ends in .gz), one object a line, so both directions
stream: memory holds one batch of chunks and one document's chunk list, never the store.

    {"format": "qa-export", "version": 1, "embedder": NAME, "dimension": D, "documents": N, ...}
    {"type": "document", "doc_id", "sha256", "title", "source", "published", "published_at",
     "url", "external_id", "keys": [...], "chunks": COUNT}
    {"type": "chunk", "chunk_id", "ordinal", "text", "start", "end", "page",
     "vector": base64 of little-endian float32, or null when the store had none}   (COUNT lines)
    {"type": "row", "table": "briefings" | "stories" | "story_days", "values": [...]}
    {"type": "end", "documents": N, "chunks": M, "rows": R}

Vectors go as the exact float32 bytes, with the embedder's name in the header: importing them
into a store that embeds with another model is refused unless `--reembed`, which embeds the
chunk texts again (as a chunk without a vector always is). Chunk ids come from content, so
importing twice replaces rather than duplicates; briefing rows replace rows of the same key.
Vectors are stored before their document's manifest entry, as ingest does, and the keyword
index is rebuilt at the end: an interrupted import leaves what the next ingest heals.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from qa import __version__
from qa.errors import EmbedderMismatch, StoreError
from qa.ingest.pipeline import _chunk_metadata, embedding_text
from qa.records import Chunk, Document
from vectorstore.briefs import TABLES
from vectorstore.index import Index

FORMAT, VERSION = "qa-export", 1
BATCH_CHUNKS = 1024  # chunks per vector read or write, and per manifest transaction
Progress = Callable[[int, int], None]  # (documents done, documents in the file)


@dataclass
class TransferReport:
    file: str
    embedder: str = ""
    documents: int = 0
    chunks: int = 0
    vectors: int = 0  # carried as they were
    reembedded: int = 0  # embedded again: another embedder, or no vector in the file
    rows: int = 0  # briefing memory rows
    repaired: list[str] = field(default_factory=list)

    def summary(self, verb: str) -> str:
        moved = f"{self.vectors} vectors" + (f", {self.reembedded} embedded again"
                                             if self.reembedded else "")
        return (f"{verb} {self.documents} documents, {self.chunks} chunks ({moved}; "
                f"{self.embedder}), {self.rows} briefing rows, file {self.file}")


# ------------------------------------------------------------------------------------ export

def export_store(index: Index, path: Path, progress: Progress | None = None) -> TransferReport:
    """Write the store to `path` (via `path.tmp`, renamed at the end: no half file)."""
    report = TransferReport(file=str(path), embedder=index.vectors.embedder_name())
    db = index.manifest.db
    tmp = path.with_name(path.name + ".tmp")
    index.briefs  # noqa: B018 - opened first: creating its tables would end the snapshot below
    db.execute("BEGIN")  # one snapshot of the manifest (WAL): a write meanwhile is not half seen
    try:
        stats = index.manifest.stats()
        with _open(tmp, "w") as out:
            _line(out, {"format": FORMAT, "version": VERSION, "embedder": report.embedder,
                        "dimension": index.vectors.dimension(), "documents": stats["documents"],
                        "chunks": stats["chunks"], "qa": __version__,
                        "exported_at": datetime.now().astimezone().isoformat()})
            batch: list[dict[str, Any] | Chunk] = []
            doc_ids = (row[0] for row in db.execute("SELECT doc_id FROM documents ORDER BY doc_id"))
            for done, doc_id in enumerate(doc_ids, 1):
                batch.append(_document_line(index, doc_id))
                chunks = db.execute("SELECT doc_id, ordinal, text, start, end, page FROM chunks "
                                    "WHERE doc_id=? ORDER BY ordinal", (doc_id,))
                while rows := chunks.fetchmany(BATCH_CHUNKS):
                    batch.extend(Chunk(*row) for row in rows)
                    if len(batch) >= BATCH_CHUNKS:
                        _write_batch(index, out, batch, report)
                report.documents += 1
                if progress:
                    progress(done, stats["documents"])
            _write_batch(index, out, batch, report)
            for table in _briefing_tables(index):
                for values in index.briefs.rows(table):
                    _line(out, {"type": "row", "table": table, "values": [_jsonable(v)
                                                                           for v in values]})
                    report.rows += 1
            _line(out, {"type": "end", "documents": report.documents, "chunks": report.chunks,
                        "rows": report.rows})
        os.replace(tmp, path)
    finally:
        db.execute("ROLLBACK")
        tmp.unlink(missing_ok=True)
    return report


def _document_line(index: Index, doc_id: str) -> dict[str, Any]:
    [info] = index.manifest.documents([doc_id])
    return {"type": "document", "doc_id": info.doc_id, "sha256": info.sha256,
            "title": info.title, "source": info.source,
            "published": info.published.isoformat() if info.published else None,
            "published_at": info.published_at.isoformat() if info.published_at else None,
            "url": info.url, "external_id": info.external_id, "keys": list(info.keys),
            "chunks": info.chunk_count}


def _write_batch(index: Index, out: IO[str], batch: list[dict[str, Any] | Chunk],
                 report: TransferReport) -> None:
    """Write buffered document and chunk lines in order, the chunks' vectors read at once."""
    vectors = index.vectors.vectors_for([c.chunk_id for c in batch if isinstance(c, Chunk)])
    for item in batch:
        if isinstance(item, dict):
            _line(out, item)
            continue
        vector = vectors.get(item.chunk_id)
        _line(out, {"type": "chunk", "chunk_id": item.chunk_id, "ordinal": item.ordinal,
                    "text": item.text, "start": item.start, "end": item.end, "page": item.page,
                    "vector": None if vector is None else base64.b64encode(
                        np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")})
        report.chunks += 1
        report.vectors += vector is not None
    batch.clear()


def _briefing_tables(index: Index) -> list[str]:
    """The briefing tables this store has (a read-only store that never briefed has none)."""
    have = {r[0] for r in index.manifest.db.execute(
        "SELECT name FROM sqlite_master WHERE type='table'")}
    return [t for t in TABLES if t in have]


# ------------------------------------------------------------------------------------ import

def import_store(index: Index, path: Path, *, reembed: bool = False,
                 progress: Progress | None = None) -> TransferReport:
    """Read a file written by `export_store` into `index` (under its write lock)."""
    from qa.ingest.heal import heal

    with index.writing():
        lines = _lines(path)
        header = _header(path, lines)
        name = str(header.get("embedder", ""))
        target = index.embedder.name
        if name != target and not reembed:
            raise EmbedderMismatch(f"{path} holds vectors of {name!r}; this store embeds with "
                                   f"{target!r}", fix="add --reembed to embed its texts again "
                                   "with this store's embedder, or set QA_EMBEDDER to the "
                                   "file's embedder and use a new --store")
        importer = _Importer(index, path, reembed=name != target,
                             dimension=int(header.get("dimension") or 0))
        importer.report.embedder = target
        total = int(header.get("documents") or 0)
        ended, read, problem = False, 0, None
        try:
            for number, item in lines:
                kind = item.get("type")
                if kind == "document":
                    importer.document(number, item)
                    read += 1
                    if progress:
                        progress(read, total)
                elif kind == "chunk":
                    importer.chunk(number, item)
                elif kind == "row":
                    importer.row(number, item)
                elif kind == "end":
                    ended = True
                    break
                else:
                    raise importer.bad(number, f"unknown line type {kind!r}")
        except StoreError as exc:  # a bad line: what came before it is kept, healed and said
            problem = exc
        importer.finish()
        if importer.changed:
            index.rebuild_keyword_index()
        # vectors of a document the file broke off inside belong to no stored chunk
        importer.report.repaired = heal(index)
        if problem is None and not ended:
            problem = StoreError(f"{path}: ends before its end line (truncated?); "
                                 f"{importer.report.documents} whole documents were imported",
                                 fix="export the store again and import the whole file")
        if problem is not None:
            raise problem
    return importer.report


class _Importer:
    def __init__(self, index: Index, path: Path, *, reembed: bool, dimension: int) -> None:
        self.index, self.path, self.reembed, self.dimension = index, path, reembed, dimension
        self.report = TransferReport(file=str(path))
        self.current: tuple[Document, list[str], int, list[Chunk]] | None = None
        self.ready: list[tuple[Document, list[str], list[Chunk]]] = []
        self.vectors: list[tuple[Document, Chunk, np.ndarray[Any, np.dtype[np.float32]]]] = []
        self.to_embed: list[tuple[Document, Chunk]] = []
        self.changed = False

    def document(self, number: int, item: dict[str, Any]) -> None:
        self._close_document()
        try:
            doc = Document(key="", text="", title=item["title"], source=item["source"],
                           published=_day(item["published"]), sha256=item["sha256"],
                           url=item["url"], external_id=item["external_id"],
                           published_at=_instant(item["published_at"]))
            keys, count = [str(k) for k in item["keys"]], int(item["chunks"])
        except (KeyError, TypeError, ValueError) as exc:
            raise self.bad(number, f"a document line without a valid {exc}") from None
        if doc.doc_id != item.get("doc_id"):
            raise self.bad(number, "the document id does not match its sha256")
        self.current = (doc, keys, count, [])

    def chunk(self, number: int, item: dict[str, Any]) -> None:
        if self.current is None:
            raise self.bad(number, "a chunk before any document")
        doc, _, _, chunks = self.current
        try:
            chunk = Chunk(doc.doc_id, int(item["ordinal"]), str(item["text"]), int(item["start"]),
                          int(item["end"]), item["page"])
        except (KeyError, TypeError, ValueError) as exc:
            raise self.bad(number, f"a chunk line without a valid {exc}") from None
        if chunk.chunk_id != item.get("chunk_id"):
            raise self.bad(number, f"chunk {item.get('chunk_id')!r} under document "
                            f"{doc.doc_id}")
        chunks.append(chunk)
        vector = item.get("vector")
        if vector is None or self.reembed:
            self.to_embed.append((doc, chunk))
        else:
            array = np.frombuffer(base64.b64decode(vector), dtype="<f4").astype(np.float32)
            if self.dimension and array.shape[0] != self.dimension:
                raise self.bad(number, f"a {array.shape[0]}-d vector in a "
                                f"{self.dimension}-d export")
            self.vectors.append((doc, chunk, array))
        if len(self.vectors) + len(self.to_embed) >= BATCH_CHUNKS:
            self._store_vectors()

    def row(self, number: int, item: dict[str, Any]) -> None:
        table = item.get("table")
        if table not in TABLES or not isinstance(item.get("values"), list):
            raise self.bad(number, f"a row of unknown table {table!r}")
        self._store_documents()  # story_days name documents: store them first
        self.index.briefs.put_rows(str(table), [[_stored(v) for v in item["values"]]])
        self.report.rows += 1

    def finish(self) -> None:
        self._close_document()
        self._store_documents()

    # -- storing ---------------------------------------------------------------------------
    def _close_document(self) -> None:
        """The document being read is complete: queue it (an incomplete last one, of a
        truncated file, is not stored; its vectors are healed away)."""
        if self.current is None:
            return
        doc, keys, count, chunks = self.current
        self.current = None
        if len(chunks) == count:
            self.ready.append((doc, keys, chunks))
            if sum(len(c) for _, _, c in self.ready) >= BATCH_CHUNKS or len(self.ready) >= 256:
                self._store_documents()

    def _store_vectors(self) -> None:
        ids = [c.chunk_id for _, c, _ in self.vectors]
        if ids:
            self.index.vectors.add(ids, np.stack([v for _, _, v in self.vectors]),
                                   [c.text for _, c, _ in self.vectors],
                                   [_chunk_metadata(d, c) for d, c, _ in self.vectors])
            self.report.vectors += len(ids)
        if self.to_embed:
            texts = [embedding_text(d, c) for d, c in self.to_embed]
            self.index.vectors.add([c.chunk_id for _, c in self.to_embed],
                                   self.index.embedder.embed(texts),
                                   [c.text for _, c in self.to_embed],
                                   [_chunk_metadata(d, c) for d, c in self.to_embed])
            self.report.reembedded += len(self.to_embed)
        self.vectors, self.to_embed = [], []
        self.changed = True

    def _store_documents(self) -> None:
        """Vectors first, then the manifest entries and keys (what an ingest flush does)."""
        if not self.ready:
            return
        self._store_vectors()
        manifest = self.index.manifest
        before = {manifest.doc_for_key(k) for _, keys, _ in self.ready for k in keys}
        manifest.put_documents([(replace(doc, key=keys[0] if keys else ""), chunks)
                                for doc, keys, chunks in self.ready])
        manifest.add_keys([(k, doc.doc_id) for doc, keys, _ in self.ready for k in keys[1:]])
        self.report.documents += len(self.ready)
        self.report.chunks += sum(len(chunks) for _, _, chunks in self.ready)
        # a key that held other content before now names the imported document: drop what
        # no key names any more, as ingest does
        for stored in before - {None}:
            assert stored is not None
            if not any(d.keys for d in manifest.documents([stored[0]])):
                self.index.forget_doc(stored[0])
        self.ready = []
        self.changed = True

    def bad(self, number: int, what: str) -> StoreError:
        return StoreError(f"{self.path}:{number}: {what}",
                          fix="import a file written by `qa export`, whole")


# ------------------------------------------------------------------------------------ lines

def _open(path: Path, mode: str) -> IO[str]:
    if path.name.endswith((".gz", ".gz.tmp")):
        return gzip.open(path, mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8")


def _line(out: IO[str], data: dict[str, Any]) -> None:
    out.write(json.dumps(data, ensure_ascii=False) + "\n")


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each line of `path`, read lazily."""
    try:
        handle = _open(path, "r")
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}",
                         fix="name a file written by `qa export`") from exc
    with handle:
        try:
            for number, text in enumerate(handle, 1):
                if not text.strip():
                    continue
                try:
                    item = json.loads(text)
                except ValueError:
                    if not text.endswith("\n"):  # the last line, cut short
                        return
                    raise StoreError(f"{path}:{number}: not a JSON line",
                                     fix="import a file written by `qa export`") from None
                if not isinstance(item, dict):
                    raise StoreError(f"{path}:{number}: not a JSON object",
                                     fix="import a file written by `qa export`")
                yield number, item
        except (OSError, EOFError, UnicodeDecodeError) as exc:  # a damaged gzip stream
            raise StoreError(f"{path}: unreadable ({exc})",
                             fix="export the store again") from exc


def _header(path: Path, lines: Iterator[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    first = next(lines, None)
    if first is None or first[1].get("format") != FORMAT:
        raise StoreError(f"{path}: not a qa export (no header line)",
                         fix="name a file written by `qa export`")
    if int(first[1].get("version", 0)) > VERSION:
        raise StoreError(f"{path}: export format {first[1].get('version')}, this qa reads "
                         f"{VERSION}", fix="upgrade qa (pip install -U qa-desk)")
    return first[1]


def _jsonable(value: object) -> object:
    return {"b64": base64.b64encode(value).decode("ascii")} if isinstance(value, bytes) else value


def _stored(value: object) -> object:
    if isinstance(value, dict) and set(value) == {"b64"}:
        return base64.b64decode(str(value["b64"]))
    return value


def _day(value: object) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def _instant(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None
