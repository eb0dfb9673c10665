"""The chat session: cited answers in a conversation, follow-ups rewritten to stand alone.

No terminal I/O here: the front end (qa/cli_chat.py) feeds lines and renders what comes back.

Follow-ups. With a model, the conversation and the new question go through prompts/condense.md
(`GenerationRequest(task="condense")`) and the model's one-line reply is what gets searched. The
extractive backend cannot rewrite, so `carry_context` does it by rule: a name given in part is
completed from the previous turn ("What did Wang say about Taiwan?" -> "What did Wang Yi say about
Taiwan?"), and when the new question has a pronoun or is short, the previous question's names and
content words that it lacks are appended ("What did he say about Taiwan?" -> "What did he say
about Taiwan? (Wang Yi, Blinken, talk)").
That standalone question is what retrieval sees and what the user is shown. The extractive
quoting step is given the *new* part of the question instead (the user's words minus the names
carried over from the conversation): running text refers to the subject of a conversation by
pronoun ("He reiterated Beijing's firm position on the Taiwan question..."), so demanding the
carried names in every quoted sentence would pick exactly the wrong sentences.

Test hook: QA_TEST_SLOW_STREAM=<seconds> makes the session sleep that long before each word of a
streamed answer (see `SlowStream`), so a terminal test can press Ctrl-C mid-answer reliably.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from qa.answer import OnText, answer_passages
from qa.errors import ConfigError, QAError
from qa.generators.base import GenerationRequest, Generator, generate
from qa.index import Index
from qa.prompts import load_template, render
from qa.retrieve import Filters, retrieve
from qa.settings import Settings
from qa.text import STOPWORDS, light_stem, words
from qa.types import Answer

OnStatus = Callable[[str], None]
BACKENDS = ("extractive", "local", "openai", "auto")
SLOW_STREAM_ENV = "QA_TEST_SLOW_STREAM"
HISTORY_TURNS = 3  # turns shown to the condensing model
SHORT_QUESTION = 4  # words; a question this short is read as a follow-up

_PRONOUNS = frozenset("he she him her his hers it its they them their theirs this that these "
                      "those".split())
# Capitalised words that open a question or an instruction rather than name something.
_NOT_NAMES = STOPWORDS | frozenset("tell show give list explain describe summarise summarize "
                                   "compare find please and so ok okay".split())
_CAPITALISED_RUN = re.compile(r"[A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*)*")
_FILLER = frozenset("many much long old happen happened name kind type year date day time month "
                    "percentage number amount mean".split())


@dataclass
class Turn:
    question: str  # as typed
    searched: str  # the standalone question that was searched
    answer: Answer


@dataclass
class Rewrite:
    searched: str  # standalone: what retrieval sees and the user is shown
    focus: str  # what the extractive quoting looks for


@dataclass
class ChatSession:
    settings: Settings
    index: Index
    generator: Generator
    k: int = 6
    filters: Filters = field(default_factory=Filters)
    turns: list[Turn] = field(default_factory=list)
    _loader: threading.Thread | None = field(default=None, init=False, repr=False)
    _load_error: QAError | None = field(default=None, init=False, repr=False)
    _loaded: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _sources: list[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._loaded.set()  # nothing is loading yet

    @classmethod
    def open(cls, settings: Settings, *, filters: Filters | None = None) -> ChatSession:
        from qa.generators.registry import make_generator

        index = Index(settings)
        try:
            generator = wrap_for_tests(make_generator(settings))
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
            rows = self.index.manifest.db.execute(
                "SELECT DISTINCT source FROM documents ORDER BY source")
            self._sources = [str(row[0]) for row in rows]
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
        new = wrap_for_tests(make_generator(settings))
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
        if self.generator.name == "extractive":
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
        passages = retrieve(self.index, rewrite.searched, k=self.k, filters=self.filters)
        status(f"generating with {self.generator.name}…")
        answer = answer_passages(self.index, self.generator, rewrite.searched, passages,
                                 strict=self.settings.strict, on_text=on_text,
                                 focus=rewrite.focus)
        turn = Turn(question=question, searched=rewrite.searched, answer=answer)
        self.turns.append(turn)
        return turn


# -- follow-up rewriting by rule (the extractive backend) ------------------------------------------
def names_in(text: str) -> list[str]:
    """Runs of capitalised words ("Wang Yi", "Blinken"), minus question words and possessives."""
    found: list[str] = []
    for match in _CAPITALISED_RUN.finditer(text):
        parts = [re.sub(r"[’']s$", "", w) for w in match.group().split()]
        while parts and parts[0].lower() in _NOT_NAMES:
            parts.pop(0)
        name = " ".join(parts)
        if name and name not in found:
            found.append(name)
    return found


def _words(text: str) -> list[str]:
    """Lower-cased words without a possessive 's ("Wang's" -> "wang")."""
    return [re.sub(r"[’']s$", "", w) for w in words(text)]


