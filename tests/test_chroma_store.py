"""ChunkStore against an embedded PersistentClient and a real `chroma run` server."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from qa.errors import ConfigError, EmbedderMismatch, StoreError
from qa.settings import Settings
from vectorstore.chroma_store import ChunkStore, parse_chroma_url


class FakeEmbedder:
    """Stands in where the model is not under test: only name and dimension matter here."""

    def __init__(self, name: str = "fake-384", dimension: int = 384) -> None:
        self.name = name
        self.dimension = dimension

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return unit_vectors(len(texts), self.dimension, seed=len(texts))


class LateDimensionEmbedder(FakeEmbedder):
    """Like the openai embedder: dimension 0 until the first embed."""

    def __init__(self) -> None:
        super().__init__("late-16", 0)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.dimension = 16
        return unit_vectors(len(texts), 16, seed=1)


def unit_vectors(n: int, dim: int = 384, seed: int = 0) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, dim)).astype(np.float32)
    unit: npt.NDArray[np.float32] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return unit


def fill(store: ChunkStore, n: int, docs: int = 2) -> npt.NDArray[np.float32]:
    vectors = unit_vectors(n)
    ids = [f"d{i % docs}:{i}" for i in range(n)]
    metas: list[dict[str, str | int]] = [
        {"doc_id": f"d{i % docs}", "ordinal": i, "published": 20240101 + i} for i in range(n)]
    store.add(ids, vectors, [f"text {i}" for i in range(n)], metas)
    return vectors


OpenStore = Callable[..., ChunkStore]


def open_chunks(settings: Settings, embedder: FakeEmbedder, *, create: bool = True
                ) -> ChunkStore:
    """`ChunkStore.open` where `settings` point (as qa.store.open_index does)."""
    return ChunkStore.open(embedder, folder=settings.store / "chroma", url=settings.chroma_url,
                           collection=settings.collection, create=create)


@pytest.fixture
def open_store(store_settings: Settings) -> Iterator[OpenStore]:
    """Opens stores on `store_settings` (embedded and http) and closes them all afterwards."""
    opened: list[ChunkStore] = []

    def _open(embedder: FakeEmbedder | None = None, *, create: bool = True) -> ChunkStore:
        store = open_chunks(store_settings, embedder or FakeEmbedder(), create=create)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


def test_close_is_idempotent_and_final(open_store: OpenStore) -> None:
    store = open_store()
    fill(store, 2)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count()
    assert open_store(create=False).count() == 2


def test_add_query_count(open_store: OpenStore) -> None:
    store = open_store()
    assert store.count() == 0
    assert store.query(unit_vectors(1)[0], 5) == []
    vectors = fill(store, 10)
    assert store.count() == 10
    assert store.embedder_name() == "fake-384"
    hits = store.query(vectors[3], 4)
    assert len(hits) == 4
    assert hits[0][0] == "d1:3"
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 - 1e-4 <= s <= 1.0 + 1e-4 for s in scores)
    # the score is the cosine similarity
    assert hits[1][1] == pytest.approx(float(vectors[3] @ vectors[int(hits[1][0].split(":")[1])]),
                                       abs=1e-4)


def test_k_larger_than_count_and_where(open_store: OpenStore) -> None:
    store = open_store()
    vectors = fill(store, 6)
    assert len(store.query(vectors[0], 100)) == 6
    only_d0 = store.query(vectors[1], 100, where={"doc_id": "d0"})
    assert {cid for cid, _ in only_d0} == {"d0:0", "d0:2", "d0:4"}
    recent = store.query(vectors[0], 100, where={"published": {"$gte": 20240104}})
    assert {cid for cid, _ in recent} == {"d1:3", "d0:4", "d1:5"}


def test_delete_and_delete_where(open_store: OpenStore) -> None:
    store = open_store()
    vectors = fill(store, 8)
    store.delete(["d0:0", "d1:1", "no-such-id"])
    store.delete([])
    assert store.count() == 6
    store.delete_where({"doc_id": "d0"})
    assert store.count() == 3
    assert {cid for cid, _ in store.query(vectors[0], 10)} == {"d1:3", "d1:5", "d1:7"}
    with pytest.raises(ValueError):
        store.delete_where({})


def test_upsert_is_idempotent(open_store: OpenStore) -> None:
    store = open_store()
    fill(store, 5)
    fill(store, 5)
    assert store.count() == 5
    # replacing a vector moves the hit
    new = unit_vectors(1, seed=99)
    store.add(["d0:0"], new, ["changed"], [{"doc_id": "d0"}])
    assert store.count() == 5
    (top_id, top_score), = store.query(new[0], 1)
    assert top_id == "d0:0" and top_score == pytest.approx(1.0, abs=1e-4)


def test_batches_beyond_the_client_maximum(open_store: OpenStore) -> None:
    store = open_store()
    max_batch = store._client.get_max_batch_size()
    n = max_batch + 10
    vectors = unit_vectors(n, seed=7)
    ids = [f"b:{i}" for i in range(n)]
    docs = [""] * n
    metas: list[dict[str, str | int]] = [{"doc_id": "b"}] * n
    # Chroma itself refuses one call this large: the store must split it.
    with pytest.raises(Exception, match="(?i)batch size|max"):
        store._collection.upsert(ids=ids, embeddings=vectors, documents=docs, metadatas=metas)
    store.add(ids, vectors, docs, metas)
    assert store.count() == n
    store.delete(ids)
    assert store.count() == 0


def test_reopen_keeps_data_and_checks_embedder(open_store: OpenStore) -> None:
    store = open_store()
    fill(store, 3)
    again = open_store(create=False)
    assert again.count() == 3
    with pytest.raises(EmbedderMismatch) as info:
        open_store(FakeEmbedder("other-model", 384))
    message = str(info.value)
    assert "fake-384" in message and "other-model" in message
    assert "QA_EMBEDDER=fake-384" in info.value.fix and "QA_COLLECTION" in info.value.fix
    with pytest.raises(EmbedderMismatch, match="256"):
        open_store(FakeEmbedder("fake-384", 256))


def test_wrong_width_vectors_are_refused(open_store: OpenStore) -> None:
    store = open_store()
    with pytest.raises(EmbedderMismatch):
        store.add(["x"], unit_vectors(1, 128), ["x"], [{"doc_id": "x"}])
    with pytest.raises(EmbedderMismatch):
        store.query(unit_vectors(1, 128)[0], 3)


def test_missing_collection_without_create(open_store: OpenStore) -> None:
    with pytest.raises(StoreError, match="no collection"):
        open_store(create=False)


def test_dimension_learned_from_first_embed(open_store: OpenStore) -> None:
    store = open_store(LateDimensionEmbedder())
    store.add(["a"], unit_vectors(1, 16), ["a"], [{"doc_id": "a"}])
    assert store.dimension() == 16
    (top_id, top_score), = store.query(unit_vectors(1, 16)[0], 1)
    assert top_id == "a" and top_score == pytest.approx(1.0, abs=1e-4)


# ---------------------------------------------------------------------------- failures


def test_invalid_collection_name(tmp_path: Path) -> None:
    settings = Settings(store=tmp_path, collection="qa")  # Chroma needs 3+ characters
    with pytest.raises(ConfigError, match="collection name"):
        open_chunks(settings, FakeEmbedder())


def test_corrupt_store_is_a_store_error(tmp_path: Path) -> None:
    folder = tmp_path / "store" / "chroma"
    folder.mkdir(parents=True)
    (folder / "chroma.sqlite3").write_bytes(b"definitely not sqlite " * 500)
    settings = Settings(store=tmp_path / "store", collection="corrupt")
    with pytest.raises(StoreError, match="not a usable Chroma store") as info:
        open_chunks(settings, FakeEmbedder())
    assert "\n" not in str(info.value)


def test_store_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "chroma").write_text("a file, not a folder")
    with pytest.raises(StoreError):
        open_chunks(Settings(store=tmp_path / "store", collection="file"), FakeEmbedder())


def test_foreign_collection_is_refused(tmp_path: Path) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(tmp_path / "store" / "chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    client.create_collection("theirs", embedding_function=None)
    with pytest.raises(StoreError, match="not created by qa"):
        open_chunks(Settings(store=tmp_path / "store", collection="theirs"), FakeEmbedder())


def test_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    from conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    settings = Settings(store=tmp_path, chroma_url=url, collection="nowhere")
    with pytest.raises(StoreError, match="cannot reach Chroma") as info:
        open_chunks(settings, FakeEmbedder())
    assert url in str(info.value)
    assert "QA_CHROMA_URL" in info.value.fix


@pytest.mark.server
def test_server_gone_mid_session_is_a_store_error(tmp_path: Path) -> None:
    from conftest import running_chroma

    with running_chroma(tmp_path) as url:
        settings = Settings(store=tmp_path, chroma_url=url, collection="short-lived")
        store = open_chunks(settings, FakeEmbedder())
        fill(store, 3)
    try:
        with pytest.raises(StoreError, match="lost the connection") as info:
            store.count()
        assert "\n" not in str(info.value)
    finally:
        store.close()


def test_parse_chroma_url() -> None:
    assert parse_chroma_url("http://127.0.0.1:8123") == ("127.0.0.1", 8123, False)
    assert parse_chroma_url("https://chroma.example") == ("chroma.example", 443, True)
    assert parse_chroma_url("localhost:9000") == ("localhost", 9000, False)
    assert parse_chroma_url("http://h/") == ("h", 8000, False)
    for bad in ("ftp://h:1", "http://", "http://h:1/api"):
        with pytest.raises(ConfigError):
            parse_chroma_url(bad)
