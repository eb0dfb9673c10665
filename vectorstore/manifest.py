"""The manifest: a SQLite file beside the vectors recording documents, their keys and chunks.

Chroma holds the vectors; the manifest is the source of truth for what was ingested (content
hashes for incremental ingest, the keys/paths a document came from, chunk texts and offsets for
BM25, citations and `/open`). Each ingest flush is one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

from qa.errors import StoreError
from qa.records import Chunk, DocInfo, Document

SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, title TEXT NOT NULL, source TEXT NOT NULL,
    published TEXT, url TEXT NOT NULL DEFAULT '', external_id TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL DEFAULT (datetime('now')), published_at TEXT);
CREATE TABLE IF NOT EXISTS doc_keys (
    key TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS doc_keys_doc ON doc_keys(doc_id);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, text TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    page INTEGER);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
"""
# Each step takes a store from version N to N + 1, in one transaction, keeping every row.
# 1 -> 2: documents get `published_at` (ISO 8601 with its UTC offset, or NULL). The briefing
# tables (vectorstore/briefs.py) are created by `CREATE TABLE IF NOT EXISTS` on open.
_MIGRATIONS: dict[int, str] = {
    1: "ALTER TABLE documents ADD COLUMN published_at TEXT",
}


def date_to_int(value: date | None) -> int:
    """Dates as YYYYMMDD integers, so Chroma's $gte/$lte filters work; 0 means unknown.

    The filter rule, for vectors and keywords alike: a date bound (since, until, or both) keeps
    only documents whose date is known and in range; an undated document passes no date filter.
    """
    return value.year * 10000 + value.month * 100 + value.day if value else 0


