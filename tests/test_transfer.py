"""Moving a store (issue 10, item 14): `qa export` / `qa import`, between an embedded store and
a real `chroma run` server, compared part by part."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import tracemalloc
import uuid
from datetime import UTC, date
from pathlib import Path

import numpy as np
import pytest
from conftest import QA

from qa.brief.briefing import BriefOptions, make_briefing
from qa.brief.window import day_window
from qa.errors import StoreError
from qa.ingest.pipeline import ingest_paths
from qa.records import Chunk
from qa.settings import Settings
from qa.store import open_index
from qa.transfer import export_store, import_store
from vectorstore.briefs import TABLES

STORIES = [
    ("Harbour cranes stopped", "Dock workers stopped the harbour cranes on Monday. The port "
     "authority said 40 ships waited outside.", "2023-12-06T09:30:00+01:00", "Port Daily"),
    ("Cranes idle at harbour", "The harbour cranes stood idle as dock workers struck. Forty "
     "ships waited, the port authority said.", "2023-12-06T11:00:00+01:00", "Coast News"),
    ("River flood warning", "The river rose two metres overnight. Officials warned residents "
     "of the lower town to leave.", "2023-12-06", "Valley Times"),
    ("Council budget vote", "The council voted the budget by 31 votes to 12. Schools get "
     "most of the increase.", "2023-12-05T18:00:00-05:00", "City Hall Wire"),
]


def make_store(tmp_path: Path, settings: Settings) -> None:
    """A corpus with dated, timed and undated documents, one long, and a saved briefing."""
    corpus = tmp_path / "news.jsonl"
    with corpus.open("w") as out:
        for i, (title, text, when, source) in enumerate(STORIES):
            out.write(json.dumps({"id": f"s{i}", "title": title, "text": text, "date": when,
                                  "source": source}) + "\n")
    long = tmp_path / "long.txt"
    long.write_text(" ".join(f"Paragraph {i} of the long bridge report adds detail {i * 7}."
                             for i in range(300)))
    (tmp_path / "copy.txt").write_text(long.read_text())  # one document under two keys
    index = open_index(settings)
    try:
        assert ingest_paths(index, [corpus, long, tmp_path / "copy.txt"]).failed == 0
        options = BriefOptions.from_settings(settings, mode="extractive")
        assert make_briefing(index, None, day_window(date(2023, 12, 6), UTC), options).stories
    finally:
        index.close()


def contents(settings: Settings) -> dict[str, object]:
    index = open_index(settings)
    try:
        docs = sorted((d.doc_id, d.sha256, d.title, d.source, d.published, d.published_at,
                       d.url, d.external_id, sorted(d.keys), d.chunk_count)
                      for d in index.manifest.documents())
        chunks = [tuple(r) for r in index.manifest.db.execute(
            "SELECT chunk_id, doc_id, ordinal, text, start, end, page FROM chunks "
            "ORDER BY chunk_id")]
        got = index.vectors._collection.get(include=["embeddings", "documents", "metadatas"])
        order = np.argsort(got["ids"])
        return {
            "docs": docs, "chunks": chunks,
            "vector_ids": [got["ids"][i] for i in order],
            "vectors": np.asarray(got["embeddings"], dtype=np.float32)[order],
            "vector_texts": [got["documents"][i] for i in order],
            "vector_meta": [got["metadatas"][i] for i in order],
            "keyword": [index.keyword.search(q, 10) for q in ("harbour cranes", "river",
                                                              "budget vote", "bridge")],
            "briefs": {t: sorted(map(repr, index.briefs.rows(t))) for t in TABLES},
            "embedder": index.vectors.embedder_name(),
        }
    finally:
        index.close()


def same(a: dict[str, object], b: dict[str, object]) -> None:
    for part in a:
        if part == "vectors":
            # The file holds the exact float32 bytes (test below); chroma run's HTTP transport
            # moves the last bit of some values (7e-9 seen), so to within one float32 ulp.
            diff = float(np.abs(a[part] - b[part]).max())  # type: ignore[operator]
            assert diff < 1e-7, f"vectors differ by {diff}"
        else:
            assert a[part] == b[part], f"{part} differ"


def export(settings: Settings, path: Path) -> None:
    index = open_index(settings)
    try:
        export_store(index, path)
    finally:
        index.close()


def import_(settings: Settings, path: Path, **kwargs: bool) -> object:
    index = open_index(settings)
    try:
        return import_store(index, path, **kwargs)
    finally:
        index.close()


@pytest.mark.server
def test_a_round_trip_embedded_to_chroma_run_and_back_is_equal(
        tmp_path: Path, chroma_server: str) -> None:
    first = Settings(store=tmp_path / "a", cache_dir=tmp_path / "cache")
    make_store(tmp_path, first)
    served = Settings(store=tmp_path / "b", chroma_url=chroma_server,
                      collection=f"t-{uuid.uuid4().hex[:12]}", cache_dir=tmp_path / "cache")
    back = Settings(store=tmp_path / "c", cache_dir=tmp_path / "cache")
    export(first, tmp_path / "a.jsonl")
    import_(served, tmp_path / "a.jsonl")
    export(served, tmp_path / "b.jsonl.gz")
    import_(back, tmp_path / "b.jsonl.gz")
    want = contents(first)
    in_file = {}
    for line in (tmp_path / "a.jsonl").read_text().splitlines():
        item = json.loads(line)
        if item.get("type") == "chunk":
            in_file[item["chunk_id"]] = np.frombuffer(base64.b64decode(item["vector"]), "<f4")
    assert sorted(in_file) == want["vector_ids"]
    assert np.array_equal(np.stack([in_file[i] for i in sorted(in_file)]), want["vectors"])
    assert len(want["docs"]) == 5 and len(want["chunks"]) > 8  # type: ignore[arg-type]
    assert all(want["briefs"].values())  # type: ignore[attr-defined]
    same(want, contents(served))
    same(want, contents(back))


def test_importing_twice_duplicates_nothing(tmp_path: Path, qa_env: dict[str, str]) -> None:
    first = Settings(store=tmp_path / "a", cache_dir=tmp_path / "cache")
    make_store(tmp_path, first)
    env = {**qa_env, "QA_STORE": str(tmp_path / "a")}
    exported = subprocess.run([str(QA), "export", "a.jsonl", "--json"], capture_output=True,
                              text=True, env=env, timeout=120)
    assert exported.returncode == 0, exported.stderr
    summary = json.loads(exported.stdout)
    assert summary["documents"] == 5 and summary["vectors"] == summary["chunks"]
    assert sorted(p.name for p in tmp_path.glob("a.jsonl*")) == ["a.jsonl"]  # no .tmp left
    target = Settings(store=tmp_path / "b", cache_dir=tmp_path / "cache")
    import_(target, tmp_path / "a.jsonl")
    once = contents(target)
    env["QA_STORE"] = str(tmp_path / "b")
    again = subprocess.run([str(QA), "import", "a.jsonl"], capture_output=True, text=True,
                           env=env, timeout=120)
    assert again.returncode == 0 and again.stdout.startswith("imported 5 documents"), again
    same(once, contents(target))
    same(contents(first), once)


def test_vectors_of_another_embedder_are_refused_unless_reembedded(
        tmp_path: Path, qa_env: dict[str, str]) -> None:
    first = Settings(store=tmp_path / "a", cache_dir=tmp_path / "cache")
    make_store(tmp_path, first)
    export(first, tmp_path / "a.jsonl")
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    header = json.loads(lines[0]) | {"embedder": "openai:text-embedding-3-small"}
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    env = {**qa_env, "QA_STORE": str(tmp_path / "b")}
    refused = subprocess.run([str(QA), "import", str(foreign)], capture_output=True, text=True,
                             env=env, timeout=120)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "--reembed" in refused.stderr
    assert "openai:text-embedding-3-small" in refused.stderr
    target = Settings(store=tmp_path / "b", cache_dir=tmp_path / "cache")
    assert contents(target)["docs"] == []
    done = subprocess.run([str(QA), "import", str(foreign), "--reembed", "--json"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    want = contents(first)
    assert summary["reembedded"] == len(want["chunks"]) and summary["vectors"] == 0  # type: ignore[arg-type]
    got = contents(target)
    assert got["docs"] == want["docs"] and got["keyword"] == want["keyword"]
    # embedded again by the same model, in other batches: equal up to float noise
    assert np.abs(got["vectors"] - want["vectors"]).max() < 1e-4  # type: ignore[operator]


def test_a_truncated_file_imports_its_whole_documents_and_says_so(tmp_path: Path) -> None:
    first = Settings(store=tmp_path / "a", cache_dir=tmp_path / "cache")
    make_store(tmp_path, first)
    export(first, tmp_path / "a.jsonl")
    data = (tmp_path / "a.jsonl").read_text()
    cut = tmp_path / "cut.jsonl"
    cut.write_text(data[: len(data) // 2])  # ends inside the long document's chunks
    target = Settings(store=tmp_path / "b", cache_dir=tmp_path / "cache")
    with pytest.raises(StoreError, match="truncated"):
        import_(target, cut)
    partial = contents(target)
    assert 0 < len(partial["docs"]) < 5  # type: ignore[arg-type]
    assert partial["vector_ids"] == [c[0] for c in partial["chunks"]]  # type: ignore[union-attr]
    import_(target, tmp_path / "a.jsonl")
    same(contents(first), contents(target))


def test_a_foreign_file_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text('{"hello": 1}\n')
    with pytest.raises(StoreError, match="not a qa export"):
        import_(Settings(store=tmp_path / "b", cache_dir=tmp_path / "cache"), tmp_path / "x.jsonl")


def write_export(path: Path, count: int) -> None:
    """An export file of `count` one-chunk documents with random vectors."""
    rng = np.random.default_rng(0)
    with path.open("w") as out:
        out.write(json.dumps({"format": "qa-export", "version": 1, "dimension": 384,
                              "embedder": "minilm-l6-v2-int8", "documents": count}) + "\n")
        for n in range(count):
            text = f"Note {n} on the harbour cranes and topic {n % 97}."
            sha = hashlib.sha256(text.encode()).hexdigest()
            out.write(json.dumps({"type": "document", "doc_id": sha[:20], "sha256": sha,
                                  "title": f"Note {n}", "source": "s", "published": None,
                                  "published_at": None, "url": "", "external_id": "",
                                  "keys": [f"/n/{n}.txt"], "chunks": 1}) + "\n")
            vector = rng.standard_normal(384).astype("<f4")
            out.write(json.dumps({"type": "chunk", "chunk_id": Chunk(sha[:20], 0, "", 0, 0)
                                  .chunk_id, "ordinal": 0, "text": text, "start": 0,
                                  "end": len(text), "page": None,
                                  "vector": base64.b64encode(vector.tobytes()).decode()}) + "\n")
        out.write(json.dumps({"type": "end"}) + "\n")


def test_export_and_import_stream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory follows the batch, not the file: a 20,000-chunk export (random vectors, 48 MB)
    is read with a Python peak (tracemalloc) under a tenth of its size, and written again
    under a fifth (measured: 1.3 and 8.2 MB). Libraries are imported by a small import first;
    the keyword rebuild that ends an import holds every chunk text of the store, as after any
    ingest, and is measured apart."""
    path, small = tmp_path / "big.jsonl", tmp_path / "small.jsonl"
    write_export(path, 20000)
    write_export(small, 10)
    size = path.stat().st_size
    settings = Settings(store=tmp_path / "b", cache_dir=tmp_path / "cache")
    index = open_index(settings)
    peaks: dict[str, int] = {}
    rebuild = index.rebuild_keyword_index

    def measured_rebuild() -> int:
        peaks["import"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        count = rebuild()
        peaks["keyword rebuild"] = tracemalloc.get_traced_memory()[1]
        return count

    try:
        import_store(index, small)
        monkeypatch.setattr(index, "rebuild_keyword_index", measured_rebuild)
        tracemalloc.start()
        report = import_store(index, path)
        tracemalloc.stop()
        tracemalloc.start()
        export_store(index, tmp_path / "again.jsonl")
        peaks["export"] = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        index.close()
    assert report.chunks == 20000
    print(f"\nfile {size / 2**20:.1f} MB; Python peaks: " +
          ", ".join(f"{k} {v / 2**20:.1f} MB" for k, v in peaks.items()))
    assert peaks["import"] < size / 10 and peaks["export"] < size / 5
