"""The packaged GGUF models (join + verify) and the in-process llama.cpp generator."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from qa.errors import GeneratorError, GeneratorUnavailable
from qa.generators import models
from qa.generators.base import GenerationRequest
from qa.generators.local_backend import LocalGenerator
from qa.generators.models import KNOWN_MODELS, ModelSpec, join_parts, resolve_model
from qa.generators.registry import choose_backend, describe_choice, make_generator
from qa.settings import Settings

ZORBIA = [
    {"role": "system", "content": "Answer the question from the passage, in one sentence."},
    {"role": "user", "content": "Passage: The capital of Zorbia is Quillon. Zorbia exports "
                                "tin and wool.\n\nQuestion: What is the capital of Zorbia?"},
]


def fake_packages(root: Path, chunks: list[bytes], prefix: str) -> tuple[str, ...]:
    """Real installed-looking part packages (`<pkg>/data/partNN.bin`) on sys.path."""
    names = []
    for number, data in enumerate(chunks, start=1):
        package = root / f"{prefix}_part{number}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{number:02d}.bin").write_bytes(data)
        names.append(f"{prefix}-part{number}")
    return tuple(names)


@pytest.fixture
def tiny_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    chunks = [b"GGUF" + b"a" * 1000, b"b" * 700, b"c" * 5]
    prefix = f"qa_fake_{tmp_path.name.replace('-', '_')}"
    packages = fake_packages(tmp_path / "site", chunks, prefix)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    spec = ModelSpec(name="tiny", title="tiny", packages=packages, extra="local",
                     sha256=hashlib.sha256(b"".join(chunks)).hexdigest())
    monkeypatch.setitem(models.KNOWN_MODELS, "tiny", spec)
    return spec


def test_tiny_model_joins_in_order_and_is_reused(tiny_model: ModelSpec, tmp_path: Path) -> None:
    path = resolve_model("tiny", tmp_path / "cache")
    assert path == tmp_path / "cache" / "models" / "tiny.gguf"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == tiny_model.sha256
    marker = path.with_name("tiny.gguf.verified")
    assert marker.read_text().split() == [tiny_model.sha256, "1709"]
    before = path.stat().st_mtime_ns
    assert resolve_model("tiny", tmp_path / "cache") == path  # marker + size: no re-join
    assert path.stat().st_mtime_ns == before
    with path.open("ab") as fh:  # a file of the wrong size is joined again
        fh.write(b"junk")
    assert resolve_model("tiny", tmp_path / "cache").stat().st_size == 1709
    assert sorted(p.name for p in path.parent.iterdir()) == ["tiny.gguf", "tiny.gguf.verified"]


def test_wrong_sha_is_refused_and_leaves_nothing(tiny_model: ModelSpec, tmp_path: Path) -> None:
    parts = models.locate_parts(tiny_model)
    target = tmp_path / "out" / "tiny.gguf"
    with pytest.raises(GeneratorError) as info:
        join_parts(parts, "0" * 64, target)
    assert "expected 000000000000" in info.value.message
    assert "--force-reinstall" in info.value.fix
    assert list(target.parent.iterdir()) == []


def test_missing_package_names_the_pip_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    spec = ModelSpec(name="ghost", title="ghost", extra="local", sha256="0" * 64,
                     packages=("qa-no-such-part1", "qa-no-such-part2"))
    monkeypatch.setitem(models.KNOWN_MODELS, "ghost", spec)
    with pytest.raises(GeneratorUnavailable) as info:
        resolve_model("ghost", tmp_path)
    assert "qa-no-such-part1, qa-no-such-part2" in info.value.message
    assert "pip install 'qa-desk[local]'" in info.value.fix
    assert not models.model_available("ghost", tmp_path)


def test_gguf_paths_and_unknown_names(tmp_path: Path) -> None:
    existing = tmp_path / "mine.gguf"
    existing.write_bytes(b"GGUF")
    assert resolve_model(str(existing), tmp_path) == existing
    with pytest.raises(GeneratorUnavailable, match="not found"):
        resolve_model(str(tmp_path / "absent.gguf"), tmp_path)
    with pytest.raises(GeneratorUnavailable, match="unknown local model '7b'"):
        resolve_model("7b", tmp_path)
    assert models.default_context_window("1.5b") == 4096
    assert set(KNOWN_MODELS) == {"0.5b", "1.5b"}


@pytest.mark.usefixtures("qa_env")
def test_missing_llama_cpp_is_unavailable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path
                                          ) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes find_spec/import fail
    with pytest.raises(GeneratorUnavailable) as info:
        LocalGenerator(Settings(local_model="0.5b", cache_dir=tmp_path))
    assert info.value.fix == "pip install 'qa-desk[local]'"
    settings = Settings(local_model="0.5b", cache_dir=tmp_path)
    assert choose_backend(settings)[0] == "extractive"
    assert "llama-cpp-python is not installed" in describe_choice(settings)


@pytest.mark.usefixtures("qa_env")
def test_auto_choice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    absent = Settings(local_model=str(tmp_path / "absent.gguf"), cache_dir=tmp_path)
    assert choose_backend(absent)[0] == "extractive"
    assert make_generator(absent).name == "extractive"
    endpoint = Settings(base_url="http://127.0.0.1:9/v1", cache_dir=tmp_path)
    assert choose_backend(endpoint)[0] == "openai"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert choose_backend(absent) == ("openai", "an API key is set (QA_API_KEY / OPENAI_API_KEY)")
    assert choose_backend(Settings(generator="local"))[0] == "local"


# ------------------------------------------------------------------ the real 0.5B model


@pytest.mark.model
def test_small_model_joined_and_verified(small_model_path: Path, model_cache_dir: Path) -> None:
    assert small_model_path == model_cache_dir / "models" / "0.5b.gguf"
    assert small_model_path.stat().st_size == 491_400_064
    marker = small_model_path.with_name("0.5b.gguf.verified").read_text().split()
    assert marker[0] == KNOWN_MODELS["0.5b"].sha256
    with small_model_path.open("rb") as fh:
        assert fh.read(4) == b"GGUF"


@pytest.mark.model
@pytest.mark.usefixtures("qa_env")
def test_auto_picks_local_when_installed(small_model_path: Path, model_cache_dir: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(local_model="0.5b", cache_dir=model_cache_dir)
    assert choose_backend(settings)[0] == "local"


@pytest.mark.model
def test_local_generator_answers_from_the_passage(small_local_generator: LocalGenerator) -> None:
    gen = small_local_generator
    assert gen.name == "local:qwen2.5-coder-0.5b"
    assert gen.context_window == 2048
    pieces = list(gen.stream(GenerationRequest(task="answer", messages=ZORBIA, max_tokens=40)))
    assert len(pieces) > 1
    assert "Quillon" in "".join(pieces)


@pytest.mark.model
def test_local_generator_json_mode(small_local_generator: LocalGenerator) -> None:
    import json

    messages = [*ZORBIA[:1], {"role": "user", "content": ZORBIA[1]["content"]
                              + '\nReply as JSON: {"answer": "..."}'}]
    text = "".join(small_local_generator.stream(
        GenerationRequest(task="answer", messages=messages, max_tokens=40, json_mode=True)))
    assert isinstance(json.loads(text), dict)


@pytest.mark.model
def test_context_overflow_is_a_generator_error(small_local_generator: LocalGenerator) -> None:
    huge = [{"role": "user", "content": "word " * 5000}]
    with pytest.raises(GeneratorError) as info:
        list(small_local_generator.stream(GenerationRequest(task="answer", messages=huge)))
    assert "context window" in info.value.message
    assert "QA_K" in info.value.fix


@pytest.mark.model
def test_interrupt_propagates_and_the_model_stays_usable(
        small_local_generator: LocalGenerator) -> None:
    request = GenerationRequest(task="answer", messages=ZORBIA, max_tokens=40)
    stream = small_local_generator.stream(request)
    next(stream)
    with pytest.raises(KeyboardInterrupt):
        stream.throw(KeyboardInterrupt)
    assert "Quillon" in "".join(small_local_generator.stream(request))


@pytest.mark.model
def test_a_pick_between_two_short_answers_does_not_make_the_second_read_its_instructions_again(
        small_local_generator: LocalGenerator, monkeypatch: pytest.MonkeyPatch) -> None:
    """The short answer's system prompt and worked example are read once: after a pick, the
    next short answer resumes from the state its last prompt left, and answers as it would
    have from a fresh context."""
    from qa.answer.direct import short_answer_messages, span_grammar
    from qa.answer.pick import pick_messages

    gen = small_local_generator
    evidence = ["The capital of Zorbia is Quillon.", "Zorbia exports tin and wool."]

    def reply(question: str) -> str:
        return gen.constrained_reply(short_answer_messages(question, "short", evidence, []),
                                     span_grammar("short", evidence, [], question), [], 16)

    def pick() -> list[float]:
        offered = [(s, 1) for s in evidence]
        return gen.choice_probabilities(pick_messages("What does Zorbia export?", offered),
                                        ["0", "1", "2"])

    reply("What is the capital of Zorbia?")
    picked = pick()
    read: list[int] = []
    llm = gen._llm
    original = llm.eval
    monkeypatch.setattr(llm, "eval", lambda tokens: (read.append(len(tokens)), original(tokens)))
    resumed = reply("What does Zorbia export?")
    assert 0 < sum(read) < 60, read  # only the new question's turn, not the ~150-token start
    # the pick resumes from its own state (llama.cpp's sums differ slightly by batch size)
    assert pick() == pytest.approx(picked, abs=0.02)
    monkeypatch.undo()
    gen._states.clear()
    llm.reset()
    assert reply("What does Zorbia export?") == resumed == "tin and wool"
