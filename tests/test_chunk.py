"""qa.ingest.chunker: offsets, coverage, token limits, overlap, long sentences, pages, speed."""

from __future__ import annotations

import hashlib
import html
import random
import re
from pathlib import Path

import pytest

from qa.errors import ConfigError
from qa.ingest.chunker import chunk_document
from qa.records import Chunk, Document
from qa.text import encoding, split_sentences

_SHARED = [Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")]
SEED = next((p / "seeds" / "000_17a65ebd6864479a.txt" for p in _SHARED
             if (p / "seeds" / "000_17a65ebd6864479a.txt").exists()),
            _SHARED[-1] / "seeds" / "000_17a65ebd6864479a.txt")
REUTERS = next((p / "eval" / "reuters21578" for p in _SHARED
                if (p / "eval" / "reuters21578").is_dir()), _SHARED[-1] / "eval" / "reuters21578")


def document(text: str, pages: tuple[tuple[int, int], ...] = ()) -> Document:
    return Document(key="mem", text=text, title="", source="test", published=None,
                    sha256=hashlib.sha256(text.encode()).hexdigest(), pages=pages)


def tokens(text: str) -> int:
    return len(encoding().encode_ordinary(text))


def check_invariants(doc: Document, chunks: list[Chunk], size: int) -> None:
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.doc_id == doc.doc_id
        assert chunk.text == doc.text[chunk.start:chunk.end]
        assert chunk.text
        assert tokens(chunk.text) <= size, (tokens(chunk.text), chunk.text[:80])
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    # every character of every sentence lies in some chunk
    covered, reach = [], 0
    for chunk in chunks:
        if chunk.start > reach:
            covered.append((chunk.start, chunk.end))
        elif covered:
            covered[-1] = (covered[-1][0], max(covered[-1][1], chunk.end))
        else:
            covered.append((chunk.start, chunk.end))
        reach = max(reach, chunk.end)
    # (a repeat of a recent chunk is not stored: its sentence is then inside a stored one)
    for start, end in split_sentences(doc.text):
        assert any(a <= start and end <= b for a, b in covered) or \
            all(any(piece in c.text for c in chunks) for piece in _pieces(doc.text[start:end])), \
            doc.text[start:end][:80]


def _pieces(sentence: str, width: int = 40) -> list[str]:
    return [sentence[i:i + width] for i in range(0, len(sentence), width)]


def synthetic(n_sentences: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    words = ("cocoa exports rose sharply in february traders said the ministry of finance "
             "reported higher grain prices while analysts expected further gains").split()
    out = []
    for i in range(n_sentences):
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(3, 40)))
        out.append(sentence.capitalize() + ".")
        out.append("\n" if i % 7 == 6 else " ")
    return "".join(out).rstrip()


def test_seed_chunks() -> None:
    if not SEED.exists():
        pytest.skip(f"{SEED} not present")
    doc = document(SEED.read_text(encoding="utf-8").rstrip())
    for size, overlap in ((256, 32), (64, 16), (40, 0)):
        chunks = chunk_document(doc, size=size, overlap=overlap)
        assert len(chunks) > 1
        check_invariants(doc, chunks, size)
        assert all(c.page is None for c in chunks)
    assert chunk_document(doc) == chunk_document(doc)  # deterministic


def test_long_synthetic_text() -> None:
    doc = document(synthetic(3000))
    chunks = chunk_document(doc, size=128, overlap=24)
    check_invariants(doc, chunks, 128)
    sentence_bounds = {s for s, _ in split_sentences(doc.text)}
    ends = {e for _, e in split_sentences(doc.text)}
    assert all(c.start in sentence_bounds and c.end in ends for c in chunks)  # snapped
    # packing is greedy: chunks are reasonably full
    assert sum(tokens(c.text) for c in chunks) / len(chunks) > 128 * 0.7


