"""End to end: ingest seeds/ into a real store (embedded and a real `chroma run` server), then
answer the seed questions with the extractive generator and check what the citations point at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from qa.answer.ask import AnswerOptions, ask
from qa.generators.extractive import ExtractiveGenerator
from qa.ingest.pipeline import ingest_paths
from qa.refusal import NOT_IN_DOCUMENTS
from qa.retrieve import Filters, Mode, retrieve
from qa.settings import Settings
from qa.store import open_index
from vectorstore.index import Index

SEED_QUESTIONS = [
    ("What did Wang Yi say is the most urgent task?", "an immediate cease-fire in Gaza"),
    ("Who died on Nov 29?", "Kissinger"),
    ("When did Wang Yi and Blinken talk?", "Dec 6"),
]


@pytest.fixture
def seeded(store_settings: Settings, seeds_folder: Path) -> Iterator[Index]:
    """seeds/ ingested into a fresh collection of each store kind (the seeded store in
    conftest.py is embedded only)."""
    index = open_index(store_settings)
    report = ingest_paths(index, [seeds_folder])
    assert report.added == 1 and report.failed == 0
    yield index
    index.close()


@pytest.mark.parametrize(("question", "expected"), SEED_QUESTIONS)
def test_seed_questions_cite_the_passage_holding_the_answer(seeded: Index, question: str,
                                                            expected: str) -> None:
    answer = ask(seeded, ExtractiveGenerator(), question, AnswerOptions(k=4))
    assert not answer.refused
    assert answer.sentences and all(s.supported for s in answer.sentences)
    quotes = [answer.passages[c.number - 1].text[c.span[0]:c.span[1]]
              for s in answer.sentences for c in s.citations]
    assert any(expected in q for q in quotes), quotes


def test_question_outside_the_documents_is_refused(seeded: Index) -> None:
    answer = ask(seeded, ExtractiveGenerator(), "What is the capital of Peru?",
                 AnswerOptions(k=4))
    assert answer.refused
    assert answer.sentences[0].text == NOT_IN_DOCUMENTS


def test_date_and_source_filters(seeded: Index) -> None:
    assert retrieve(seeded, "cease-fire", k=3, filters=Filters(since=_d("2023-12-01")))
    assert not retrieve(seeded, "cease-fire", k=3, filters=Filters(since=_d("2024-01-01")))
    assert not retrieve(seeded, "cease-fire", k=3, filters=Filters(until=_d("2023-12-05")))
    source = retrieve(seeded, "cease-fire", k=1)[0].doc.source
    assert retrieve(seeded, "cease-fire", k=3, filters=Filters(sources=(source,)))
    assert not retrieve(seeded, "cease-fire", k=3, filters=Filters(sources=("nowhere",)))


def _d(text: str) -> date:
    return date.fromisoformat(text)


def test_reingest_unchanged_embeds_nothing(seeded: Index, seeds_folder: Path) -> None:
    before = seeded.vectors.count()
    report = ingest_paths(seeded, [seeds_folder])
    assert (report.added, report.updated, report.unchanged, report.chunks) == (0, 0, 1, 0)
    assert seeded.vectors.count() == before


def test_changed_file_replaces_its_chunks(store_settings: Settings, tmp_path: Path) -> None:
    index = open_index(store_settings)
    doc = tmp_path / "note.txt"
    doc.write_text("Zorbia's capital is Quillon.\n" + "Filler sentence about weather. " * 200)
    ingest_paths(index, [doc])
    old_chunks = index.vectors.count()
    doc.write_text("Zorbia's capital is Marvel City.\n")
    report = ingest_paths(index, [doc])
    assert report.updated == 1
    assert index.manifest.stats() == {"documents": 1, "keys": 1, "chunks": 1}
    assert index.vectors.count() == 1 < old_chunks  # no stale chunk left behind
    texts = [p.text for p in retrieve(index, "capital of Zorbia", k=5)]
    assert texts == ["Zorbia's capital is Marvel City."]
    index.close()


def test_same_content_under_two_paths_is_stored_once(store_settings: Settings,
                                                     tmp_path: Path) -> None:
    index = open_index(store_settings)
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("The Tern bridge opened on March 1.\n")
    report = ingest_paths(index, [tmp_path / "a.txt", tmp_path / "b.txt"])
    assert (report.added, report.duplicates) == (1, 1)
    docs = index.manifest.documents()
    assert len(docs) == 1 and len(docs[0].keys) == 2
    assert index.vectors.count() == 1
    index.close()


def test_file_changed_into_a_copy_of_another_is_linked_and_its_old_text_dropped(
        store_settings: Settings, tmp_path: Path) -> None:
    index = open_index(store_settings)
    a, b, c = (tmp_path / n for n in ("a.txt", "b.txt", "c.txt"))
    a.write_text("Alpha: the Tern bridge opened on March 1.\n")
    b.write_text("Beta: Quillon is the capital of Zorbia.\n")
    ingest_paths(index, [a, b])
    # c is new and b now repeats it: c is queued for embedding when b is seen
    c.write_text("Gamma: Marvel City hosts the Borduria fair.\n")
    b.write_text(c.read_text())
    report = ingest_paths(index, [c, b])
    assert (report.added, report.duplicates, report.unchanged) == (1, 1, 0)
    titles = sorted(d.title for d in index.manifest.documents())
    assert titles == ["Alpha: the Tern bridge opened on March 1.",
                      "Gamma: Marvel City hosts the Borduria fair."]
    assert index.manifest.stats() == {"documents": 2, "keys": 3, "chunks": 2}
    assert index.vectors.count() == 2  # Beta's chunk is gone, Gamma's stored once
    assert all("Zorbia" not in p.text for p in retrieve(index, "capital of Zorbia", k=3))
    # and a file changed into a copy of something stored earlier is linked at once
    a.write_text(c.read_text())
    report = ingest_paths(index, [a])
    assert report.duplicates == 1
    assert index.manifest.stats() == {"documents": 1, "keys": 3, "chunks": 1}
    assert index.vectors.count() == 1
    index.close()


def test_bad_files_are_reported_and_the_rest_goes_on(store_settings: Settings,
                                                     tmp_path: Path) -> None:
    index = open_index(store_settings)
    good = tmp_path / "good.txt"
    good.write_text("Quillon is the capital of Zorbia.\n")
    ingest_paths(index, [good])
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (tmp_path / "new.txt").write_text("Marvel City is the capital of Borduria.\n")
    report = ingest_paths(index, [tmp_path])
    assert report.failed == 3
    assert {Path(e.path).name for e in report.errors} == {"empty.txt", "binary.txt", "latin.txt"}
    assert report.added == 1 and report.unchanged == 1
    assert index.manifest.stats()["documents"] == 2
    index.close()


def test_forget_and_prune(store_settings: Settings, tmp_path: Path) -> None:
    from qa.ingest.pipeline import Ingestor

    index = open_index(store_settings)
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("Alpha document about Quillon.\n")
    b.write_text("Beta document about Marvel City.\n")
    ingest_paths(index, [a, b])
    assert Ingestor(index).forget(str(a)) == 1
    assert [d.title for d in index.manifest.documents()] == ["Beta document about Marvel City."]
    b.unlink()
    report = ingest_paths(index, [], prune=True)
    assert report.pruned == 1
    assert index.manifest.stats()["documents"] == 0 and index.vectors.count() == 0
    assert retrieve(index, "Marvel City", k=3) == []
    index.close()


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_a_date_filter_keeps_dated_documents_in_range_in_every_mode(
        store_settings: Settings, tmp_path: Path, mode: Mode) -> None:
    """One rule for the vectors' and the keywords' filters: an undated document passes no date
    filter (it used to pass --until on the dense side only)."""
    index = open_index(store_settings)
    dated = tmp_path / "2023-12-06_bridge.txt"
    dated.write_text("The Tern bridge in Quillon opened on December 6.\n")
    undated = tmp_path / "arch.txt"
    undated.write_text("The Tern bridge in Quillon has a steel arch.\n")
    ingest_paths(index, [dated, undated])

    def found(**bounds: date) -> set[str]:
        passages = retrieve(index, "Tern bridge Quillon", k=5, mode=mode,
                            filters=Filters(**bounds))  # type: ignore[arg-type]
        return {Path(p.doc.keys[0]).name for p in passages}

    try:
        assert found() == {dated.name, undated.name}
        assert found(until=date(2023, 12, 31)) == {dated.name}
        assert found(since=date(2023, 1, 1)) == {dated.name}
        assert found(since=date(2023, 12, 6), until=date(2023, 12, 6)) == {dated.name}
        assert found(until=date(2023, 12, 5)) == set()
        assert found(since=date(2023, 12, 7)) == set()
    finally:
        index.close()
