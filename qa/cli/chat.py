"""`qa chat`: the REPL. prompt_toolkit and rich for a terminal; one question a line, plain text
out, when stdin or stdout is not a terminal. The conversation itself lives in qa/chat/session.py,
the slash commands in qa/chat/commands.py."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Literal

import typer
from rich.console import Console
from rich.text import Text

from qa.cli.common import (
    BaseUrlOpt,
    GeneratorOpt,
    KOpt,
    LocalModelOpt,
    ModelOpt,
    SinceOpt,
    SourceOpt,
    StrictOpt,
    StyleOpt,
    UntilOpt,
    answering_settings,
    errors,
    filters_from,
)
from qa.errors import QAError
from qa.render import SafeConsole

if TYPE_CHECKING:
    from prompt_toolkit.completion import CompleteEvent, Completer, Completion
    from prompt_toolkit.document import Document

    from qa.chat.session import ChatSession


app = typer.Typer()
Outcome = Literal["ok", "error", "exit"]
PROMPT = "qa> "


@app.command(epilog="Keys: Enter sends; Esc then Enter (or Alt-Enter) inserts a newline; Up/Down "
             "and Ctrl-R search the history; Tab completes commands; Ctrl-C stops an answer "
             "(keeping it, marked as cut) or clears the line; Ctrl-D exits. The history is "
             "kept in chat_history beside the store folder.")
def chat(
    k: KOpt = None, since: SinceOpt = None, until: UntilOpt = None, source: SourceOpt = None,
    generator: GeneratorOpt = None, model: ModelOpt = None, base_url: BaseUrlOpt = None,
    local_model: LocalModelOpt = None, answer_style: StyleOpt = None,
    strict: StrictOpt = False,
) -> None:
    """Chat with your documents: every answer cites its passages, follow-ups keep the context.

    Follow-up questions ("What did he say about Taiwan?") are rewritten into a standalone
    question, shown dimmed, before searching. Commands: /help, /sources, /open N,
    /filter since:DATE until:DATE source:NAME | clear, /k N,
    /model \\[extractive|local|openai|auto], /clear, /save FILE, /brief, /exit.

    Without a terminal (echo "question" | qa chat) it reads one question or command a line and
    prints plain text; it exits 1 if any line failed.
    """
    from qa.chat.session import ChatSession

    with errors():
        settings = answering_settings(k=k, generator=generator, model=model,
                                      base_url=base_url, local_model=local_model,
                                      answer_style=answer_style, strict=strict)
        session = ChatSession.open(settings, filters=filters_from(since, until, source))
        try:
            if sys.stdin.isatty() and sys.stdout.isatty():
                failed = run_tty(session)
            else:
                failed = run_plain(session, sys.stdin)
        finally:
            session.close()
    if failed:
        raise typer.Exit(1)


# -- one line, either front end --------------------------------------------------------------------
def handle_line(session: ChatSession, console: Console, errs: Console, line: str, *,
                live: bool) -> Outcome:
    """Run a command or answer a question. Expected errors and Ctrl-C print one line."""
    from qa.chat.commands import dispatch
    from qa.render import error_text

    text = line.strip()
    if not text:
        return "ok"
    try:
        if text.startswith("/"):
            return "ok" if dispatch(session, console, text) else "exit"
        answer_question(session, console, text, live=live)
    except QAError as exc:
        errs.print(error_text(exc))
        return "error"
    except KeyboardInterrupt:
        errs.print("interrupted", style="dim")
    return "ok"


def answer_question(session: ChatSession, console: Console, question: str, *, live: bool) -> None:
    from qa.render import print_chat_answer

    if not live:
        turn = session.ask(question, on_rewrite=lambda searched: console.print(
            Text(f"searched: {searched}", style="dim italic")))
    else:
        from rich.live import Live
        from rich.spinner import Spinner

        spinner = Spinner("dots", text=Text("thinking…", style="dim"), style="cyan")
        streamed = Text()
        with Live(spinner, console=console, refresh_per_second=12, transient=True) as display:
            def on_status(message: str) -> None:
                if not streamed:
                    spinner.update(text=Text(message, style="dim"))

            def on_text(piece: str) -> None:
                if not streamed:
                    display.update(streamed)
                streamed.append(piece)
                display.refresh()

            turn = session.ask(question, on_text=on_text, on_status=on_status,
                               on_rewrite=lambda searched: console.print(
                                   Text(f"searched: {searched}", style="dim italic")))
    print_chat_answer(console, turn.answer)


# -- without a terminal ----------------------------------------------------------------------------
def plain_console(*, stderr: bool = False) -> Console:
    return SafeConsole(stderr=stderr, force_terminal=False, color_system=None, highlight=False,
                   soft_wrap=True, emoji=False)


def run_plain(session: ChatSession, lines: Iterable[str]) -> bool:
    """One question or command a line, plain text out. True when some line failed."""
    console, errs = plain_console(), plain_console(stderr=True)
    session.start_loading()
    failed = False
    for line in lines:
        if not line.strip():
            continue
        if not line.lstrip().startswith("/"):
            console.print(Text(f"> {line.strip()}"))
        outcome = handle_line(session, console, errs, line, live=False)
        failed = failed or outcome == "error"
        if outcome == "exit":
            break
        console.print()
    return failed


# -- in a terminal ---------------------------------------------------------------------------------
def run_tty(session: ChatSession) -> bool:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

    history = session.settings.store.parent / "chat_history"
    history.parent.mkdir(parents=True, exist_ok=True)
    bindings = KeyBindings()

    @bindings.add("escape", "enter")  # also what Alt-Enter sends
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    prompt: PromptSession[str] = PromptSession(
        history=FileHistory(str(history)), completer=_completer(session), key_bindings=bindings,
        complete_while_typing=True, complete_in_thread=False, multiline=False,
        prompt_continuation=lambda width, _line, _wrap: "." * (width - 1) + " ")
    console = SafeConsole(highlight=False)  # answers wrap at word boundaries
    # Started in the background (`&`, nohup, many CI runners), a process inherits SIGINT
    # ignored, and Ctrl-C would stop nothing. A chat on a terminal is interactive by definition.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    banner(console, session)
    started = False
    while True:
        try:
            line = prompt.prompt(PROMPT, pre_run=None if started else session.start_loading)
        except KeyboardInterrupt:
            continue  # Ctrl-C at the prompt clears the line
        except EOFError:
            break
        started = True
        if handle_line(session, console, console, line, live=True) == "exit":
            break
    return False


def banner(console: Console, session: ChatSession) -> None:
    docs = session.index.manifest.stats()["documents"]
    console.print(Text.assemble(
        ("qa chat", "bold"), f" · {docs} document{'s' if docs != 1 else ''} in "
        f"{session.settings.store} · {session.generator.name}",
        ("  /help for commands, Ctrl-D to exit", "dim")))


def _completer(session: ChatSession) -> Completer:
    from prompt_toolkit.completion import Completer, Completion

    from qa.chat.commands import completions

    class SlashCompleter(Completer):
        def get_completions(self, document: Document,
                            complete_event: CompleteEvent) -> Iterator[Completion]:
            text = document.text_before_cursor
            word = text.rsplit(" ", 1)[-1]
            for candidate, meta in completions(session, text):
                yield Completion(candidate, start_position=-len(word), display_meta=meta)

    return SlashCompleter()
