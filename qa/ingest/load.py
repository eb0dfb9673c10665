"""Files, folders and corpora -> `Document`s. Bad inputs become `LoadError`s, yielded, not raised.

`LOADERS` maps a suffix to a loader (txt, md, html in `qa.ingest.formats`, pdf in
`qa.ingest.pdf`; the jsonl and csv corpora, one record per document, in `qa.ingest.corpora`).
Adding a format (RSS/Atom feeds are next) is one function and one line:
`def load_feed(src: Source) -> Iterator[Draft | LoadError]`, `LOADERS[".rss"] = load_feed`.
Paths are walked by `qa.ingest.walk`; this module checks size, permissions and emptiness, and
applies what every format shares:

- key: the resolved absolute path, or `path#record-id` for a corpus record;
- text: as loaded, CRLF -> LF and trailing whitespace dropped, nothing else (citation offsets
  index into it);
- published: the sidecar's date > the document's own date (front matter, record field, HTML
  meta) > a `YYYY-MM-DD` file-name prefix > the `date` argument > None; `published_at` (the
  instant, time-zone aware) comes from the same value when it names a time and a zone;
- source: the `source` argument > the sidecar > the document's own (front matter, record field,
  og:site_name) > the parent folder's name; title and url: the sidecar > the document's own.

A sidecar, `NAME.meta.toml` (or `NAME.txt.meta.toml`) beside `NAME.txt`, gives a one-document
file its metadata (`title`, `date`, `source`, `url`) without changing the file's bytes, so the
text, its hash and every citation offset stay what they were.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import hashlib
import stat
import tomllib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from qa.errors import LoadError
from qa.ingest import bigtext
from qa.ingest.corpora import load_csv, load_jsonl
from qa.ingest.formats import (
    Draft,
    FieldMap,
    Loader,
    Source,
    date_from_name,
    first_line,
    load_html,
    load_md,
    load_txt,
    normalise,
    parse_date,
    parse_timestamp,
)
from qa.ingest.pdf import load_pdf
from qa.ingest.walk import expand, os_error
from qa.records import Document

__all__ = ["LOADERS", "FieldMap", "Loader", "Source", "Draft", "iter_documents", "parse_date",
           "supported_suffixes"]

DEFAULT_MAX_BYTES = 50 * 2**20
_DEFAULT_FIELDS = FieldMap()


def supported_suffixes() -> list[str]:
    return sorted(LOADERS)


def iter_documents(paths: Sequence[Path], *, include: Sequence[str] = (),
                   exclude: Sequence[str] = (), date: dt.date | None = None,
                   source: str | None = None, fields: FieldMap = _DEFAULT_FIELDS,
                   max_bytes: int = DEFAULT_MAX_BYTES,
                   on_file: Callable[[], None] | None = None) -> Iterator[Document | LoadError]:
    """Documents from files and folders (recursively), in a stable order, one error per bad input.

    `include`/`exclude` are glob patterns matched against a file's path relative to the folder
    given and against its name; an excluded folder is not entered. Hidden files and folders are
    skipped, and so are files of unknown type inside folders; a file named explicitly with an
    unknown suffix is an error. The same file reached twice is loaded once. `on_file` is
    called as each path found is done with (for progress; see `count_files`).
    """
    seen: set[Path] = set()
    for given in paths:
        for item in expand(Path(given), include, exclude, LOADERS):
            if isinstance(item, LoadError):
                yield item
            elif (resolved := item.resolve()) not in seen:
                seen.add(resolved)
                # the loader goes by the name given: a link `notes.txt -> notes` is still text
                yield from _load_file(resolved, LOADERS[item.suffix.lower()], date=date,
                                      source=source, fields=fields, max_bytes=max_bytes)
            if on_file:
                on_file()


def count_files(paths: Sequence[Path], *, include: Sequence[str] = (),
                exclude: Sequence[str] = ()) -> int:
    """How many paths `iter_documents` will go through: a walk, no file read."""
    return sum(1 for given in paths for _ in expand(Path(given), include, exclude, LOADERS))


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


# ---- one file --------------------------------------------------------------------------------


def _load_file(path: Path, loader: Loader, *, date: dt.date | None, source: str | None,
               fields: FieldMap, max_bytes: int) -> Iterator[Document | LoadError]:
    where = str(path)
    try:
        info = path.stat()
    except OSError as exc:
        yield os_error(where, exc)
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
    sidecar = _sidecar(path) if loader in _ONE_DOCUMENT_LOADERS else None
    if isinstance(sidecar, LoadError):
        yield sidecar
        sidecar = None
    if loader is load_txt and info.st_size > bigtext.STREAM_BYTES:
        yield _streamed(path, sidecar, date, source)
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield os_error(where, exc)
        return
    try:
        items: Iterable[Draft | LoadError] = loader(Source(path, data, fields))
        if loader in _ONE_DOCUMENT_LOADERS:
            # drop the file's bytes before its document is chunked and embedded (a loader
            # suspended at its yield would keep them: 500 MB more at the peak)
            items = list(items)
            del data
        for item in items:
            if isinstance(item, LoadError):
                yield item
            else:
                yield _document(path, _with_sidecar(item, sidecar), date, source)
    except LoadError as err:
        yield err


_ONE_DOCUMENT_LOADERS = (load_txt, load_md, load_html, load_pdf)
_SIDECAR_FIELDS = ("title", "date", "source", "url")


def sidecar_paths(path: Path) -> tuple[Path, Path]:
    """Where a file's sidecar may be: `a.txt.meta.toml`, then `a.meta.toml`."""
    return path.with_name(path.name + ".meta.toml"), path.with_name(path.stem + ".meta.toml")


