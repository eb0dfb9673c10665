"""Memory bounded by the flush batch, not the file (issue 10, item 5): chunks are made lazily,
no embedding call holds more than FLUSH_CHUNKS texts, and the big document is still stored
whole. Cheap on purpose; the 50 MB and 500 MB figures are in docs/reliability.md."""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from qa.errors import LoadError
from qa.ingest import bigtext, pipeline
from qa.ingest.chunker import chunk_document, iter_chunks
from qa.ingest.load import iter_documents
from qa.records import Document
from qa.settings import Settings
from qa.store import open_index
from qa.text import encoding

_WORDS = ("the minister said on Tuesday that talks with the central bank over rates and "
          "growth would resume after officials met in the capital despite protests").split()


def _text(sentences: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    out = []
    for _ in range(sentences):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 30))]
        out.append(" ".join(words).capitalize() + rng.choice([". ", ".\n", "? "]))
    return "".join(out).strip()


def _doc(text: str) -> Document:
    return Document(key="/k.txt", text=text, title="t", source="s", published=None,
                    sha256="0" * 64)


def test_chunks_are_made_lazily_in_memory_far_below_the_text() -> None:
    text = _text(60_000)  # about 6 MB
    encoding()  # loading the tokenizer's ranks is not chunking
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        count = sum(1 for _ in iter_chunks(_doc(text), size=256, overlap=64))
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert count > 1000
    assert peak < len(text) / 4, f"chunking a {len(text)}-char text peaked at {peak} bytes"


def test_lazy_chunks_equal_the_listed_ones() -> None:
    doc = _doc(_text(800))
    assert list(iter_chunks(doc, size=64, overlap=16)) == chunk_document(doc, size=64,
                                                                          overlap=16)


