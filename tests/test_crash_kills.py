"""Crash safety, measured (issue 10, item 11): `qa ingest` killed at random moments, re-run,
and the store then equals a clean ingest of the same files.

Each round edits, adds and removes a few of the generated documents (so every run has work:
new chunks to embed, replaced documents, pruned ones, a keyword rebuild), starts
`qa ingest --prune docs/` as a real process and sends it SIGKILL or SIGINT (Ctrl-C) at a random
moment after its first progress line, within a clean ingest's duration from that line (before
it, the process is importing and loading the model: nothing to interrupt). A round whose ingest
finished first does not count.
Then one ingest runs to the end, and a clean ingest of the final files into a new store is
compared with it: documents, keys, chunk ids, texts and offsets, vectors (ids, values, texts,
metadata), keyword entries and results, and no vector, keyword entry or temporary folder left of
no stored chunk.

CI: 200 documents, 4 kills (seconds). The issue's run, 2,000 documents and 20 kills:
`QA_KILLS_LONG=1 pytest tests/test_crash_kills.py -s` (figures in docs/reliability.md);
`QA_KILL_SEED=N` repeats a run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import QA

from qa.settings import Settings
from qa.store import open_index

LONG = bool(os.environ.get("QA_KILLS_LONG"))
SEED = int(os.environ.get("QA_KILL_SEED", random.randrange(10**6)))  # read before qa_env scrubs
DOCS, KILLS = (2000, 20) if LONG else (200, 3)
TOPICS = ["harbour cranes", "river floods", "council budget", "rail strike", "wheat prices",
          "school meals", "bridge repairs", "power cuts", "museum reopening", "ferry timetable"]


def doc_text(rng: random.Random, n: int, version: int) -> str:
    """A small news-like document; every 25th is long enough for several chunks."""
    topic = TOPICS[n % len(TOPICS)]
    sentences = [f"Report {n} (version {version}) on the {topic}.",
                 f"Officials said figure {rng.randint(1, 10**6)} matters for the {topic}.",
                 f"Residents near district {n % 37} were told to expect changes."]
    if n % 25 == 0:
        sentences += [f"Paragraph {i} of the long report {n} adds detail number "
                      f"{rng.randint(1, 999)} about the {topic} and its costs." for i in range(60)]
    return " ".join(sentences)


def mutate(folder: Path, rng: random.Random, version: int) -> None:
    """Edit about 3% of the files, remove 1%, add 1% (the next ingest has real work)."""
    files = sorted(folder.glob("*.txt"))
    for path in rng.sample(files, max(1, len(files) // 33)):
        path.write_text(doc_text(rng, int(path.stem[1:]), version))
    for path in rng.sample(files, max(1, len(files) // 100)):
        path.unlink(missing_ok=True)
    top = max(int(p.stem[1:]) for p in files)
    for n in range(top + 1, top + 1 + max(1, len(files) // 100)):
        (folder / f"d{n}.txt").write_text(doc_text(rng, n, version))


def ingest(env: dict[str, str], store: Path, folder: Path) -> subprocess.Popen[bytes]:
    def restore_ctrl_c() -> None:
        # Started from a background job, the child would inherit SIGINT ignored: restore the
        # default so Python installs its Ctrl-C handler, as in a terminal.
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    return subprocess.Popen([str(QA), "ingest", "--prune", str(folder)],
                            env={**env, "QA_STORE": str(store)}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=restore_ctrl_c)


def working(proc: subprocess.Popen[bytes]) -> bytes:
    """Wait for the first progress line (imports and model loading are over: the run is at
    work); returns what stderr said so far (empty: it ended before)."""
    assert proc.stderr is not None
    said = b""
    while not said.endswith(b"\n") or b"ingesting" not in said.splitlines()[-1]:
        line = proc.stderr.readline()
        if not line:
            break
        said += line
    return said


def snapshot(store: Path) -> dict[str, object]:
    """Everything the store holds, in comparable form."""
    index = open_index(Settings(store=store))
    try:
        docs = sorted((d.doc_id, d.sha256, d.title, d.source, d.published, sorted(d.keys),
                       d.chunk_count) for d in index.manifest.documents())
        rows = index.manifest.db.execute(
            "SELECT chunk_id, doc_id, ordinal, text, start, end FROM chunks ORDER BY chunk_id")
        chunks = [tuple(r) for r in rows]
        ids = [c[0] for c in chunks]
        got = index.vectors._collection.get(include=["embeddings", "documents", "metadatas"])
        order = np.argsort(got["ids"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)[order]
        stored = [got["ids"][i] for i in order]
        index.keyword._load()
        return {
            "docs": docs, "chunks": chunks, "vector_ids": stored,
            "vectors": vectors,
            "vector_texts": [got["documents"][i] for i in order],
            "vector_meta": [got["metadatas"][i] for i in order],
            "keyword_ids": sorted(index.keyword._ids),
            "keyword_current": index.keyword_is_current(),
            "search": [index.keyword.search(q, 10) for q in TOPICS[:5]],
            "leftovers": sorted(p.name for p in store.iterdir()
                                if p.name.endswith((".tmp", ".old"))),
            "manifest_chunk_ids": ids,
        }
    finally:
        index.close()


def test_killed_ingests_leave_the_store_equal_to_a_clean_ingest(
        qa_env: dict[str, str], tmp_path: Path) -> None:
    seed = SEED
    rng = random.Random(seed)
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(DOCS):
        (folder / f"d{n}.txt").write_text(doc_text(rng, n, 0))
    killed, clean = tmp_path / "killed", tmp_path / "clean-timing"
    first = ingest(qa_env, clean, folder)
    working(first)
    started = time.monotonic()
    _, stderr = first.communicate(timeout=1800)
    duration = time.monotonic() - started  # from its first progress line to its end
    assert first.returncode == 0, stderr.decode()

    kills: list[tuple[str, float, int | None]] = []  # (signal, after s, exit code)
    rounds = 0
    window = duration  # where kills land: the work a round has, learnt from rounds that end
    while len(kills) < KILLS and rounds < 5 * KILLS:
        rounds += 1
        mutate(folder, rng, rounds)
        sig = rng.choice([signal.SIGKILL, signal.SIGINT])
        delay = rng.uniform(0.0, window)
        proc = ingest(qa_env, killed, folder)
        said = working(proc)
        at_work = time.monotonic()
        time.sleep(delay)
        if proc.poll() is not None:
            proc.communicate()
            # it finished first: not a kill. A re-run has less work than the clean ingest (a
            # few changed files), so later kills are drawn within what this one took.
            window = max(0.2, time.monotonic() - at_work)
            continue
        proc.send_signal(sig)
        try:
            _, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"{sig.name} at {delay:.2f} s: qa ingest still running 60 s later")
        assert b"Traceback" not in said + stderr, (said + stderr).decode()
        kills.append((sig.name, round(delay, 2), proc.returncode))
    assert len(kills) == KILLS, f"only {len(kills)} of {rounds} rounds were killed"
    final = ingest(qa_env, killed, folder)
    _, stderr = final.communicate(timeout=1800)
    assert final.returncode == 0, stderr.decode()

    reference = tmp_path / "clean"
    done = ingest(qa_env, reference, folder)
    done.communicate(timeout=1800)
    assert done.returncode == 0
    got, want = snapshot(killed), snapshot(reference)
    print(f"\nseed {seed}: {DOCS} documents, {len(kills)} kills in {rounds} rounds "
          f"(clean ingest {duration:.1f} s): {kills}")
    print(f"final: {len(got['docs'])} documents, {len(got['chunks'])} chunks, "
          f"{len(got['vector_ids'])} vectors, {len(got['keyword_ids'])} keyword entries")
    for part in ("docs", "chunks", "vector_ids", "vector_texts", "vector_meta", "keyword_ids",
                 "search"):
        assert got[part] == want[part], f"{part} differ from a clean ingest"
    assert got["vector_ids"] == got["manifest_chunk_ids"] == got["keyword_ids"]  # no orphans
    assert got["keyword_current"] and not got["leftovers"]
    # the same texts embedded in other batches: equal up to float noise
    assert np.abs(got["vectors"] - want["vectors"]).max() < 1e-4
    # Ctrl-C: 130 from the error edge; -2 when it lands after the work, while the interpreter
    # shuts down (Python gives SIGINT its default action back then; no traceback is printed,
    # checked above); 0 or 1 when the run had just finished
    sigints = [code for name, _, code in kills if name == "SIGINT"]
    assert all(code in (0, 1, 130, -signal.SIGINT) for code in sigints), kills


def test_the_comparison_sees_an_orphan_a_lost_vector_and_a_stale_keyword_index(
        qa_env: dict[str, str], tmp_path: Path) -> None:
    """The snapshot comparison above is not vacuous: each damage a kill could leave shows."""
    from qa.ingest.pipeline import ingest_paths

    folder = tmp_path / "docs"
    folder.mkdir()
    rng = random.Random(0)
    for n in range(12):
        (folder / f"d{n}.txt").write_text(doc_text(rng, n, 0))
    store = tmp_path / "s"
    index = open_index(Settings(store=store))
    try:
        ingest_paths(index, [folder])
    finally:
        index.close()
    clean = snapshot(store)
    index = open_index(Settings(store=store))
    try:
        first, *_ = clean["manifest_chunk_ids"]  # type: ignore[misc]
        [vector] = index.vectors.vectors_for([first]).values()
        index.vectors.add(["0" * 20 + ":0"], vector[None, :], ["orphan"], [{"doc_id": "x"}])
        assert snapshot(store)["vector_ids"] != clean["vector_ids"]
        index.vectors.delete(["0" * 20 + ":0", first])
        assert snapshot(store)["vector_ids"] != clean["vector_ids"]
        index.keyword.rebuild([("a:0", "stale")], "0:0")
        damaged = snapshot(store)
        assert damaged["keyword_ids"] != clean["keyword_ids"] and not damaged["keyword_current"]
    finally:
        index.close()


def test_ctrl_c_as_the_command_ends_prints_no_traceback(qa_env: dict[str, str],
                                                        tmp_path: Path) -> None:
    """SIGINT right after the summary line, while Python shuts down: it printed a
    KeyboardInterrupt traceback from threading._shutdown (2 of 3 tries on the old code)."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("The harbour cranes stopped on Monday.")
    store = tmp_path / "s"
    first = ingest(qa_env, store, folder)
    first.communicate(timeout=120)
    assert first.returncode == 0
    for _ in range(3):
        env = {**qa_env, "QA_STORE": str(store)}
        with subprocess.Popen([str(QA), "ingest", str(folder)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
                              ) as proc:
            assert proc.stdout is not None
            assert b"unchanged" in proc.stdout.readline()
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=120)
        assert b"Traceback" not in stderr, stderr.decode()
        assert proc.returncode in (0, 130)


def test_a_document_left_with_no_key_is_forgotten_by_the_next_ingest(tmp_path: Path) -> None:
    """The window the kills above can hit: a file's new version linked, its old one not yet
    dropped. The old one, with no key, is forgotten when the next ingest starts."""
    from qa.ingest.pipeline import ingest_paths
    from qa.settings import Settings
    from qa.store import open_index

    doc = tmp_path / "d1.txt"
    doc.write_text("Report 1 on the bridge repairs. Officials met on Monday.")
    index = open_index(Settings(store=tmp_path / "store"))
    try:
        ingest_paths(index, [doc])
        [key] = index.manifest.keys()
        [old] = index.manifest.documents()
        index.manifest.remove_key(key)  # as a kill between the two steps leaves it
        assert index.manifest.keyless() == [old.doc_id]
        doc.write_text("Report 1 (version 2) on the bridge repairs. Officials met on Friday.")
        ingest_paths(index, [doc])
        assert index.manifest.keyless() == []
        [new] = index.manifest.documents()
        assert new.doc_id != old.doc_id and index.manifest.keys() == [key]
    finally:
        index.close()
