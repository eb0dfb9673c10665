"""`qa brief`, `qa briefs list|show`, `qa story show`."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from qa.cli.common import (
    BaseUrlOpt,
    GeneratorOpt,
    JsonOpt,
    LocalModelOpt,
    ModelOpt,
    SourceOpt,
    WaitOpt,
    WaitTimeoutOpt,
    emit_json,
    err,
    errors,
    out,
    settings_for,
    stage_progress,
    writer_index,
)

if TYPE_CHECKING:
    from qa.brief.window import Window
    from qa.records import Briefing

app = typer.Typer()
briefs_app = typer.Typer(help="List and show stored briefings.", no_args_is_help=True)
story_app = typer.Typer(help="Follow one story across briefings.", no_args_is_help=True)

FORMATS = ("md", "json", "html", "atom")
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="md | json | html | atom "
                                        "(atom appends the briefing to the feed file --out).")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of "
                                             "stdout.")]


@app.command()
def brief(
    day: Annotated[str | None, typer.Argument(
        help="The day to brief, YYYY-MM-DD, today or yesterday [default: today].")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Same as DAY.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="Window start: a date or a timestamp (2023-12-06T08:00+01:00).")] = None,
    until: Annotated[str | None, typer.Option(
        "--until", help="Window end: a date (included whole) or a timestamp.")] = None,
    tz: Annotated[str | None, typer.Option(
        "--tz", help="Time zone of the day, e.g. Europe/Paris [env: QA_TZ; default: the "
        "system's].")] = None,
    topic: Annotated[str | None, typer.Option(
        "--topic", help="Only documents about this (found by retrieval).")] = None,
    source: SourceOpt = None,
    max_stories: Annotated[int | None, typer.Option(
        "--max-stories", help="Stories to write; the rest are one-line \"also\" entries "
        "[env: QA_MAX_STORIES; default: 10].")] = None,
    lookback: Annotated[int | None, typer.Option(
        "--lookback", help="Days back to look for the stories this one continues "
        "[env: QA_LOOKBACK_DAYS; default: 7].")] = None,
    mode: Annotated[str, typer.Option(
        "--mode", help="extractive: verbatim sentences, no model; write: the model writes; "
        "auto: write unless the generator is extractive.")] = "auto",
    generator: GeneratorOpt = None, model: ModelOpt = None, base_url: BaseUrlOpt = None,
    local_model: LocalModelOpt = None,
    fmt: FormatOpt = "md", out_file: OutOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not remember this briefing "
                                          "(later briefings will not build on it).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    wait: WaitOpt = False, wait_timeout: WaitTimeoutOpt = None,
) -> None:
    """Brief the day's documents: one entry per story, every sentence cited and checked, with
    what is new since earlier briefings."""
    from qa.brief.briefing import BriefOptions, make_briefing
    from qa.brief.window import day_window, parse_day, resolve_zone, span_window
    from qa.errors import ConfigError

    fmt = "json" if as_json else fmt
    with errors():
        if fmt not in FORMATS:
            raise ConfigError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}",
                              fix="use --format md, json, html or atom")
        if fmt == "atom" and out_file is None:
            raise ConfigError("--format atom appends to a feed file", fix="add --out FILE.xml")
        if mode not in ("auto", "extractive", "write"):
            raise ConfigError(f"--mode {mode!r} is not auto, extractive or write",
                              fix="use --mode auto, extractive or write")
        settings = settings_for(tz=tz, max_stories=max_stories, lookback_days=lookback,
                                generator=generator, model=model, base_url=base_url,
                                local_model=local_model).settings
        zone = resolve_zone(settings.tz)
        today = dt.datetime.now(zone).date()
        if since or until:
            window = span_window(since, until, zone, today)
        else:
            window = day_window(parse_day(date or day, today), zone)
        options = BriefOptions.from_settings(settings, mode=mode,  # type: ignore[arg-type]
                                             topic=topic or "", sources=tuple(source or ()),
                                             save=not no_save)
        index = writer_index(settings, wait, wait_timeout)
        backend = None
        try:
            from qa.generators.registry import choose_backend, make_generator

            # no model configured (the extractive backend) writes extractively, as --mode does
            if mode != "extractive" and choose_backend(settings)[0] != "extractive":
                backend = make_generator(settings)
            with stage_progress(quiet=quiet) as progress:
                briefing = make_briefing(index, backend, window, options,
                                         progress=lambda d, t: progress("writing stories", d, t))
        finally:
            if backend is not None:
                backend.close()
            index.close()
        if briefing.documents == 0:
            what = f" about {topic!r}" if topic else ""
            err.print(Text(f"no documents{what} published in {_window_text(window)} "
                           f"({window.tz_name}); nothing to brief"))
            return
        write_briefing(briefing, fmt, out_file)


def _window_text(window: Window) -> str:
    if window.day is not None:
        return str(window.day)
    return f"{window.since.isoformat()} .. {window.until.isoformat()}"


def write_briefing(briefing: Briefing, fmt: str, out_file: Path | None) -> None:
    """Print or write a briefing in a format (atom appends to the feed file)."""
    from qa.brief.output import append_atom, briefing_html, briefing_json, briefing_markdown
    from qa.render import json_text

    if fmt == "atom":
        assert out_file is not None
        append_atom(out_file, briefing)
        err.print(Text(f"appended {briefing.brief_id} to {out_file}"))
        return
    if fmt == "json":
        text = json_text(briefing_json(briefing)) + "\n"
    elif fmt == "html":
        text = briefing_html(briefing)
    else:
        text = briefing_markdown(briefing)
    if out_file is None:
        out.print(Text(text.rstrip("\n")))
        return
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        from qa.errors import ConfigError

        raise ConfigError(f"{out_file}: cannot write ({exc.strerror})",
                          fix="choose another --out path") from None
    err.print(Text(f"wrote {out_file}"))


@briefs_app.command("list")
def briefs_list(as_json: JsonOpt = False) -> None:
    """List stored briefings, newest first."""
    from qa.store import open_index

    with errors():
        index = open_index(settings_for().settings)
        try:
            rows = index.briefs.briefings()
        finally:
            index.close()
    if as_json:
        emit_json([asdict(r) for r in rows])
        return
    if not rows:
        out.print("no briefings yet (run `qa brief`)")
        return
    for r in rows:
        topic = f" · topic: {r.topic}" if r.topic else ""
        out.print(Text(f"{r.brief_id}  {r.stories} stories  ({r.tz}{topic}; made "
                       f"{r.created_at[:16].replace('T', ' ')})"))


@briefs_app.command("show")
def briefs_show(ref: Annotated[str, typer.Argument(help="Briefing id or day (YYYY-MM-DD).")],
                fmt: FormatOpt = "md", out_file: OutOpt = None,
                as_json: Annotated[bool, typer.Option("--json", help="Same as --format "
                                                      "json.")] = False) -> None:
    """Show a stored briefing again, in any format."""
    from qa.brief.briefing import load_briefing
    from qa.errors import QAError
    from qa.store import open_index

    with errors():
        index = open_index(settings_for().settings)
        try:
            briefing = load_briefing(index, ref)
        finally:
            index.close()
        if briefing is None:
            raise QAError(f"{ref}: no such briefing", fix="see `qa briefs list`")
        write_briefing(briefing, "json" if as_json else fmt, out_file)


@story_app.command("show")
def story_show(ref: Annotated[str, typer.Argument(help="Story id (or a unique prefix).")],
               as_json: JsonOpt = False) -> None:
    """A story's timeline across briefings: each day's sentences and sources."""
    from qa.errors import QAError
    from qa.store import open_index

    with errors():
        index = open_index(settings_for().settings)
        try:
            days = index.briefs.timeline(ref)
            docs = {d.doc_id: d for d in index.manifest.documents(
                {i for day in days for i in day.doc_ids})}
        finally:
            index.close()
        if not days:
            raise QAError(f"{ref}: no such story (or the prefix is not unique)",
                          fix="take a story id from `qa brief --json` or `qa briefs show`")
    if as_json:
        emit_json({"story_id": days[0].story_id, "days": [
            {"day": d.day, "brief_id": d.brief_id, "status": d.status, "headline": d.headline,
             "sentences": d.sentences,
             "documents": [{"doc_id": i, "title": docs[i].title, "source": docs[i].source}
                           for i in d.doc_ids if i in docs]} for d in days]})
        return
    out.print(Text(f"story {days[0].story_id}: first seen {days[0].day}"))
    for d in days:
        out.print(Text(f"\n{d.day} · {d.status} · {d.headline}", style="bold"))
        for sentence in d.sentences:
            out.print(Text(f"  {sentence}"))
        outlets = sorted({docs[i].source for i in d.doc_ids if i in docs})
        out.print(Text(f"  sources: {', '.join(outlets)} ({len(d.doc_ids)} documents)",
                       style="dim"))
