"""`qa eval retrieval`, `qa eval answer` and `qa eval brief`: each parses its flags, calls one
function of `qa/eval/` and renders what it returns."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

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
    multihop: Annotated[Path | None, typer.Option(
        "--multihop", help="A folder of corpus.jsonl and questions.jsonl (HotpotQA, 2Wiki): "
        "citations are also scored against the gold supporting passages.")] = None,
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
    resume: Annotated[bool, typer.Option("--resume", help="Keep the rows already in --details "
                                         "(a stopped run of the same sample) and answer only "
                                         "the rest.")] = False,
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
        resumed_outcomes,
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
        elif multihop:
            docs, items = read_generic(multihop / "corpus.jsonl", multihop / "questions.jsonl")
            name = f"multihop-{multihop.name}"
        elif corpus and questions:
            docs, items = read_generic(corpus, questions)
            name = f"corpus-{corpus.stem}"
        else:
            raise QAError("no question set given", fix="pass --squad FILE, --multihop DIR, or "
                          "--corpus and --questions")
        items = sample(items, limit, seed)
        if resume and not details:
            raise QAError("--resume needs the details file of the stopped run",
                          fix="pass --details FILE as the stopped run did")
        answered = resumed_outcomes(details, items) if resume and details else []
        backend = make_generator(settings)
        sink = details.open("a" if resume else "w", encoding="utf-8") if details else None

        def write_detail(outcome: Outcome) -> None:
            if sink:  # written as each answer comes, so a long run can be read while it goes
                sink.write(json.dumps(outcome_record(outcome), ensure_ascii=False) + "\n")
                sink.flush()

        with stage_progress() as progress:
            try:
                report = eval_answers(settings, backend, docs, items, name=name,
                                      off_topic=off_topic, progress=progress,
                                      on_outcome=write_detail, answered=answered)
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
                   off_topic=off_topic, seed=seed, resumed=len(answered))
    if as_json:
        emit_json(summary)
        return
    for key, value in summary.items():
        out.print(Text.assemble((f"{key:>28}", "bold"), " ", str(value)))


@app.command("check")
def eval_check_cmd(
    pairs: Annotated[Path, typer.Option("--pairs", help="JSONL: document, claim, label "
                                        "(1 = consistent), optional transform.")],
    limit: Annotated[int | None, typer.Option(help="Only the first N pairs.")] = None,
    baseline: Annotated[bool, typer.Option("--baseline", help="Also run the check without "
                                           "alignment (as it was before issue 11).")] = False,
    no_embedder: Annotated[bool, typer.Option("--no-embedder", help="Score by word overlap "
                                              "alone (no MiniLM cosine).")] = False,
    judge_threshold: Annotated[float | None, typer.Option(
        "--judge-threshold", help="P(Yes) the reading judge needs \\[default: the model's].")]
    = None,
    generator: GeneratorOpt = None, local_model: LocalModelOpt = None, model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The citation check on labelled claims: balanced accuracy, TPR/FPR, accuracy per
    transformation, time per claim; with the reading judge too when the generator (-g local,
    or a server with logprobs) reports token probabilities."""
    from qa.eval.check import eval_check, read_pairs
    from qa.generators.registry import make_generator
    from qa.judge import reading_judge
    from qa.store import make_embedder

    with errors():
        settings = settings_for(generator=generator, model=model, base_url=base_url,
                                local_model=local_model).settings
        items = read_pairs(pairs)[:limit]
        embedder = None if no_embedder else make_embedder(settings)
        # the judge's figures sit beside the check's: only a named generator is loaded
        backend = make_generator(settings) if generator and generator != "extractive" else None
        try:
            judge = reading_judge(backend, judge_threshold) if backend is not None else None
            with stage_progress() as progress:
                report = eval_check(items, settings, embedder, judge, baseline=baseline,
                                    progress=progress)
        finally:
            if backend is not None:
                backend.close()
        report["pairs_file"] = str(pairs)
        report["generator"] = backend.name if backend is not None else None
    if as_json:
        emit_json(report)
        return
    render_check_report(report)


def render_check_report(report: dict[str, Any]) -> None:
    out.print(Text.assemble(("pairs ", "bold"), f"{report['pairs']} ({report['positives']} "
                            f"consistent, {report['negatives']} not) from "
                            f"{report['documents']} documents; embedder "
                            f"{report['embedder'] or 'none'}; judge "
                            f"{report['generator'] or 'none'}"))
    runs = [name for name in ("baseline", "check", "check+judge") if name in report]
    table = Table("", *runs, box=None, header_style="bold")
    for key, label in (("balanced_accuracy_pct", "balanced accuracy %"), ("tpr_pct", "TPR %"),
                       ("fpr_pct", "FPR %"), ("ms_per_claim", "ms per claim"),
                       ("judge_calls", "judge calls")):
        table.add_row(label, *(str(report[r][key]) for r in runs))
    for transform, row in report["check"]["per_transform"].items():
        table.add_row(f"{transform} (label {row['label']}, n {row['n']}) accuracy %",
                      *(str(report[r]["per_transform"][transform]["accuracy_pct"])
                        for r in runs))
    out.print(table)