class _Recording:
    """Wraps the real embedder and records each call's size."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.calls: list[int] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls.append(len(texts))
        return self.inner.embed(texts)  # type: ignore[attr-defined, no-any-return]


def test_a_big_document_is_embedded_in_flush_sized_calls(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "FLUSH_CHUNKS", 8)
    path = tmp_path / "big.txt"
    path.write_text(_text(400))
    small = tmp_path / "small.txt"
    small.write_text("A small note about rates.\n")
    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache",
                        collection="memory")
    index = open_index(settings)
    try:
        recording = _Recording(index.embedder)
        monkeypatch.setattr(index, "embedder", recording)
        report = pipeline.ingest_paths(index, [path, small], chunking=pipeline.Chunking(64, 16))
        stored = index.manifest.doc_chunks(
            next(d for d in index.manifest.find_docs(str(path))).doc_id)
        expected = chunk_document(_doc(path.read_text().rstrip()), size=64, overlap=16)
        assert report.added == 2 and not report.errors
        assert len(expected) > 30 and max(recording.calls) <= 8, recording.calls
        assert [c.text for c in stored] == [c.text for c in expected]
        assert index.vectors.count() == len(expected) + 1
    finally:
        index.close()


# ---- a text file too big to hold, read in sections (qa/ingest/bigtext.py) ---------------------


def _small_sections(monkeypatch: pytest.MonkeyPatch, section_chars: int = 3000) -> None:
    monkeypatch.setattr(bigtext, "STREAM_BYTES", 1000)
    monkeypatch.setattr(bigtext, "SECTION_CHARS", section_chars)
    monkeypatch.setattr(bigtext, "_READ_BYTES", 777)  # blocks cut through CRLFs and characters


def _messy_text() -> str:
    """CRLFs (some with extra CRs), multi-byte characters, a long line with no newline, and
    trailing whitespace: everything normalise() and a section cut must agree on."""
    body = _text(900).replace(".\n", ".\r\n").replace("? ", "? Ünïcødé ✓ \r\r\n", 40)
    long_line = " ".join(f"wörd{i}" for i in range(2500))  # over a section, spaces only
    return "\ufeff" + body[:30_000] + "\n" + long_line + "\n" + body[30_000:] + " \t\r\n\n  \n"


def _load_one(path: Path) -> Document:
    [doc] = list(iter_documents([path]))
    assert isinstance(doc, Document), doc
    return doc


def test_a_streamed_file_has_the_text_hash_and_offsets_of_a_held_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(_messy_text().encode("utf-8"))
    held = _load_one(path)
    _small_sections(monkeypatch)
    streamed = _load_one(path)
    assert held.stream is None and streamed.stream is not None and streamed.text == ""
    assert (streamed.sha256, streamed.length, streamed.title) == \
        (held.sha256, held.length, held.title)
    sections = list(streamed.stream.sections())
    assert len(sections) > 10
    assert "".join(s for _, s in sections) == held.text
    assert all(base == sum(len(s) for _, s in sections[:i])
               for i, (base, _) in enumerate(sections))
    chunks = list(iter_chunks(streamed, size=64, overlap=16))
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert all(c.text == held.text[c.start:c.end] for c in chunks)
    # every sentence of the text is in some chunk; chunks never span a section boundary
    bounds = {base for base, _ in sections}
    assert not any(b for b in bounds if any(c.start < b < c.end for c in chunks))
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(held.text) if not ch.isspace())


def test_a_streamed_file_is_stored_searchable_and_unchanged_on_a_second_ingest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_sections(monkeypatch)
    monkeypatch.setattr(pipeline, "FLUSH_CHUNKS", 16)
    path = tmp_path / "big.txt"
    path.write_bytes(_messy_text().encode("utf-8"))
    text = _load_one(path)
    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache",
                        collection="memory")
    index = open_index(settings)
    try:
        report = pipeline.ingest_paths(index, [path], chunking=pipeline.Chunking(64, 16))
        assert report.added == 1 and not report.errors
        [info] = index.manifest.find_docs(str(path))
        stored = index.manifest.doc_chunks(info.doc_id)
        expected = list(iter_chunks(text, size=64, overlap=16))
        assert [(c.text, c.start, c.end) for c in stored] == \
            [(c.text, c.start, c.end) for c in expected]
        assert all(c.text for c in stored)
        assert index.vectors.count() == len(stored) == len(index.keyword)
        assert any("wörd" in c.text for c in stored)
        again = pipeline.ingest_paths(index, [path], chunking=pipeline.Chunking(64, 16))
        assert (again.unchanged, again.added) == (1, 0)
    finally:
        index.close()


def test_a_bad_byte_deep_in_a_streamed_file_is_one_error(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _small_sections(monkeypatch)
    path = tmp_path / "bad.txt"
    good = tmp_path / "good.txt"
    path.write_bytes(_text(400).encode() + b"\xff\xfe broken" + _text(10).encode())
    good.write_text(_text(300))
    items = list(iter_documents([tmp_path]))
    errors = [i for i in items if isinstance(i, LoadError)]
    assert [e.path for e in errors] == [str(path.resolve())]
    assert "UTF-8" in errors[0].reason
    assert [i.key for i in items if isinstance(i, Document)] == [str(good.resolve())]


def test_reading_a_streamed_file_holds_a_section_not_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bigtext, "STREAM_BYTES", 1000)
    monkeypatch.setattr(bigtext, "SECTION_CHARS", 2**18)
    monkeypatch.setattr(bigtext, "_READ_BYTES", 2**16)
    path = tmp_path / "big.txt"
    path.write_text(_text(60_000))  # about 6 MB
    encoding()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        doc = _load_one(path)
        count = sum(1 for _ in iter_chunks(doc, size=256, overlap=64))
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert count > 1000
    # a held file costs its text (6 MB) before any chunk; a section is 256 K characters
    assert peak < path.stat().st_size / 3, f"peaked at {peak} bytes"


def test_a_streamed_file_changed_before_it_is_read_again_is_one_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader hashes a big file on its first read; the chunker reads it again. A file
    rewritten in between (same length, other words) is reported, and nothing of it stays."""
    _small_sections(monkeypatch)
    monkeypatch.setattr(pipeline, "FLUSH_CHUNKS", 8)
    big, small = tmp_path / "big.txt", tmp_path / "small.txt"
    big.write_text(_text(300))
    small.write_text(_text(30, seed=3))
    docs = list(iter_documents([big, small]))
    big.write_text(big.read_text().replace("minister", "ministre"))
    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache",
                        collection="memory")
    index = open_index(settings)
    try:
        report = pipeline.Ingestor(index, pipeline.Chunking(64, 16)).run(docs)
        [error] = report.errors
        assert error.path == str(big.resolve()) and "changed" in error.reason
        assert report.added == 1 and not index.manifest.find_docs(str(big.resolve()))
        [info] = index.manifest.find_docs(str(small.resolve()))
        assert index.vectors.count() == len(index.manifest.doc_chunks(info.doc_id))
    finally:
        index.close()
