"""Feed subscriptions and the entries they gave: tables beside the manifest, in its SQLite file.

`feeds` holds one row per subscription: its name, URL and outlet, the validators of the last
successful fetch (ETag, Last-Modified: the next fetch is conditional), and how the last fetches
went (time, new entries, last error, consecutive failures, a server's Retry-After).
`feed_entries` maps an entry's canonical URL (the document key) to the hash of the entry as the
feed gave it, so an unchanged entry costs no request, and records where the document's text came
from (the article page, or the feed's own content or summary when the page gave none).
Created by `CREATE TABLE IF NOT EXISTS` on open, as the briefing tables are: no migration.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    name TEXT PRIMARY KEY, url TEXT NOT NULL UNIQUE, source TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL, etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '', last_fetch TEXT NOT NULL DEFAULT '',
    last_new INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
    failures INTEGER NOT NULL DEFAULT 0, retry_after TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS feed_entries (
    key TEXT PRIMARY KEY, feed TEXT NOT NULL, entry_hash TEXT NOT NULL,
    text_from TEXT NOT NULL, fetched_at TEXT NOT NULL);
"""


@dataclass(frozen=True)
class FeedRow:
    name: str
    url: str
    source: str  # the outlet documents get; '' means the feed's name
    added_at: str
    etag: str = ""
    last_modified: str = ""
    last_fetch: str = ""
    last_new: int = 0
    last_error: str = ""
    failures: int = 0  # consecutive failed fetches
    retry_after: str = ""  # ISO instant before which the server asked not to be fetched

    @property
    def outlet(self) -> str:
        return self.source or self.name


_COLUMNS = ("name, url, source, added_at, etag, last_modified, last_fetch, last_new, last_error, "
            "failures, retry_after")


class Feeds:
    def __init__(self, db: sqlite3.Connection, *, read_only: bool = False) -> None:
        self.db = db
        self.read_only = read_only
        if not read_only:
            with db:
                db.executescript(_SCHEMA)

    # -- subscriptions -------------------------------------------------------------------------
    def all(self) -> list[FeedRow]:
        if self.read_only and not self._has_tables():
            return []
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM feeds ORDER BY name")
        return [FeedRow(*r) for r in rows]

    def find(self, ref: str) -> FeedRow | None:
        """The feed named `ref`, or subscribed at the URL `ref`."""
        if self.read_only and not self._has_tables():
            return None
        row = self.db.execute(f"SELECT {_COLUMNS} FROM feeds WHERE name=? OR url=? "
                              "ORDER BY name=? DESC LIMIT 1", (ref, ref, ref)).fetchone()
        return FeedRow(*row) if row else None

    def add(self, row: FeedRow) -> None:
        with self.db:
            self.db.execute(f"INSERT INTO feeds ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                            (row.name, row.url, row.source, row.added_at, row.etag,
                             row.last_modified, row.last_fetch, row.last_new, row.last_error,
                             row.failures, row.retry_after))

    def remove(self, name: str) -> None:
        """Forget the subscription; the documents its entries gave stay stored."""
        with self.db:
            self.db.execute("DELETE FROM feeds WHERE name=?", (name,))

    def record_success(self, name: str, *, etag: str, last_modified: str, fetched: str,
                       new: int) -> None:
        with self.db:
            self.db.execute("UPDATE feeds SET etag=?, last_modified=?, last_fetch=?, last_new=?, "
                            "last_error='', failures=0, retry_after='' WHERE name=?",
                            (etag, last_modified, fetched, new, name))

    def record_failure(self, name: str, *, error: str, fetched: str,
                       retry_after: str = "") -> None:
        """A failed fetch changes nothing but these columns: validators stay, so the next fetch
        is as conditional as the last good one."""
        with self.db:
            self.db.execute("UPDATE feeds SET last_fetch=?, last_new=0, last_error=?, "
                            "failures=failures+1, retry_after=? WHERE name=?",
                            (fetched, error, retry_after, name))

    # -- entries -------------------------------------------------------------------------------
    def entry_hashes(self, keys: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            part = list(keys[i:i + 500])
            out.update(self.db.execute(
                f"SELECT key, entry_hash FROM feed_entries WHERE key IN "
                f"({','.join('?' * len(part))})", part).fetchall())
        return out

    def text_from(self, key: str) -> str | None:
        row = self.db.execute("SELECT text_from FROM feed_entries WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else None

    def put_entries(self, rows: Sequence[tuple[str, str, str, str, str]]) -> None:
        """(key, feed, entry_hash, text_from, fetched_at) rows, replacing earlier ones."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO feed_entries VALUES (?,?,?,?,?)", rows)

    def _has_tables(self) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE name='feeds'").fetchone() \
            is not None
