"""A store whose parts fell out of step heals on the next ingest (issue 10, items 1, 2, 10).

Every test breaks a real store the way a user or a crash does (a folder deleted, a rebuild
killed half-way, a file truncated) and checks what the next ingest or `qa doctor` makes of it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.cli import app
from qa.errors import StoreError
from qa.ingest.pipeline import ingest_paths
from qa.settings import Settings
from qa.store import open_index
from vectorstore.index import Index
from vectorstore.keyword_index import KeywordIndex

TEXTS = {
    "kissinger.txt": "Henry Kissinger died on November 29 at his home in Connecticut.",
    "gaza.txt": "Wang Yi called for an immediate cease-fire in Gaza on Wednesday.",
    "quillon.txt": "The Quillon bridge opened to traffic after nine years of building.",
}


def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir(exist_ok=True)
    for name, text in TEXTS.items():
        (folder / name).write_text(text)
    return folder


def ingest(settings: Settings, folder: Path) -> tuple[Index, list[str]]:
    """Ingest `folder`; returns the reopened index (closed by the caller) and the repairs."""
    index = open_index(settings)
    try:
        report = ingest_paths(index, [folder])
    finally:
        index.close()
    return open_index(settings), report.repaired


def counts(index: Index) -> tuple[int, int, int]:
    return index.manifest.stats()["chunks"], index.vectors.count(), len(index.keyword)


def test_lost_keyword_index_is_rebuilt_from_the_manifest(tmp_path: Path) -> None:
    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache")
    folder = corpus(tmp_path)
    index, _ = ingest(settings, folder)
    index.close()
    shutil.rmtree(settings.store / "bm25")
    for path in folder.iterdir():  # the files are not read again: the manifest holds the texts
        path.write_text(path.read_text())
    index, repaired = ingest(settings, folder)
    try:
        assert any("keyword" in line for line in repaired)
        assert counts(index) == (3, 3, 3)
        assert index.keyword.search("cease-fire Gaza", 1)[0][0].startswith(
            index.manifest.find_docs(str(folder / "gaza.txt"))[0].doc_id)
    finally:
        index.close()


def test_lost_vectors_are_reembedded_from_stored_chunks(store_settings: Settings,
                                                        tmp_path: Path) -> None:
    folder = corpus(tmp_path)
    index, _ = ingest(store_settings, folder)
    ids = sorted(index.manifest.chunk_ids_where())
    wanted = index.vectors.vectors_for(ids)
    index.vectors.delete(ids[:2])  # what a deleted `chroma/` folder or a lost collection leaves
    index.close()
    for path in folder.iterdir():
        path.unlink()  # re-embedding must not need the files
    index, repaired = ingest(store_settings, folder)
    try:
        assert any("vector" in line for line in repaired)
        assert counts(index) == (3, 3, 3)
        again = index.vectors.vectors_for(ids)
        for chunk_id in ids:  # the same text embedded the same way: the same vector
            assert float(again[chunk_id] @ wanted[chunk_id]) > 0.999
    finally:
        index.close()


def test_deleted_chroma_folder_is_refilled(tmp_path: Path) -> None:
    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache")
    folder = corpus(tmp_path)
    ingest(settings, folder)[0].close()
    shutil.rmtree(settings.store / "chroma")
    index, repaired = ingest(settings, folder)
    try:
        assert repaired and counts(index) == (3, 3, 3)
    finally:
        index.close()


def test_a_killed_keyword_rebuild_keeps_the_old_index_and_is_redone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache")
    folder = corpus(tmp_path)
    ingest(settings, folder)[0].close()
    (folder / "new.txt").write_text("A fourth story about the harvest in Burgundy.")

    import bm25s

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C while the new index is being written

    monkeypatch.setattr(bm25s.BM25, "save", killed)
    index = open_index(settings)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(index, [folder])
    index.close()
    assert len(KeywordIndex(settings.store / "bm25")) == 3  # the old index is still whole
    monkeypatch.undo()
    index, repaired = ingest(settings, folder)  # "4 unchanged", yet the index is stale
    try:
        assert any("keyword" in line for line in repaired)
        assert counts(index) == (4, 4, 4)
    finally:
        index.close()


def test_a_first_rebuild_killed_leaves_no_index_and_the_next_ingest_builds_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache")
    folder = corpus(tmp_path)

    def killed(self: KeywordIndex, rows: object, stamp: str = "") -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(KeywordIndex, "rebuild", killed)
    index = open_index(settings)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(index, [folder])
    index.close()
    monkeypatch.undo()
    index, repaired = ingest(settings, folder)
    try:
        assert repaired and counts(index) == (3, 3, 3)
    finally:
        index.close()


def test_a_corrupt_keyword_index_is_replaced(tmp_path: Path) -> None:
    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache")
    folder = corpus(tmp_path)
    ingest(settings, folder)[0].close()
    for path in (settings.store / "bm25").iterdir():
        path.write_bytes(b"\x00garbage")
    index, repaired = ingest(settings, folder)
    try:
        assert repaired and counts(index) == (3, 3, 3)
    finally:
        index.close()


def test_reindex_flag_rebuilds_the_keyword_index(qa_env: dict[str, str], tmp_path: Path) -> None:
    folder = corpus(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(folder)]).exit_code == 0
    shutil.rmtree(tmp_path / "store" / "bm25")
    result = runner.invoke(app, ["ingest", "--reindex"])
    assert result.exit_code == 0, result.output
    assert "keyword index rebuilt (3 chunks)" in result.stdout
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert stats["keyword_index"] == 3


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_an_empty_manifest_beside_stored_vectors_is_refused(tmp_path: Path, damage: str) -> None:
    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache")
    ingest(settings, corpus(tmp_path))[0].close()
    manifest = settings.store / "manifest.sqlite3"
    for extra in manifest.parent.glob("manifest.sqlite3-*"):
        extra.unlink()
    if damage == "truncate":
        manifest.write_bytes(b"")
    else:
        manifest.unlink()
    for _ in range(2):  # refused every time, not just once: nothing is silently started over
        with pytest.raises(StoreError, match="manifest") as caught:
            open_index(settings)
        assert "--store" in str(caught.value)
    assert not manifest.exists() or manifest.stat().st_size == 0
