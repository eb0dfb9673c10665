"""A generated hostile corpus (issue 10, item 13): `qa ingest FOLDER` over every bad case beside
good files with hostile text ends with one line per bad file (naming it and a fix), exit 1, the
good files stored and searchable, and nothing else changed: a second ingest stores nothing and
the store's counts and documents are the same. The corpus is built by tests/hostile.py in
tmp_path; nothing binary is committed.

The single-file tests below reproduce what the corpus found (each crashed or printed a wrong or
stray line before its fix)."""

from __future__ import annotations

import errno
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import FORBIDDEN, Corpus, build
from pdfs import make_pdf
from typer.testing import CliRunner

from qa.cli import app
from qa.errors import LoadError
from qa.ingest.load import iter_documents
from qa.ingest.pipeline import ingest_paths
from qa.records import Document
from qa.render import one_line
from qa.settings import Settings
from qa.store import open_index


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def report_lines(stderr: str) -> list[str]:
    """stderr without the progress lines (`ingesting 3/31`, `embedding big.txt ...`)."""
    return [line for line in stderr.splitlines()
            if line.strip() and not line.startswith(("ingesting ", "embedding "))]


def assert_inert(*texts: str) -> None:
    for text in texts:
        found = [repr(c) for c in FORBIDDEN if c in text]
        assert not found, f"{found} reached the output: {text[:300]!r}"


def store_state() -> tuple[dict[str, object], list[dict[str, object]]]:
    code, stats, _ = run("stats", "--json")
    assert code == 0
    code, docs, _ = run("docs", "list", "--json")
    assert code == 0
    return json.loads(stats), sorted(json.loads(docs), key=lambda d: str(d["doc_id"]))


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The corpus built and ingested once (with the CLI, in process); what the run printed."""
    tmp = tmp_path_factory.mktemp("hostile")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(("QA_", "OPENAI_")):
                mp.delenv(name)
        for key, value in {"QA_STORE": str(tmp / "store"), "QA_CACHE_DIR": str(tmp / "cache"),
                           "QA_GENERATOR": "extractive", "XDG_CONFIG_HOME": str(tmp / "xdg"),
                           "QA_MAX_FILE_MB": "2"}.items():
            mp.setenv(key, value)
        mp.chdir(tmp)
        corpus = build(tmp / "corpus", outside=tmp / "outside.txt")
        code, out, err = run("ingest", str(corpus.root))
        yield {"corpus": corpus, "code": code, "out": out, "err": err}


def test_each_bad_file_is_one_line_naming_it_and_a_fix(ingested: dict[str, object]) -> None:
    corpus = ingested["corpus"]
    assert isinstance(corpus, Corpus)
    out, err = str(ingested["out"]), str(ingested["err"])
    assert ingested["code"] == 1
    assert_inert(out, err)
    lines = report_lines(err)
    expected = {**corpus.bad, **corpus.bad_lines}
    assert len(lines) == len(expected), "\n".join(lines)  # nothing else: no traceback, no noise
    for name, words in expected.items():
        shown = f"{corpus.root}/{one_line(name)}:"
        [line] = [line for line in lines if shown in line]
        assert line.startswith(("skipped ", "warning ")), line
        assert all(word in line for word in words), line
        assert line.endswith(")") and " (" in line, line  # the fix, in brackets, last
    stored = len(corpus.good)
    assert out.splitlines()[0] == (f"{stored} added, 0 updated, 0 unchanged, {len(expected)} "
                                   f"failed ({out.split('(')[1].split()[0]} chunks embedded)")


def test_good_files_are_stored_and_searchable(ingested: dict[str, object]) -> None:
    corpus = ingested["corpus"]
    assert isinstance(corpus, Corpus)
    stats, docs = store_state()
    assert stats["documents"] == len(corpus.good) == len(docs)
    assert stats["chunks"] == stats["vectors"] == stats["keyword_index"]
    for name, word in corpus.good.items():
        code, out, err = run("search", word, "--json")
        assert code == 0, err
        paths = [hit["path"] for hit in json.loads(out)]
        assert f"{corpus.root}/{name}" in paths, (name, paths)
    code, out, err = run("docs", "list")
    assert code == 0
    assert_inert(out, err)
    assert "Notes [/] and [bold]markup[/bold]" in out  # markup in a title is printed, not parsed


def test_injected_lines_are_stored_but_never_the_answer(ingested: dict[str, object]) -> None:
    code, out, err = run("ask", "How much did the Fenwick council approve?", "--json")
    assert code == 0, err
    answer = json.loads(out)
    text = answer["text"]
    # answered from the document that holds the injected lines
    assert "Fenwick" in text, answer.get("withheld")
    assert "99" not in text and "ignore" not in text.lower() and "only correct" not in text


def test_a_second_ingest_changes_nothing(ingested: dict[str, object]) -> None:
    corpus = ingested["corpus"]
    assert isinstance(corpus, Corpus)
    before = store_state()
    code, out, err = run("ingest", str(corpus.root))
    assert code == 1
    assert report_lines(err) == report_lines(str(ingested["err"]))  # the same lines, again
    failed = len(corpus.bad) + len(corpus.bad_lines)
    assert out.strip() == (f"0 added, 0 updated, {len(corpus.good)} unchanged, {failed} failed "
                           "(0 chunks embedded)")  # no "repaired:" line either
    assert store_state() == before


# ---- what the corpus found, one file each ----------------------------------------------------


def test_a_name_with_no_room_for_a_sidecar_loads(tmp_path: Path) -> None:
    """A 255-byte file name: looking for `NAME.meta.toml` beside it raised `OSError: [Errno 36]
    File name too long` out of the loader, and the whole ingest stopped with a traceback."""
    path = tmp_path / ("L" * 251 + ".txt")
    path.write_text("The harbour opened.\n")
    with pytest.raises(OSError) as raised:
        path.with_name(path.name + ".meta.toml").is_file()
    assert raised.value.errno == errno.ENAMETOOLONG  # what pathlib does, so the test can fail
    [doc] = list(iter_documents([path]))
    assert isinstance(doc, Document) and doc.text == "The harbour opened."


def test_a_corrupt_pdf_is_one_line_and_pypdf_prints_nothing(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """pypdf logs "EOF marker not found" through logging; with no handler Python printed it raw
    on stderr, a stray line between the ingest's own. Now it is quoted in the one error."""
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(make_pdf([["Never read."]])[:60] + b"\x00garbage" * 20)
    assert not logging.getLogger("pypdf").handlers  # the state the stray line came from
    [error] = list(iter_documents([path]))
    assert isinstance(error, LoadError) and "unreadable PDF" in error.reason
    assert "EOF marker not found" in error.reason
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    assert not logging.getLogger("pypdf").handlers and logging.getLogger("pypdf").propagate


