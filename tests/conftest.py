"""Shared fixtures. Servers are real local processes on 127.0.0.1; nothing leaves the machine."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from llm_servers import free_port, stop_process

from qa.settings import Settings

# The LLM fixtures (a real llama.cpp server, the packaged 0.5B model, a fault-injecting stub).
# tests/ has no __init__.py, so pytest puts it on sys.path and the module imports by name.
pytest_plugins = ["llm_fixtures"]

# ---------------------------------------------------------------------------- helpers


def venv_executable(name: str) -> Path:
    """A console script installed beside the running interpreter (the venv's bin/)."""
    return Path(sys.executable).parent / name


def wait_for_http(url: str, *, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """Poll `url` until it answers 200, the process dies, or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    return False


def _tail(path: Path, chars: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


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
                        f"(exit code {proc.poll()}):\n{_tail(log_path)}")
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