def _stems(text: str) -> set[str]:
    return {light_stem(w) for w in _words(text)}


def carry_context(previous: str, question: str) -> Rewrite:
    """Make `question` standalone from the previous (standalone) question, by rule."""
    tokens = _words(question)
    prev_names = names_in(previous)
    name_words = {w.lower() for n in prev_names for w in n.split()}
    has_pronoun = any(t in _PRONOUNS for t in tokens)
    short = len(tokens) <= SHORT_QUESTION
    if not (has_pronoun or short or name_words & set(tokens)):
        return Rewrite(question, question)
    expanded = question
    for name in prev_names:
        parts = name.split()
        if len(parts) < 2 or all(re.search(rf"\b{re.escape(p)}\b", expanded) for p in parts):
            continue
        for part in parts:  # "Wang" -> "Wang Yi": complete a name given in part
            pattern = rf"\b{re.escape(part)}\b"
            if re.search(pattern, expanded):
                expanded = re.sub(pattern, name, expanded, count=1)
                break
    have = _stems(expanded)
    carried: list[str] = []
    if has_pronoun or short:  # too little of its own: carry the previous turn's key terms
        carried = [n for n in prev_names if not _stems(n) <= have]
        for word in _words(previous):
            if (word not in STOPWORDS and word not in _FILLER and word not in name_words
                    and len(word) > 2 and light_stem(word) not in have and word not in carried):
                carried.append(word)
    searched = expanded + (f" ({', '.join(carried)})" if carried else "")
    new_part = " ".join(w for w in re.findall(r"\S+", question)
                        if not set(_words(w)) & name_words)
    # Nothing new beyond the names ("Who is Blinken?", the same question again): look for the
    # whole question; nothing at all ("Why?"): for the carried terms.
    if _content(new_part) - _stems(previous):
        focus = new_part
    else:
        focus = expanded if _content(expanded) else searched
    return Rewrite(searched, focus)


def _content(text: str) -> set[str]:
    return {light_stem(w) for w in _words(text) if w not in STOPWORDS | _FILLER | _PRONOUNS}


def clean_condensed(text: str) -> str:
    """The first non-empty line of a model's condensed question, without labels or quotes."""
    for line in text.strip().splitlines():
        line = re.sub(r"^\s*(?:standalone question|question|rewritten)\s*:\s*", "", line,
                      flags=re.I).strip().strip("\"'“”`")
        if line:
            return line[:300]
    return ""


# -- test hook ---------------------------------------------------------------------------------
class SlowStream:
    """Wraps a generator and sleeps before each streamed word (QA_TEST_SLOW_STREAM seconds)."""

    def __init__(self, inner: Generator, delay: float) -> None:
        self.inner = inner
        self.delay = delay
        self.name = inner.name
        self.context_window = inner.context_window

    def load(self) -> None:
        load = getattr(self.inner, "load", None)
        if callable(load):
            load()

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        for piece in self.inner.stream(request):
            if request.task != "answer":
                yield piece
                continue
            for word in re.findall(r"\S+\s*|\s+", piece):
                time.sleep(self.delay)
                yield word

    def close(self) -> None:
        self.inner.close()


def wrap_for_tests(generator: Generator) -> Generator:
    raw = os.environ.get(SLOW_STREAM_ENV, "").strip()
    if not raw:
        return generator
    try:
        delay = float(raw)
    except ValueError:
        raise ConfigError(f"{SLOW_STREAM_ENV}={raw!r} is not a number",
                          fix="unset it (it is a test hook) or give seconds, e.g. 0.05") from None
    return SlowStream(generator, delay)
