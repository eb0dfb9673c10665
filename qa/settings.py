"""One typed settings object. Precedence: flag > QA_* environment > TOML file > default.

The TOML file is `./qa.toml` if present, else `<user config dir>/qa/config.toml`, or the file
named by `QA_CONFIG`. Only `QA_`-prefixed variables are read, so a stray `MODEL` in someone's
shell cannot leak in; `OPENAI_API_KEY` / `OPENAI_BASE_URL` are honoured as the openai client does.
Nothing here runs at import time: `load_settings()` reads the environment when called.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from qa.errors import ConfigError
from qa.masking import mask_secret, mask_urls_in

APP_NAME = "qa"
ENV_PREFIX = "QA_"


def default_store() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / "store"


def default_cache() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)

    # storage
    store: Path = Field(default_factory=default_store, description="Folder holding the index.")
    chroma_url: str | None = Field(None, description="Use a `chroma run` server instead of the "
                                   "embedded store, e.g. http://127.0.0.1:8000.")
    collection: str = Field("qa-chunks", description="Chroma collection name.")
    cache_dir: Path = Field(default_factory=default_cache,
                            description="Where joined model files and caches live.")
    # ingest
    chunk_tokens: int = Field(256, ge=32, le=4096, description="Chunk size in tokens.")
    chunk_overlap: int = Field(64, ge=0, le=1024, description="Token overlap between chunks.")
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are skipped.")
    # embeddings
    embedder: Literal["minilm", "openai"] = Field("minilm", description="Embedding backend.")
    embed_model: str = Field("text-embedding-3-small",
                             description="Model name for the openai embedder.")
    embed_base_url: str | None = Field(None, description="Endpoint for the openai embedder "
                                       "(default: base_url).")
    embed_batch: int = Field(32, ge=1, le=1024, description="Texts per embedding batch.")
    # retrieval
    k: int = Field(6, ge=1, le=100, description="Passages retrieved per question.")
    fusion_k: int = Field(10, ge=1, description="Reciprocal-rank-fusion constant.")
    min_relevance: float = Field(0.3, ge=-1.0, le=1.0, description="Refuse without asking a "
                                 "model when no retrieved passage has a dense (cosine) score "
                                 "this high AND the passages hold under min_coverage of the "
                                 "question's words. Tuned for MiniLM; see docs/benchmarks.md.")
    min_coverage: float = Field(0.7, ge=0.0, le=1.0, description="Share of the question's "
                                "content words the passages must hold (see min_relevance).")
    # generation
    generator: Literal["auto", "extractive", "openai", "local"] = Field(
        "auto", description="auto: openai if an endpoint or key is set, else local if "
        "installed, else extractive.")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint "
                                 "(falls back to OPENAI_BASE_URL).")
    api_key: SecretStr | None = Field(None, description="API key (falls back to OPENAI_API_KEY).")
    model: str = Field("gpt-4o-mini", description="Model name for the openai generator.")
    local_model: str = Field("1.5b", description="Embedded model: 0.5b, 1.5b or a .gguf path.")
    context_window: int | None = Field(None, ge=512, description="Override the model's "
                                       "context window in tokens.")
    answer_tokens: int = Field(256, ge=16, description="Token budget for the answer.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    timeout: float = Field(60.0, gt=0, description="Seconds before a model request times out.")
    max_retries: int = Field(2, ge=0, le=10, description="Retries on 429/5xx/connection errors.")
    threads: int | None = Field(None, ge=1, description="CPU threads for the local model.")
    prompts_dir: Path | None = Field(None, description="Folder with your own prompt templates.")
    answer_style: Literal["auto", "write", "pick"] = Field(
        "auto", description="write: the model writes the answer; pick: the model picks the "
        "passage sentence that states it (quoted verbatim); auto: pick for the embedded local "
        "models, write for OpenAI-compatible servers.")
    verify: bool = Field(True, description="Before answering, ask the model which passage "
                         "sentence states the answer, if any; refuse below verify_threshold.")
    verify_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="Least probability that some sentence states the "
        "answer. Default: tuned per packaged model on held-out SQuAD 2.0 questions (1.5b: 0.8, "
        "0.5b: 0.7; docs/benchmarks.md), else 0.8.")
    strict: bool = Field(False, description="Drop sentences the citation check cannot support.")
    # briefings
    tz: str | None = Field(None, description="Time zone whose days briefings cover, an IANA "
                           "name such as Europe/Paris (default: the system's).")
    max_stories: int = Field(10, ge=1, le=200, description="Stories a briefing writes; the "
                             "rest are listed as one-line \"also\" entries.")
    lookback_days: int = Field(7, ge=0, le=365, description="Days back a briefing looks for "
                               "the stories it continues.")

    def effective_base_url(self) -> str | None:
        return self.base_url or os.environ.get("OPENAI_BASE_URL") or None

    def effective_api_key(self) -> str | None:
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY") or None


Origin = Literal["default", "file", "env", "flag"]


class LoadedSettings(BaseModel):
    """The settings plus where each value came from (for `qa config show`)."""

    settings: Settings
    origins: dict[str, str]
    config_file: Path | None


def config_file_path() -> Path | None:
    explicit = os.environ.get(ENV_PREFIX + "CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found", fix="fix QA_CONFIG or create it")
        return path
    user_file = Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"
    for candidate in (Path("qa.toml"), user_file):
        if candidate.is_file():
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}", fix="fix the TOML syntax") from exc
    unknown = set(data) - set(Settings.model_fields)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}",
                          fix="run `qa config show` for the valid names")
    return data


def _read_env() -> dict[str, str]:
    values = {}
    for name in Settings.model_fields:
        raw = os.environ.get(ENV_PREFIX + name.upper())
        if raw is not None and raw != "":
            values[name] = raw
    return values


def load_settings(flags: dict[str, Any] | None = None) -> LoadedSettings:
    """Merge the four layers. `flags` holds only the options the user actually passed."""
    path = config_file_path()
    layers: list[tuple[str, dict[str, Any]]] = [
        ("file", _read_toml(path) if path else {}),
        ("env", _read_env()),
        ("flag", {k: v for k, v in (flags or {}).items() if v is not None}),
    ]
    merged: dict[str, Any] = {}
    origins = dict.fromkeys(Settings.model_fields, "default")
    for origin, values in layers:
        for key, value in values.items():
            merged[key] = value
            origins[key] = origin
    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        where = origins.get(field, "input")
        raise ConfigError(f"setting {field!r} ({where}): {first['msg']}",
                          fix=f"fix {ENV_PREFIX}{field.upper()} or the config file") from exc
    return LoadedSettings(settings=settings, origins=origins, config_file=path)


# Settings that fall back to the openai client's own variables when unset.
OPENAI_FALLBACKS = {"base_url": ("OPENAI_BASE_URL", Settings.effective_base_url),
                    "api_key": ("OPENAI_API_KEY", Settings.effective_api_key)}


def describe(loaded: LoadedSettings) -> list[tuple[str, str, str]]:
    """(name, value, origin) rows with secrets masked. A value in use that came from
    OPENAI_BASE_URL / OPENAI_API_KEY is shown with that variable as its origin."""
    rows = []
    for name in Settings.model_fields:
        value = getattr(loaded.settings, name)
        origin = loaded.origins[name]
        if value is None and name in OPENAI_FALLBACKS:
            variable, effective = OPENAI_FALLBACKS[name]
            in_use = effective(loaded.settings)
            if in_use:
                value = SecretStr(in_use) if name == "api_key" else in_use
                origin = f"env {variable}"
        if isinstance(value, SecretStr):
            shown = mask_secret(value.get_secret_value())
        else:  # an endpoint URL may carry a password or a key
            shown = "" if value is None else mask_urls_in(str(value))
        rows.append((name, shown, origin))
    return rows
