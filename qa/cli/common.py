"""What every command module shares: global and common options, the error edge, progress on
stderr and JSON on stdout."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from qa.errors import QAError, StoreLocked
from qa.render import SafeConsole, json_text
from qa.settings import LoadedSettings, Settings, load_settings

if TYPE_CHECKING:
    from vectorstore.index import Index

# Word-wrap for people; never insert line breaks into piped output. SafeConsole: document text
# (titles, paths, passages) can hold escape sequences, and no printer needs to remember that.
out = SafeConsole(highlight=False, soft_wrap=not sys.stdout.isatty())
err = SafeConsole(stderr=True, highlight=False, soft_wrap=not sys.stderr.isatty())

# Global flags (set in the callback), merged into the settings of every command.
_GLOBAL: dict[str, Any] = {}

StoreOpt = Annotated[Path | None, typer.Option("--store", help="Index folder \\[env: QA_STORE].")]
ChromaOpt = Annotated[str | None, typer.Option(
    "--chroma-url",
    help="Use a `chroma run` server, e.g. http://127.0.0.1:8000 \\[env: QA_CHROMA_URL].")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
KOpt = Annotated[int | None, typer.Option("--k", "-k", help="Passages to retrieve \\[default: 6].")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="Only documents published on or "
                                              "after this date (YYYY-MM-DD).")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Only documents published on or "
                                              "before this date (YYYY-MM-DD).")]
SourceOpt = Annotated[list[str] | None, typer.Option("--source", help="Only this source "
                                                     "(repeatable).")]

GeneratorOpt = Annotated[str | None, typer.Option(
    "--generator", "-g", help="auto | extractive | openai | local \\[env: QA_GENERATOR].")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model name for the openai "
                                              "generator \\[env: QA_MODEL].")]
BaseUrlOpt = Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint "
                                                "\\[env: QA_BASE_URL, OPENAI_BASE_URL].")]
LocalModelOpt = Annotated[str | None, typer.Option(
    "--local-model", help="Embedded model: 0.5b, 1.5b or a .gguf path \\[env: QA_LOCAL_MODEL].")]
StyleOpt = Annotated[str | None, typer.Option(
    "--answer-style", help="pick: the model picks the passage sentence that states the answer; "
    "write: it writes the answer; auto: pick for embedded models \\[env: QA_ANSWER_STYLE].")]
WaitOpt = Annotated[bool, typer.Option("--wait", help="When another process is writing the "
                                       "store, wait for it instead of failing.")]
WaitTimeoutOpt = Annotated[float | None, typer.Option(
    "--wait-timeout", help="Wait at most this many seconds for another writer (implies --wait).")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Drop sentences the citation check "
                                         "cannot support.")]


def main(store: StoreOpt = None, chroma_url: ChromaOpt = None,
         version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
         ) -> None:
    """Ingest documents, then ask questions whose every sentence cites its passage."""
    if version:
        from qa import __version__

        out.print(__version__)
        raise typer.Exit()
    _GLOBAL.update({"store": store, "chroma_url": chroma_url})


@contextmanager
def errors() -> Iterator[None]:
    """Expected failures become one line on stderr and a non-zero exit; Ctrl-C exits 130."""
    try:
        yield
    except QAError as exc:
        from qa.render import error_text

        err.print(error_text(exc))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None


def writer_index(settings: Settings, wait: bool = False, wait_timeout: float | None = None
                 ) -> Index:
    """The store for a command that writes: its writes wait for another writer as `--wait`
    and `--wait-timeout` say (by default they fail at once with one line naming the holder),
    and a wait is said on stderr."""
    from qa.store import open_index

    def say(locked: StoreLocked) -> None:
        err.print(Text(f"waiting: {locked.message}"))

    lock_wait = wait_timeout if wait_timeout is not None else (None if wait else 0.0)
    return open_index(settings, lock_wait=lock_wait, on_lock_wait=say)


def settings_for(**flags: Any) -> LoadedSettings:
    return load_settings({**_GLOBAL, **flags})


def answering_settings(*, k: int | None, generator: str | None, model: str | None,
                       base_url: str | None, local_model: str | None, answer_style: str | None,
                       strict: bool = False) -> Settings:
    """The settings of a command that answers (ask, chat, eval answer), from its flags."""
    return settings_for(k=k, generator=generator, model=model, base_url=base_url,
                        local_model=local_model, answer_style=answer_style,
                        strict=strict or None).settings


def parse_day(value: str | None, flag: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QAError(f"{flag} {value!r} is not a date", fix="use YYYY-MM-DD") from None


def filters_from(since: str | None, until: str | None, sources: list[str] | None) -> Any:
    from qa.retrieve import Filters

    return Filters(since=parse_day(since, "--since"), until=parse_day(until, "--until"),
                   sources=tuple(sources or ()))


def emit_json(data: Any) -> None:
    sys.stdout.write(json_text(data) + "\n")


StageProgress = Callable[[str, int, int], None]  # (stage, done, total)


@contextmanager
def stage_progress(*, quiet: bool = False) -> Iterator[StageProgress]:
    """Progress bars on stderr, one per named stage (e.g. "ingest", then "answer")."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TimeRemainingColumn,
    )

    if not err.is_terminal:
        # Logs and cron: a bar would print nothing, so print a line at every tenth.
        yield (lambda stage, done, total: None) if quiet else _progress_lines()
        return
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=err, transient=True,
                  disable=quiet) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _progress_lines() -> StageProgress:
    import time

    started = time.monotonic()
    shown: dict[str, int] = {}

    def update(stage: str, done: int, total: int) -> None:
        tenth = 10 * done // total if total else 10
        if shown.get(stage, -1) < tenth:
            shown[stage] = tenth
            err.print(f"{stage} {done}/{total} ({time.monotonic() - started:.0f} s)")

    return update
