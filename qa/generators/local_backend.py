"""The embedded language model: llama.cpp (llama-cpp-python) in process, on a packaged GGUF.

Loading takes a second or two and several hundred MB of RAM, so it happens on the first
`stream()` (or an explicit `load()`, which chat calls from a background thread to hide it).
The chat template comes from the GGUF metadata. One `LocalGenerator` serves one request at a
time: llama.cpp contexts are not thread-safe.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from qa.errors import GeneratorError, GeneratorUnavailable, IncompleteAnswer
from qa.generators.base import GenerationRequest, chat_arguments
from qa.generators.models import (
    default_context_window,
    model_available,
    model_title,
    pick_threshold,
    resolve_model,
)
from qa.settings import Settings

INSTALL_FIX = "pip install 'qa-desk[local]'"


def llama_cpp_installed() -> bool:
    """Whether llama-cpp-python is importable, without importing it (that loads a C library)."""
    try:
        return importlib.util.find_spec("llama_cpp") is not None
    except (ImportError, ValueError):
        return False


def _llama_error(exc: Exception, context_window: int) -> GeneratorError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "context window" in text or "n_ctx" in text or "exceed" in text:
        return GeneratorError(f"the prompt does not fit the local model's context window "
                              f"({context_window} tokens): {text}",
                              fix="ask a shorter question, lower QA_K or raise QA_CONTEXT_WINDOW")
    return GeneratorError(f"the local model failed: {text}",
                          fix="retry; if it persists, set QA_GENERATOR=extractive")


class PromptStates:
    """The context's state (its KV cache and the tokens it holds) after the last prompt of each
    kind, restored before the next prompt of that kind.

    llama.cpp reuses only the start a new prompt shares with the tokens its context holds. The
    pick and the short answer alternate, each with its own instructions (the short answer's
    system prompt and worked example are some 150 tokens: 1.6 s to read on 2 cores at 91
    tokens/s), so without this each would read its instructions again for every question. The
    state is the used cache only (a few MB), copied in milliseconds."""

    def __init__(self) -> None:
        self._saved: dict[str, tuple[bytes, Any]] = {}  # kind -> (state, the tokens it holds)
        self._last = ""

    def keep(self, llm: Any, kind: str) -> None:
        import llama_cpp

        size = llama_cpp.llama_state_get_size(llm._ctx.ctx)
        buffer = (ctypes.c_uint8 * size)()
        used = llama_cpp.llama_state_get_data(llm._ctx.ctx, buffer, size)
        self._saved[kind] = (ctypes.string_at(buffer, used), llm.input_ids[:llm.n_tokens].copy())
        self._last = kind

    def resume(self, llm: Any, kind: str) -> None:
        """Restore `kind`'s state when the context holds another kind's prompt (a prompt of the
        same kind already shares its start with what the context holds)."""
        import llama_cpp

        if kind == self._last or kind not in self._saved:
            return
        data, tokens = self._saved[kind]
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if llama_cpp.llama_state_set_data(llm._ctx.ctx, buffer, len(data)) != len(data):
            raise RuntimeError("cannot restore the model's saved state")
        llm.input_ids[:len(tokens)] = tokens
        llm.n_tokens = len(tokens)
        self._last = kind

    def elsewhere(self) -> None:
        """The context is about to read a prompt of no kept kind (a written answer)."""
        self._last = ""

    def clear(self) -> None:
        self._saved.clear()
        self._last = ""


class LocalGenerator:
    """`Generator` backed by llama.cpp in this process."""

    rewrites_questions = True
    answer_style: Literal["pick", "write"] = "pick"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model_name = settings.local_model
        self.name = f"local:{model_title(self.model_name)}"
        self.context_window = settings.context_window or default_context_window(self.model_name)
        self.pick_threshold = pick_threshold(self.model_name)
        self.threads = settings.threads or os.cpu_count() or 2
        self.model_path: Path | None = None
        self._llm: Any = None
        self._lock = threading.Lock()
        self._states = PromptStates()
        # Fail early and cheaply (no import, no joining) when the backend cannot work at all.
        if not llama_cpp_installed():
            raise GeneratorUnavailable("the local model needs llama-cpp-python, which is not "
                                       "installed", fix=INSTALL_FIX)
        if not model_available(self.model_name, settings.cache_dir):
            # Not joinable: resolve_model raises the precise error without joining anything.
            resolve_model(self.model_name, settings.cache_dir)

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def load(self) -> None:
        """Join/verify the model file if needed and load it. Safe to call from another thread."""
        with self._lock:
            if self._llm is not None:
                return
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise GeneratorUnavailable(f"cannot import llama-cpp-python: {exc}",
                                           fix=INSTALL_FIX) from exc
            path = resolve_model(self.model_name, self.settings.cache_dir)
            try:
                llm = Llama(model_path=str(path), n_ctx=self.context_window,
                            n_threads=self.threads, verbose=False)
            except (ValueError, RuntimeError, OSError) as exc:
                raise GeneratorError(
                    f"cannot load the local model {path}: {exc}",
                    fix=f"delete {path} so it is joined again, or reinstall: {INSTALL_FIX}",
                ) from exc
            self.model_path = path
            self._llm = llm

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        self.load()
        self._states.elsewhere()
        kwargs = chat_arguments(request)
        produced: list[str] = []
        try:
            for chunk in self._llm.create_chat_completion(**kwargs):
                choices = chunk.get("choices") or []
                if not choices:
                    continue
                piece = (choices[0].get("delta") or {}).get("content")
                if piece:
                    produced.append(piece)
                    yield piece
        except (ValueError, RuntimeError) as exc:  # KeyboardInterrupt is not caught on purpose
            err = _llama_error(exc, self.context_window)
            if produced:
                raise IncompleteAnswer(err.message, partial="".join(produced),
                                       fix=err.fix) from exc
            raise err from exc

    def choice_probabilities(self, messages: list[dict[str, str]],
                             choices: Sequence[str]) -> list[float]:
        """P(the reply's first token is each choice), normalised over `choices`, read from the
        next-token logits (see qa/answer/pick.py).

        The chat is rendered with the model's own template and evaluated on top of the KV cache
        (only the tokens after the common prefix are computed). llama-cpp-python reports
        logprobs only with logits_all=True (n_ctx x vocab floats: 2.5 GB here), so the last
        position's logits are read from the context directly.
        """
        import numpy as np

        self.load()
        llm = self._llm
        try:
            from llama_cpp.llama_chat_format import format_chatml

            prompt = format_chatml(messages=messages).prompt  # Qwen2.5 speaks ChatML
            tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
            if len(tokens) >= self.context_window:
                raise ValueError("the prompt exceeds the context window")
            self._states.resume(llm, "pick")
            cached = llm.input_ids[: llm.n_tokens].tolist()
            prefix = 0
            for old, new in zip(cached, tokens[:-1], strict=False):  # eval at least one token
                if old != new:
                    break
                prefix += 1
            llm.n_tokens = prefix
            llm.eval(tokens[prefix:])
            logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
            self._states.keep(llm, "pick")
        except (ValueError, RuntimeError) as exc:
            raise _llama_error(exc, self.context_window) from exc
        scores = np.array([float(logits[llm.tokenize(c.encode(), add_bos=False)[0]])
                           for c in choices])
        weights = np.exp(scores - scores.max())
        return [float(w) for w in weights / weights.sum()]

    def constrained_reply(self, messages: list[dict[str, str]], grammar: str,
                          choices: Sequence[str], max_tokens: int) -> str:
        """The model's reply restricted to the GBNF `grammar` (qa/answer/direct.py builds one
        that admits only spans of the evidence, the options or yes/no). The reply is a few
        tokens, so it is not streamed."""
        del choices  # the grammar already holds them
        self.load()
        try:
            from llama_cpp import LlamaGrammar  # type: ignore[attr-defined]

            compiled = LlamaGrammar.from_string(grammar, verbose=False)
            self._states.resume(self._llm, "reply")
            reply = self._llm.create_chat_completion(messages=messages, grammar=compiled,
                                                     max_tokens=max_tokens, temperature=0.0)
            self._states.keep(self._llm, "reply")
        except (ValueError, RuntimeError) as exc:
            raise _llama_error(exc, self.context_window) from exc
        return str(reply["choices"][0]["message"].get("content") or "").strip()

    def close(self) -> None:
        with self._lock:
            llm, self._llm = self._llm, None
            self._states.clear()
        if llm is not None:
            llm.close()
