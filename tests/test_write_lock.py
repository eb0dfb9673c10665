"""One writer at a time (issue 10, item 12): the store's write lock, with real processes.

A holder process takes the lock through `vectorstore.lock.hold` (as `qa ingest` does) and keeps
it until told to stop or killed; the commands under test run as real `qa` subprocesses.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from conftest import QA

from qa.errors import StoreLocked
from qa.ingest.pipeline import ingest_paths
from qa.settings import Settings
from qa.store import open_index
from vectorstore.index import LOCK_FILE
from vectorstore.lock import hold, holder

# Holds the lock at argv[1] as if it were `qa ingest holder-docs/`, until stdin closes.
HOLDER = """
import sys
from pathlib import Path
lock = Path(sys.argv[1])
sys.argv = ["qa", "ingest", "holder-docs/"]
from vectorstore.lock import hold
with hold(lock, what="the store"):
    print("held", flush=True)
    sys.stdin.read()
"""


@contextmanager
def holding(lock: Path) -> Iterator[subprocess.Popen[str]]:
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline() == "held\n"
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)


def qa(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(QA), *args], capture_output=True, text=True, env=env,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def dump(store: Path) -> list[str]:
    """The manifest's rows (its bytes change on a mere open, WAL; and opening for a briefing
    creates the briefing tables, empty, if missing: SQLite serialises that)."""
    db = sqlite3.connect(store / "manifest.sqlite3")
    try:
        return [line for line in db.iterdump() if line.startswith("INSERT")]
    finally:
        db.close()


@pytest.fixture
def store(qa_env: dict[str, str], tmp_path: Path) -> Path:
    """A small store (3 documents of 2023-12-06) at QA_STORE."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, topic in enumerate(["harbour cranes", "river floods", "council budget"]):
        (docs / f"d{i}.txt").write_text(f"The {topic} story. It has one more sentence {i}.")
    path = Path(qa_env["QA_STORE"])
    index = open_index(Settings(store=path))
    try:
        assert ingest_paths(index, [docs], default_date=date(2023, 12, 6)).added == 3
    finally:
        index.close()
    return path


def test_a_second_holder_is_refused_with_the_holders_pid_and_command(tmp_path: Path) -> None:
    lock = tmp_path / "write.lock"
    with holding(lock) as proc:
        with pytest.raises(StoreLocked) as caught, hold(lock, what="the store x"):
            pytest.fail("took a lock another process holds")
        assert caught.value.holder["pid"] == proc.pid
        assert f"process {proc.pid} (qa ingest holder-docs/)" in str(caught.value)
        assert "--wait" in caught.value.fix
        started = time.monotonic()
        with pytest.raises(StoreLocked, match=r"waited 0.5 s"), hold(lock, what="x", wait=0.5):
            pass
        assert time.monotonic() - started >= 0.5
    # released by its holder: free at once, and the file names nobody
    with hold(lock, what="x"):
        assert holder(lock)["pid"] == os.getpid()
    assert holder(lock) == {}


