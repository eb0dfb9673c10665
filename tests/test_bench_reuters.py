"""The Reuters-21578 SGML parser of bench/reuters.py: synthetic records always, and the first few
hundred real stories when ../shared/eval/reuters21578 is present (skipped otherwise)."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def _load_parser() -> ModuleType:
    # bench/ is scripts, not an installed package: load the module from its file.
    spec = importlib.util.spec_from_file_location("bench_reuters", ROOT / "bench" / "reuters.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


reuters = _load_parser()

SAMPLE = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5544" NEWID="1">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TOPICS><D>cocoa</D></TOPICS>
<UNKNOWN>&#5;&#5;&#5;C T
&#22;&#22;&#1;f0704&#31;reute</UNKNOWN>
<TEXT>&#2;
<TITLE>A &lt;ACME&gt; &amp; SONS
 UNIT SAYS</TITLE>
<DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>&lt;Acme Corp&gt; said profits rose,
the company told Reuters.
    More text&#127; here.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="2">
<DATE>27-MAR-1987 00:02:59.13&#5;&#5;&#5;RM</DATE>
<TEXT TYPE="BRIEF">&#2;
<TITLE>NO BODY HERE</TITLE>
&#3;</TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="3">
<DATE> 3-MAR-1987  09:15:05.40</DATE>
<TEXT>&#2;
<TITLE>TWICE SIGNED</TITLE>
<BODY>Note: period ended January 31.
REUTER
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
"""


def test_parse_synthetic_records() -> None:
    docs = list(reuters.parse_sgml(SAMPLE))
    assert [d.key for d in docs] == ["reuters21578/1", "reuters21578/3"]  # NEWID 2 has no body
    first, third = docs
    assert first.title == "A <ACME> & SONS UNIT SAYS"
    assert first.text == ("<Acme Corp> said profits rose,\nthe company told Reuters.\n"
                          "    More text here.")
    assert first.published == date(1987, 2, 26)
    assert first.source == "reuters" and first.external_id == "1"
    assert first.sha256 == hashlib.sha256(first.text.encode("utf-8")).hexdigest()
    assert third.text == "Note: period ended January 31."
    assert third.published == date(1987, 3, 3)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Prices fell.\n Reuter\n&#3;", "Prices fell."),
    ("Prices fell. REUTER", "Prices fell."),
    ("Prices fell.\nREUTER...^M\n&#3;", "Prices fell."),
    ("Prices fell.\n REUTERS\n&#3;", "Prices fell."),
    ("Prices fell.\n REUTER E\n&#3;", "Prices fell."),
    ("Prices fell, a spokesman told Reuters.\n&#3;", "Prices fell, a spokesman told Reuters."),
    ("Prices fell, Reuters said.", "Prices fell, Reuters said."),
])
def test_sign_off_removed_but_not_mentions(raw: str, expected: str) -> None:
    assert reuters.clean_body(raw) == expected


reuters_dir = reuters.find_reuters(SHARED)
needs_data = pytest.mark.skipif(reuters_dir is None,
                                reason=f"Reuters-21578 not found under {SHARED / 'eval'}")


@needs_data
def test_first_real_stories() -> None:
    assert reuters_dir is not None
    docs = reuters.load_reuters(reuters_dir, limit=300)
    assert len(docs) == 300
    assert any("<BP>" in d.text for d in docs)  # &lt;BP&gt; decoded
    assert len({d.key for d in docs}) == 300
    first = docs[0]
    assert first.key == "reuters21578/1" and first.title == "BAHIA COCOA REVIEW"
    assert first.published == date(1987, 2, 26)
    assert first.text.startswith("Showers continued throughout the week in\nthe Bahia cocoa zone")
    assert first.text.endswith("after\ncarnival which ends midday on February 27.")
    # Company names stay in angle brackets ("<BP>" was "&lt;BP&gt;"); SGML tags must not.
    markup = re.compile(r"&(?:lt|gt|amp|#\d+);|</?(?:BODY|TITLE|DATELINE|TEXT|REUTERS|DATE)>"
                        r"|[\x00-\x08\x0b-\x1f\x7f]")
    for doc in docs:
        assert doc.text and doc.title
        assert not markup.search(doc.text) and not markup.search(doc.title), doc.key
        assert not re.search(r"\breuter\W*\Z", doc.text, re.I), doc.key
        assert doc.published is not None
        assert date(1987, 2, 26) <= doc.published <= date(1987, 10, 20)
        assert doc.sha256 == hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    newids = [int(d.external_id) for d in docs]
    assert newids == sorted(newids)  # file order


@needs_data
def test_limit_spans_files() -> None:
    assert reuters_dir is not None
    docs = reuters.load_reuters(reuters_dir, limit=1000)  # the first file holds fewer with a body
    assert len(docs) == 1000
    assert docs[-1].key != docs[0].key
    assert int(docs[-1].external_id) > 1000


def test_script_skips_without_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location("bench_ingest_reuters",
                                                      ROOT / "bench" / "ingest_reuters.py")
        assert spec is not None and spec.loader is not None
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
    finally:
        sys.path.remove(str(ROOT / "bench"))
    assert script.main(["--shared", str(tmp_path), "--out", str(tmp_path / "r.json")]) == 0
    assert capsys.readouterr().out.startswith("skipped: Reuters-21578 not found")
    assert not (tmp_path / "r.json").exists()
