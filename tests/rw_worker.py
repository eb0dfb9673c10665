"""A writer or a reader process for tests/test_concurrent_rw.py, run as
`python rw_worker.py writer|reader STORE CHROMA_URL COLLECTION SECONDS [FOLDER]`.

Each operation opens the store afresh (manifest, Chroma client, keyword index), as a `qa`
command does; the embedding model is loaded once per process, as a chat session keeps it. The
clock starts after a first, warm-up operation (loading the model and libraries on 2 shared
cores takes seconds). The writer, in a loop: writes a
batch of new files and ingests the folder (so every round adds, re-checks and rebuilds the
keyword index), and every third round forgets the oldest batch. A reader, in a loop: hybrid
search, the manifest's counts, a document listing. Every exception is an error; the process
prints one JSON line {"ops", "errors"} and exits 0.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from qa.ingest.pipeline import Ingestor, ingest_paths
from qa.retrieve import retrieve
from qa.settings import Settings
from qa.store import make_embedder, open_index
from vectorstore.embedders import Embedder
from vectorstore.index import Index

QUERIES = ["harbour cranes", "river flood warning", "council budget vote", "note 7"]


def write_round(settings: Settings, folder: Path, n: int,
                embedder: Embedder | None = None) -> None:
    batch = folder / f"b{n:04d}"
    batch.mkdir(parents=True)
    for i in range(20):
        topic = ["harbour cranes", "river flood warning", "council budget vote"][i % 3]
        (batch / f"n{i}.txt").write_text(f"Note {n}-{i} on the {topic}. It adds detail {i}.")
    index = _open(settings, embedder, lock_wait=None)
    try:
        ingest_paths(index, [folder])
        if n % 3 == 2:
            oldest = sorted(p for p in folder.iterdir() if p.is_dir())[0]
            for path in sorted(oldest.iterdir()):
                Ingestor(index).forget(str(path))
                path.unlink()
            oldest.rmdir()
    finally:
        index.close()


def read_round(settings: Settings, n: int, embedder: Embedder | None = None) -> None:
    index = _open(settings, embedder)
    try:
        passages = retrieve(index, QUERIES[n % len(QUERIES)], k=5)
        if index.manifest.stats()["documents"] and not passages:
            raise AssertionError("documents are stored but the search found nothing")
        index.manifest.documents()
    finally:
        index.close()


def _open(settings: Settings, embedder: Embedder | None, lock_wait: float | None = 0.0
          ) -> Index:
    if embedder is None:
        return open_index(settings, lock_wait=lock_wait)
    return Index(settings.store, lambda: embedder, chroma_url=settings.chroma_url,
                 collection=settings.collection, lock_wait=lock_wait)


def main(role: str, store: str, url: str, collection: str, seconds: str,
         folder: str = "") -> None:
    settings = Settings(store=Path(store), chroma_url=url or None, collection=collection)
    embedder = make_embedder(settings)
    deadline = None
    ops, errors = 0, []
    while deadline is None or time.monotonic() < deadline:
        try:
            if role == "writer":
                write_round(settings, Path(folder), ops + 1, embedder)  # round 0: the test's
            else:
                read_round(settings, ops, embedder)
        except Exception:  # counted and reported: the test asserts there are none
            errors.append(traceback.format_exc(limit=6))
        ops += 1
        if deadline is None:
            deadline = time.monotonic() + float(seconds)
    print(json.dumps({"role": role, "ops": ops, "errors": errors}))


if __name__ == "__main__":
    main(*sys.argv[1:])
