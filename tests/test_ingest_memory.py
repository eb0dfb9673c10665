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

from qa.ingest import pipeline
from qa.ingest.chunker import chunk_document, iter_chunks
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
