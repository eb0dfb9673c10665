"""qa.ingest.load: every format, every bad input, metadata precedence, folder walking.
Real files only."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pdfs import encrypt, make_pdf

from qa.errors import LoadError
from qa.ingest.load import LOADERS, Draft, FieldMap, Source, iter_documents, parse_date
from qa.records import Document

FIXTURES = Path(__file__).parent / "fixtures"
_SHARED = [Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")]
SEED = next((p / "seeds" / "000_17a65ebd6864479a.txt" for p in _SHARED
             if (p / "seeds" / "000_17a65ebd6864479a.txt").exists()),
            _SHARED[-1] / "seeds" / "000_17a65ebd6864479a.txt")


def load(*paths: Path, **kwargs: object) -> list[Document | LoadError]:
    return list(iter_documents(list(paths), **kwargs))  # type: ignore[arg-type]


def docs_of(items: list[Document | LoadError]) -> list[Document]:
    return [i for i in items if isinstance(i, Document)]


def errors_of(items: list[Document | LoadError]) -> list[LoadError]:
    return [i for i in items if isinstance(i, LoadError)]


def one(path: Path, **kwargs: object) -> Document:
    items = load(path, **kwargs)
    assert len(items) == 1 and isinstance(items[0], Document), items
    return items[0]


def one_error(path: Path, **kwargs: object) -> LoadError:
    items = load(path, **kwargs)
    assert len(items) == 1 and isinstance(items[0], LoadError), items
    return items[0]


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


# ---- formats ---------------------------------------------------------------------------------


def test_txt_keeps_text_and_derives_metadata(tmp_path: Path) -> None:
    long_title = "Headline " * 30
    path = write(tmp_path / "wire" / "story.txt",
                 f"\n  {long_title}\r\nSecond line.  \r\n\r\nThird line.\n\n  \n")
    doc = one(path)
    assert doc.text == f"\n  {long_title}\nSecond line.  \n\nThird line."  # only CRLF and tail
    assert doc.title == long_title.strip()[:120].rstrip() and len(doc.title) <= 120
    assert doc.key == str(path.resolve())
    assert doc.sha256 == hashlib.sha256(doc.text.encode()).hexdigest()
    assert doc.source == "wire"
    assert doc.published is None and doc.pages == () and doc.external_id == ""


def test_seed_loads_with_exact_text() -> None:
    if not SEED.exists():
        pytest.skip(f"{SEED} not present")
    doc = one(SEED)
    raw = SEED.read_bytes().decode("utf-8")
    assert doc.text == raw.replace("\r\n", "\n").rstrip()
    assert doc.title.startswith("Top China, US diplomats")
    assert doc.source == "seeds"


def test_markdown_front_matter() -> None:
    doc = one(FIXTURES / "front_matter.md")
    assert doc.title == "Wang Yi and Blinken speak by phone"
    assert doc.published == dt.date(2023, 12, 6)
    assert doc.source == "China Daily"
    assert doc.url == "https://example.com/wang-yi-blinken"
    assert doc.text.startswith("# A heading that is not the title\n\nChinese Foreign Minister")
    assert "---" not in doc.text and "tags" not in doc.text


def test_markdown_title_falls_back_to_heading_then_first_line(tmp_path: Path) -> None:
    assert one(write(tmp_path / "a.md", "Intro line.\n\n# The Heading #\n\nBody.")).title == \
        "The Heading"
    doc = one(write(tmp_path / "b.md", "---\ndate: 6 Dec 2023\n---\nJust text here.\n"))
    assert doc.title == "Just text here." and doc.text == "Just text here."
    assert doc.published == dt.date(2023, 12, 6)
    # a --- that opens no closed block is text, not front matter
    assert one(write(tmp_path / "c.md", "---\nnot front matter")).text == "---\nnot front matter"


def test_html_main_text_title_date_source() -> None:
    doc = one(FIXTURES / "article.html")
    assert "most urgent task is to achieve an immediate cease-fire" in doc.text
    assert "Subscribe to our newsletter" not in doc.text and "Sport" not in doc.text
    assert doc.title == "Ministers discuss Gaza cease-fire"
    assert doc.published == dt.date(2023, 12, 7)
    assert doc.source == "Example Daily"
    assert doc.url == "https://example.com/gaza-call"


def test_html_time_element_and_declared_charset(tmp_path: Path) -> None:
    body = ("<p>Le ministre a déclaré que la priorité était un cessez-le-feu immédiat, selon "
            "des responsables qui ont parlé aux journalistes mercredi soir à Paris.</p>") * 3
    html = (f'<html><head><meta charset="iso-8859-1"></head><body><article>'
            f'<time datetime="2023-12-05">5 December</time>{body}</article></body></html>')
    doc = one(write(tmp_path / "page.htm", html.encode("latin-1")))
    assert "déclaré" in doc.text
    assert doc.published == dt.date(2023, 12, 5)


def test_html_without_text_is_an_error(tmp_path: Path) -> None:
    err = one_error(write(tmp_path / "blank.html", "<html><body><nav></nav></body></html>"))
    assert "no main text" in err.reason


def test_pdf_pages_and_offsets(tmp_path: Path) -> None:
    pages = [["First page line one.", "First page line two."], [], ["Third page (p3) text."]]
    doc = one(write(tmp_path / "report.pdf", make_pdf(pages)))
    assert [n for n, _ in doc.pages] == [1, 2, 3]
    offsets = [o for _, o in doc.pages]
    assert offsets[0] == 0
    assert doc.text[offsets[0]:].startswith("First page line one.")
    assert doc.text[offsets[2]:].startswith("Third page (p3) text.")
    assert doc.text[offsets[2] - 2:offsets[2]] == "\n\n"
    assert doc.title == "First page line one."


def test_pdf_encrypted_scanned_and_broken(tmp_path: Path) -> None:
    pdf = make_pdf([["Secret text."]])
    err = one_error(write(tmp_path / "locked.pdf", encrypt(pdf, "secret")))
    assert err.reason == "encrypted PDF" and err.fix
    # encrypted only to set permissions (empty user password): readable
    assert one(write(tmp_path / "perm.pdf", encrypt(pdf, ""))).text == "Secret text."
    err = one_error(write(tmp_path / "scan.pdf", make_pdf([[], []])))
    assert err.reason == "no extractable text (scanned?)"
    err = one_error(write(tmp_path / "junk.pdf", b"this is not a pdf at all"))
    assert err.reason.startswith("unreadable PDF")


def test_jsonl_corpus_records_and_bad_lines() -> None:
    path = FIXTURES / "corpus.jsonl"
    items = load(path)
    docs, errors = docs_of(items), errors_of(items)
    base = str(path.resolve())
    assert [d.key for d in docs] == [f"{base}#4983", f"{base}#5836", f"{base}#6"]
    assert docs[0].external_id == "4983" and docs[2].external_id == ""
    assert docs[0].title.startswith("Microstructural development")
    assert docs[0].text.startswith("Alterations of the architecture")
    assert docs[2].title == "An untitled id"
    assert docs[2].published == dt.date(2023, 12, 6)
    assert docs[2].source == "Wire" and docs[2].url == "https://example.com/7"
    assert docs[0].source == "fixtures"
    assert [e.path for e in errors] == [f"{base}:4", f"{base}:5"]
    assert "no text" in errors[0].reason and "invalid JSON" in errors[1].reason


def test_jsonl_field_map_duplicates_and_wrong_text_field(tmp_path: Path) -> None:
    path = write(tmp_path / "bbc.jsonl",
                 '{"id": 1, "title": "A", "article": "Alpha text."}\n'
                 '{"id": 1, "title": "B", "article": "Beta text."}\n'
                 '["not", "an", "object"]\n')
    items = load(path, fields=FieldMap(text="article"))
    assert [d.text for d in docs_of(items)] == ["Alpha text."]
    assert [e.reason for e in errors_of(items)] == ["duplicate id '1' (first on line 1)",
                                                   "not a JSON object"]
    err = one_error(path)  # default field "text" is absent: one error, not one per record
    assert "no 'text' field" in err.reason and "article" in err.reason
    assert "--text-field" in err.fix


def test_csv_corpus() -> None:
    path = FIXTURES / "corpus.csv"
    items = load(path, source="Override")
    docs, errors = docs_of(items), errors_of(items)
    base = str(path.resolve())
    assert [d.key for d in docs] == [f"{base}#r1", f"{base}#r2", f"{base}#r4"]
    assert docs[0].published == dt.date(1987, 2, 26)
    assert docs[1].text == "A body that spans\ntwo lines, quoted."
    assert docs[1].title == "A body that spans"
    assert {d.source for d in docs} == {"Override"}
    assert [e.path for e in errors] == [f"{base}:5"]


def test_csv_without_text_column(tmp_path: Path) -> None:
    err = one_error(write(tmp_path / "c.csv", "id,body\n1,hello\n"))
    assert "no 'text' field" in err.reason and "body" in err.reason


# ---- dates and sources -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("2023-12-06", dt.date(2023, 12, 6)),
    ("2023-12-06T08:00:00Z", dt.date(2023, 12, 6)),
    ("2023-12-06T23:30:00.000+0000", dt.date(2023, 12, 6)),
    ("2023-12-06 10:00", dt.date(2023, 12, 6)),
    ("6 Dec 2023", dt.date(2023, 12, 6)),
    ("06 December 2023", dt.date(2023, 12, 6)),
    ("Dec 6, 2023", dt.date(2023, 12, 6)),
    ("Dec. 6, 2023 10:30 AM", dt.date(2023, 12, 6)),
    ("Wednesday, December 6th, 2023", dt.date(2023, 12, 6)),
    ("Wed, 06 Dec 2023 10:00:00 +0000", dt.date(2023, 12, 6)),
    ("26-FEB-1987 15:01:01.79", dt.date(1987, 2, 26)),
    ("", None), ("yesterday", None), ("2023-13-45", None), (None, None), (42, None),
])
def test_parse_date(text: object, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


def test_date_precedence(tmp_path: Path) -> None:
    arg = dt.date(2020, 1, 1)
    own = write(tmp_path / "2023-12-06_own.md", "---\ndate: 2024-01-02\n---\nText.")
    named = write(tmp_path / "2023-12-06_wang-yi-blinken-call.txt", "Text two.")
    plain = write(tmp_path / "plain.txt", "Text three.")
    bad_prefix = write(tmp_path / "2023-13-06_x.txt", "Text four.")
    assert one(own, date=arg).published == dt.date(2024, 1, 2)
    assert one(named, date=arg).published == dt.date(2023, 12, 6)
    assert one(plain, date=arg).published == arg
    assert one(plain).published is None
    assert one(bad_prefix, date=arg).published == arg


def test_source_precedence(tmp_path: Path) -> None:
    md = write(tmp_path / "outlet" / "a.md", "---\nsource: China Daily\n---\nText.")
    assert one(md).source == "China Daily"
    assert one(md, source="Mine").source == "Mine"
    assert one(write(tmp_path / "outlet" / "b.txt", "Text.")).source == "outlet"


# ---- folders ---------------------------------------------------------------------------------


def test_folder_walk_order_hidden_unknown_and_duplicates(tmp_path: Path) -> None:
    root = tmp_path / "news"
    for rel in ("b.txt", "a.md", "sub/c.txt", "sub/deeper/d.TXT", ".hidden.txt",
                ".git/e.txt", "notes.docx", "image.png"):
        write(root / rel, f"Text of {rel}.")
    items = load(root, root / "a.md")  # a.md reached twice: loaded once
    assert errors_of(items) == []
    found = [Path(d.key).relative_to(root.resolve()).as_posix() for d in docs_of(items)]
    assert found == ["a.md", "b.txt", "sub/c.txt", "sub/deeper/d.TXT"]
    assert docs_of(items)[2].source == "sub"


def test_include_exclude(tmp_path: Path) -> None:
    root = tmp_path / "in"
    for rel in ("keep.txt", "draft-1.txt", "notes.md", "drafts/x.txt", "sub/keep2.txt"):
        write(root / rel, "Text.")

    def names(**kwargs: object) -> list[str]:
        return [Path(d.key).relative_to(root.resolve()).as_posix()
                for d in docs_of(load(root, **kwargs))]

    assert names(include=["*.txt"]) == ["draft-1.txt", "drafts/x.txt", "keep.txt",
                                        "sub/keep2.txt"]
    assert names(exclude=["draft*"]) == ["keep.txt", "notes.md", "sub/keep2.txt"]
    assert names(exclude=["sub/*", "*.md"]) == ["draft-1.txt", "drafts/x.txt", "keep.txt"]
    assert names(include=["keep*"], exclude=["sub"]) == ["keep.txt"]


def test_explicit_paths_missing_and_unsupported(tmp_path: Path) -> None:
    err = one_error(tmp_path / "nope.txt")
    assert err.reason == "no such file or folder"
    err = one_error(write(tmp_path / "doc.docx", b"PK\x03\x04"))
    assert err.reason == "unsupported file type '.docx'" and ".pdf" in err.fix
    hidden = write(tmp_path / ".explicit.txt", "Named on purpose.")
    assert one(hidden).text == "Named on purpose."


# ---- bad input -------------------------------------------------------------------------------


def test_empty_and_whitespace_only(tmp_path: Path) -> None:
    for name, data in (("empty.txt", ""), ("blank.md", " \n\r\n\t\n"),
                       ("fm-only.md", "---\ntitle: x\n---\n")):
        err = one_error(write(tmp_path / name, data))
        assert err.reason == "empty file" and err.fix == "add text or exclude it"


def test_binary_file(tmp_path: Path) -> None:
    err = one_error(write(tmp_path / "data.txt", b"abc\x00\x01\x02def" * 10))
    assert err.reason == "binary file" and "--exclude" in err.fix


def test_oversized_file(tmp_path: Path) -> None:
    err = one_error(write(tmp_path / "big.txt", "x" * 2048), max_bytes=1024)
    assert err.reason.startswith("too large") and err.fix == "raise QA_MAX_FILE_MB or split it"


def test_encodings(tmp_path: Path) -> None:
    err = one_error(write(tmp_path / "latin.txt", "Caf\u00e9 au lait.".encode("latin-1")))
    assert err.reason == "not UTF-8 text" and err.fix == "convert it to UTF-8"
    err = one_error(write(tmp_path / "wide.txt", "Hello".encode("utf-16")))
    assert err.reason.startswith("not UTF-8 text")
    assert one(write(tmp_path / "bom.txt", b"\xef\xbb\xbfHello there.")).text == "Hello there."


def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.txt", "Hidden.")
    path.chmod(0)
    try:
        items = load(path)
        if os.geteuid() == 0:
            pytest.skip("root can read a chmod 000 file")
        assert len(items) == 1 and isinstance(items[0], LoadError)
        assert items[0].reason == "permission denied"
    finally:
        path.chmod(0o644)


def test_errors_do_not_stop_the_rest(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "Good one.")
    write(tmp_path / "b.txt", b"\xff\xfe\x00bad")
    write(tmp_path / "c.txt", "")
    write(tmp_path / "d.txt", "Good two.")
    items = load(tmp_path)
    assert [type(i).__name__ for i in items] == ["Document", "LoadError", "LoadError", "Document"]
    assert str(items[1]).startswith(str((tmp_path / "b.txt").resolve()))


# ---- extension point -------------------------------------------------------------------------


def test_loader_registry_accepts_new_formats(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def load_feed(src: Source) -> Iterator[Draft | LoadError]:
        for n, line in enumerate(src.text().split("\n"), 1):
            title, _, date = line.partition("|")
            yield Draft(f"{title}.", title=title, published=parse_date(date), record_key=str(n))

    monkeypatch.setitem(LOADERS, ".feed", load_feed)
    path = write(tmp_path / "x.feed", "One|2023-12-06\nTwo|")
    docs = docs_of(load(tmp_path))
    assert [(d.key, d.title, d.published) for d in docs] == [
        (f"{path.resolve()}#1", "One", dt.date(2023, 12, 6)),
        (f"{path.resolve()}#2", "Two", None)]
