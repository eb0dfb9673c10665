"""`qa ingest` and `qa forget`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from qa.cli.common import (
    JsonOpt,
    WaitOpt,
    WaitTimeoutOpt,
    emit_json,
    err,
    errors,
    out,
    parse_day,
    settings_for,
    stage_progress,
    writer_index,
)
from qa.errors import QAError
from qa.render import one_line
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.ingest.pipeline import IngestReport

app = typer.Typer()


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (recursive).")]
    = None,
    include: Annotated[list[str] | None, typer.Option("--include", help="Glob to include "
                                                      "(repeatable), e.g. '*.md'.")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Glob to exclude "
                                                      "(repeatable).")] = None,
    date_: Annotated[str | None, typer.Option("--date", help="Published date (YYYY-MM-DD) for "
                                              "documents that carry none.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Source name for these "
                                               "documents (default: from the file).")] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Also forget documents whose files "
                                        "vanished.")] = False,
    id_field: Annotated[str, typer.Option(help="Corpus field holding the record id.")] = "id",
    title_field: Annotated[str, typer.Option(help="Corpus field holding the title.")] = "title",
    text_field: Annotated[str, typer.Option(help="Corpus field holding the text.")] = "text",
    date_field: Annotated[str, typer.Option(help="Corpus field holding the date.")] = "date",
    url_field: Annotated[str, typer.Option(help="Corpus field holding the URL.")] = "url",
    reindex: Annotated[bool, typer.Option("--reindex", help="Rebuild the keyword index from "
                                          "the stored chunks (no paths needed).")] = False,
    wait: WaitOpt = False, wait_timeout: WaitTimeoutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load, chunk, embed and store documents. Unchanged files are skipped."""
    with errors():
        if not paths and not reindex:
            raise QAError("nothing to ingest", fix="name files or folders, e.g. `qa ingest "
                          "notes/`, or rebuild the keyword index with `qa ingest --reindex`")
        report = run_ingest(settings_for().settings, paths or [], reindex=reindex,
                            include=include or [],
                            exclude=exclude or [], default_date=parse_day(date_, "--date"),
                            source=source, prune=prune, id_field=id_field,
                            title_field=title_field, text_field=text_field,
                            date_field=date_field, url_field=url_field, quiet=as_json, err=err,
                            wait=wait, wait_timeout=wait_timeout)
        if as_json:
            emit_json({**{k: v for k, v in vars(report).items() if k != "errors"},
                       "failed": report.failed,
                       "errors": [{"path": e.path, "reason": e.reason, "fix": e.fix}
                                  for e in report.errors]})
        else:
            out.print(report.summary())
        if report.failed:
            raise typer.Exit(1)


@app.command()
def forget(refs: Annotated[list[str], typer.Argument(help="Paths or document ids.")],
           wait: WaitOpt = False, wait_timeout: WaitTimeoutOpt = None) -> None:
    """Remove documents (by path or id) from the index."""
    from qa.ingest.pipeline import Ingestor

    with errors():
        index = writer_index(settings_for().settings, wait, wait_timeout)
        missing = 0
        for ref in refs:
            count = Ingestor(index).forget(ref)
            if count:
                out.print(Text(f"forgot {count} document{'s' if count > 1 else ''} for {ref}"))
            else:
                err.print(Text.assemble((f"{ref}: no such document", "yellow"),
                                        " (see `qa docs list`)"))
                missing += 1
        if missing:
            raise typer.Exit(1)


def run_ingest(settings: Settings, paths: list[Path], *, reindex: bool = False,
               include: list[str], exclude: list[str],
               default_date: date | None, source: str | None, prune: bool, id_field: str,
               title_field: str, text_field: str, date_field: str, url_field: str, quiet: bool,
               err: Console, wait: bool = False, wait_timeout: float | None = None
               ) -> IngestReport:
    """Ingest with a progress bar on stderr and one line per failed file."""
    from qa.ingest.formats import DateWarning
    from qa.ingest.load import FieldMap
    from qa.ingest.pipeline import Chunking, ingest_paths

    fields = FieldMap(id=id_field, title=title_field, text=text_field, date=date_field,
                      url=url_field)
    index = writer_index(settings, wait, wait_timeout)
    try:
        with index.writing(), stage_progress(quiet=quiet) as progress:
            report = ingest_paths(index, paths, chunking=Chunking.from_settings(settings),
                                  max_bytes=int(settings.max_file_mb * 2**20),
                                  include=include, exclude=exclude,
                                  default_date=default_date, source=source, fields=fields,
                                  prune=prune, progress=lambda d, t: progress("ingesting", d, t),
                                  part_progress=lambda name, d, t: progress(f"embedding {name}",
                                                                            d, t))
            if reindex:
                report.keyword_chunks = index.rebuild_keyword_index()
    finally:
        index.close()
    if not quiet:
        for error in report.errors:
            # a DateWarning's document was stored (undated): not "skipped"
            stored = isinstance(error, DateWarning)
            label = ("warning ", "yellow") if stored else ("skipped ", "red")
            err.print(Text.assemble(label, one_line(str(error))), highlight=False)
    return report
