"""`qa eval retrieval` (and `qa eval answer`, added with the LLM answerers)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qa.cli_app import JsonOpt, app, emit_json, err, errors, out, settings_for

eval_app = typer.Typer(help="Measure retrieval and answers on real data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

DatasetOpt = Annotated[Path, typer.Option("--dataset", help="BEIR folder: corpus.jsonl, "
                                          "queries.jsonl, qrels/<split>.tsv.")]


@eval_app.command("retrieval")
def eval_retrieval_cmd(
    dataset: DatasetOpt,
    split: Annotated[str, typer.Option(help="Which qrels file.")] = "test",
    limit: Annotated[int | None, typer.Option(help="Only the first N queries.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """nDCG@10, recall@10, recall@100 and MRR for dense, BM25 and hybrid retrieval."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from qa.evaluate import eval_retrieval

    with errors():
        settings = settings_for().settings
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                      transient=True) as bar:
            tasks: dict[str, int] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            results = eval_retrieval(settings, dataset, split=split, limit=limit,
                                     progress=progress)
    if as_json:
        emit_json([asdict(r) for r in results])
        return
    table = Table("method", "queries", "nDCG@10", "recall@10", "recall@100", "MRR", "seconds",
                  box=None, header_style="bold")
    names = {"dense": "dense (MiniLM)", "keyword": "BM25", "hybrid": "hybrid (RRF)"}
    for r in results:
        table.add_row(names.get(r.mode, r.mode), str(r.queries), f"{r.ndcg10:.3f}",
                      f"{r.recall10:.3f}", f"{r.recall100:.3f}", f"{r.mrr:.3f}",
                      f"{r.seconds:.1f}")
    out.print(table)
