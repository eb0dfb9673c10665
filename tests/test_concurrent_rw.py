"""One writer and four readers at once against a real `chroma run` server (issue 10, item 12),
and on an embedded store.

Five processes (tests/rw_worker.py) share one store folder whose vectors live on the server (or
in its embedded Chroma folder):
the writer ingests a new batch of files in a loop and forgets old ones, the readers search and
list in a loop, each opening the store afresh per operation as a `qa` command does. Meanwhile a
second writer (`qa ingest`) is refused with one line naming the writer. It ends with zero errors
in every process.

The CI run lasts 5 s; the issue's 60 s run: `QA_RW_SECONDS=60 pytest tests/test_concurrent_rw.py
-s` (figures in docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import QA
from rw_worker import write_round

from qa.settings import Settings
from vectorstore.index import LOCK_FILE
from vectorstore.lock import holder

SECONDS = float(os.environ.get("QA_RW_SECONDS", "5"))
WORKER = Path(__file__).with_name("rw_worker.py")


@pytest.mark.parametrize("mode", [pytest.param("http", marks=pytest.mark.server), "embedded"])
def test_one_writer_and_four_readers_end_with_zero_errors(
        mode: str, request: pytest.FixtureRequest, qa_env: dict[str, str],
        tmp_path: Path) -> None:
    chroma_server = request.getfixturevalue("chroma_server") if mode == "http" else ""
    store, folder = tmp_path / "store", tmp_path / "docs"
    collection = f"rw-{uuid.uuid4().hex[:12]}"
    write_round(Settings(store=store, chroma_url=chroma_server or None, collection=collection),
                folder, 0)  # readers start on a store that holds something
    env = {**qa_env, "QA_STORE": str(store), "QA_COLLECTION": collection,
           **({"QA_CHROMA_URL": chroma_server} if chroma_server else {}),
           "PYTHONPATH": os.pathsep.join([str(WORKER.parent), os.environ.get("PYTHONPATH", "")])}
    args = [str(store), chroma_server, collection, str(SECONDS)]
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, str(WORKER), "writer", *args, str(folder)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    procs += [subprocess.Popen([sys.executable, str(WORKER), "reader", *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(4)]
    writer = procs[0]
    refusals = []
    while time.monotonic() - started < SECONDS and len(refusals) < 2:
        if holder(store / LOCK_FILE).get("pid") == writer.pid:
            second = subprocess.run([str(QA), "ingest", str(folder)], env=env,
                                    capture_output=True, text=True, timeout=120,
                                    stdin=subprocess.DEVNULL)
            if second.returncode == 1:
                refusals.append(second.stderr)
        time.sleep(0.2)
    results = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=SECONDS + 300)
        assert proc.returncode == 0, stderr
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    print(f"\nconcurrent run ({mode}):", SECONDS, "s;",
          ", ".join(f"{r['role']} {r['ops']} ops {len(r['errors'])} errors" for r in results),
          f"; second writer refused {len(refusals)} times")
    errors = [e for r in results for e in r["errors"]]
    assert not errors, "\n".join(errors[:3])
    assert results[0]["ops"] >= 1 and all(r["ops"] >= 2 for r in results[1:])
    assert refusals, "the second writer never met the lock"
    for stderr in refusals:
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and f"process {writer.pid} (rw_worker.py writer" in lines[0]
