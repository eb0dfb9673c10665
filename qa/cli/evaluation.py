"""`qa eval retrieval` (and `qa eval answer`, added with the LLM answerers)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from qa.cli.common import (
    BaseUrlOpt,
    GeneratorOpt,
    JsonOpt,
    LocalModelOpt,
    ModelOpt,
    StyleOpt,
    answering_settings,
    emit_json,
    errors,
    out,
    settings_for,
    stage_progress,
)

app = typer.Typer(help="Measure retrieval and answers on real data.", no_args_is_help=True)

DatasetOpt = Annotated[Path, typer.Option("--dataset", help="BEIR folder: corpus.jsonl, "
                                          "queries.jsonl, qrels/<split>.tsv.")]


@app.command("retrieval")
def eval_retrieval_cmd(
    dataset: DatasetOpt,
    split: Annotated[str, typer.Option(help="Which qrels file.")] = "test",
    limit: Annotated[int | None, typer.Option(help="Only the first N queries.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """nDCG@10, recall@10, recall@100 and MRR for dense, BM25 and hybrid retrieval."""
    from qa.eval.retrieval import eval_retrieval

    with errors():
        settings = settings_for().settings
        with stage_progress() as progress:
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


@app.command("answer")
def eval_answer_cmd(
    squad: Annotated[Path | None, typer.Option("--squad", help="SQuAD-format JSON file.")] = None,
    corpus: Annotated[Path | None, typer.Option(help="docs.jsonl: id, title, text, date.")] = None,
    questions: Annotated[Path | None, typer.Option(help="q.jsonl: id, question, answers.")] = None,
    limit: Annotated[int | None, typer.Option(help="Sample N questions (half unanswerable).")]
    = None,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 0,
    k: Annotated[int, typer.Option("--k", "-k", help="Passages per question.")] = 4,
    off_topic: Annotated[bool, typer.Option("--off-topic", help="Ask each question against the "
                                            "other articles only.")] = False,
    generator: GeneratorOpt = None, local_model: LocalModelOpt = None, model: ModelOpt = None,
    base_url: BaseUrlOpt = None, answer_style: StyleOpt = None,
    details: Annotated[Path | None, typer.Option(help="Write one JSON line per question, as "
                                                 "each is answered.")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer accuracy, refusals, citation precision/recall, support rate and latency."""
    from qa.answer.ask import resolve_answer_style
    from qa.answer.pick import refusal_threshold
    from qa.errors import QAError
    from qa.eval.answers import (
        Outcome,
        eval_answers,
        outcome_record,
        read_generic,
        read_squad,
        sample,
    )
    from qa.generators.registry import make_generator

    with errors():
        settings = answering_settings(k=k, generator=generator, model=model,
                                      base_url=base_url, local_model=local_model,
                                      answer_style=answer_style)
        if squad:
            docs, items = read_squad(squad)
            name = f"squad-{squad.stem}"
        elif corpus and questions:
            docs, items = read_generic(corpus, questions)
            name = f"corpus-{corpus.stem}"
        else:
            raise QAError("no question set given", fix="pass --squad FILE, or --corpus and "
                          "--questions")
        items = sample(items, limit, seed)
        backend = make_generator(settings)
        sink = details.open("w", encoding="utf-8") if details else None

        def write_detail(outcome: Outcome) -> None:
            if sink:  # written as each answer comes, so a long run can be read while it goes
                sink.write(json.dumps(outcome_record(outcome), ensure_ascii=False) + "\n")
                sink.flush()

        with stage_progress() as progress:
            try:
                report = eval_answers(settings, backend, docs, items, name=name,
                                      off_topic=off_topic, progress=progress,
                                      on_outcome=write_detail)
            finally:
                backend.close()
                if sink:
                    sink.close()
    summary = report.summary()
    # what the figures depend on, so a results file says how it was made
    summary.update(k=settings.k, answer_style=resolve_answer_style(settings.answer_style, backend),
                   verify=settings.verify,
                   verify_threshold=refusal_threshold(settings.verify_threshold, backend),
                   min_relevance=settings.min_relevance, min_coverage=settings.min_coverage,
                   off_topic=off_topic, seed=seed)
    if as_json:
        emit_json(summary)
        return
    for key, value in summary.items():
        out.print(Text.assemble((f"{key:>28}", "bold"), " ", str(value)))
