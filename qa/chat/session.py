"""The chat session: cited answers in a conversation, follow-ups rewritten to stand alone.

No terminal I/O here: the front end (qa/cli/chat.py) feeds lines and renders what comes back.

Follow-ups. With a backend that rewrites questions, the conversation and the new question go
through prompts/condense.md (`GenerationRequest(task="condense")`) and the model's one-line reply
is what gets searched. The extractive backend cannot rewrite, so qa/chat/followups.py does it by
rule. That standalone question is what retrieval sees and what the user is shown.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from qa.answer.ask import AnswerOptions, OnText, answer_passages
from qa.chat.followups import Rewrite, carry_context, clean_condensed
from qa.errors import ConfigError, QAError
from qa.generators.base import GenerationRequest, Generator, generate
from qa.prompts import load_template, render
from qa.records import Answer, Briefing
from qa.retrieve import Filters, retrieve
from qa.settings import Settings
from qa.store import open_index
from vectorstore.index import Index

OnStatus = Callable[[str], None]
BACKENDS = ("extractive", "local", "openai", "auto")
HISTORY_TURNS = 3  # turns shown to the condensing model


@dataclass
class Turn:
    question: str  # as typed
    searched: str  # the standalone question that was searched
    answer: Answer


@dataclass
class ChatSession:
    settings: Settings
    index: Index
    generator: Generator
    k: int = 6
    filters: Filters = field(default_factory=Filters)
    turns: list[Turn] = field(default_factory=list)
    briefing: Briefing | None = None  # the last one /brief showed, for /story N
    _loader: threading.Thread | None = field(default=None, init=False, repr=False)
    _load_error: QAError | None = field(default=None, init=False, repr=False)
    _loaded: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _sources: list[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._loaded.set()  # nothing is loading yet

    @classmethod
    def open(cls, settings: Settings, *, filters: Filters | None = None) -> ChatSession:
        from qa.generators.registry import make_generator

        index = open_index(settings)
        try:
            generator = make_generator(settings)
        except BaseException:
            index.close()
            raise
        return cls(settings=settings, index=index, generator=generator, k=settings.k,
                   filters=filters or Filters())

    # -- background loading ----------------------------------------------------------------------
    def start_loading(self) -> None:
        """Load the model (if the backend has `load()`), the embedder and the indexes in a thread,
        so the prompt appears at once. `ask` waits for it."""
        if self.loading():
            return
        self._load_error = None
        self._loaded.clear()
        self._loader = threading.Thread(target=self._load, name="qa-chat-load", daemon=True)
        self._loader.start()

    def _load(self) -> None:
        try:
            load = getattr(self.generator, "load", None)
            if callable(load):
                load()
            self.index.embedder.embed(["warm-up"])
            _ = self.index.vectors
            len(self.index.keyword)
        except QAError as exc:
            self._load_error = exc
        finally:
            self._loaded.set()

    def loading(self) -> bool:
        return not self._loaded.is_set()

    def wait_loaded(self, on_status: OnStatus | None = None) -> None:
        """Block until the background load is done (Ctrl-C interrupts the wait, not the load);
        re-raise its error once (the next question retries, inside the backend)."""
        if self.loading() and on_status:
            on_status(f"loading {self.generator.name} and the search index…")
        # Event.wait, not Thread.join: a KeyboardInterrupt inside join(timeout) can leave the
        # thread marked as stopped while it still runs (CPython bpo-45274's fix).
        while not self._loaded.wait(0.05):
            pass
        error, self._load_error = self._load_error, None
        if error is not None:
            raise error

    # -- state -------------------------------------------------------------------------------------
    @property
    def last_answer(self) -> Answer | None:
        return self.turns[-1].answer if self.turns else None

    def clear(self) -> None:
        self.turns.clear()

    def sources(self) -> list[str]:
        """The stored documents' sources (for /filter and its completion), read once."""
        if self._sources is None:
            self._sources = self.index.manifest.sources()
        return self._sources

    def set_k(self, k: int) -> None:
        if not 1 <= k <= 100:
            raise ConfigError(f"k {k} is out of range", fix="use a number from 1 to 100")
        self.k = k

    def switch_generator(self, backend: str) -> Generator:
        from qa.generators.registry import make_generator

        if backend not in BACKENDS:
            raise ConfigError(f"unknown generator {backend!r}", fix="use " + " | ".join(BACKENDS))
        settings = self.settings.model_copy(update={"generator": backend})
        new = make_generator(settings)
        self.wait_loaded()
        old, self.generator, self.settings = self.generator, new, settings
        old.close()
        self.start_loading()
        return new

    def close(self) -> None:
        self._loaded.wait()
        if self._loader is not None:
            self._loader.join()
        self.generator.close()
        self.index.close()

    # -- asking ------------------------------------------------------------------------------------
    def rewrite(self, question: str) -> Rewrite:
        """The standalone question for a follow-up (unchanged for a first question)."""
        if not self.turns:
            return Rewrite(question, question)
        if not self.generator.rewrites_questions:
            return carry_context(self.turns[-1].searched, question)
        searched = self.condense(question)
        return Rewrite(searched, searched)

    def condense(self, question: str) -> str:
        history = "\n".join(
            f"User: {t.searched}\nAssistant: {' '.join(s.text for s in t.answer.sentences)}"
            for t in self.turns[-HISTORY_TURNS:])
        prompt = render(load_template("condense", self.settings.prompts_dir), history=history,
                        question=question)
        request = GenerationRequest(task="condense", messages=[{"role": "user", "content": prompt}],
                                    question=question, max_tokens=96, temperature=0.0)
        return clean_condensed(generate(self.generator, request)) or question

    def ask(self, question: str, *, on_text: OnText | None = None,
            on_status: OnStatus | None = None,
            on_rewrite: Callable[[str], None] | None = None) -> Turn:
        """Answer `question` in the context of the conversation; the turn is remembered."""
        status = on_status or (lambda _msg: None)
        self.wait_loaded(status)
        if self.turns:
            status("rewriting the follow-up…")
        rewrite = self.rewrite(question)
        if on_rewrite and rewrite.searched != question:
            on_rewrite(rewrite.searched)
        status("searching…")
        options = replace(AnswerOptions.from_settings(self.settings), k=self.k)
        passages = retrieve(self.index, rewrite.searched, k=options.k, filters=self.filters,
                            fusion_k=options.fusion_k)
        status(f"generating with {self.generator.name}…")
        answer = answer_passages(self.generator, self.index.embedder, rewrite.searched, passages,
                                 options, on_text=on_text, focus=rewrite.focus,
                                 more=lambda query: retrieve(self.index, query, k=options.k,
                                                             filters=self.filters,
                                                             fusion_k=options.fusion_k))
        turn = Turn(question=question, searched=rewrite.searched, answer=answer)
        self.turns.append(turn)
        return turn
