"""Pytest fixtures for the language-model backends. Loaded by tests/conftest.py as a plugin
(`pytest_plugins = ["llm_fixtures"]`), so the session-scoped ones are shared by every module.

- `model_cache_dir`     session: the user's qa cache folder: the 0.5B is joined there once and
                        reused by later runs, as `qa` itself does
- `small_model_path`    session: the 0.5B GGUF joined from its packages and sha256-verified
- `small_local_generator` session: a loaded `LocalGenerator` on the 0.5B model
- `llama_server`        session: base URL (…/v1) of a real llama.cpp server on the 0.5B model,
                        model alias "local"
- `stub_server`         per test: the scripted fault-injecting `StubServer`, queue emptied
Without the model packages or llama-cpp-python these fixtures skip, except under CI=true
where they fail: CI installs `.[dev]`, which brings both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from llm_servers import LlamaServer, StubServer

from qa.errors import GeneratorUnavailable
from qa.generators.local_backend import LocalGenerator, llama_cpp_installed
from qa.generators.models import resolve_model
from qa.settings import Settings, default_cache

__all__ = ["model_cache_dir", "small_model_path", "small_local_generator", "llama_server",
           "stub_server", "stub_server_session"]


def _missing(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI installs .[dev], which should bring it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def model_cache_dir() -> Path:
    """Persistent: joining and hashing the 491 MB model costs seconds every session otherwise.
    `resolve_model` re-verifies a joined file against its packages, so a stale one is rejoined."""
    return default_cache()


@pytest.fixture(scope="session")
def small_model_path(model_cache_dir: Path) -> Path:
    try:
        return resolve_model("0.5b", model_cache_dir)
    except GeneratorUnavailable as exc:
        _missing(str(exc))


@pytest.fixture(scope="session")
def small_local_generator(small_model_path: Path, model_cache_dir: Path
                          ) -> Iterator[LocalGenerator]:
    if not llama_cpp_installed():
        _missing("llama-cpp-python is not installed")
    generator = LocalGenerator(Settings(local_model="0.5b", cache_dir=model_cache_dir,
                                        context_window=2048))
    generator.load()
    yield generator
    generator.close()


@pytest.fixture(scope="session")
def llama_server(small_model_path: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[str]:
    if not llama_cpp_installed():
        _missing("llama-cpp-python[server] is not installed")
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    server = LlamaServer(small_model_path, log, n_ctx=2048, alias="local")
    try:
        server.start(ready_within=90)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def stub_server_session() -> Iterator[StubServer]:
    server = StubServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stub_server(stub_server_session: StubServer) -> StubServer:
    stub_server_session.script()
    return stub_server_session