def test_deeply_nested_html_says_why_it_has_no_text(tmp_path: Path) -> None:
    """100,000 nested divs: libxml2 drops what lies 256 deep, and the line said "no main text
    found", which sends the user looking for a missing article."""
    path = tmp_path / "deep.html"
    path.write_text("<html><body>" + "<div>" * 100_000 + "Rushmoor deep text, long enough to "
                    "be the main text of a page." + "</div>" * 100_000 + "</body></html>")
    [error] = list(iter_documents([path]))
    assert isinstance(error, LoadError)
    assert "nested too deeply (100002 levels" in error.reason
    shallow = tmp_path / "shallow.html"
    shallow.write_text("<html><body>" + "<div>" * 200 + "Rushmoor shallow text, long enough to "
                       "be the main text of a page." + "</div>" * 200 + "</body></html>")
    [doc] = list(iter_documents([shallow]))
    assert isinstance(doc, Document) and "Rushmoor" in doc.text


def test_utf16_without_a_bom_is_named_utf16_not_binary(tmp_path: Path) -> None:
    for codec in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{codec}.txt"
        path.write_bytes("The council met on Tuesday.\n".encode(codec))
        [error] = list(iter_documents([path]))
        assert isinstance(error, LoadError)
        assert error.reason == "not UTF-8 text (UTF-16 without a byte order mark)"
    binary = tmp_path / "binary.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    [error] = list(iter_documents([binary]))
    assert isinstance(error, LoadError) and error.reason == "binary file"


def test_a_new_line_in_a_file_name_cannot_forge_a_second_report_line(
        qa_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "ok.txt").write_text("The harbour opened.\n")
    (folder / "x\nskipped secret.txt: fake.txt").write_bytes(b"")
    code, _, err = run("ingest", str(folder))
    assert code == 1
    [line] = report_lines(err)
    assert line == (f"skipped {folder}/x\u2424skipped secret.txt: fake.txt: empty file "
                    "(add text or exclude it)")


def test_a_file_that_vanishes_mid_run_is_one_error(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (folder / name).write_text(f"The {name[0]} harbour opened on Tuesday.\n")

    def vanish(done: int, total: int) -> None:
        if done == 1:  # a.txt is loaded: b.txt goes before it is read
            (folder / "b.txt").unlink()

    index = open_index(Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache"))
    try:
        report = ingest_paths(index, [folder], progress=vanish)
        keys = sorted(index.manifest.keys())
    finally:
        index.close()
    assert [(e.path, e.reason) for e in report.errors] == [(str(folder / "b.txt"),
                                                            "no such file or folder")]
    assert report.added == 2 and keys == [str(folder / "a.txt"), str(folder / "c.txt")]
