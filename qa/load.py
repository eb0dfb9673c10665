"""Files, folders and corpora -> `Document`s. Bad inputs become `LoadError`s, yielded, not raised.

`LOADERS` maps a suffix to a loader (txt, md, html, pdf in `qa.load_formats`; the jsonl and csv
corpora, one record per document, here). Adding a format (RSS/Atom feeds are next) is one function
and one line: `def load_feed(src: Source) -> Iterator[Draft | LoadError]`, `LOADERS[".rss"] =
load_feed`. This module walks paths, applies include/exclude globs, checks size, permissions and
emptiness, and applies what every format shares:

- key: the resolved absolute path, or `path#record-id` for a corpus record;
- text: as loaded, CRLF -> LF and trailing whitespace dropped, nothing else (citation offsets
  index into it);
- published: the document's own date (front matter, record field, HTML meta) > a `YYYY-MM-DD`
  file-name prefix > the `date` argument > None;
- source: the `source` argument > the document's own (front matter, record field, og:site_name)
  > the parent folder's name.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import hashlib
import io
import json
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from fnmatch import fnmatch
from pathlib import Path

from qa.errors import LoadError
from qa.load_formats import (
    TITLE_CHARS,
    Draft,
    FieldMap,
    Loader,
    Source,
    date_from_name,
    first_line,
    load_html,
    load_md,
    load_pdf,
    load_txt,
    normalise,
    parse_date,
)
from qa.types import Document

__all__ = ["LOADERS", "FieldMap", "Loader", "Source", "Draft", "iter_documents", "parse_date",
           "supported_suffixes"]

DEFAULT_MAX_BYTES = 50 * 2**20
_DEFAULT_FIELDS = FieldMap()


def supported_suffixes() -> list[str]:
    return sorted(LOADERS)


def iter_documents(paths: Sequence[Path], *, include: Sequence[str] = (),
                   exclude: Sequence[str] = (), date: dt.date | None = None,
                   source: str | None = None, fields: FieldMap = _DEFAULT_FIELDS,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Document | LoadError]:
    """Documents from files and folders (recursively), in a stable order, one error per bad input.

    `include`/`exclude` are glob patterns matched against a file's path relative to the folder
    given and against its name; an excluded folder is not entered. Hidden files and folders are
    skipped, and so are files of unknown type inside folders; a file named explicitly with an
    unknown suffix is an error. The same file reached twice is loaded once.
    """
    seen: set[Path] = set()
    for given in paths:
        for item in _expand(Path(given), include, exclude):
            if isinstance(item, LoadError):
                yield item
                continue
            resolved = item.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            yield from _load_file(resolved, date=date, source=source, fields=fields,
                                  max_bytes=max_bytes)


# ---- corpora: one record, one document ------------------------------------------------------


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
        return Draft(text, title=" ".join(title.split())[:TITLE_CHARS],
                     published=parse_date(_value(record, fields.date)),
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


LOADERS: dict[str, Loader] = {
    ".txt": load_txt,
    ".text": load_txt,
    ".md": load_md,
    ".markdown": load_md,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".jsonl": load_jsonl,
    ".ndjson": load_jsonl,
    ".csv": load_csv,
}


# ---- walking ---------------------------------------------------------------------------------


def _matches(patterns: Sequence[str], rel: str, name: str) -> bool:
    return any(fnmatch(rel, p) or fnmatch(name, p) for p in patterns)


def _wanted(rel: str, name: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    if include and not _matches(include, rel, name):
        return False
    return not _matches(exclude, rel, name)


def _expand(given: Path, include: Sequence[str],
            exclude: Sequence[str]) -> Iterator[Path | LoadError]:
    if given.is_dir():
        yield from _walk(given, include, exclude)
        return
    if not given.exists():
        yield LoadError(str(given), "no such file or folder", fix="check the path")
        return
    if not _wanted(str(given), given.name, include, exclude):
        return
    if given.suffix.lower() not in LOADERS:
        kind = f"'{given.suffix}'" if given.suffix else "without a suffix"
        yield LoadError(str(given), f"unsupported file type {kind}",
                        fix=f"convert it to one of {', '.join(supported_suffixes())}")
        return
    yield given


def _walk(root: Path, include: Sequence[str],
          exclude: Sequence[str]) -> Iterator[Path | LoadError]:
    """Files under `root` worth loading, sorted by their path relative to `root`."""
    found: list[tuple[str, Path | LoadError]] = []
    dir_excludes = [p.rstrip("/") for p in exclude]

    def unreadable(exc: OSError) -> None:
        where = str(exc.filename or root)
        found.append((os.path.relpath(where, root), _os_error(where, exc)))

    for folder, dirnames, filenames in os.walk(root, onerror=unreadable):
        base = Path(folder)
        rel_dir = base.relative_to(root)
        dirnames[:] = sorted(
            d for d in dirnames
            if not d.startswith(".") and not _matches(dir_excludes, (rel_dir / d).as_posix(), d)
        )
        for name in filenames:
            rel = (rel_dir / name).as_posix()
            if name.startswith(".") or Path(name).suffix.lower() not in LOADERS:
                continue
            if _wanted(rel, name, include, exclude):
                found.append((rel, base / name))
    found.sort(key=lambda pair: pair[0])
    for _, item in found:
        yield item


# ---- one file --------------------------------------------------------------------------------


def _os_error(where: str, exc: OSError) -> LoadError:
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return LoadError(where, "permission denied",
                         fix="make it readable (chmod +r) or exclude it with --exclude")
    if isinstance(exc, FileNotFoundError):
        return LoadError(where, "no such file or folder", fix="check the path")
    return LoadError(where, f"cannot read ({exc.strerror or exc})",
                     fix="check the file, or exclude it with --exclude")


def _load_file(path: Path, *, date: dt.date | None, source: str | None, fields: FieldMap,
               max_bytes: int) -> Iterator[Document | LoadError]:
    where = str(path)
    loader = LOADERS[path.suffix.lower()]
    try:
        info = path.stat()
    except OSError as exc:
        yield _os_error(where, exc)
        return
    if not stat.S_ISREG(info.st_mode):
        yield LoadError(where, "not a regular file", fix="exclude it with --exclude")
        return
    if info.st_size > max_bytes:
        yield LoadError(where, f"too large ({info.st_size / 2**20:.1f} MB > "
                        f"{max_bytes / 2**20:.1f} MB)", fix="raise QA_MAX_FILE_MB or split it")
        return
    if info.st_size == 0:
        yield LoadError(where, "empty file", fix="add text or exclude it")
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield _os_error(where, exc)
        return
    try:
        for item in loader(Source(path, data, fields)):
            yield item if isinstance(item, LoadError) else _document(path, item, date, source)
    except LoadError as err:
        yield err


def _document(path: Path, draft: Draft, date: dt.date | None,
              source: str | None) -> Document | LoadError:
    text = normalise(draft.text)
    key = f"{path}#{draft.record_key}" if draft.record_key else str(path)
    if not text:
        return LoadError(key, "empty file", fix="add text or exclude it")
    return Document(
        key=key,
        text=text,
        title=draft.title or first_line(text) or path.stem,
        source=source or draft.source or path.parent.name,
        published=draft.published or date_from_name(path.name) or date,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        url=draft.url,
        external_id=draft.external_id,
        pages=draft.pages,
    )
