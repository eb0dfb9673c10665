"""Shared fixtures. Servers are real local processes on 127.0.0.1; nothing leaves the machine."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from llm_servers import OPENED, free_port, stop_process, tail, wait_for_http

from qa.ingest.pipeline import ingest_paths
from qa.settings import Settings
from qa.store import open_index

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
QA = Path(sys.executable).parent / "qa"  # the installed console script

# The LLM fixtures (a real llama.cpp server, the packaged 0.5B model, a fault-injecting stub).
# tests/ has no __init__.py, so pytest puts it on sys.path and the module imports by name.
pytest_plugins = ["llm_fixtures"]

# ---------------------------------------------------------------------------- helpers


def venv_executable(name: str) -> Path:
    """A console script installed beside the running interpreter (the venv's bin/)."""
    return Path(sys.executable).parent / name


# ---------------------------------------------------------------------------- environment


@pytest.fixture
def qa_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The one environment scrub: no QA_* or OPENAI_* variable of the developer's leaks in, the
    config dir and working folder are the test's own, the store is `tmp_path/store` and the
    generator extractive. Returns the environment for subprocesses."""
    for name in list(os.environ):
        if name.startswith(("QA_", "OPENAI_")):
            monkeypatch.delenv(name)
    values = {"QA_STORE": str(tmp_path / "store"), "QA_CACHE_DIR": str(tmp_path / "cache"),
              "QA_GENERATOR": "extractive", "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return dict(os.environ)


@pytest.fixture(autouse=True)
def _close_opened_clients() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().close()


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """Python's Ctrl-C handler for the test. Started in the background (`make test &`, nohup,
    many CI runners), the process inherits SIGINT ignored, and a test that presses Ctrl-C would
    wait forever for a KeyboardInterrupt."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# ---------------------------------------------------------------------------- the seeded store


@pytest.fixture(scope="session")
def seeds_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of seeds/ (so the stored keys are the test's own paths)."""
    folder = tmp_path_factory.mktemp("seeds") / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture(scope="session")
def seeded_store(seeds_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one seeded store, embedded, built once: seeds/ ingested with default settings.
    Tests read it; a test that writes builds its own."""
    store = tmp_path_factory.mktemp("seeded") / "store"
    index = open_index(Settings(store=store))
    try:
        report = ingest_paths(index, [seeds_folder])
    finally:
        index.close()
    assert report.added == 1 and report.failed == 0
    return store


# ---------------------------------------------------------------------------- Chroma


@contextmanager
def running_chroma(data: Path) -> Iterator[str]:
    """Run `chroma run` on `data` and a free port; yield its URL; stop it on exit."""
    exe = venv_executable("chroma")
    if not exe.exists():
        pytest.fail(f"{exe} not found: install the project (`make test`) to get chromadb's CLI")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data / "server.log"
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(exe), "run", "--path", str(data / "db"), "--host", "127.0.0.1",
             "--port", str(port)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,
        )
    try:
        if not wait_for_http(f"{url}/api/v2/heartbeat", timeout=30, proc=proc):
            pytest.fail(f"chroma run did not answer its heartbeat within 30 s "
                        f"(exit code {proc.poll()}):\n{tail(log_path)}")
        yield url
    finally:
        stop_process(proc)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` on a free port for the whole session; yields its base URL."""
    with running_chroma(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


@pytest.fixture(params=["embedded", pytest.param("http", marks=pytest.mark.server)])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh collection, once on an embedded store and once over HTTP."""
    url = request.getfixturevalue("chroma_server") if request.param == "http" else None
    return Settings(store=tmp_path / "store", chroma_url=url,
                    collection=f"t-{uuid.uuid4().hex[:12]}", cache_dir=tmp_path / "cache")