def _sidecar(path: Path) -> dict[str, object] | LoadError | None:
    found = None
    for candidate in sidecar_paths(path):
        try:
            if candidate.is_file():
                found = candidate
                break
        except OSError as exc:
            # a 255-byte name leaves no room for `NAME.meta.toml` (ENAMETOOLONG): no sidecar
            # can exist, and pathlib raises rather than say False
            if exc.errno != errno.ENAMETOOLONG:
                return os_error(str(candidate), exc)
    if found is None:
        return None
    try:
        meta = tomllib.loads(found.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return LoadError(str(found), f"unreadable sidecar ({exc}); {path.name} loaded without it",
                         fix="fix the TOML (title, date, source, url) or delete the file")
    unknown = sorted(set(meta) - set(_SIDECAR_FIELDS))
    if unknown:
        return LoadError(str(found), f"unknown sidecar field {unknown[0]!r}; {path.name} loaded "
                         "without it", fix="use only title, date, source and url")
    when = meta.get("date")
    if when is not None and parse_date(when) is None:
        return LoadError(str(found), f"sidecar date {when!r} is not a date; {path.name} loaded "
                         "without it", fix="write it as 2023-12-06 or 2023-12-06T08:00:00+08:00")
    return meta


def _with_sidecar(draft: Draft, meta: dict[str, object] | None) -> Draft:
    if not meta:
        return draft
    when = meta.get("date")
    return dataclasses.replace(
        draft,
        title=str(meta.get("title") or draft.title),
        source=str(meta.get("source") or draft.source),
        url=str(meta.get("url") or draft.url),
        published=parse_date(when) if when is not None else draft.published,
        published_at=parse_timestamp(when) if when is not None else draft.published_at)


def _streamed(path: Path, sidecar: dict[str, object] | None, date: dt.date | None,
              source: str | None) -> Document | LoadError:
    """A text file too big to hold, as a document read in sections (qa/ingest/bigtext.py)."""
    try:
        scanned = bigtext.scan(path)
    except LoadError as err:
        return err
    except OSError as exc:
        return os_error(str(path), exc)
    draft = _with_sidecar(Draft("", title=first_line(scanned.head)), sidecar)
    return _document(path, draft, date, source, stream=scanned.file)


def _document(path: Path, draft: Draft, date: dt.date | None, source: str | None, *,
              stream: bigtext.TextFile | None = None) -> Document | LoadError:
    """The document of `draft`: its normalised text, or `stream` for a file too big to hold;
    title, source and dates by their precedence (the input's, the file name's, the flags')."""
    text = normalise(draft.text)
    key = f"{path}#{draft.record_key}" if draft.record_key else str(path)
    if not (stream.length if stream else text):
        return LoadError(key, "empty file", fix="add text or exclude it")
    return Document(
        key=key,
        text=text,
        title=draft.title or first_line(text) or path.stem,
        source=source or draft.source or path.parent.name,
        published=draft.published or date_from_name(path.name) or date,
        sha256=stream.sha256 if stream else hashlib.sha256(text.encode("utf-8")).hexdigest(),
        url=draft.url,
        external_id=draft.external_id,
        published_at=draft.published_at if draft.published else None,
        pages=draft.pages,
        stream=stream,
    )
