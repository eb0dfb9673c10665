"""`ChunkStore`: chunk vectors in one Chroma collection, embedded on disk or behind `chroma run`.

Embedded mode keeps the data in a folder (`<store>/chroma`) through a `PersistentClient`. That
folder must be written by ONE process at a time: Chroma takes no lock on it, and two writers can
corrupt it. To share a store between processes, run `chroma run --path DIR` and set
`QA_CHROMA_URL` (HTTP mode).

The collection records which embedder built it (`qa:embedder`, `qa:dimension` in its metadata);
opening it with another embedder raises `EmbedderMismatch`, because vectors of two models in one
index give meaningless neighbours. We always pass our own vectors (`embedding_function=None`), so
Chroma never loads or downloads a model. Every Chroma failure surfaces as a one-line `StoreError`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np

from qa.errors import ConfigError, EmbedderMismatch, StoreError

if TYPE_CHECKING:
    import numpy.typing as npt

    from vectorstore.embedders import Embedder

META_EMBEDDER = "qa:embedder"
META_DIMENSION = "qa:dimension"
SPACE = "cosine"
# Chroma's rule: 3-512 characters of [a-zA-Z0-9._-], starting and ending alphanumeric.
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")

MetadataValue = str | int | float | bool
log = logging.getLogger(__name__)


class ChunkStore:
    """Chunk vectors, their texts and flat metadata in one cosine-space Chroma collection."""

    def __init__(self, client: Any, collection: Any, where: str) -> None:
        """Use `ChunkStore.open`; this takes an already opened client and collection."""
        self._client = client
        self._collection = collection
        self._where = where  # the store folder or the server URL, for messages
        self._max_batch: int | None = None

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, embedder: Embedder, *, folder: Path | None = None, url: str | None = None,
             collection: str, create: bool = True) -> ChunkStore:
        """Open (or, with `create`, create) `collection` for `embedder`: on the `chroma run`
        server at `url` when given, else embedded in `folder`.

        Raises `EmbedderMismatch` when the collection was built by another embedder or with
        another dimension, `StoreError` when the store is unreachable, corrupt or foreign, and
        `ConfigError` for an invalid collection name or URL.
        """
        if not _NAME_RE.match(collection) or ".." in collection:
            raise ConfigError(f"invalid collection name {collection!r}: Chroma needs 3-512 "
                              "characters of letters, digits, '.', '_' or '-', starting and "
                              "ending with a letter or digit", fix="set QA_COLLECTION to another "
                              "name")
        if url:
            client, where = _connect_http(url)
        elif folder is not None:
            client, where = _connect_folder(folder)
        else:
            raise ValueError("ChunkStore.open() needs a folder or a url")
        try:
            opened = _open_collection(client, where, collection, embedder, create=create)
            _check_collection(opened, embedder, where)
        except BaseException:
            _close_client(client)
            raise
        return cls(client, opened, where)

    def close(self) -> None:
        """Release the client (embedded: the SQLite handles; HTTP: the connection pool).
        Idempotent; the store is unusable afterwards."""
        if self._client is not None:
            client, self._client = self._client, None
            _close_client(client)

    def __enter__(self) -> ChunkStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def add(self, ids: Sequence[str], vectors: npt.NDArray[np.float32], documents: Sequence[str],
            metadatas: Sequence[Mapping[str, MetadataValue]]) -> None:
        """Insert or replace (upsert) chunks; batched to the client's maximum batch size."""
        if not (len(ids) == len(vectors) == len(documents) == len(metadatas)):
            raise ValueError(f"add(): {len(ids)} ids, {len(vectors)} vectors, "
                             f"{len(documents)} documents, {len(metadatas)} metadatas")
        self._require_open()
        if not ids:
            return
        array = np.asarray(vectors, dtype=np.float32)
        if array.ndim != 2:
            raise ValueError(f"add(): vectors must be 2-D, got shape {array.shape}")
        self._check_width(int(array.shape[1]))
        step = self._batch_size()
        with _translate(self._where):
            for start in range(0, len(ids), step):
                end = start + step
                self._collection.upsert(
                    ids=list(ids[start:end]),
                    embeddings=array[start:end],
                    documents=list(documents[start:end]),
                    metadatas=[dict(m) for m in metadatas[start:end]],
                )

    def update_metadata(self, ids: Sequence[str],
                        metadatas: Sequence[Mapping[str, MetadataValue]]) -> None:
        """Replace the metadata of stored chunks (their vectors and texts stay)."""
        self._require_open()
        step = self._batch_size()
        with _translate(self._where):
            for start in range(0, len(ids), step):
                self._collection.update(ids=list(ids[start:start + step]),
                                        metadatas=[dict(m) for m in metadatas[start:start + step]])

    def vectors_for(self, ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        """The stored vectors of these chunk ids (ids Chroma does not hold are left out)."""
        self._require_open()
        out: dict[str, npt.NDArray[np.float32]] = {}
        step = self._batch_size()
        with _translate(self._where):
            for start in range(0, len(ids), step):
                got = self._collection.get(ids=list(ids[start:start + step]),
                                           include=["embeddings"])
                for chunk_id, vector in zip(got["ids"], got["embeddings"], strict=True):
                    out[chunk_id] = np.asarray(vector, dtype=np.float32)
        return out

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id; unknown ids are ignored."""
        self._require_open()
        if not ids:
            return
        ids = list(ids)
        step = self._batch_size()
        with _translate(self._where):
            for start in range(0, len(ids), step):
                self._collection.delete(ids=ids[start:start + step])

    def delete_where(self, where: dict[str, Any]) -> None:
        """Remove every chunk whose metadata matches a Chroma `where` filter,
        e.g. `{"doc_id": "..."}`."""
        self._require_open()
        if not where:
            raise ValueError("delete_where() needs a non-empty filter")
        with _translate(self._where):
            self._collection.delete(where=where)

    # ------------------------------------------------------------------ reading

    def query(self, vector: npt.NDArray[np.float32], k: int,
              where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """The `k` nearest chunks as (id, cosine similarity), best first. Fewer when the
        collection (or the filter) holds fewer."""
        self._require_open()
        if k <= 0:
            return []
        array = np.asarray(vector, dtype=np.float32).reshape(-1)
        self._check_width(int(array.shape[0]))
        with _translate(self._where):
            result = self._collection.query(query_embeddings=[array], n_results=k,
                                            where=where or None, include=["distances"])
        ids = result["ids"][0] if result["ids"] else []
        distances = result["distances"][0] if result.get("distances") else []
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(ids, distances, strict=True)]

    def ids(self) -> set[str]:
        """Every stored chunk id (a scan of the ids alone: run when the counts disagree)."""
        self._require_open()
        with _translate(self._where):
            return set(self._collection.get(include=[])["ids"])

    def count(self) -> int:
        self._require_open()
        with _translate(self._where):
            return int(self._collection.count())

    def embedder_name(self) -> str:
        return str((self._collection.metadata or {}).get(META_EMBEDDER, ""))

    def dimension(self) -> int:
        return int((self._collection.metadata or {}).get(META_DIMENSION, 0))

    # ------------------------------------------------------------------ helpers

    def _require_open(self) -> None:
        if self._client is None:
            raise StoreError(f"the store at {self._where} was closed", fix="open it again")

    def _batch_size(self) -> int:
        if self._max_batch is None:
            with _translate(self._where):
                self._max_batch = max(1, int(self._client.get_max_batch_size()))
        return self._max_batch

    def _check_width(self, width: int) -> None:
        expected = self.dimension()
        if expected and width != expected:
            raise EmbedderMismatch(
                f"{width}-d vectors for collection {self._collection.name!r}, which holds "
                f"{expected}-d vectors from {self.embedder_name()!r}",
                fix=f"set QA_EMBEDDER={_setting_value(self.embedder_name())}, or use a new "
                    "--store or QA_COLLECTION")


def _open_collection(client: Any, where: str, name: str, embedder: Embedder, *,
                     create: bool) -> Any:
    with _translate(where):
        if create:
            try:
                return client.get_collection(name, embedding_function=None)
            except _chroma_not_found():
                pass  # create it below; asking first spares the embedder a dimension probe
            return client.get_or_create_collection(
                name,
                configuration={"hnsw": {"space": SPACE}},
                metadata={META_EMBEDDER: embedder.name,
                          META_DIMENSION: _dimension_of(embedder)},
                embedding_function=None,
            )
        try:
            return client.get_collection(name, embedding_function=None)
        except _chroma_not_found() as exc:
            raise StoreError(f"no collection {name!r} in {where}",
                             fix="ingest documents first, or check --store and "
                                 "QA_COLLECTION") from exc


def _close_client(client: Any) -> None:
    """Close a chromadb client. chromadb 1.5 leaves an HttpClient's httpx pools open on close
    (the client and its internal admin client each own one), so those are closed here too."""
    sessions = [getattr(getattr(owner, "_server", None), "_session", None)
                for owner in (client, getattr(client, "_admin_client", None))]
    try:
        client.close()
    except Exception:  # closing must not mask the error that led here: logged, not raised
        log.debug("closing the Chroma client failed", exc_info=True)
    for session in sessions:
        close_session = getattr(session, "close", None)
        if callable(close_session):
            try:
                close_session()
            except Exception:
                log.debug("closing a Chroma HTTP session failed", exc_info=True)


def _dimension_of(embedder: Embedder) -> int:
    """The embedder's dimension; an embedder that learns it from its first answer (0 until
    then, like the openai one) is asked to embed one word."""
    if not embedder.dimension:
        embedder.embed(["dimension"])
    if not embedder.dimension:
        raise StoreError(f"embedder {embedder.name!r} reports no dimension",
                         fix="check the embedding backend")
    return int(embedder.dimension)


def _check_collection(collection: Any, embedder: Embedder, where: str) -> None:
    meta = collection.metadata or {}
    name = collection.name
    stored_name = meta.get(META_EMBEDDER)
    if stored_name is None:
        raise StoreError(f"collection {name!r} in {where} was not created by qa "
                         "(no embedder recorded)", fix="use a new --store or QA_COLLECTION")
    space = _space_of(collection)
    if space is not None and space != SPACE:
        raise StoreError(f"collection {name!r} in {where} uses {space!r} distance, not cosine",
                         fix="use a new --store or QA_COLLECTION")
    stored_dim = int(meta.get(META_DIMENSION, 0) or 0)
    # An embedder whose dimension is still unknown (0) is checked on the first add/query.
    dim = int(embedder.dimension or 0)
    if stored_name != embedder.name or (dim and stored_dim and dim != stored_dim):
        raise EmbedderMismatch(
            f"collection {name!r} in {where} was built by {stored_name!r} ({stored_dim}-d), "
            f"not {embedder.name!r}" + (f" ({dim}-d)" if dim else ""),
            fix=f"set QA_EMBEDDER={_setting_value(str(stored_name))}, or use a new --store or "
                "QA_COLLECTION")


def _setting_value(embedder_name: str) -> str:
    """The QA_EMBEDDER value (and model) that gives the embedder that wrote `embedder_name`."""
    if embedder_name.startswith("openai:"):
        return f"openai and QA_EMBED_MODEL={embedder_name.split(':', 1)[1]}"
    if embedder_name.startswith("minilm"):
        return "minilm"
    return embedder_name


def _space_of(collection: Any) -> str | None:
    try:
        config = collection.configuration
    except Exception:  # older servers may not report a configuration
        return None
    hnsw = (config or {}).get("hnsw") if isinstance(config, Mapping) else None
    space = hnsw.get("space") if isinstance(hnsw, Mapping) else None
    return str(space) if space else None


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def _connect_http(url: str) -> tuple[Any, str]:
    """A client for the `chroma run` server at `url`, and the URL for messages."""
    import chromadb

    host, port, ssl = parse_chroma_url(url)
    try:
        client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=_chroma_settings())
    except Exception as exc:  # chromadb raises ValueError("Could not connect ...") and others
        if "connect" in str(exc).lower() or isinstance(exc, OSError):
            raise StoreError(f"cannot reach Chroma at {url}",
                             fix="start `chroma run` or unset QA_CHROMA_URL") from exc
        raise StoreError(f"Chroma at {url} refused the connection: {_one_line(exc)}",
                         fix="check the server's version and auth, or unset "
                             "QA_CHROMA_URL") from exc
    return client, url


def _connect_folder(path: Path) -> tuple[Any, str]:
    """An embedded client on `path`, and the folder for messages."""
    import chromadb

    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the store folder {path}: {exc.strerror or exc}",
                         fix="choose a writable --store") from exc
    try:
        client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
    except Exception as exc:  # chromadb raises bare Exceptions from its Rust core on bad files
        raise StoreError(f"{path} is not a usable Chroma store: {_one_line(exc)}",
                         fix="move it aside and re-ingest, or choose another --store") from exc
    return client, str(path)


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """`http://host:port` -> (host, port, ssl). Port defaults: 8000 for http, 443 for https."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"invalid Chroma URL {url!r}",
                          fix="set QA_CHROMA_URL like http://127.0.0.1:8000")
    if parts.path not in ("", "/"):
        raise ConfigError(f"Chroma URL {url!r} has a path; the client takes host and port only",
                          fix="set QA_CHROMA_URL like http://127.0.0.1:8000")
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"invalid port in Chroma URL {url!r}",
                          fix="set QA_CHROMA_URL like http://127.0.0.1:8000") from exc
    ssl = parts.scheme == "https"
    return parts.hostname, port or (443 if ssl else 8000), ssl


def _chroma_not_found() -> type[Exception]:
    from chromadb.errors import NotFoundError

    return NotFoundError


@contextmanager
def _translate(where: str) -> Iterator[None]:
    """Turn Chroma and transport failures into one-line `StoreError`s."""
    import httpx
    from chromadb.errors import ChromaError

    try:
        yield
    except httpx.TransportError as exc:
        raise StoreError(f"lost the connection to Chroma at {where}: {_one_line(exc)}",
                         fix="check that `chroma run` is still running") from exc
    except ChromaError as exc:
        raise StoreError(f"Chroma failed on {where}: {_one_line(exc)}",
                         fix="check the store; if it is corrupt, move it aside and "
                             "re-ingest") from exc


def _one_line(exc: BaseException, limit: int = 200) -> str:
    flat = " ".join(str(exc).split()) or type(exc).__name__
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"
