"""A `Briefing` as an Atom 1.0 entry, kept in a feed file a feed reader can follow.

The entry id is derived from `brief_id` alone, so re-running a day's briefing replaces its entry
instead of adding a second one. The file is parsed with `xml.etree`, changed, and written to a
temporary file that then replaces it: a reader polling the feed never sees half a file."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from qa.brief import labels
from qa.brief.page import briefing_body
from qa.errors import ConfigError
from qa.records import Briefing

ATOM = "http://www.w3.org/2005/Atom"
AUTHOR = "qa"
# Fixed once: entry and feed ids are uuid5s in this namespace, so they depend on nothing else.
_IDS = uuid.UUID("6f1d2c1e-8d3a-5b6e-9f41-3c0a7e2b9d15")
# What XML 1.0 cannot hold (C0 controls, lone surrogates, U+FFFE/U+FFFF): document text may.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EPOCH = datetime.min.replace(tzinfo=UTC)


def _q(tag: str) -> str:
    return f"{{{ATOM}}}{tag}"


def _add(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, _q(tag), attrs)
    child.text = _NOT_XML.sub("", text) if text else None
    return child


def entry_id(brief_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_IDS, 'briefing:' + brief_id)}"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _entry(b: Briefing) -> ET.Element:
    entry = ET.Element(_q("entry"))
    _add(entry, "id", entry_id(b.brief_id))
    _add(entry, "title", labels.title(b))
    _add(entry, "updated", rfc3339(b.created_at or datetime.now(UTC)))
    # In every entry as well as the feed, so an entry copied elsewhere stays valid Atom.
    _add(_add(entry, "author"), "name", AUTHOR)
    _add(entry, "summary", "; ".join(s.headline for s in b.stories) or labels.support_line(b))
    _add(entry, "content", briefing_body(b, reveal=False), type="html")
    return entry


def _serialize(element: ET.Element) -> bytes:
    # Atom as the default namespace (`<feed xmlns=...>`, not `<ns0:feed>`). `default_namespace=`
    # of `tostring` would refuse the unprefixed attributes (`type`, `href`), so register it.
    ET.register_namespace("", ATOM)
    ET.indent(element)
    data: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return data


def atom_entry(b: Briefing) -> str:
    """The briefing as a standalone Atom entry document."""
    return _serialize(_entry(b)).decode("utf-8")


def _updated(entry: ET.Element) -> datetime:
    try:
        moment = datetime.fromisoformat(entry.findtext(_q("updated")) or "")
    except ValueError:
        return _EPOCH  # an entry someone else wrote without a readable date: sort it last
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _new_feed(path: Path, feed_title: str) -> ET.Element:
    feed = ET.Element(_q("feed"))
    _add(feed, "id", f"urn:uuid:{uuid.uuid5(_IDS, 'feed:' + str(path.resolve()))}")
    _add(feed, "title", feed_title)
    _add(feed, "updated", rfc3339(datetime.now(UTC)))
    _add(_add(feed, "author"), "name", AUTHOR)
    _add(feed, "generator", "qa brief")
    return feed


def _read_feed(path: Path) -> ET.Element:
    fix = "write the feed to a new file, or move this one aside"
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ConfigError(f"{path} is not an Atom feed: {exc}", fix=fix) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", fix=fix) from exc
    if root.tag != _q("feed"):
        raise ConfigError(f"{path} is not an Atom feed: its root is <{root.tag}>", fix=fix)
    return root


def _write_atomically(path: Path, data: bytes) -> None:
    # The temporary file is made beside the feed so os.replace stays one rename on one disk.
    # mkstemp makes it 0600: keep the feed's mode, or 0644 for a new one, so a web server that
    # serves the feed can still read it.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data + b"\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append_atom(path: Path, b: Briefing, *, feed_title: str = "qa briefings") -> None:
    """Add the briefing's entry to the feed at `path` (created when missing; `feed_title` names a
    new feed, an existing one keeps its own), replacing an entry of the same briefing, newest
    entry first. Raises ConfigError when `path` is not an Atom feed or cannot be written."""
    feed = _read_feed(path) if path.exists() else _new_feed(path, feed_title)
    entry = _entry(b)
    new_id = entry.findtext(_q("id"))
    entries = feed.findall(_q("entry"))
    for old in entries:
        feed.remove(old)
    kept = [e for e in entries if e.findtext(_q("id")) != new_id]
    ranked = sorted([entry, *kept], key=_updated, reverse=True)  # stable: ties keep file order
    feed.extend(ranked)
    updated = feed.find(_q("updated"))
    if updated is None:
        updated = ET.Element(_q("updated"))
        feed.insert(0, updated)
    updated.text = rfc3339(_updated(ranked[0]))  # the newest entry, this one or a later one
    try:
        _write_atomically(path, _serialize(feed))
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}",
                          fix="check the folder exists and is writable") from exc
