"""The briefing's window: which instants a briefing covers, in the user's time zone.

A document with a time-zone-aware timestamp is in the window when that instant is; a document
with only a date (the input gave no time, or no zone) is in it when that date is one of the
window's days in the user's zone. No zone is ever guessed for a naive time.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qa.errors import ConfigError
from qa.ingest.formats import parse_date, parse_timestamp
from qa.records import DocInfo


@dataclass(frozen=True)
class Window:
    since: dt.datetime  # aware, inclusive
    until: dt.datetime  # aware, exclusive
    zone: dt.tzinfo
    day: dt.date | None = None  # set when the window is exactly one of the user's days

    @property
    def tz_name(self) -> str:
        return zone_name(self.zone)

    @property
    def first_day(self) -> dt.date:
        return self.since.astimezone(self.zone).date()

    @property
    def last_day(self) -> dt.date:
        """The last of the user's days the window touches (until is exclusive)."""
        return (self.until - dt.timedelta(microseconds=1)).astimezone(self.zone).date()

    def holds(self, doc: DocInfo) -> bool:
        if doc.published_at is not None:
            return self.since <= doc.published_at < self.until
        if doc.published is not None:
            return self.first_day <= doc.published <= self.last_day
        return False

    def when(self, doc: DocInfo) -> dt.datetime | None:
        """The document's time for ranking by recency: its instant, else noon of its date."""
        if doc.published_at is not None:
            return doc.published_at
        if doc.published is not None:
            return dt.datetime.combine(doc.published, dt.time(12), self.zone)
        return None


def day_window(day: dt.date, zone: dt.tzinfo) -> Window:
    start = dt.datetime.combine(day, dt.time(0), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
    return Window(start, end, zone, day)


def span_window(since: str | None, until: str | None, zone: dt.tzinfo,
                today: dt.date) -> Window:
    """`--since/--until`: timestamps (with or without a zone: the user's is assumed for a bare
    time, since the user typed it) or dates (a date `until` includes that whole day)."""
    start = _bound(since, zone, end=False) if since else None
    end = _bound(until, zone, end=True) if until else None
    if start is None:
        start = dt.datetime.combine((end or _midnight(today, zone)).date(), dt.time(0), zone)
    if end is None:
        end = _midnight(today + dt.timedelta(days=1), zone)
    if end <= start:
        raise ConfigError(f"--until ({until}) is not after --since ({since})",
                          fix="give an --until later than --since")
    first = start.astimezone(zone).date()
    exactly_one_day = (start == _midnight(first, zone)
                       and end == _midnight(first + dt.timedelta(days=1), zone))
    return Window(start, end, zone, first if exactly_one_day else None)


def _midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), zone)


def _bound(text: str, zone: dt.tzinfo, *, end: bool) -> dt.datetime:
    stamp = parse_timestamp(text)
    if stamp is not None:
        return stamp
    try:
        naive = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        naive = None
    if naive is not None and ("T" in text or ":" in text):
        return naive.replace(tzinfo=zone)
    day = parse_date(text)
    if day is None:
        raise ConfigError(f"{text!r} is not a date or timestamp",
                          fix="write it as 2023-12-06 or 2023-12-06T08:00+01:00")
    return _midnight(day + dt.timedelta(days=1) if end else day, zone)


def parse_day(text: str | None, today: dt.date) -> dt.date:
    """`qa brief [DATE]`: a date, or today / yesterday."""
    if not text or text.lower() == "today":
        return today
    if text.lower() == "yesterday":
        return today - dt.timedelta(days=1)
    day = parse_date(text)
    if day is None:
        raise ConfigError(f"{text!r} is not a date", fix="write it as 2023-12-06")
    return day


def resolve_zone(name: str | None) -> ZoneInfo:
    """The named IANA zone (`--tz`, setting `tz`), else the system's."""
    if not name:
        return local_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r}",
                          fix="give an IANA name such as Europe/Paris or UTC with --tz") from exc


def local_zone() -> ZoneInfo:
    """The system's zone by IANA name where it can be found (TZ, /etc/timezone, the
    /etc/localtime link), so day boundaries follow daylight saving; else UTC (a briefing names
    its zone, so a reader sees which days it means)."""
    names = [os.environ.get("TZ", "").lstrip(":")]
    try:
        names.append(Path("/etc/timezone").read_text().strip())
    except OSError:
        pass
    try:
        link = os.readlink("/etc/localtime")
        names.append(link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else "")
    except OSError:
        pass
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def zone_name(zone: dt.tzinfo) -> str:
    return getattr(zone, "key", None) or zone.tzname(None) or str(zone)
