"""`qa feeds add|list|remove|import|export|fetch`.

Exit codes of `qa feeds fetch`: 0 every due feed was fetched (or not modified, or is waiting
out a Retry-After); 1 at least one feed failed (one line each on stderr; the others were
stored); 2 a usage or configuration error; 75 another fetch holds the store's lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from qa.cli.common import JsonOpt, emit_json, err, errors, out, settings_for

if TYPE_CHECKING:
    from qa.feeds.client import Limits
    from qa.feeds.fetch import FetchReport
    from vectorstore.index import Index

app = typer.Typer(help="RSS/Atom subscriptions that keep the store current.",
                  no_args_is_help=True)

TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds to connect and between "
                                           "bytes.")]
MaxMbOpt = Annotated[float, typer.Option("--max-mb", help="Largest body read, in MB "
                                         "(decompressed).")]
FAILING = 3  # consecutive failed fetches after which `qa feeds list` flags a feed


@contextmanager
def _index() -> Iterator[Index]:
    from qa.store import open_index

    index = open_index(settings_for().settings)
    try:
        yield index
    finally:
        index.close()


def _limits(timeout: float, max_mb: float, workers: int = 4) -> Limits:
    from qa.errors import ConfigError
    from qa.feeds.client import Limits

    if timeout <= 0 or max_mb <= 0 or workers < 1:
        raise ConfigError("--timeout and --max-mb must be positive, --workers at least 1",
                          fix="e.g. --timeout 15 --max-mb 10 --workers 4")
    return Limits(timeout=timeout, max_bytes=int(max_mb * 2**20), workers=workers)


@app.command("add")
def add(url: Annotated[str, typer.Argument(help="The feed's URL (RSS or Atom).")],
        name: Annotated[str | None, typer.Option("--name", help="Name it (default: the "
                                                 "feed's title).")] = None,
        source: Annotated[str | None, typer.Option("--source", help="Outlet its documents "
                                                   "get (default: the name).")] = None,
        timeout: TimeoutOpt = 15.0, max_mb: MaxMbOpt = 10.0) -> None:
    """Subscribe to a feed (checks that the URL answers with one)."""
    from qa.feeds.subscribe import add_feed

    with errors(), _index() as index:
        added = add_feed(index, url, name=name, source=source, limits=_limits(timeout, max_mb))
    out.print(Text(f"added {added.feed.name} ({added.feed.url}): {added.entries} entries now; "
                   "`qa feeds fetch` stores them"))


@app.command("list")
def list_feeds(as_json: JsonOpt = False) -> None:
    """Subscriptions: last fetch, new entries, last error, failures in a row."""
    with errors(), _index() as index:
        rows = index.feeds.all()
    if as_json:
        emit_json([{**asdict(r), "outlet": r.outlet, "failing": r.failures >= FAILING}
                   for r in rows])
        return
    if not rows:
        out.print("no feeds yet (add one with `qa feeds add URL`)")
        return
    for r in rows:
        when = r.last_fetch.replace("T", " ")[:16] if r.last_fetch else "never fetched"
        line = Text(f"{r.name}  {r.url}  ({when}; {r.last_new} new)")
        if r.failures >= FAILING:
            line.append(f"  failing: {r.failures} fetches in a row", style="red")
        elif r.failures:
            line.append(f"  failed {r.failures}x", style="yellow")
        if r.retry_after:
            line.append(f"  waiting until {r.retry_after}", style="yellow")
        out.print(line)
        if r.last_error:
            out.print(Text(f"    last error: {r.last_error}"), style="dim")


@app.command("remove")
def remove(ref: Annotated[str, typer.Argument(help="Feed name or URL.")]) -> None:
    """Unsubscribe (the documents it gave stay stored; `qa forget URL` drops one)."""
    from qa.feeds.subscribe import remove_feed

    with errors(), _index() as index:
        row = remove_feed(index, ref)
    out.print(Text(f"removed {row.name} ({row.url})"))


@app.command("import")
def import_opml(file: Annotated[Path, typer.Argument(help="An OPML file from a feed "
                                                      "reader.")]) -> None:
    """Subscribe to every feed of an OPML file (no request is made; fetch checks them)."""
    from qa.feeds.opml import read_opml
    from qa.feeds.subscribe import import_feeds

    with errors():
        outlines = read_opml(file)
        with _index() as index:
            added, skipped = import_feeds(index, outlines)
    for line in skipped:
        err.print(Text(line), style="yellow")
    out.print(Text(f"imported {len(added)} feeds from {file}"
                   + (f", skipped {len(skipped)}" if skipped else "")))


@app.command("export")
def export_opml(out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write here (default: stdout).")] = None) -> None:
    """The subscriptions as OPML, for another feed reader or a backup."""
    from qa.feeds.opml import write_opml

    with errors(), _index() as index:
        text = write_opml(index.feeds.all())
    if out_file:
        out_file.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)


@app.command("fetch")
def fetch(names: Annotated[list[str] | None, typer.Argument(help="Feeds to fetch (default: "
                                                             "all).")] = None,
          quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing unless "
                                              "something failed (for cron).")] = False,
          timeout: TimeoutOpt = 15.0, max_mb: MaxMbOpt = 10.0,
          workers: Annotated[int, typer.Option("--workers", help="Requests at once (one per "
                                               "host at most).")] = 4,
          as_json: JsonOpt = False) -> None:
    """Fetch new and changed entries of the feeds into the store (exit 1 if a feed failed)."""
    from qa.feeds.fetch import fetch_feeds
    from qa.ingest.pipeline import Chunking

    with errors():
        settings = settings_for().settings
        limits = _limits(timeout, max_mb, workers)
        with _index() as index:
            report = fetch_feeds(index, names or [], limits=limits,
                                 chunking=Chunking.from_settings(settings))
    for result in report.failed:
        err.print(Text.assemble(("failed ", "red"), str(result.error)), highlight=False)
    if as_json:
        emit_json(_report_json(report))
    elif not quiet:
        _print_report(report)
    if report.failed:
        raise typer.Exit(1)


def _print_report(report: FetchReport) -> None:
    if not report.feeds:
        out.print("no feeds yet (add one with `qa feeds add URL`)")
        return
    for result in report.feeds:
        for note in result.notes:
            err.print(Text(note), style="yellow")
        if result.status != "failed":
            out.print(Text(result.line()))
    if report.ingest is not None:
        out.print(report.ingest.summary())


def _report_json(report: FetchReport) -> dict[str, Any]:
    feeds = []
    for r in report.feeds:
        feeds.append({"name": r.name, "url": r.url, "status": r.status, "new": r.new,
                      "updated": r.updated, "duplicates": r.duplicates,
                      "unchanged": r.unchanged, "notes": r.notes, "documents": r.documents,
                      "error": None if r.error is None else
                      {"reason": r.error.reason, "fix": r.error.fix,
                       "status_code": r.error.status_code,
                       "retry_after": r.error.retry_after or None}})
    ingest = report.ingest
    return {"feeds": feeds, "failed": len(report.failed), "requests": report.requests,
            "ingest": None if ingest is None else
            {"added": ingest.added, "updated": ingest.updated, "unchanged": ingest.unchanged,
             "duplicates": ingest.duplicates, "chunks": ingest.chunks,
             "repaired": ingest.repaired}}
