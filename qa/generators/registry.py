"""Pick and build the generator named by `settings.generator` ("auto" chooses for the user).

auto: `openai` when an endpoint or an API key is configured (QA_BASE_URL / QA_API_KEY or the
OPENAI_* variables), else `local` when llama-cpp-python and the configured model's packages
are installed (checked without importing or joining anything), else `extractive`.
"""

from __future__ import annotations

from qa.errors import ConfigError
from qa.generators.base import Generator
from qa.generators.local_backend import llama_cpp_installed
from qa.generators.models import KNOWN_MODELS, is_path, model_available
from qa.settings import Settings


def choose_backend(settings: Settings) -> tuple[str, str]:
    """(backend, why): the backend `make_generator` will build, and a short reason."""
    if settings.generator != "auto":
        return settings.generator, f"QA_GENERATOR={settings.generator}"
    if settings.effective_base_url():
        from qa.masking import mask_url

        return "openai", f"an endpoint is set ({mask_url(settings.effective_base_url() or '')})"
    if settings.effective_api_key():
        return "openai", "an API key is set (QA_API_KEY / OPENAI_API_KEY)"
    if not llama_cpp_installed():
        return "extractive", ("no endpoint or API key, and llama-cpp-python is not installed "
                              "(pip install 'qa-desk[local]')")
    if not model_available(settings.local_model, settings.cache_dir):
        spec = KNOWN_MODELS.get(settings.local_model.lower())
        missing = (f"is not installed ({spec.install_hint()})" if spec else
                   "file does not exist" if is_path(settings.local_model) else "is unknown")
        return "extractive", (f"no endpoint or API key, and the local model "
                              f"{settings.local_model!r} {missing}")
    return "local", (f"no endpoint or API key; llama-cpp-python and the local model "
                     f"{settings.local_model!r} are installed")


def describe_choice(settings: Settings) -> str:
    """One line for `qa config show` / `--verbose`: which generator and why."""
    backend, why = choose_backend(settings)
    return f"generator: {backend} ({why})"


def make_generator(settings: Settings) -> Generator:
    backend, _ = choose_backend(settings)
    if backend == "openai":
        from qa.generators.openai_backend import OpenAIGenerator

        return OpenAIGenerator(settings)
    if backend == "local":
        from qa.generators.local_backend import LocalGenerator

        return LocalGenerator(settings)
    if backend == "extractive":
        from qa.generators.extractive import ExtractiveGenerator  # type: ignore[import-not-found,unused-ignore]

        generator: Generator = ExtractiveGenerator(settings)
        return generator
    raise ConfigError(f"unknown generator {backend!r}",
                      fix="set QA_GENERATOR to auto, extractive, openai or local")