class Manifest:
    """`read_only` opens the file with SQLite's `mode=ro` and writes nothing, not even the
    schema: a store on a read-only disk or another user's store can still be read."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        try:
            if read_only:
                if not path.is_file():
                    raise StoreError(f"{path}: no qa manifest here", fix="check --store or "
                                     "QA_STORE, or ingest documents first")
                self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                          timeout=30)
                self._check_readable()
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=30)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.executescript(_SCHEMA)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a qa manifest ({exc})",
                             fix="point --store at a qa store or an empty folder") from exc

    def _check_readable(self) -> None:
        """A read-only store is read as it is: one at another schema cannot be migrated."""
        row = self.db.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
        version = int(row[0]) if row else 0
        if version != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: read-only store at schema {version}, this qa reads "
                             f"{SCHEMA_VERSION} and cannot migrate it without writing",
                             fix="make the store folder writable and run `qa stats` once")

    def _migrate(self) -> None:
        """Bring an older store up to SCHEMA_VERSION in place; refuse a newer one."""
        row = self.db.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
        if row is None:  # a new store: _SCHEMA made it at the current version
            with self.db:
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            return
        version = int(row[0])
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: made by a newer qa (schema {version}, this one reads "
                             f"{SCHEMA_VERSION})", fix="upgrade qa (pip install -U qa-desk)")
        while version < SCHEMA_VERSION:
            with self.db:  # one transaction per step: a crash leaves the store at a version
                self.db.execute(_MIGRATIONS[version])
                version += 1
                self.db.execute("UPDATE meta SET value=? WHERE name='schema'", (str(version),))

    def _bump(self) -> None:
        """Count a change to the chunks or titles, inside the writing transaction: the keyword
        index records the count it was built at, so a rebuild that died is seen as stale."""
        self.db.execute("INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(name) "
                        "DO UPDATE SET value = CAST(value AS INTEGER) + 1")

    def keyword_stamp(self) -> str:
        """What the keyword index must have been built at to be current: the change count and
        the chunk count (cheap: one indexed lookup and one count)."""
        row = self.db.execute("SELECT value FROM meta WHERE name='generation'").fetchone()
        chunks = self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return f"{row[0] if row else 0}:{chunks}"

    @property
    def schema_version(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
        return int(row[0])

    def close(self) -> None:
        self.db.close()

    # -- reads ---------------------------------------------------------------------------------
    def doc_for_key(self, key: str) -> tuple[str, str] | None:
        """(doc_id, sha256) stored under `key`, if any."""
        row = self.db.execute(
            "SELECT d.doc_id, d.sha256 FROM doc_keys k JOIN documents d USING (doc_id) "
            "WHERE k.key = ?", (key,)).fetchone()
        return (row[0], row[1]) if row else None

    def has_doc(self, doc_id: str) -> bool:
        row = self.db.execute("SELECT 1 FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return row is not None

    def keys(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT key FROM doc_keys ORDER BY key")]

    def keyless(self) -> list[str]:
        """The documents no key points at: an ingest killed between linking a file's new version
        and dropping the old one leaves the old one so (every stored document has a key)."""
        return [r[0] for r in self.db.execute(
            "SELECT doc_id FROM documents WHERE doc_id NOT IN (SELECT doc_id FROM doc_keys) "
            "ORDER BY doc_id")]

    def documents(self, doc_ids: Iterable[str] | None = None) -> list[DocInfo]:
        sql = ("SELECT d.doc_id, d.title, d.source, d.published, d.sha256, d.url, d.external_id, "
               "d.published_at, "
               "(SELECT group_concat(key, char(31)) FROM doc_keys k WHERE k.doc_id = d.doc_id), "
               "(SELECT count(*) FROM chunks c WHERE c.doc_id = d.doc_id) FROM documents d")
        if doc_ids is None:
            rows = self.db.execute(sql + " ORDER BY d.published DESC, d.title").fetchall()
        else:
            ids = list(doc_ids)
            rows = []
            for i in range(0, len(ids), 500):
                part = ids[i:i + 500]
                rows += self.db.execute(
                    sql + f" WHERE d.doc_id IN ({','.join('?' * len(part))})", part).fetchall()
        return [_docinfo(r) for r in rows]

    def find_docs(self, ref: str) -> list[DocInfo]:
        """Documents matching a doc id (or unique prefix) or a key/path."""
        rows = self.db.execute(
            "SELECT DISTINCT doc_id FROM documents WHERE doc_id LIKE ? || '%' "
            "UNION SELECT doc_id FROM doc_keys WHERE key = ? OR key LIKE ? || '#%'",
            (ref, ref, ref)).fetchall()
        return self.documents(r[0] for r in rows)

    def chunks(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        out: dict[str, Chunk] = {}
        for i in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[i:i + 500])
            for row in self.db.execute(
                    "SELECT doc_id, ordinal, text, start, end, page FROM chunks WHERE chunk_id IN "
                    f"({','.join('?' * len(part))})", part):
                chunk = Chunk(*row)
                out[chunk.chunk_id] = chunk
        return out

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        rows = self.db.execute("SELECT doc_id, ordinal, text, start, end, page FROM chunks "
                               "WHERE doc_id=? ORDER BY ordinal", (doc_id,))
        return [Chunk(*r) for r in rows]

    def documents_dated(self, first: date, last: date,
                        sources: Sequence[str] = ()) -> list[DocInfo]:
        """Documents whose date (in their own zone) is in [first, last], from `sources` if
        given; the caller narrows by instant (qa/brief/window.py)."""
        sql = "SELECT doc_id FROM documents WHERE published >= ? AND published <= ?"
        args = [first.isoformat(), last.isoformat()]
        if sources:
            sql += f" AND source IN ({','.join('?' * len(sources))})"
            args.extend(sources)
        return self.documents(r[0] for r in self.db.execute(sql, args))

    def doc_text(self, doc_id: str) -> str:
        """A document's text put back together from its chunks, at the chunks' offsets (so a
        span of it is a span of the original; a gap no chunk covers reads as spaces)."""
        text = ""
        for chunk in self.doc_chunks(doc_id):
            if chunk.start > len(text):
                text += " " * (chunk.start - len(text))
            text = text[:chunk.start] + chunk.text + text[chunk.end:]
        return text

    def iter_chunk_texts(self, doc_ids: Iterable[str] | None = None
                         ) -> Iterator[tuple[str, str, str]]:
        """(chunk_id, doc_id, title + text) for the keyword index, in a stable order; only
        those of `doc_ids` when given (an append reads the new documents, not the store)."""
        sql = ("SELECT c.chunk_id, c.doc_id, d.title || '\n' || c.text FROM chunks c "
               "JOIN documents d USING (doc_id)")
        if doc_ids is None:
            yield from self.db.execute(sql + " ORDER BY c.doc_id, c.ordinal")
            return
        ids = sorted(set(doc_ids))
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            yield from self.db.execute(
                sql + f" WHERE c.doc_id IN ({','.join('?' * len(part))}) "
                "ORDER BY c.doc_id, c.ordinal", part).fetchall()

    def sources(self) -> list[str]:
        """The stored documents' distinct sources, sorted."""
        rows = self.db.execute("SELECT DISTINCT source FROM documents ORDER BY source")
        return [str(row[0]) for row in rows]

    def chunk_ids_where(self, *, since: date | None = None, until: date | None = None,
                        sources: Sequence[str] = (), doc_ids: Sequence[str] = ()) -> set[str]:
        """Chunk ids of the documents published in [since, until], from one of `sources`, and
        among `doc_ids`, each where given.
        A date bound keeps dated documents only (see `date_to_int`: the same rule as the
        vectors' filter)."""
        sql = "SELECT c.chunk_id FROM chunks c JOIN documents d USING (doc_id) WHERE 1=1"
        args: list[str] = []
        if since or until:
            sql += " AND d.published IS NOT NULL"
        if since:
            sql += " AND d.published >= ?"
            args.append(since.isoformat())
        if until:
            sql += " AND d.published <= ?"
            args.append(until.isoformat())
        if sources:
            sql += f" AND d.source IN ({','.join('?' * len(sources))})"
            args.extend(sources)
        if doc_ids:
            sql += f" AND d.doc_id IN ({','.join('?' * len(doc_ids))})"
            args.extend(doc_ids)
        return {row[0] for row in self.db.execute(sql, args)}

    def stats(self) -> dict[str, int]:
        one = self.db.execute
        return {"documents": one("SELECT count(*) FROM documents").fetchone()[0],
                "keys": one("SELECT count(*) FROM doc_keys").fetchone()[0],
                "chunks": one("SELECT count(*) FROM chunks").fetchone()[0]}

    # -- writes --------------------------------------------------------------------------------
    def put_documents(self, items: Sequence[tuple[Document, Iterable[Chunk]]]) -> None:
        """Record documents with their chunks in one transaction (one transaction per document
        cost the Reuters ingest 71 s). Chunks are read one at a time (a generator is fine)."""
        with self.db:
            self._bump()
            for doc, chunks in items:
                self.db.execute(
                    "INSERT OR REPLACE INTO documents (doc_id, sha256, title, source, published, "
                    "url, external_id, published_at) VALUES (?,?,?,?,?,?,?,?)",
                    (doc.doc_id, doc.sha256, doc.title, doc.source,
                     doc.published.isoformat() if doc.published else None, doc.url,
                     doc.external_id,
                     doc.published_at.isoformat() if doc.published_at else None))
                self.db.execute("DELETE FROM chunks WHERE doc_id=?", (doc.doc_id,))
                self.db.executemany(
                    "INSERT INTO chunks VALUES (?,?,?,?,?,?,?)",
                    ((c.chunk_id, c.doc_id, c.ordinal, c.text, c.start, c.end, c.page)
                     for c in chunks))
                self.db.execute("INSERT OR REPLACE INTO doc_keys VALUES (?, ?)",
                                (doc.key, doc.doc_id))

    def update_metadata(self, doc: Document) -> None:
        """A stored document's title, source, dates and url, as `doc` now gives them (its text,
        and so its chunks and vectors' content, unchanged)."""
        with self.db:
            self._bump()
            self.db.execute(
                "UPDATE documents SET title=?, source=?, published=?, published_at=?, url=? "
                "WHERE doc_id=?",
                (doc.title, doc.source, doc.published.isoformat() if doc.published else None,
                 doc.published_at.isoformat() if doc.published_at else None, doc.url,
                 doc.doc_id))

    def put_document(self, doc: Document, chunks: Sequence[Chunk]) -> None:
        self.put_documents([(doc, chunks)])

    def add_key(self, key: str, doc_id: str) -> None:
        self.add_keys([(key, doc_id)])

    def add_keys(self, links: Sequence[tuple[str, str]]) -> None:
        """Point each key at its doc_id (replacing what the key pointed at)."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO doc_keys VALUES (?, ?)", links)

    def remove_key(self, key: str) -> str | None:
        """Unlink `key`; returns the doc_id when that left the document with no key (orphan)."""
        found = self.doc_for_key(key)
        if not found:
            return None
        with self.db:
            self.db.execute("DELETE FROM doc_keys WHERE key=?", (key,))
        left = self.db.execute("SELECT count(*) FROM doc_keys WHERE doc_id=?",
                               (found[0],)).fetchone()[0]
        return found[0] if left == 0 else None

    def delete_document(self, doc_id: str) -> None:
        with self.db:
            self._bump()
            self.db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))


def _docinfo(row: tuple[object, ...]) -> DocInfo:
    doc_id, title, source, published, sha, url, ext, published_at, keys, count = row
    return DocInfo(doc_id=str(doc_id), title=str(title), source=str(source),
                   published=date.fromisoformat(str(published)) if published else None,
                   published_at=datetime.fromisoformat(str(published_at)) if published_at
                   else None,
                   sha256=str(sha), url=str(url), external_id=str(ext),
                   keys=tuple(str(keys).split("\x1f")) if keys else (), chunk_count=int(str(count)))
