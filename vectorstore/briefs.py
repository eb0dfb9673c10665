"""Briefings remembered: tables beside the manifest, in the same SQLite file.

`briefings` holds each briefing whole (its JSON body, so `qa briefs show` renders it in any
format later); `stories` the stories' stable ids and first day; `story_days` what each briefing
said about each story (sentences, documents, and the centroid and top terms that link a later
day's cluster to it). Re-running a briefing with the same id replaces it in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

_SCHEMA = """
CREATE TABLE IF NOT EXISTS briefings (
    brief_id TEXT PRIMARY KEY, day TEXT, since TEXT NOT NULL, until TEXT NOT NULL,
    tz TEXT NOT NULL, topic TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,
    stories INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY, first_seen TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS story_days (
    story_id TEXT NOT NULL REFERENCES stories(story_id) ON DELETE CASCADE,
    brief_id TEXT NOT NULL REFERENCES briefings(brief_id) ON DELETE CASCADE,
    day TEXT NOT NULL, status TEXT NOT NULL, headline TEXT NOT NULL, sentences TEXT NOT NULL,
    doc_ids TEXT NOT NULL, centroid BLOB, terms TEXT NOT NULL,
    PRIMARY KEY (story_id, brief_id));
CREATE INDEX IF NOT EXISTS story_days_day ON story_days(day);
"""
# In the order a store's rows must be written (story_days refers to the other two).
TABLES = ("briefings", "stories", "story_days")


@dataclass
class StoryDay:
    """What one briefing said about one story."""

    story_id: str
    brief_id: str
    day: date
    status: str
    headline: str
    sentences: list[str]
    doc_ids: list[str]
    centroid: npt.NDArray[np.float32] | None = None
    terms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class BriefRow:
    brief_id: str
    day: date | None
    since: str
    until: str
    tz: str
    topic: str
    created_at: str
    stories: int


class Briefs:
    def __init__(self, db: sqlite3.Connection, *, read_only: bool = False) -> None:
        self.db = db
        if read_only:  # a read-only store is read as it is (no briefing yet: no tables)
            return
        with db:
            db.executescript(_SCHEMA)

    # -- writes --------------------------------------------------------------------------------
    def put(self, row: BriefRow, body: str, days: Sequence[StoryDay]) -> None:
        """Store a briefing and what it said per story, replacing a briefing of the same id."""
        with self.db:
            replaced = [r[0] for r in self.db.execute(
                "SELECT story_id FROM story_days WHERE brief_id=?", (row.brief_id,))]
            self.db.execute("DELETE FROM briefings WHERE brief_id=?", (row.brief_id,))
            self.db.execute("INSERT INTO briefings VALUES (?,?,?,?,?,?,?,?,?)",
                            (row.brief_id, row.day.isoformat() if row.day else None, row.since,
                             row.until, row.tz, row.topic, row.created_at, row.stories, body))
            for d in days:
                self.db.execute("INSERT OR IGNORE INTO stories VALUES (?, ?)",
                                (d.story_id, d.day.isoformat()))
                self.db.execute(
                    "INSERT INTO story_days VALUES (?,?,?,?,?,?,?,?,?)",
                    (d.story_id, d.brief_id, d.day.isoformat(), d.status, d.headline,
                     json.dumps(d.sentences), json.dumps(d.doc_ids),
                     None if d.centroid is None else np.asarray(d.centroid, np.float32).tobytes(),
                     json.dumps(d.terms)))
            # stories only the replaced briefing knew are gone with it
            self.db.execute("DELETE FROM stories WHERE story_id NOT IN "
                            "(SELECT story_id FROM story_days)")
            # only the stories this briefing (or the one it replaced) touched can have a new
            # first day
            touched = {d.story_id for d in days} | set(replaced)
            self.db.executemany("UPDATE stories SET first_seen = (SELECT min(day) FROM story_days "
                                "s WHERE s.story_id = stories.story_id) WHERE story_id = ?",
                                [(story_id,) for story_id in sorted(touched)])

    def put_rows(self, table: str, rows: Sequence[Sequence[object]]) -> None:
        """Store rows of one of `TABLES` as they were read by `rows` (a store being moved),
        updating rows of the same key in place (REPLACE would delete first, and the cascade
        would take other briefings' story_days with it); the stories' first days then follow
        what is stored."""
        if table not in TABLES or not rows:
            return
        columns = [r[1] for r in self.db.execute(f"PRAGMA table_info({table})")]
        marks = ",".join("?" * len(columns))
        update = ", ".join(f"{c} = excluded.{c}" for c in columns)
        with self.db:
            self.db.executemany(f"INSERT INTO {table} VALUES ({marks}) ON CONFLICT DO UPDATE "
                                f"SET {update}", rows)
            if table == "story_days":
                self.db.execute("UPDATE stories SET first_seen = coalesce((SELECT min(day) FROM "
                                "story_days s WHERE s.story_id = stories.story_id), first_seen)")

    def rows(self, table: str) -> Iterator[tuple[object, ...]]:
        """Every row of one of `TABLES`, as stored (centroids as bytes)."""
        if table not in TABLES:
            raise ValueError(f"not a briefing table: {table}")
        yield from self.db.execute(f"SELECT * FROM {table} ORDER BY rowid")

    def clear(self) -> None:
        """Forget every briefing (a replay over a kept store starts from no memory)."""
        with self.db:
            self.db.execute("DELETE FROM story_days")
            self.db.execute("DELETE FROM briefings")
            self.db.execute("DELETE FROM stories")

    # -- reads ---------------------------------------------------------------------------------
    def recent(self, *, since: date, before: date, exclude: str = "") -> list[StoryDay]:
        """What briefings of the days [since, before) said, oldest first (a briefing being
        replaced, `exclude`, is left out)."""
        rows = self.db.execute(
            "SELECT * FROM story_days WHERE day >= ? AND day < ? AND brief_id != ? "
            "ORDER BY day, brief_id", (since.isoformat(), before.isoformat(), exclude))
        return [_story_day(r) for r in rows]

    def briefings(self) -> list[BriefRow]:
        rows = self.db.execute("SELECT brief_id, day, since, until, tz, topic, created_at, "
                               "stories FROM briefings ORDER BY since DESC, created_at DESC")
        return [_brief_row(r) for r in rows]

    def body(self, ref: str) -> str | None:
        """A briefing's body by id, or the latest briefing of a day (YYYY-MM-DD)."""
        row = self.db.execute("SELECT body FROM briefings WHERE brief_id=? OR day=? "
                              "ORDER BY brief_id=? DESC, created_at DESC LIMIT 1",
                              (ref, ref, ref)).fetchone()
        return str(row[0]) if row else None

    def timeline(self, ref: str) -> list[StoryDay]:
        """Every day's entry of the story with this id (or unique id prefix), oldest first."""
        ids = [r[0] for r in self.db.execute(
            "SELECT story_id FROM stories WHERE story_id LIKE ? || '%'", (ref,))]
        if len(ids) != 1:
            return []
        rows = self.db.execute("SELECT * FROM story_days WHERE story_id=? ORDER BY day, brief_id",
                               (ids[0],))
        return [_story_day(r) for r in rows]

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM briefings").fetchone()[0])


def _story_day(row: tuple[object, ...]) -> StoryDay:
    story_id, brief_id, day, status, headline, sentences, doc_ids, centroid, terms = row
    vector = np.frombuffer(centroid, dtype=np.float32).copy() if isinstance(centroid, bytes) \
        else None
    return StoryDay(story_id=str(story_id), brief_id=str(brief_id),
                    day=date.fromisoformat(str(day)), status=str(status),
                    headline=str(headline), sentences=json.loads(str(sentences)),
                    doc_ids=json.loads(str(doc_ids)),
                    centroid=vector, terms=json.loads(str(terms)))


def _brief_row(row: tuple[object, ...]) -> BriefRow:
    brief_id, day, since, until, tz, topic, created_at, stories = row
    return BriefRow(str(brief_id), date.fromisoformat(str(day)) if day else None, str(since),
                    str(until), str(tz), str(topic), str(created_at), int(str(stories)))
