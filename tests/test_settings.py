from pathlib import Path

import pytest

from qa.answer.ask import AnswerOptions
from qa.brief.briefing import BriefOptions
from qa.errors import ConfigError
from qa.ingest.pipeline import Chunking
from qa.retrieve import FUSION_K
from qa.settings import Settings, describe, load_settings

pytestmark = pytest.mark.usefixtures("qa_env")  # no QA_*/OPENAI_* of the developer's


def test_defaults_have_default_origin() -> None:
    loaded = load_settings()
    assert loaded.settings.k == 6
    assert loaded.origins["k"] == "default"
    assert loaded.config_file is None


def test_precedence_flag_over_env_over_file(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    (tmp_path / "qa.toml").write_text('k = 3\nmodel = "from-file"\nchunk_tokens = 128\n')
    monkeypatch.setenv("QA_K", "4")
    monkeypatch.setenv("QA_MODEL", "from-env")
    loaded = load_settings({"k": 5, "model": None})
    s = loaded.settings
    assert (s.k, s.model, s.chunk_tokens) == (5, "from-env", 128)
    assert loaded.origins["k"] == "flag"
    assert loaded.origins["model"] == "env"
    assert loaded.origins["chunk_tokens"] == "file"


def test_unprefixed_environment_does_not_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL", "leaked")
    monkeypatch.setenv("K", "99")
    s = load_settings().settings
    assert s.model != "leaked" and s.k == 6


def test_unknown_key_in_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "qa.toml").write_text("kk = 3\n")
    with pytest.raises(ConfigError, match="unknown setting.*kk"):
        load_settings()


def test_bad_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_K", "lots")
    with pytest.raises(ConfigError, match="'k' \\(env\\)"):
        load_settings()


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_API_KEY", "sk-verysecretvalue123")
    rows = {name: (value, origin) for name, value, origin in describe(load_settings())}
    assert "verysecret" not in rows["api_key"][0]
    assert rows["api_key"][1] == "env"


def test_openai_variables_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    s = load_settings().settings
    assert s.effective_base_url() == "http://127.0.0.1:9/v1"
    assert s.effective_api_key() == "sk-x"


def test_config_show_names_the_openai_variables_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-verysecretvalue123")
    rows = {name: (value, origin) for name, value, origin in describe(load_settings())}
    assert rows["base_url"] == ("http://127.0.0.1:9/v1", "env OPENAI_BASE_URL")
    assert rows["api_key"][1] == "env OPENAI_API_KEY" and "verysecret" not in rows["api_key"][0]
    monkeypatch.setenv("QA_BASE_URL", "http://127.0.0.1:8/v1")  # ours wins, and says so
    rows = {name: (value, origin) for name, value, origin in describe(load_settings())}
    assert rows["base_url"] == ("http://127.0.0.1:8/v1", "env")


def test_stage_options_default_to_the_settings_defaults() -> None:
    """AnswerOptions and Chunking repeat Settings' defaults so stages can be called alone;
    this keeps the copies in step."""
    assert AnswerOptions() == AnswerOptions.from_settings(Settings())
    assert Chunking() == Chunking.from_settings(Settings())
    assert BriefOptions() == BriefOptions.from_settings(Settings())
    assert FUSION_K == Settings().fusion_k
