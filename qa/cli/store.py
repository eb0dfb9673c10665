"""`qa docs list|show`, `qa stats`, `qa config show`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from qa.cli.common import JsonOpt, emit_json, errors, out, settings_for
from qa.render import doc_json, docs_table, print_document, settings_table

app = typer.Typer()
docs_app = typer.Typer(help="List and inspect stored documents.", no_args_is_help=True)
config_app = typer.Typer(help="Show the effective settings.", no_args_is_help=True)


@docs_app.command("list")
def docs_list(as_json: JsonOpt = False,
              limit: Annotated[int, typer.Option(help="Show at most this many.")] = 200) -> None:
    """List stored documents, newest first."""
    from qa.store import open_index

    with errors():
        index = open_index(settings_for().settings)
        docs = index.manifest.documents()
        index.close()
    if as_json:
        emit_json([doc_json(d) for d in docs[:limit]])
        return
    out.print(docs_table(docs[:limit]))
    if len(docs) > limit:
        out.print(f"… and {len(docs) - limit} more (use --limit)", style="dim")


@docs_app.command("show")
def docs_show(ref: Annotated[str, typer.Argument(help="Document id (or prefix) or path.")],
              text: Annotated[bool, typer.Option("--text", help="Print the chunks' text.")] = False,
              as_json: JsonOpt = False) -> None:
    """Show one document's metadata (and its chunks with --text)."""
    from qa.errors import QAError
    from qa.store import open_index

    with errors():
        index = open_index(settings_for().settings)
        docs = index.manifest.find_docs(ref)
        if not docs:
            raise QAError(f"{ref}: no such document", fix="see `qa docs list`")
        chunks = {d.doc_id: index.manifest.doc_chunks(d.doc_id) for d in docs}
        index.close()
    if as_json:
        emit_json([{**doc_json(d), "chunk_spans": [[c.start, c.end, c.page]
                                                   for c in chunks[d.doc_id]]} for d in docs])
        return
    for doc in docs:
        print_document(out, doc, chunks[doc.doc_id] if text else None)


@app.command()
def stats(as_json: JsonOpt = False) -> None:
    """Counts of documents, paths and chunks, and where the index lives."""
    from qa.masking import mask_url
    from qa.store import open_index

    with errors():
        settings = settings_for().settings
        index = open_index(settings)
        data: dict[str, Any] = dict(index.manifest.stats())
        data["keyword_index"] = len(index.keyword)
        data["vectors"] = index.vectors.count()
        data["embedder"] = index.vectors.embedder_name()
        data["store"] = str(settings.store)
        data["chroma"] = mask_url(settings.chroma_url) if settings.chroma_url else \
            str(settings.store / "chroma")
        index.close()
    if as_json:
        emit_json(data)
        return
    for key, value in data.items():
        out.print(Text.assemble((f"{key:>14}", "bold"), " ", str(value)))


@config_app.command("show")
def config_show(as_json: JsonOpt = False) -> None:
    """Print every setting, its effective value and where it came from (secrets masked)."""
    from qa.settings import describe

    with errors():
        loaded = settings_for()
    rows = describe(loaded)
    if as_json:
        emit_json({name: {"value": value, "origin": origin} for name, value, origin in rows})
        return
    out.print(Text(f"config file: {loaded.config_file or '(none)'}", style="dim"))
    out.print(settings_table(rows))