def test_overlap_carries_trailing_sentences() -> None:
    doc = document(synthetic(400, seed=3))
    size, overlap = 96, 32
    chunks = chunk_document(doc, size=size, overlap=overlap)
    carried = 0
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        assert prev.start < nxt.start and nxt.end > prev.end  # each chunk adds new text
        if nxt.start < prev.end:
            carried += 1
            shared = doc.text[nxt.start:prev.end]
            assert prev.text.endswith(shared)
            assert tokens(shared) <= overlap + 2  # sentence counts plus the gaps between them
    assert carried > len(chunks) // 2
    plain = chunk_document(doc, size=size, overlap=0)
    assert all(b.start >= a.end for a, b in zip(plain, plain[1:], strict=False))
    assert len(plain) < len(chunks)


def test_giant_single_sentence() -> None:
    words = [f"Token{i} 世界 🙂 café" for i in range(1500)]
    text = "Lead sentence here. " + ", ".join(words) + " and so on. Tail sentence."
    doc = document(text)
    size, overlap = 64, 8
    chunks = chunk_document(doc, size=size, overlap=overlap)
    check_invariants(doc, chunks, size)
    giant = [c for c in chunks if c.text not in ("Lead sentence here.", "Tail sentence.")]
    assert len(giant) > 20
    for prev, nxt in zip(giant, giant[1:], strict=False):
        assert nxt.start < prev.end <= nxt.end  # token windows overlap and touch
    assert chunks[0].text == "Lead sentence here."
    assert chunks[-1].text == "Tail sentence."


def test_text_without_sentence_ends() -> None:
    doc = document("x" * 5000)  # one 'sentence' with no spaces at all
    check_invariants(doc, chunk_document(doc, size=32, overlap=4), 32)


def test_a_repeated_window_is_stored_once() -> None:
    """Identical vectors break Chroma's HNSW graph (dense search missed an unrelated document
    in a third of builds of tests/test_hostile_corpus.py): a window whose text repeats a
    recent chunk of the document is not stored again."""
    filler = " ".join(["word"] * 3000)
    doc = document(f"Kelderby report. {filler}. The harbour reopened on Monday. {filler}.")
    chunks = chunk_document(doc, size=64, overlap=8)
    texts = [c.text for c in chunks]
    assert len(texts) == len(set(texts)) < 12
    assert any("harbour reopened" in t for t in texts)
    check_invariants(doc, chunks, 64)


def test_pages_record_where_a_chunk_starts() -> None:
    pages_text = [synthetic(30, seed=s) for s in (1, 2, 3)]
    text = "\n\n".join(pages_text)
    starts = (1, 0), (2, len(pages_text[0]) + 2), (3, len(pages_text[0]) + len(pages_text[1]) + 4)
    doc = document(text, pages=starts)
    chunks = chunk_document(doc, size=64, overlap=0)
    check_invariants(doc, chunks, 64)
    for chunk in chunks:
        expected = max(n for n, offset in starts if offset <= chunk.start)
        assert chunk.page == expected
    assert {c.page for c in chunks} == {1, 2, 3}


def test_empty_text_and_bad_settings() -> None:
    assert chunk_document(document("")) == []
    with pytest.raises(ConfigError):
        chunk_document(document("Some text."), size=32, overlap=32)
    with pytest.raises(ConfigError):
        chunk_document(document("Some text."), size=32, overlap=-1)


def test_reuters_stories_keep_the_chunk_invariants() -> None:
    """Real wire copy (tables, sign-offs, odd spacing). Every 20th story: the speed of chunking
    the whole corpus is measured by bench/ingest_reuters.py, not here."""
    files = sorted(REUTERS.glob("reut2-*.sgm"))
    if not files:
        pytest.skip(f"Reuters-21578 not found at {REUTERS}")
    bodies = [html.unescape(m.group(1)).rstrip()
              for f in files
              for m in re.finditer(r"<BODY>(.*?)</BODY>", f.read_text(encoding="latin-1"), re.S)]
    docs = [document(b) for b in bodies if b.strip()]
    assert len(docs) > 19000
    for doc in docs[::20]:
        check_invariants(doc, chunk_document(doc), 256)