def test_a_killed_holder_never_blocks(tmp_path: Path) -> None:
    lock = tmp_path / "write.lock"
    with holding(lock) as proc:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert holder(lock)["pid"] == proc.pid  # its line is still in the file...
        with hold(lock, what="x"):  # ...but the kernel dropped its lock
            assert holder(lock)["pid"] == os.getpid()


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    lock = tmp_path / "write.lock"
    with hold(lock, what="x"), hold(lock, what="x"):
        pass
    with hold(lock, what="x"):  # the nested release did not drop the outer hold
        with hold(lock, what="x"):
            pass
        result = subprocess.run([sys.executable, "-c", HOLDER, str(lock)], input="",
                                capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and "StoreLocked" in result.stderr


@pytest.mark.parametrize("command", [
    ["ingest", "more/"], ["ingest", "--reindex"], ["forget", "docs/d0.txt"],
    ["brief", "2023-12-06", "-q"], ["import", "moved.jsonl"]])
def test_writing_commands_refuse_in_one_line_while_another_writes(
        store: Path, qa_env: dict[str, str], tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "m.txt").write_text("A new document about bridges.")
    assert qa(qa_env, "export", "moved.jsonl").returncode == 0  # exporting reads: no lock
    before = dump(store)
    with holding(store / LOCK_FILE) as proc:
        result = qa(qa_env, *command)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"process {proc.pid} (qa ingest holder-docs/)" in lines[0]
    assert "Traceback" not in result.stderr
    assert dump(store) == before


def test_repair_waits_for_the_writer(store: Path, qa_env: dict[str, str]) -> None:
    import shutil

    shutil.rmtree(store / "bm25")
    with holding(store / LOCK_FILE) as proc:
        refused = qa(qa_env, "doctor", "--repair", "--wait-timeout", "0.3")
        assert refused.returncode == 1 and f"process {proc.pid}" in refused.stdout + \
            refused.stderr
        waiting = subprocess.Popen([str(QA), "doctor", "--repair", "--wait", "--json"],
                                   env=qa_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, stdin=subprocess.DEVNULL)
        # The holder lets go only once the waiter has said it waits: a fixed sleep raced a
        # slow start on a loaded machine (the lock was free before the waiter looked).
        stderr = _stderr_until(waiting, f"waiting: the store {store} is being written by "
                                        f"process {proc.pid}", timeout=120)
        assert waiting.poll() is None, "did not wait"
    stdout, rest = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, stdout + stderr + rest
    assert '"keyword_current": true' in stdout


def _stderr_until(proc: subprocess.Popen[str], text: str, *, timeout: float) -> str:
    """proc's stderr up to and including the first line holding text (fails on exit or timeout)."""
    assert proc.stderr is not None
    seen: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in iter(proc.stderr.readline, ""):
            seen.append(line)
            if text in line:
                found.set()
                return
        found.set()

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout) and text in "".join(seen), "".join(seen)
    return "".join(seen)


def test_ingest_wait_runs_once_the_writer_is_done(store: Path, qa_env: dict[str, str],
                                                  tmp_path: Path) -> None:
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "m.txt").write_text("A new document about bridges.")
    with holding(store / LOCK_FILE) as proc:
        waiting = subprocess.Popen([str(QA), "ingest", "more/", "--wait"], env=qa_env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   stdin=subprocess.DEVNULL)
        time.sleep(2.0)
        assert waiting.poll() is None
        assert proc.stdin is not None
        proc.stdin.close()  # the holder finishes
        proc.wait(10)
    stdout, stderr = waiting.communicate(timeout=120)
    assert waiting.returncode == 0 and "1 added" in stdout, stdout + stderr


def test_readers_work_while_a_writer_holds_the_store(store: Path, qa_env: dict[str, str]) -> None:
    with holding(store / LOCK_FILE):
        for command in (["stats"], ["docs", "list"], ["search", "river floods"],
                        ["ask", "What about the river?"], ["doctor"]):
            result = qa(qa_env, *command)
            assert result.returncode == 0, (command, result.stdout + result.stderr)
        assert "river floods" in qa(qa_env, "search", "river floods").stdout


def test_two_real_ingests_one_is_refused_naming_the_other(qa_env: dict[str, str],
                                                          tmp_path: Path) -> None:
    """No helper: the holder is a real `qa ingest` of 1,500 files, the refused one another."""
    big = tmp_path / "big"
    big.mkdir()
    for i in range(1500):
        (big / f"n{i}.txt").write_text(f"Note {i} on the harbour and topic {i % 13}.")
    first = subprocess.Popen([str(QA), "ingest", "big/"], env=qa_env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    lock = Path(qa_env["QA_STORE"]) / LOCK_FILE
    deadline = time.monotonic() + 60
    while holder(lock).get("pid") != first.pid:
        assert first.poll() is None and time.monotonic() < deadline, "the ingest never locked"
        time.sleep(0.05)
    second = qa(qa_env, "ingest", "big/")
    reader = qa(qa_env, "stats", "--json")
    stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0 and "1500 added" in stdout, stdout + stderr
    if second.returncode == 0:  # the first finished before the second began
        pytest.skip("the first ingest ended before the second started (a fast machine)")
    assert second.returncode == 1
    assert f"process {first.pid} (qa ingest big/)" in second.stderr
    assert reader.returncode == 0, reader.stderr
