"""`qa ask` and `qa search`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.live import Live
from rich.text import Text

from qa.cli_app import (
    JsonOpt,
    KOpt,
    SinceOpt,
    SourceOpt,
    UntilOpt,
    app,
    emit_json,
    err,
    errors,
    filters_from,
    out,
    settings_for,
)

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


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question.")],
    k: KOpt = None, since: SinceOpt = None, until: UntilOpt = None, source: SourceOpt = None,
    generator: GeneratorOpt = None, model: ModelOpt = None, base_url: BaseUrlOpt = None,
    local_model: LocalModelOpt = None, answer_style: StyleOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Drop sentences the citation check "
                                         "cannot support.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question from your documents; every sentence cites its passage."""
    from qa.answer import AskOptions
    from qa.answer import ask as run_ask
    from qa.generators.registry import make_generator
    from qa.index import Index
    from qa.render import answer_json, print_answer

    with errors():
        settings = settings_for(k=k, generator=generator, model=model, base_url=base_url,
                                local_model=local_model, answer_style=answer_style,
                                strict=strict or None).settings
        index = Index(settings)
        backend = make_generator(settings)
        options = AskOptions(k=settings.k, filters=filters_from(since, until, source),
                             strict=settings.strict)
        try:
            if as_json or not sys.stdout.isatty():
                answer = run_ask(index, backend, question, options)
            else:
                out.print(f"answered by {backend.name}", style="dim")
                streamed = Text()
                with Live(streamed, console=out, refresh_per_second=12, transient=True) as live:
                    def show(piece: str) -> None:
                        streamed.append(piece)
                        live.update(streamed)

                    answer = run_ask(index, backend, question, options, on_text=show)
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
    from qa.index import Index
    from qa.render import passage_json, passage_label
    from qa.retrieve import retrieve

    if mode not in ("hybrid", "dense", "keyword"):
        err.print(f"[red]error:[/] --mode {mode!r} (use hybrid, dense or keyword)")
        raise typer.Exit(2)
    with errors():
        settings = settings_for(k=k).settings
        index = Index(settings)
        try:
            passages = retrieve(index, query, k=settings.k,
                                filters=filters_from(since, until, source),
                                mode=mode)  # type: ignore[arg-type]
        finally:
            index.close()
        if as_json:
            emit_json([passage_json(i, p) for i, p in enumerate(passages, 1)])
            return
        if not passages:
            out.print("no passages found")
        for i, p in enumerate(passages, 1):
            scores = f"score {p.score:.4f}"
            if p.dense_score is not None:
                scores += f" · dense {p.dense_score:.3f}"
            if p.keyword_score is not None:
                scores += f" · bm25 {p.keyword_score:.2f}"
            out.print(f"[bold cyan][{i}][/] {passage_label(p)}  [dim]{scores}[/]")
            out.print("    " + " ".join(p.text.split())[:400], style="italic")