@app.command("brief")
def eval_brief_cmd(
    dataset: Annotated[Path, typer.Option("--dataset", help="JSONL: id, title, text, date, "
                                          "source, optional story and summary.")],
    text_field: Annotated[str | None, typer.Option(
        "--text-field", help="Field holding the text \\[default: text, else article].")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N records.")] = None,
    per_day: Annotated[bool, typer.Option("--per-day", help="Cluster each day's articles "
                                          "apart instead of the whole set at once.")] = False,
    replay: Annotated[bool, typer.Option("--replay", help="Ingest and brief day by day (UTC); "
                                         "report cross-day linking.")] = False,
    timelines: Annotated[Path | None, typer.Option(
        "--timelines", help="With --replay: JSONL of story, source, date, summary; ROUGE of "
        "each day's briefing against them.")] = None,
    words: Annotated[int | None, typer.Option(
        "--words", help="Also score summaries truncated to N words (ours and First-3).")] = None,
    max_stories: Annotated[int, typer.Option("--max-stories",
                                             help="Stories written per replayed day.")] = 10,
    lookback: Annotated[int, typer.Option("--lookback", help="Days a replayed briefing looks "
                                          "back for the story it continues.")] = 7,
    keep_store: Annotated[Path | None, typer.Option(
        "--keep-store", help="Ingest into (or reuse) this folder instead of a throwaway one.")]
    = None,
    generator: GeneratorOpt = None, local_model: LocalModelOpt = None, model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Briefings on real data: story clustering (ARI, B-cubed, purity), summary ROUGE beside
    First-3, day-by-day memory (linked right / wrongly), speed."""
    from qa.errors import QAError
    from qa.eval.briefs import BriefEvalOptions, eval_brief
    from qa.generators.registry import make_generator

    with errors():
        if timelines and not replay:
            raise QAError("--timelines needs --replay", fix="add --replay")
        settings = settings_for(generator=generator, model=model, base_url=base_url,
                                local_model=local_model).settings
        # extractive unless a generator is named: the model's figures sit beside, not instead
        backend = make_generator(settings) if generator and generator != "extractive" else None
        options = BriefEvalOptions(text_field=text_field, limit=limit, per_day=per_day,
                                   replay=replay, timelines=timelines, words=words,
                                   max_stories=max_stories, lookback_days=lookback,
                                   keep_store=keep_store)
        try:
            with stage_progress() as progress:
                report = eval_brief(settings, dataset, options, generator=backend,
                                    progress=progress)
        finally:
            if backend is not None:
                backend.close()
    if as_json:
        emit_json(report)
        return
    render_brief_report(report)


def render_brief_report(report: dict[str, Any]) -> None:
    out.print(Text.assemble(("dataset ", "bold"), report["dataset"], f"  {report['records']} "
                            f"records, {report['stories']} stories, {report['summary_records']} "
                            f"summaries, {report['skipped']} skipped"))
    if "clustering" in report:
        c = report["clustering"]
        out.print(Text.assemble(("clustering", "bold"), " (per day)" if c["per_day"] else "",
                                f"  ARI {c['ari']:.3f}  B-cubed P/R/F1 {c['bcubed_precision']:.3f}"
                                f"/{c['bcubed_recall']:.3f}/{c['bcubed_f1']:.3f}  purity "
                                f"{c['purity']:.3f}  clusters {c['predicted_clusters']} "
                                f"(gold {c['gold_clusters']})"))
    if "summaries" in report:
        s = report["summaries"]
        _rouge_table(f"summaries ({s['articles']} articles)", s["rouge"])
        if "model" in s:
            m = s["model"]
            out.print(f"model {m['backend']}: {m['dropped']} sentences dropped by the check "
                      f"({m['dropped_pct']}%), {m['kept']} kept, {m['fallbacks']} fallbacks")
    if "replay" in report:
        r, link = report["replay"], report["replay"]["linking"]
        out.print(Text.assemble(("replay", "bold"), f"  {r['days']} days, lookback "
                                f"{r['lookback_days']}: {link['continuing']} continuing "
                                f"stories, linked right {link['right_pct']}%, missed "
                                f"{link['missed_pct']}%; wrongly linked {link['wrong']} of "
                                f"{link['linked']} linked ({link['wrong_pct']}%); a day's "
                                f"gold story linked {link['story_days_linked_pct']}%"))
        if "timelines" in r:
            pairs = r["timelines"]["pairs"]
            _rouge_table(f"vs timelines ({pairs['scored']} story-days, {pairs['empty']} with "
                         f"nothing written, {pairs['no_articles']} without articles)",
                         r["timelines"]["rouge"])
    speed = report["speed"]
    out.print(Text.assemble(("speed", "bold"), "  " + ", ".join(
        f"{k} {v}" for k, v in speed.items() if v is not None)))


def _rouge_table(title: str, rows: dict[str, dict[str, float]]) -> None:
    table = Table("system", "n", "ROUGE-1", "ROUGE-2", "ROUGE-L", "words", box=None,
                  header_style="bold", title=title, title_justify="left")
    names = {"ours": "ours (extractive)", "first3": "First-3", "model": "model-written",
             "top": "ours, top story only"}
    for system, row in rows.items():
        base, _, cut = system.partition("@")
        label = names.get(base, base) + (f" @{cut} words" if cut else "")
        table.add_row(label, str(int(row["n"])), f"{row['rouge1']:.2f}", f"{row['rouge2']:.2f}",
                      f"{row['rougeL']:.2f}", f"{row['words']:.0f}")
    out.print(table)
