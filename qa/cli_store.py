"""`qa docs list|show`, `qa stats`, `qa config show`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from qa.cli_app import JsonOpt, app, config_app, docs_app, emit_json, errors, out, settings_for
from qa.types import DocInfo


def doc_json(doc: DocInfo) -> dict[str, Any]:
    return {"doc_id": doc.doc_id, "title": doc.title, "source": doc.source,
            "published": doc.published.isoformat() if doc.published else None,
            "url": doc.url, "external_id": doc.external_id, "paths": list(doc.keys),
            "chunks": doc.chunk_count, "sha256": doc.sha256}


@docs_app.command("list")
def docs_list(as_json: JsonOpt = False,
              limit: Annotated[int, typer.Option(help="Show at most this many.")] = 200) -> None:
    """List stored documents, newest first."""
    from qa.index import Index

    with errors():
        index = Index(settings_for().settings)
        docs = index.manifest.documents()
        index.close()
    if as_json:
        emit_json([doc_json(d) for d in docs[:limit]])
        return
    table = Table("id", "published", "source", "title", "chunks", box=None, header_style="bold")
    for doc in docs[:limit]:
        table.add_row(doc.doc_id[:12], doc.published.isoformat() if doc.published else "-",
                      doc.source, doc.title[:70], str(doc.chunk_count))
    out.print(table)
    if len(docs) > limit:
        out.print(f"… and {len(docs) - limit} more (use --limit)", style="dim")


@docs_app.command("show")
def docs_show(ref: Annotated[str, typer.Argument(help="Document id (or prefix) or path.")],
              text: Annotated[bool, typer.Option("--text", help="Print the chunks' text.")] = False,
              as_json: JsonOpt = False) -> None:
    """Show one document's metadata (and its chunks with --text)."""
    from qa.errors import QAError
    from qa.index import Index

    with errors():
        index = Index(settings_for().settings)
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
        for key, value in doc_json(doc).items():
            out.print(f"[bold]{key:>12}[/] {value}")
        if text:
            for chunk in chunks[doc.doc_id]:
                out.print(f"\n[cyan]chunk {chunk.ordinal}[/] [dim]chars {chunk.start}-{chunk.end}"
                          f"{f' page {chunk.page}' if chunk.page else ''}[/]")
                out.print(chunk.text)


@app.command()
def stats(as_json: JsonOpt = False) -> None:
    """Counts of documents, paths and chunks, and where the index lives."""
    from qa.index import Index

    with errors():
        settings = settings_for().settings
        index = Index(settings)
        data: dict[str, Any] = dict(index.manifest.stats())
        data["keyword_index"] = len(index.keyword)
        data["vectors"] = index.vectors.count()
        data["embedder"] = index.vectors.embedder_name()
        data["store"] = str(settings.store)
        data["chroma"] = settings.chroma_url or str(settings.store / "chroma")
        index.close()
    if as_json:
        emit_json(data)
        return
    for key, value in data.items():
        out.print(f"[bold]{key:>14}[/] {value}")


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
    out.print(f"config file: {loaded.config_file or '(none)'}", style="dim")
    table = Table("setting", "value", "from", box=None, header_style="bold")
    for name, value, origin in rows:
        table.add_row(name, value, origin)
    out.print(table)
