"""Reuters-21578 (original SGML, latin-1) -> `qa.records.Document`s, for benchmarks and tests.

Each `<REUTERS ... NEWID="n">` element holds `<DATE>26-FEB-1987 15:01:01.79</DATE>`, a `<TITLE>`
and a `<BODY>` (stories without a body, 2,535 of the 21,578, are skipped). Entities are decoded
(`&lt;`, `&gt;`, `&amp;`; numeric control characters such as the `&#3;` end-of-text marker are
dropped) and the wire's sign-off ("Reuter", "REUTER", "reuter..." as the last word) is removed.
The body text is kept otherwise verbatim, line breaks included. The data is read in place from
`../shared/eval/reuters21578/` and never copied into the repository (research-only licence).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from qa.records import Document

SUBDIR = Path("eval") / "reuters21578"
KEY_PREFIX = "reuters21578/"
SOURCE = "reuters"
STORIES_WITH_BODY = 19_043  # in the full collection

_STORY = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(r'\bNEWID="(\d+)"')
# Some dates carry junk after the time ("27-MAR-1987 00:02:59.13&#5;&#5;&#5;RM") or two spaces.
_DATE = re.compile(r"<DATE>\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.S)
_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.S)
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#(\d+));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
# The sign-off ending a body: "Reuter", "REUTER...^M", "REUTERS", "REUTER E", "REUTER11:43/VB",
# on its own line or after a sentence's end ("said. Reuter"), sometimes twice. Not "told Reuters."
_SIGN_OFF = re.compile(r"(?:\n|(?<=[.!?\"')\d])[ \t])\s*reuters?"
                       r"(?:\.{0,3}(?:\^M)?|[ \t]?[a-z]{1,3}|\d[\w:/]*)\s*\Z", re.I)
_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}


def unescape(text: str) -> str:
    """Decode the five named entities and numeric references; control characters other than
    tab and newline (the wire's `&#2;`, `&#3;`, `&#5;`, `&#127;` ...) become nothing."""
    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return _NAMED[match.group(1)]
        code = int(match.group(2))
        if code in (9, 10) or 32 <= code < 127 or code > 159:
            return chr(code)
        return ""
    return _ENTITY.sub(one, text)


def clean_body(raw: str) -> str:
    """Body text without entities, the end-of-text marker and the "Reuter" sign-off."""
    text = unescape(raw).replace("\r", "").strip()
    while True:
        shorter = _SIGN_OFF.sub("", text).rstrip()
        if shorter == text:
            return text
        text = shorter


def parse_date(element: str) -> date | None:
    match = _DATE.search(element)
    if not match:
        return None
    day, month, year = match.groups()
    number = _MONTHS.get(month.upper())
    if number is None:
        return None
    try:
        return date(int(year), number, int(day))
    except ValueError:
        return None


def parse_sgml(sgml: str) -> Iterator[Document]:
    """The stories with a non-empty body in one `reut2-NNN.sgm` file's text, in file order."""
    for attributes, element in _STORY.findall(sgml):
        body = _BODY.search(element)
        newid = _NEWID.search(attributes)
        if body is None or newid is None:
            continue
        text = clean_body(body.group(1))
        if not text:
            continue
        title_match = _TITLE.search(element)
        title = " ".join(unescape(title_match.group(1)).split()) if title_match else ""
        yield Document(
            key=KEY_PREFIX + newid.group(1),
            text=text,
            title=title,
            source=SOURCE,
            published=parse_date(element),
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            external_id=newid.group(1),
        )


def sgml_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("reut2-*.sgm"))


def find_reuters(shared: Path) -> Path | None:
    """`<shared>/eval/reuters21578` if it holds the SGML files, else None."""
    folder = shared / SUBDIR
    return folder if sgml_files(folder) else None


def load_reuters(folder: Path, limit: int | None = None) -> list[Document]:
    """The stories with a body from every `reut2-*.sgm` in `folder` (file order), at most
    `limit` of them."""
    docs: list[Document] = []
    for path in sgml_files(folder):
        for doc in parse_sgml(path.read_text(encoding="latin-1")):
            if limit is not None and len(docs) >= limit:
                return docs
            docs.append(doc)
    return docs
