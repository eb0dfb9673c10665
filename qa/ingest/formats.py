"""Loaders for the one-document-per-file formats (txt, md, html; pdf in `qa.ingest.pdf`), and
what loaders share.

A loader turns a `Source` (resolved path and bytes) into `Draft`s: the text plus the metadata the
file itself carries. It raises `LoadError` for a bad file and yields one for a bad record of a
multi-document file. `qa.ingest.load` holds the registry (`LOADERS`, suffix -> loader), the corpus
loaders (jsonl, csv) and the rest: walking, size and permission checks, keys, hashes, date and
source precedence.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from qa.errors import LoadError

TITLE_CHARS = 120
NOT_UTF8 = "not UTF-8 text"
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class FieldMap:
    """Which field of a corpus record (JSONL object, CSV column) holds what."""

    id: str = "id"
    title: str = "title"
    text: str = "text"
    date: str = "date"
    url: str = "url"
    source: str = "source"


@dataclass(frozen=True)
class Source:
    """One file handed to a loader."""

    path: Path  # resolved, absolute
    data: bytes
    fields: FieldMap = FieldMap()

    def text(self) -> str:
        """The bytes as text; LoadError if they look binary or are not UTF-8."""
        self.refuse_binary()
        for codec in ("utf-8-sig", "utf-8"):
            try:
                return self.data.decode(codec)
            except UnicodeDecodeError:
                continue
        raise LoadError(str(self.path), NOT_UTF8, fix="convert it to UTF-8")

    def refuse_binary(self) -> None:
        """LoadError when the first bytes look like UTF-16 or binary data."""
        head = self.data[:_SNIFF_BYTES]
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise LoadError(str(self.path), f"{NOT_UTF8} (UTF-16)", fix="convert it to UTF-8")
        if b"\0" in head:
            if _looks_utf16(head):
                raise LoadError(str(self.path), f"{NOT_UTF8} (UTF-16 without a byte order mark)",
                                fix="convert it to UTF-8")
            raise LoadError(str(self.path), "binary file", fix="exclude it with --exclude")


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 text without a BOM: mostly Latin text puts a NUL in every other byte, on one side
    only (binary data has NULs anywhere). Only used to name the problem."""
    for zeros, chars in ((head[1::2], head[0::2]), (head[0::2], head[1::2])):
        if zeros.count(0) > 0.3 * len(zeros) and chars.count(0) == 0:
            return True
    return False


@dataclass(frozen=True)
class Draft:
    """What a loader found; `qa.ingest.load` turns it into a Document."""

    text: str
    title: str = ""
    published: dt.date | None = None
    source: str = ""
    url: str = ""
    published_at: dt.datetime | None = None  # only when the input gave a time with its zone
    record_key: str = ""  # corpus records: the document key becomes f"{path}#{record_key}"
    external_id: str = ""
    pages: tuple[tuple[int, int], ...] = ()


Loader = Callable[[Source], Iterable[Draft | LoadError]]


_CRLF = re.compile(r"\r+\n")


def normalise(text: str) -> str:
    """The only change ever made to loaded text: CRLF -> LF, trailing whitespace dropped.

    A run of CRs before the LF goes with it (`\r\r\n`, a file converted twice): replacing
    `\r\n` alone leaves a new CRLF, and loaders and `qa.ingest.load` both normalise, so the
    stored text moved under offsets taken from the first pass."""
    return lf_line_ends(text).rstrip()


def lf_line_ends(text: str) -> str:
    return _CRLF.sub("\n", text)


def first_line(text: str) -> str:
    for line in text.split("\n"):
        if line.strip():
            return line.strip()[:TITLE_CHARS].rstrip()
    return ""


# ---- dates -----------------------------------------------------------------------------------


class DateWarning(LoadError):
    """A date that is not one ("2023-02-30", "yesterday"): the document is stored undated and
    the line is printed; it still counts as failed, so the exit code says something was wrong."""

    def __init__(self, where: str, name: str, value: object) -> None:
        super().__init__(where, f"{name} {str(value)!r} is not a date; stored undated",
                         fix="write it as 2023-12-06 or 2023-12-06T08:00:00+08:00")


def date_warning(where: str, name: str, value: object) -> DateWarning | None:
    """A `DateWarning` when `value` is given but is not a date, else None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return None if parse_date(value) is not None else DateWarning(where, name, value)

_DATE_FORMATS = (
    "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y", "%d %b, %Y",
    "%d-%b-%Y %H:%M:%S.%f", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y", "%d-%b-%y",
    "%Y/%m/%d", "%Y.%m.%d", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S %Z", "%b %Y", "%B %Y",
)
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.I)
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b", re.I)
_ISO_PREFIX = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")


def parse_date(value: object) -> dt.date | None:
    """A date from an ISO date/datetime or a common written form; None if it is not one.

    Accepts e.g. "2023-12-06", "2023-12-06T08:00:00Z", "6 Dec 2023", "Dec 6, 2023",
    "Wednesday, December 6th, 2023", "Wed, 06 Dec 2023 10:00:00 +0000", "26-FEB-1987 15:01:01.79".
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    for parse in (dt.datetime.fromisoformat, dt.date.fromisoformat):
        try:
            parsed = parse(text)
        except ValueError:
            continue
        return parsed.date() if isinstance(parsed, dt.datetime) else parsed
    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        pass
    cleaned = _ORDINAL.sub("", _WEEKDAY.sub("", text))
    cleaned = re.sub(r"(?<=[A-Za-z])\.", "", cleaned)  # "Dec. 6" -> "Dec 6"
    words = cleaned.split(" ")
    for n in range(len(words), 0, -1):  # lenient: drop trailing words ("10:30 AM GMT")
        candidate = " ".join(words[:n]).rstrip(",")
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
    match = _ISO_PREFIX.match(text)
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            return None
    return None


