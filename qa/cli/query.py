"""`qa ask` and `qa search`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.live import Live
from rich.text import Text

from qa.cli.common import (
    BaseUrlOpt,
    GeneratorOpt,
    JsonOpt,
    KOpt,
    LocalModelOpt,
    ModelOpt,
    SinceOpt,
    SourceOpt,
    StrictOpt,
    StyleOpt,
    UntilOpt,
    answering_settings,
    emit_json,
    err,
    errors,
    filters_from,
    out,
    settings_for,
)

app = typer.Typer()

@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question.")],
    k: KOpt = None, since: SinceOpt = None, until: UntilOpt = None, source: SourceOpt = None,
    generator: GeneratorOpt = None, model: ModelOpt = None, base_url: BaseUrlOpt = None,
    local_model: LocalModelOpt = None, answer_style: StyleOpt = None,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question from your documents; every sentence cites its passage."""
    from qa.answer.ask import AnswerOptions
    from qa.answer.ask import ask as run_ask
    from qa.generators.registry import make_generator
    from qa.render import answer_json, backend_line, print_answer
    from qa.store import open_index

    with errors():
        settings = answering_settings(k=k, generator=generator, model=model,
                                      base_url=base_url, local_model=local_model,
                                      answer_style=answer_style, strict=strict)
        index = open_index(settings)
        backend = make_generator(settings)
        options = AnswerOptions.from_settings(settings)
        filters = filters_from(since, until, source)
        try:
            if as_json or not sys.stdout.isatty():
                answer = run_ask(index, backend, question, options, filters=filters)
            else:
                out.print(backend_line(backend.name))
                streamed = Text()
                with Live(streamed, console=out, refresh_per_second=12, transient=True) as live:
                    def show(piece: str) -> None:
                        streamed.append(piece)
                        live.update(streamed)

                    answer = run_ask(index, backend, question, options, filters=filters,
                                     on_text=show)
        finally:
            backend.close()
            index.close()
        if as_json:
            emit_json(answer_json(answer))
        else:
            print_answer(out, answer, header=as_json or not sys.stdout.isatty())
        if not answer.complete:
            raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: KOpt = None, since: SinceOpt = None, until: UntilOpt = None, source: SourceOpt = None,
    mode: Annotated[str, typer.Option(help="hybrid | dense | keyword")] = "hybrid",
    as_json: JsonOpt = False,
) -> None:
    """Show the passages retrieval finds for a query, with their scores."""
    from qa.render import passage_json, print_search_results
    from qa.retrieve import retrieve
    from qa.store import open_index

    if mode not in ("hybrid", "dense", "keyword"):
        from qa.render import error_text

        err.print(error_text(f"--mode {mode!r} (use hybrid, dense or keyword)"))
        raise typer.Exit(2)
    with errors():
        settings = settings_for(k=k).settings
        index = open_index(settings)
        try:
            passages = retrieve(index, query, k=settings.k,
                                filters=filters_from(since, until, source),
                                mode=mode, fusion_k=settings.fusion_k)  # type: ignore[arg-type]
        finally:
            index.close()
        if as_json:
            emit_json([passage_json(i, p) for i, p in enumerate(passages, 1)])
            return
        print_search_results(out, passages)
