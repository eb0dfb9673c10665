"""The keyword index appended to instead of rebuilt (issue 13, item 3): a feed fetch into a big
store must not re-read every chunk. The appended index must score as a full rebuild would,
forget what was dropped, and heal like a rebuilt one when an append dies half-way."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from feeds_server import ARTICLES

import vectorstore.index
import vectorstore.keyword_index
from qa.ingest.pipeline import Ingestor, ingest_paths
from qa.settings import Settings
from qa.store import open_index
from vectorstore.keyword_index import KeywordIndex

SENTENCES = [s for _, paragraphs in ARTICLES.values() for s in paragraphs]
QUERIES = ["bridge flood repairs", "tram line airport council", "dock workers strike wage",
           "solar storm northern lights", "digital archive newspapers", "cost million dollars"]


def texts(seed: int, n: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [(f"{seed}-{i}:0", " ".join(rng.sample(SENTENCES, 3))) for i in range(n)]


def same_scores(got_index: KeywordIndex, want_index: KeywordIndex, rel: float) -> None:
    for query in [*QUERIES, "correction notice"]:
        # every chunk's score (many tie: the texts share their sentences)
        got, want = dict(got_index.search(query, 1000)), dict(want_index.search(query, 1000))
        assert got.keys() == want.keys(), query
        for cid, score in want.items():
            assert got[cid] == pytest.approx(score, rel=rel), query


def test_an_appended_index_scores_as_a_full_rebuild(tmp_path: Path) -> None:
    main, new = texts(1, 300), texts(2, 40)
    appended = KeywordIndex(tmp_path / "appended")
    appended.rebuild(main, "s1")
    assert appended.append(new, set(), "s2") == 40
    full = KeywordIndex(tmp_path / "full")
    full.rebuild(main + new, "s2")
    same_scores(KeywordIndex(tmp_path / "appended"), full, rel=0.005)  # avgdl differs, slightly

    # a few dropped and re-titled, as a day's fetch replaces a few updated entries
    dropped = {cid for cid, _ in main[:3]}
    retitled = [(cid, "Correction notice. " + text) for cid, text in main[25:27]]
    assert appended.append(retitled, dropped | {c for c, _ in retitled}, "s3") == 42
    assert appended.stamp() == "s3"
    final = main[3:25] + main[27:] + new + retitled
    full.rebuild(final, "s3")
    reopened = KeywordIndex(tmp_path / "appended")
    assert len(reopened) == len(full) == reopened.count() == len(final)
    # dropped chunks still count in the main index's document frequencies until a rebuild
    same_scores(reopened, full, rel=0.05)
    assert not set(dict(reopened.search("bridge", 400))) & dropped
    assert reopened.search("correction", 10, allowed={main[26][0]})[0][0] == main[26][0]


def test_ingest_appends_to_a_big_enough_index_and_never_rebuilds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache")
    docs = tmp_path / "docs"
    docs.mkdir()
    for slug, (title, paragraphs) in list(ARTICLES.items())[:3]:
        (docs / f"{slug}.txt").write_text(title + "\n\n" + "\n\n".join(paragraphs))
    index = open_index(settings)
    ingest_paths(index, [docs])
    monkeypatch.setattr(vectorstore.index, "APPEND_FROM", 0)

    import bm25s

    def no_rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("the keyword index was rebuilt")

    monkeypatch.setattr(bm25s.BM25, "index", no_rebuild)
    title, paragraphs = ARTICLES["aurora"]
    (docs / "aurora.txt").write_text(title + "\n\n" + "\n\n".join(paragraphs))
    report = ingest_paths(index, [docs])
    assert report.added == 1 and report.repaired == []  # appended, and current
    assert index.keyword_is_current()
    [(hit, _)] = index.keyword.search("geomagnetic storm", 1)
    assert index.manifest.chunks([hit])[hit].text.startswith(title)
    assert Ingestor(index).forget(str(docs / "bridge.txt")) == 1
    assert index.keyword_is_current() and not [
        c for c, _ in index.keyword.search("piers resurfaced deck", 5)]
    assert index.keyword.count() == index.manifest.stats()["chunks"]
    index.close()


def test_an_append_killed_before_its_stamp_is_healed_by_a_rebuild(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Henry Kissinger died on November 29 at his home.")
    index = open_index(settings)
    ingest_paths(index, [docs])
    monkeypatch.setattr(vectorstore.index, "APPEND_FROM", 0)
    real = vectorstore.keyword_index._write_atomic

    def killed(path: Path, text: str) -> None:
        if path.name == "manifest_stamp":
            raise KeyboardInterrupt  # Ctrl-C between the delta and the stamp
        real(path, text)

    monkeypatch.setattr(vectorstore.keyword_index, "_write_atomic", killed)
    (docs / "b.txt").write_text("The Quillon bridge opened after nine years of building.")
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(index, [docs])
    assert not index.keyword_is_current()
    monkeypatch.undo()
    report = ingest_paths(index, [docs])
    assert any("rebuilt the keyword index" in line for line in report.repaired)
    assert index.keyword_is_current() and index.keyword.search("Quillon bridge", 1)
    index.close()


def test_a_delta_past_its_limit_is_folded_in_by_a_rebuild(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectorstore.keyword_index, "DELTA_LIMIT", 10)
    index = KeywordIndex(tmp_path / "bm25")
    index.rebuild(texts(1, 50), "s1")
    assert index.append(texts(2, 8), set(), "s2") == 8
    assert index.append(texts(3, 8), set(), "s3") is None  # 16 > 10: the caller rebuilds
    assert index.stamp() == "s2"