def parse_timestamp(value: object) -> dt.datetime | None:
    """The instant a value names, time-zone aware, or None when it gives no time or no zone.

    "2023-12-06T08:00:00+08:00", "2023-12-06T00:00:00Z" and "Wed, 06 Dec 2023 10:00:00 +0000"
    are instants; "2023-12-06", "2023-12-06 08:00" (no zone) and RFC 2822's "-0000" (zone
    unknown) are not: a briefing then goes by the date alone, never by a guessed zone.
    """
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else None
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed if parsed.tzinfo is not None else None


def date_from_name(name: str) -> dt.date | None:
    """The date a `YYYY-MM-DD` file-name prefix gives, e.g. 2023-12-06_wang-yi.txt."""
    match = _ISO_PREFIX.match(name)
    if not match or len(match.group(0)) != 10:
        return None
    return parse_date(match.group(0))


# ---- text and markdown -----------------------------------------------------------------------


def load_txt(src: Source) -> Iterator[Draft]:
    text = normalise(src.text())
    yield Draft(text, title=first_line(text))


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?:(.*?)\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """(`key: value` pairs of a leading `---` block, the text after it). No YAML library."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for line in (match.group(1) or "").split("\n"):
        if line[:1].isspace() or ":" not in line:
            continue  # nested or list values: not ours
        key, value = line.split(":", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        meta.setdefault(key.strip().lower(), value)
    return meta, text[match.end():].lstrip("\n")


def load_md(src: Source) -> Iterator[Draft | LoadError]:
    meta, body = front_matter(normalise(src.text()))
    heading = _HEADING.search(body)
    title = meta.get("title") or (heading.group(1) if heading else "") or first_line(body)
    name = "date" if meta.get("date") else "published"
    when = meta.get(name)
    yield Draft(body, title=title[:TITLE_CHARS], published=parse_date(when),
                published_at=parse_timestamp(when), source=meta.get("source", ""),
                url=meta.get("url", ""))
    warning = date_warning(str(src.path), f"front matter {name!r}", when)
    if warning:
        yield warning


# ---- HTML ------------------------------------------------------------------------------------

_DATE_META = ("article:published_time", "og:published_time", "date", "pubdate", "dc.date",
              "dc.date.issued", "datepublished")


# libxml2, under trafilatura, stops building the tree 256 elements deep and drops what lies
# below: a page nested deeper is "no main text" unless we say why.
_MAX_DEPTH = 255
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


class _HeadScanner(HTMLParser):
    """Collects <title>, <meta> name/property -> content, canonical link, first <time datetime>,
    and how deep elements nest."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.meta: dict[str, str] = {}
        self.canonical = ""
        self.time = ""
        self._in_title = False
        self.depth = self.max_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.depth += 1
            self.max_depth = max(self.max_depth, self.depth)
        attr = {k.lower(): (v or "") for k, v in attrs}
        if tag == "title" and not self.title:
            self._in_title = True
        elif tag == "meta" and attr.get("content"):
            name = attr.get("property") or attr.get("name") or attr.get("itemprop") or ""
            self.meta.setdefault(name.strip().lower(), attr["content"].strip())
        elif tag == "link" and attr.get("rel", "").lower() == "canonical":
            self.canonical = self.canonical or attr.get("href", "")
        elif tag == "time" and attr.get("datetime") and not self.time:
            self.time = attr["datetime"]

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID:
            self.depth = max(self.depth - 1, 0)
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _html_text(src: Source) -> str:
    """UTF-8 first; otherwise the charset the page declares, if Python knows it."""
    try:
        return src.text()
    except LoadError as err:
        if not err.reason.startswith(NOT_UTF8) or "UTF-16" in err.reason:
            raise
        declared = re.search(rb"""charset=["']?([A-Za-z0-9_.:\-]+)""", src.data[:4096], re.I)
        if declared:
            try:
                return src.data.decode(declared.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
        raise


def load_html(src: Source) -> Iterator[Draft]:
    import trafilatura

    html = _html_text(src)
    text = trafilatura.extract(html, include_comments=False, favor_precision=True)
    if not text or not text.strip():  # precision can drop short pages entirely
        text = trafilatura.extract(html, include_comments=False)
    scan = _HeadScanner()
    scan.feed(html)
    scan.close()
    if (not text or not text.strip()) and scan.max_depth > _MAX_DEPTH:
        raise LoadError(str(src.path), f"HTML nested too deeply ({scan.max_depth} levels; the "
                        f"parser reads {_MAX_DEPTH})", fix="save the page as text, or exclude it")
    if not text or not text.strip():
        raise LoadError(str(src.path), "no main text found in the HTML",
                        fix="save the page as text, or exclude it")
    title = " ".join(scan.title.split())
    stamps = [scan.meta.get(k) for k in _DATE_META] + [scan.time]
    when = next((v for v in stamps if parse_date(v)), None)
    published = parse_date(when)
    source = scan.meta.get("og:site_name", "")
    if not (title and published):
        meta = trafilatura.extract_metadata(html)
        title = title or (meta.title or "")
        published = published or parse_date(meta.date)
        source = source or (meta.sitename or "")
    yield Draft(normalise(text), title=title[:TITLE_CHARS], published=published, source=source,
                published_at=parse_timestamp(when),
                url=scan.canonical or scan.meta.get("og:url", ""))
