"""Corpus files, one record one document: JSON Lines and CSV, with per-record errors.

Which field holds what is a `FieldMap` (`--text-field`, `--id-field`, ...). A record without text,
a duplicate id or a broken line is one `LoadError` naming the file and line; the rest load.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from qa.errors import LoadError
from qa.ingest.formats import (
    TITLE_CHARS,
    Draft,
    Source,
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
        yield records.draft(record, line)


def load_csv(src: Source) -> Iterator[Draft | LoadError]:
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))  # article bodies can be long
    reader = csv.reader(io.StringIO(src.text(), newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise LoadError(str(src.path), "empty file", fix="add text or exclude it") from None
    except csv.Error as exc:
        raise LoadError(str(src.path), f"bad CSV header ({exc})",
                        fix="fix the first line") from None
    records = _Records(src)
    if src.fields.text not in header:
        raise records.missing_field(header)
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield LoadError(f"{src.path}:{line}", f"bad CSV row ({exc})", fix="fix the row")
            continue
        if not any(cell.strip() for cell in row):
            continue
        yield records.draft(dict(zip(header, row, strict=False)), line)
