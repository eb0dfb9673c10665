"""Silent data damage in loaders (issue 10, item 6): an unclosed CSV quote, impossible dates, and
records removed from a corpus that `--prune` never forgot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.errors import LoadError
from qa.ingest.formats import DateWarning
from qa.ingest.load import iter_documents
from qa.ingest.pipeline import ingest_paths
from qa.records import Document
from qa.settings import Settings
from qa.store import open_index


def _load(*paths: Path) -> tuple[list[Document], list[LoadError]]:
    items = list(iter_documents(list(paths)))
    return ([i for i in items if isinstance(i, Document)],
            [i for i in items if isinstance(i, LoadError)])


# ---- CSV: an unclosed quote ---------------------------------------------------------------


@pytest.mark.parametrize("rows", [
    '1,"unclosed start\n2,second row\n3,third row\n',           # the quote runs to the end
    '1,"unclosed start\n2,second row\n3,"third, quoted"\n',     # a later quote closes it
])
def test_an_unclosed_quote_is_one_error_and_the_next_rows_load(tmp_path: Path,
                                                               rows: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,text\n" + rows)
    docs, errors = _load(path)
    [error] = errors
    assert error.path == f"{path}:2" and "unclosed quote" in error.reason
    assert [d.key.rsplit("#", 1)[1] for d in docs] == ["2", "3"]
    assert all("\n" not in d.text for d in docs)


def test_a_quoted_field_over_several_lines_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('id,text\n1,"first para, with a comma\nsecond para, too"\n2,plain\n')
    docs, errors = _load(path)
    assert not errors
    assert [d.text for d in docs] == ["first para, with a comma\nsecond para, too", "plain"]


def test_a_stray_quote_on_one_line_is_read_as_before(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('id,text\n1,"quoted" then more\n2,say "hi" there\n')
    docs, errors = _load(path)
    assert not errors and [d.text for d in docs] == ["quoted then more", 'say "hi" there']


# ---- impossible dates -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2023-02-30", "yesterday", -5])
def test_an_impossible_record_date_is_stored_undated_with_a_warning(tmp_path: Path,
                                                                    value: object) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "Alpha.", "date": value}) + "\n"
                    + json.dumps({"id": "b", "text": "Beta.", "date": "2023-02-28"}) + "\n")
    docs, errors = _load(path)
    assert [d.published for d in docs][0] is None and len(docs) == 2
    [warning] = errors
    assert isinstance(warning, DateWarning)
    assert warning.path == f"{path}:1"
    assert "'date'" in warning.reason and repr(str(value)) in warning.reason
    assert "undated" in warning.reason


def test_an_impossible_csv_date_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,text,date\n1,Alpha.,2023-02-30\n2,Beta.,2023-02-28\n")
    docs, errors = _load(path)
    assert len(docs) == 2 and docs[0].published is None
    [warning] = errors
    assert isinstance(warning, DateWarning) and warning.path == f"{path}:2"


def test_an_impossible_front_matter_date_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "n.md"
    path.write_text("---\ntitle: Note\ndate: yesterday\n---\nBody text.\n")
    docs, errors = _load(path)
    assert len(docs) == 1 and docs[0].published is None
    [warning] = errors
    assert isinstance(warning, DateWarning) and "'yesterday'" in warning.reason


def test_an_impossible_sidecar_date_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "n.txt"
    path.write_text("Body text.\n")
    (tmp_path / "n.meta.toml").write_text('date = "2023-02-30"\n')
    docs, errors = _load(path)
    assert len(docs) == 1 and docs[0].published is None
    [error] = errors
    assert "'2023-02-30'" in error.reason


# ---- prune forgets records removed from a corpus -------------------------------------------


def _settings(tmp_path: Path) -> Settings:
    return Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache", collection="damage")


def _keys(settings: Settings) -> list[str]:
    index = open_index(settings)
    try:
        return sorted(index.manifest.keys())
    finally:
        index.close()


def _ingest(settings: Settings, paths: list[Path], prune: bool = True) -> int:
    index = open_index(settings)
    try:
        return ingest_paths(index, paths, prune=prune).pruned
    finally:
        index.close()


def test_prune_forgets_a_record_removed_from_a_corpus(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    corpus, other = tmp_path / "c.jsonl", tmp_path / "o.csv"
    corpus.write_text("".join(json.dumps({"id": i, "text": f"Record {i} text."}) + "\n"
                              for i in ("a", "b", "c")))
    other.write_text("id,text\nx,Other corpus x.\ny,Other corpus y.\n")
    _ingest(settings, [corpus, other])
    corpus.write_text("".join(json.dumps({"id": i, "text": f"Record {i} text."}) + "\n"
                              for i in ("a", "c")))
    other.write_text("id,text\nx,Other corpus x.\n")  # not named in the next run: kept
    assert _ingest(settings, [corpus]) == 1
    assert _keys(settings) == sorted([f"{corpus}#a", f"{corpus}#c", f"{other}#x",
                                      f"{other}#y"])


def test_prune_keeps_records_of_a_corpus_with_a_broken_line(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": i, "text": f"Record {i} text."}) + "\n"
                              for i in ("a", "b")))
    _ingest(settings, [corpus])
    corpus.write_text(json.dumps({"id": "a", "text": "Record a text."}) + "\n{broken\n")
    assert _ingest(settings, [corpus]) == 0  # b may be the broken line: nothing is forgotten
    assert _keys(settings) == [f"{corpus}#a", f"{corpus}#b"]
