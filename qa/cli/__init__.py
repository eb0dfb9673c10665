"""The `qa` command line, built here from one module per command group. Heavy libraries are
imported inside the stages, so `qa --help` answers at once."""

from __future__ import annotations

import signal

import typer

from qa.cli import brief, chat, doctor, evaluation, feeds, ingest, query, store, transfer
from qa.cli.common import main

__all__ = ["app", "run"]


def run() -> None:
    """The `qa` script. Once the command has returned (or exited), Ctrl-C is ignored: a SIGINT
    then could only interrupt Python's shutdown, which joins library threads (Chroma's) and
    printed a `KeyboardInterrupt` traceback from threading._shutdown (exit 0), or, later in
    finalisation, killed the process (exit -2). Found by tests/test_crash_kills.py. Only the
    script does this: `app()` called in-process leaves the caller's SIGINT handler alone."""
    try:
        app()
    finally:
        # A SIGINT arriving now, after the command, is ignored like those after it. Python
        # raises it at the next function entry, so the retry loop is written out here, where
        # that entry (into signal.signal) is inside the try; a helper's own entry was not (a
        # fresh-clone CI run printed that traceback once).
        while True:
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                break
            except KeyboardInterrupt:
                continue
            except ValueError:  # not the main thread: nothing to protect
                break


app = typer.Typer(help="Cited answers and daily briefings from your own documents.",
                  no_args_is_help=True, rich_markup_mode="rich",
                  context_settings={"help_option_names": ["-h", "--help"]})
app.callback()(main)
app.add_typer(ingest.app)  # ingest, forget
app.add_typer(query.app)  # ask, search
app.add_typer(chat.app)  # chat
app.add_typer(brief.app)  # brief
app.add_typer(brief.briefs_app, name="briefs")
app.add_typer(brief.story_app, name="story")
app.add_typer(store.app)  # stats
app.add_typer(doctor.app)  # doctor
app.add_typer(transfer.app)  # export, import
app.add_typer(store.docs_app, name="docs")
app.add_typer(store.config_app, name="config")
app.add_typer(evaluation.app, name="eval")
app.add_typer(feeds.app, name="feeds")
