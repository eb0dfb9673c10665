"""Issue 10 item 8: credentials inside an endpoint URL (`user:pass@`, `?api_key=`, `?key=`,
`token=`) are masked like API keys wherever the URL is shown: error lines, `qa config show`
(table and --json), `qa stats`, the errors callers inspect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from llm_servers import StubServer, fail, free_port
from typer.testing import CliRunner

from qa.cli import app
from qa.errors import GeneratorError
from qa.masking import mask_url

PASSWORD = "hunter2-very-secret"
KEY = "sk-live-0123456789abcdef"
TOKEN = "tok-9876543210fedcba"
SECRETS = (PASSWORD, KEY, TOKEN)


def secret_url(base: str) -> str:
    """`base` (http://host:port/v1) with a password, an api_key and a token in it."""
    scheme, rest = base.split("://", 1)
    return f"{scheme}://admin:{PASSWORD}@{rest}?api_key={KEY}&token={TOKEN}&model=x"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def assert_masked(*texts: str) -> None:
    for text in texts:
        leaked = [s for s in SECRETS if s in text]
        assert not leaked, f"{leaked} shown in: {text}"


@pytest.mark.parametrize(("url", "shown"), [
    ("http://user:pass@host/v1", "http://user:****@host/v1"),
    ("http://token-only-user-abcdef@host/v1", "http://tok…ef@host/v1"),
    ("https://host/v1?api_key=sk-abcdef123456&x=1", "https://host/v1?api_key=sk-…56&x=1"),
    ("https://host/v1?key=abc&Token=abcdefghijk&access_token=z",
     "https://host/v1?key=****&Token=abc…jk&access_token=****"),
    ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
])
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_an_error_naming_the_url_masks_it_and_its_endpoint() -> None:
    exc = GeneratorError(f"cannot reach the model server at {secret_url('http://h:1/v1')}",
                         fix="start it", endpoint=secret_url("http://h:1/v1"))
    assert_masked(str(exc), exc.endpoint, exc.message)
    assert "admin:hun…et@h:1/v1" in str(exc)


def test_refused_connection_error_line_is_masked(qa_env: dict[str, str], seeded_store: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_STORE", str(seeded_store))
    monkeypatch.setenv("QA_BASE_URL", secret_url(f"http://127.0.0.1:{free_port()}/v1"))
    monkeypatch.setenv("QA_MAX_RETRIES", "0")
    for extra in ((), ("--json",)):
        code, out, err = run("ask", "Who died on Nov 29?", "-g", "openai", *extra)
        assert code != 0 and "cannot reach the model server" in err, err
        assert_masked(out, err)
        assert "admin:hun…et@127.0.0.1" in err


def test_status_error_from_a_stub_is_masked(qa_env: dict[str, str], seeded_store: Path,
                                            stub_server: StubServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    stub_server.script(fail(401, "bad key"))
    monkeypatch.setenv("QA_STORE", str(seeded_store))
    # userinfo only: the openai client appends its routes after a query string
    monkeypatch.setenv("QA_BASE_URL", stub_server.url.replace("://", f"://admin:{PASSWORD}@"))
    monkeypatch.setenv("QA_MAX_RETRIES", "0")
    code, out, err = run("ask", "Who died on Nov 29?", "-g", "openai")
    assert code != 0 and "refused the API key" in err, err
    assert_masked(out, err)
    assert "admin:hun…et@" in err


def test_config_show_masks_urls(qa_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_BASE_URL", secret_url("http://llm.example:8000/v1"))
    monkeypatch.setenv("QA_EMBED_BASE_URL", secret_url("http://emb.example/v1"))
    monkeypatch.setenv("QA_CHROMA_URL", secret_url("http://chroma.example:8000"))
    code, out, _ = run("config", "show")
    assert code == 0 and "llm.example:8000/v1" in out
    assert_masked(out)
    code, out, _ = run("config", "show", "--json")
    data = json.loads(out)
    assert code == 0 and data["base_url"]["value"].startswith("http://admin:hun…et@llm.example")
    assert_masked(out)


def test_openai_base_url_fallback_is_masked(qa_env: dict[str, str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", secret_url("http://llm.example/v1"))
    code, out, _ = run("config", "show", "--json")
    assert code == 0 and json.loads(out)["base_url"]["origin"] == "env OPENAI_BASE_URL"
    assert_masked(out)


def test_unreachable_chroma_url_is_masked(qa_env: dict[str, str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_CHROMA_URL", secret_url(f"http://127.0.0.1:{free_port()}"))
    code, out, err = run("stats", "--json")
    assert code != 0 and err
    assert_masked(out, err)
