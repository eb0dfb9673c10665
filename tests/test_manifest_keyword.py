from datetime import date
from pathlib import Path

import pytest

from qa.errors import StoreError
from qa.records import Chunk, Document
from vectorstore.keyword_index import KeywordIndex
from vectorstore.manifest import Manifest


def make_doc(key: str, text: str, day: date | None = date(2024, 1, 2)) -> Document:
    import hashlib

    return Document(key=key, text=text, title=text[:20], source="test", published=day,
                    sha256=hashlib.sha256(text.encode()).hexdigest())


def chunks_of(doc: Document) -> list[Chunk]:
    return [Chunk(doc_id=doc.doc_id, ordinal=0, text=doc.text, start=0, end=len(doc.text))]


def test_manifest_keys_and_orphans(tmp_path: Path) -> None:
    m = Manifest(tmp_path / "m.sqlite3")
    doc = make_doc("/a.txt", "Kissinger died on Nov 29.")
    m.put_document(doc, chunks_of(doc))
    m.add_key("/b.txt", doc.doc_id)
    assert m.doc_for_key("/a.txt") == (doc.doc_id, doc.sha256)
    assert m.documents()[0].keys == ("/a.txt", "/b.txt")
    assert m.remove_key("/a.txt") is None  # still reachable through /b.txt
    assert m.remove_key("/b.txt") == doc.doc_id  # now an orphan
    m.delete_document(doc.doc_id)
    assert m.stats() == {"documents": 0, "keys": 0, "chunks": 0}


def test_manifest_rejects_a_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="not a qa manifest"):
        Manifest(path)


def test_keyword_index_ranks_filters_and_persists(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "bm25")
    index.rebuild([("a:0", "Kissinger died on Nov 29 at the age of 100"),
                   ("b:0", "Wang Yi called for an immediate cease-fire in Gaza"),
                   ("c:0", "The cat sat on the mat")])
    reopened = KeywordIndex(tmp_path / "bm25")
    assert reopened.search("ceasefire in Gaza", 2)[0][0] == "b:0"
    assert reopened.search("who died", 3)[0][0] == "a:0"  # stemming: died ~ died
    assert reopened.search("Gaza", 3, allowed={"a:0", "c:0"}) == []
    assert reopened.search("unrelated zebra", 3) == []
    assert len(reopened) == 3


def test_keyword_index_empty(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "bm25")
    assert index.search("anything", 5) == []
    index.rebuild([])
    assert KeywordIndex(tmp_path / "bm25").search("anything", 5) == []
