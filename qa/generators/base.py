"""The Generator protocol shared by answers, chat and briefings.

A generator turns a `GenerationRequest` into a stream of text pieces. LLM backends use
`request.messages` (already rendered from prompts/ and packed to fit the context window);
the extractive backend ignores them and works from `request.question` and `request.passages`.
Backends raise only `qa.errors.GeneratorError` subclasses; a stream that breaks off raises
`IncompleteAnswer` carrying the partial text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from qa.records import Passage

Task = Literal["answer", "brief", "condense"]


@dataclass
class GenerationRequest:
    task: Task
    messages: list[dict[str, str]]  # OpenAI chat format: [{"role": ..., "content": ...}]
    question: str = ""
    passages: list[Passage] = field(default_factory=list)
    max_tokens: int = 384
    temperature: float = 0.0
    json_mode: bool = False  # ask for a JSON object (response_format) where supported
    stop: list[str] = field(default_factory=list)  # end generation at any of these strings


class Generator(Protocol):
    """Backends are told apart by what they can do, never by their name."""

    name: str  # shown to the user: "extractive", "openai:gpt-4o-mini", "local:qwen2.5-1.5b"
    context_window: int  # tokens the backend accepts (prompt + answer)
    # Can it rewrite a follow-up into a standalone question (chat)? The extractive backend only
    # quotes, so chat rewrites by rule for it.
    rewrites_questions: bool
    # How it answers when the answer style is "auto": small embedded models pick a passage
    # sentence (they write worse answers than they pick, docs/benchmarks.md); servers write.
    answer_style: Literal["pick", "write"]

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """Yield text pieces as they are generated."""
        ...

    def close(self) -> None:
        """Free the backend's resources (model memory, HTTP pool)."""
        ...


def chat_arguments(request: GenerationRequest) -> dict[str, Any]:
    """The OpenAI chat-completions arguments for a streamed request (llama-cpp-python's
    `create_chat_completion` takes the same names)."""
    arguments: dict[str, Any] = {"messages": request.messages, "stream": True,
                                 "max_tokens": request.max_tokens,
                                 "temperature": request.temperature}
    if request.json_mode:
        arguments["response_format"] = {"type": "json_object"}
    if request.stop:
        arguments["stop"] = request.stop
    return arguments


def generate(generator: Generator, request: GenerationRequest) -> str:
    """Collect a whole answer (non-streaming convenience)."""
    return "".join(generator.stream(request))
