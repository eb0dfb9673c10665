"""Corpus files, one record one document: JSON Lines and CSV, with per-record errors.

Which field holds what is a `FieldMap` (`--text-field`, `--id-field`, ...). A record without text,
a duplicate id or a broken line is one `LoadError` naming the file and line; the rest load. A
date that is not one is a `DateWarning`: the record is stored undated.

CSV and unclosed quotes: the csv module, lenient by default, lets a stray `"` open a field that
swallows every following row. Rows are read strictly; a record over several lines that breaks
the strict rules (a quote closes and text follows, or the file ends inside the quote) is an
unclosed quote: one error for its first line, and reading restarts on the line after it, so the
rows it swallowed load. A one-line record with a stray quote is read leniently, as before; a
quoted field over several lines that closes properly is a real multi-line field.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator

from qa.errors import LoadError
from qa.ingest.formats import (
    TITLE_CHARS,
    Draft,
    Source,
    date_warning,
    first_line,
    normalise,
    parse_date,
    parse_timestamp,
)


def _value(record: dict[str, object], name: str) -> str | None:
    value = record.get(name)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return value if isinstance(value, str) else None


class _Records:
    """Turns corpus records into Drafts with per-record errors; shared by JSONL and CSV."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.fields = src.fields
        self.seen: dict[str, int] = {}  # record id -> line

    def drafts(self, record: dict[str, object], line: int) -> Iterator[Draft | LoadError]:
        """The record's Draft (or its error), then a warning if its date is not a date."""
        draft = self.draft(record, line)
        yield draft
        if isinstance(draft, Draft):
            warning = date_warning(f"{self.src.path}:{line}", f"field {self.fields.date!r}",
                                   record.get(self.fields.date))
            if warning:
                yield warning

    def draft(self, record: dict[str, object], line: int) -> Draft | LoadError:
        fields, where = self.fields, f"{self.src.path}:{line}"
        id_names = [fields.id] + [n for n in ("id", "_id") if n != fields.id]
        record_id = next((v for v in (_value(record, n) for n in id_names) if v), None)
        key = record_id or str(line)
        if key in self.seen:
            return LoadError(where, f"duplicate id {key!r} (first on line {self.seen[key]})",
                             fix="give each record its own id")
        text = normalise(_value(record, fields.text) or "")
        if not text:
            return LoadError(where, f"record has no text in field {fields.text!r}",
                             fix="add text to it or remove the line")
        self.seen[key] = line
        title = _value(record, fields.title) or first_line(text)
        when = _value(record, fields.date)
        return Draft(text, title=" ".join(title.split())[:TITLE_CHARS],
                     published=parse_date(when), published_at=parse_timestamp(when),
                     source=_value(record, fields.source) or "",
                     url=_value(record, fields.url) or "", record_key=key,
                     external_id=record_id or "")

    def missing_field(self, present: Iterable[str]) -> LoadError:
        names = ", ".join(present) or "none"
        return LoadError(str(self.src.path), f"no {self.fields.text!r} field (fields: {names})",
                         fix="name the text field with --text-field")


def load_jsonl(src: Source) -> Iterator[Draft | LoadError]:
    records = _Records(src)
    found_text_field = False
    # split on "\n" only: str.splitlines would also break at U+2028 inside JSON strings
    for line, raw in enumerate(src.text().split("\n"), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield LoadError(f"{src.path}:{line}", f"invalid JSON ({exc.msg}, column {exc.colno})",
                            fix="fix or remove the line")
            continue
        if not isinstance(record, dict):
            yield LoadError(f"{src.path}:{line}", "not a JSON object",
                            fix="make each line one {...} object")
            continue
        if not found_text_field and src.fields.text not in record:
            raise records.missing_field(record)  # first record: the field map is wrong
        found_text_field = True
        yield from records.drafts(record, line)


def load_csv(src: Source) -> Iterator[Draft | LoadError]:
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))  # article bodies can be long
    rows = _csv_rows(src)
    try:
        first = next(rows)
    except StopIteration:
        raise LoadError(str(src.path), "empty file", fix="add text or exclude it") from None
    if isinstance(first, LoadError):
        raise LoadError(str(src.path), f"bad CSV header ({first.reason})",
                        fix="fix the first line")
    header = [name.strip() for name in first[1]]
    records = _Records(src)
    if src.fields.text not in header:
        raise records.missing_field(header)
    for item in rows:
        if isinstance(item, LoadError):
            yield item
            continue
        line, row = item
        if any(cell.strip() for cell in row):
            yield from records.drafts(dict(zip(header, row, strict=False)), line)


_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")  # physical lines, ends kept (csv wants them)


def _csv_rows(src: Source) -> Iterator[tuple[int, list[str]] | LoadError]:
    """(first line, cells) per CSV record, or an error per broken one (see the module doc)."""
    lines = _LINES.findall(src.text())
    start = 0  # index of the line the current reader began on
    while start < len(lines):
        reader = csv.reader((lines[k] for k in range(start, len(lines))), strict=True)
        while True:
            first = start + reader.line_num  # index of the record's first line
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if start + reader.line_num - first > 1 or first + 1 == len(lines) and \
                        lines[first].count('"') % 2:
                    yield LoadError(f"{src.path}:{first + 1}", "unclosed quote (the field ran "
                                    f"on over the next rows: {exc})",
                                    fix="close the quote or double it (\"\")")
                else:
                    yield _lenient_row(src, first, lines[first])
                start = first + 1
                break
            yield first + 1, row
    return


def _lenient_row(src: Source, index: int, line: str) -> tuple[int, list[str]] | LoadError:
    """A one-line record the strict reader refused, read leniently; a line even the lenient
    reader refuses (a lone carriage return inside it) is one error, not a crash."""
    try:
        return index + 1, next(csv.reader([line]))
    except csv.Error as exc:
        return LoadError(f"{src.path}:{index + 1}", f"broken CSV line ({exc})",
                         fix="save the file with \\n or \\r\\n line ends, or fix the line")
