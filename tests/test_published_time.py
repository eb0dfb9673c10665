"""Published timestamps with their zone, sidecar metadata, and the store's schema migration."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import tarfile
from pathlib import Path

import pytest

from qa.answer.ask import AnswerOptions, ask
from qa.errors import StoreError
from qa.generators.extractive import ExtractiveGenerator
from qa.ingest.formats import parse_timestamp
from qa.ingest.load import iter_documents
from qa.ingest.pipeline import ingest_paths
from qa.records import Document
from qa.retrieve import Filters, retrieve
from qa.settings import Settings
from qa.store import open_index
from tests.conftest import ROOT, SEEDS
from vectorstore.manifest import SCHEMA_VERSION, Manifest

STORE_V1 = ROOT / "tests" / "fixtures" / "store-v1.tar.gz"  # seeds/ + front_matter.md, by 0.1.0


def _docs(*paths: Path) -> list[Document]:
    found = list(iter_documents(list(paths)))
    assert all(isinstance(d, Document) for d in found), found
    return [d for d in found if isinstance(d, Document)]


@pytest.mark.parametrize(("text", "expected"), [
    ("2023-12-06T08:00:00+08:00", dt.datetime(2023, 12, 6, 0, 0, tzinfo=dt.UTC)),
    ("2023-12-06T00:00:00Z", dt.datetime(2023, 12, 6, tzinfo=dt.UTC)),
    ("Wed, 06 Dec 2023 10:00:00 +0000", dt.datetime(2023, 12, 6, 10, tzinfo=dt.UTC)),
    ("2023-12-06", None), ("2023-12-06 08:00", None), ("Wed, 06 Dec 2023 10:00:00 -0000", None),
    ("yesterday", None), ("", None),
])
def test_a_timestamp_is_an_instant_only_with_its_zone(text: str,
                                                      expected: dt.datetime | None) -> None:
    assert parse_timestamp(text) == expected


def test_the_date_is_the_one_in_the_documents_own_zone(tmp_path: Path) -> None:
    page = tmp_path / "late.md"
    page.write_text("---\ntitle: Late news\ndate: 2023-12-06T23:30:00-05:00\n---\nText here.\n")
    [doc] = _docs(page)
    assert doc.published == dt.date(2023, 12, 6)  # in New York; 7 Dec in UTC
    assert doc.published_at is not None and doc.published_at.utcoffset() == dt.timedelta(hours=-5)


def test_html_meta_and_corpus_records_carry_the_zone(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text('<html><head><title>T</title><meta property="article:published_time" '
                    'content="2023-12-06T09:15:00+01:00"></head><body><article><p>'
                    + "Some words about the talks and what was agreed. " * 8
                    + "</p></article></body></html>")
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "1", "text": "One.", "date": "2023-12-06T10:00:00Z"}\n'
                      '{"id": "2", "text": "Two.", "date": "2023-12-06"}\n')
    html, first, second = _docs(page, corpus)
    assert html.published_at == dt.datetime(2023, 12, 6, 8, 15, tzinfo=dt.UTC)
    assert first.published_at == dt.datetime(2023, 12, 6, 10, tzinfo=dt.UTC)
    assert second.published == dt.date(2023, 12, 6) and second.published_at is None


def test_the_seed_names_its_outlet_from_its_sidecar_and_its_bytes_are_untouched() -> None:
    [doc] = _docs(SEEDS)
    assert doc.source == "China Daily"
    assert doc.published == dt.date(2023, 12, 6)
    text_file = next(SEEDS.glob("*.txt"))
    assert doc.text == text_file.read_text(encoding="utf-8").rstrip()


def test_a_sidecar_overrides_the_file_and_a_broken_one_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Ministers met in Geneva on Tuesday.\n")
    (tmp_path / "a.meta.toml").write_text('title = "Geneva talks"\nsource = "Wire"\n'
                                          'date = 2023-12-06T08:00:00+08:00\nurl = "https://x/a"\n')
    (tmp_path / "b.txt").write_text("Another article.\n")
    (tmp_path / "b.txt.meta.toml").write_text("title = [unclosed\n")
    items = list(iter_documents([tmp_path]))
    docs = {d.key.rsplit("/", 1)[-1]: d for d in items if isinstance(d, Document)}
    errors = [e for e in items if not isinstance(e, Document)]
    a = docs["a.txt"]
    assert (a.title, a.source, a.url) == ("Geneva talks", "Wire", "https://x/a")
    assert a.published_at == dt.datetime(2023, 12, 6, 0, tzinfo=dt.UTC)
    assert docs["b.txt"].title == "Another article."  # loaded without its broken sidecar
    assert len(errors) == 1 and "b.txt.meta.toml" in str(errors[0])


def test_adding_a_sidecar_relabels_a_stored_document_without_embedding(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text("Ministers met in Geneva on Tuesday to talk about trade.\n")
    index = open_index(Settings(store=tmp_path / "store"))
    try:
        assert ingest_paths(index, [folder]).added == 1
        (folder / "a.meta.toml").write_text('source = "Wire"\ndate = 2023-12-06\n')
        report = ingest_paths(index, [folder])
        assert (report.updated, report.chunks) == (1, 0)
        [info] = index.manifest.documents()
        assert (info.source, info.published) == ("Wire", dt.date(2023, 12, 6))
        # the vectors' metadata follows: source and date filters find it
        found = retrieve(index, "Geneva trade", k=2,
                         filters=Filters(sources=("Wire",), since=dt.date(2023, 12, 6)))
        assert [p.doc.doc_id for p in found] == [info.doc_id]
        assert ingest_paths(index, [folder]).unchanged == 1
    finally:
        index.close()


def test_a_store_made_by_the_previous_release_opens_migrated_with_nothing_lost(
        tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    with tarfile.open(STORE_V1) as tar:
        tar.extractall(store, filter="data")
    before = sqlite3.connect(store / "manifest.sqlite3")
    assert before.execute("SELECT value FROM meta WHERE name='schema'").fetchone() == ("1",)
    rows_before = before.execute("SELECT doc_id, title, source, published FROM documents "
                                 "ORDER BY doc_id").fetchall()
    chunks_before = before.execute("SELECT count(*) FROM chunks").fetchone()[0]
    before.close()

    index = open_index(Settings(store=store))
    try:
        assert index.manifest.schema_version == SCHEMA_VERSION == 2
        docs = sorted(index.manifest.documents(), key=lambda d: d.doc_id)
        assert [(d.doc_id, d.title, d.source, d.published.isoformat() if d.published else None)
                for d in docs] == rows_before
        assert index.manifest.stats()["chunks"] == chunks_before
        assert index.vectors.count() == chunks_before
        answer = ask(index, ExtractiveGenerator(), "Who died on Nov 29?", AnswerOptions(k=4))
        assert not answer.refused and "Kissinger" in " ".join(s.text for s in answer.sentences)
        seeds = tmp_path / "seeds"
        shutil.copytree(SEEDS, seeds)  # re-ingest: the sidecar relabels, nothing re-embeds
        report = ingest_paths(index, [seeds])
        assert report.chunks == 0 and report.failed == 0
    finally:
        index.close()


def test_a_store_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "manifest.sqlite3"
    Manifest(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value='99' WHERE name='schema'")
    db.close()
    with pytest.raises(StoreError, match="newer qa"):
        Manifest(path)


def test_one_text_under_two_keys_is_not_relabelled_back_and_forth(tmp_path: Path) -> None:
    corpus = tmp_path / "wire.jsonl"
    corpus.write_text('{"id": "1", "title": "First", "text": "Same wire text."}\n'
                      '{"id": "2", "title": "Second", "text": "Same wire text."}\n')
    index = open_index(Settings(store=tmp_path / "store"))
    try:
        ingest_paths(index, [corpus])
        again = ingest_paths(index, [corpus])
        assert (again.updated, again.unchanged) == (0, 2)
        assert [d.title for d in index.manifest.documents()] == ["First"]
    finally:
        index.close()


def test_a_moved_folder_takes_its_new_sidecar_metadata(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    (old / "a.txt").write_text("Ministers met in Geneva on Tuesday to talk about trade.\n")
    index = open_index(Settings(store=tmp_path / "store"))
    try:
        ingest_paths(index, [old])
        old.rename(new)
        (new / "a.meta.toml").write_text('source = "Wire"\n')
        ingest_paths(index, [new])
        assert [d.source for d in index.manifest.documents()] == ["Wire"]
    finally:
        index.close()
