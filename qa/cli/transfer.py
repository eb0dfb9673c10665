"""`qa export FILE.jsonl` and `qa import FILE.jsonl`: a store moved between folders, Chroma
backends (embedded, `chroma run`) and versions (qa/transfer.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from qa.cli.common import (
    JsonOpt,
    WaitOpt,
    WaitTimeoutOpt,
    emit_json,
    errors,
    out,
    settings_for,
    stage_progress,
    writer_index,
)

app = typer.Typer()

FileArg = Annotated[Path, typer.Argument(help="The export file (JSON Lines; .gz compresses).")]


@app.command("export")
def export(file: FileArg, as_json: JsonOpt = False) -> None:
    """Write the store (documents, chunks, vectors with their embedder, briefing memory) to
    FILE, to move it to another store or Chroma server with `qa import`."""
    from qa.store import open_index
    from qa.transfer import export_store

    with errors():
        index = open_index(settings_for().settings)
        try:
            with stage_progress(quiet=as_json) as progress:
                report = export_store(index, file,
                                      progress=lambda d, t: progress("exporting", d, t))
        finally:
            index.close()
    if as_json:
        emit_json(vars(report))
    else:
        out.print(Text(report.summary("exported")))


@app.command("import")
def import_(file: FileArg,
            reembed: Annotated[bool, typer.Option("--reembed", help="Embed the texts again with "
                                                  "this store's embedder (needed when the file's "
                                                  "vectors come from another one).")] = False,
            wait: WaitOpt = False, wait_timeout: WaitTimeoutOpt = None,
            as_json: JsonOpt = False) -> None:
    """Read a file written by `qa export` into the store; importing it again changes nothing."""
    from qa.transfer import import_store

    with errors():
        index = writer_index(settings_for().settings, wait, wait_timeout)
        try:
            with stage_progress(quiet=as_json) as progress:
                report = import_store(index, file, reembed=reembed,
                                      progress=lambda d, t: progress("importing", d, t))
        finally:
            index.close()
    if as_json:
        emit_json(vars(report))
    else:
        out.print(Text(report.summary("imported")))
        for done in report.repaired:
            out.print(Text(f"repaired: {done}"))
