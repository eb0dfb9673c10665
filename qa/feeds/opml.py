"""OPML, the subscription list every feed reader imports and exports: outlines with `xmlUrl`
(nested in categories or not), named by `title` or `text`; `qa:source` keeps an outlet name
set with `--source` through a round trip."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError
from vectorstore.feeds import FeedRow

_QA_NS = "https://pypi.org/project/qa-desk/"


@dataclass(frozen=True)
class Outline:
    name: str
    url: str
    source: str = ""


def read_opml(path: Path) -> list[Outline]:
    try:
        root = ET.fromstring(path.read_bytes())
    except OSError as exc:
        raise QAError(f"{path}: cannot read ({exc.strerror or exc})",
                      fix="check the path of the OPML file") from exc
    except ET.ParseError as exc:
        raise QAError(f"{path}: not OPML ({exc})", fix="export the subscriptions again from "
                      "your feed reader as OPML") from exc
    if root.tag != "opml":
        raise QAError(f"{path}: not OPML (root <{root.tag}>)", fix="give an .opml file")
    out = []
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or "").strip()
        if url:
            name = (node.get("title") or node.get("text") or url).strip()
            out.append(Outline(" ".join(name.split()), url,
                               (node.get(f"{{{_QA_NS}}}source") or "").strip()))
    return out


def write_opml(feeds: Sequence[FeedRow]) -> str:
    ET.register_namespace("qa", _QA_NS)
    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = "qa feeds"
    body = ET.SubElement(root, "body")
    for feed in feeds:
        node = ET.SubElement(body, "outline", type="rss", text=feed.name, title=feed.name,
                             xmlUrl=feed.url)
        if feed.source:
            node.set(f"{{{_QA_NS}}}source", feed.source)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") \
        + "\n"
