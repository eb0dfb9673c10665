"""The option questions of a multi-hop set alone, answered as `qa eval answer` answers them.

    python bench/multihop_options.py [--set hotpotqa-dev] [--kept-apart] [--local-model 1.5b]
        [--kind options|all] [--n N]
        [--details bench/results/options.jsonl] [--out bench/results/options.json]

Option questions ("..., A or B?") take a path of their own in the direct answer, so a change to
it can be measured on them without the whole sample. Without --kept-apart: the option questions
among `qa eval answer --multihop DIR --limit 200 --seed 0`; with it, those among the questions
that sample leaves out (where a rule drawn from the sample is checked). Prints and writes the
evaluation's summary; skips cleanly when the data is absent. `--kind all` takes every question
of the chosen part (`--n`, the first N of them): a held-out run for any change to answering.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from held_out import MULTIHOP

from qa.answer.direct import question_kind
from qa.eval.answers import Outcome, eval_answers, kept_apart, outcome_record, read_generic, sample
from qa.generators.registry import make_generator
from qa.settings import load_settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="hotpotqa-dev", help="a folder of ../shared/eval/multihop")
    parser.add_argument("--kept-apart", action="store_true")
    parser.add_argument("--k", type=int, default=4)  # `qa eval answer`'s default
    parser.add_argument("--local-model", default="1.5b")
    parser.add_argument("--kind", default="options", help="a question kind, or all")
    parser.add_argument("--n", type=int, default=None, help="only the first N questions")
    parser.add_argument("--details", type=Path, default=Path("bench/results/options.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/options.json"))
    args = parser.parse_args()
    folder = MULTIHOP / args.set
    if not (folder / "questions.jsonl").is_file():
        print(f"skipped: {folder} not found")
        return 0
    settings = load_settings({"generator": "local", "local_model": args.local_model,
                              "k": args.k}).settings
    docs, items = read_generic(folder / "corpus.jsonl", folder / "questions.jsonl")
    chosen = kept_apart(items) if args.kept_apart else sample(items, 200, 0)
    asked = [i for i in chosen
             if args.kind == "all" or question_kind(i.question) == args.kind][:args.n]
    generator = make_generator(settings)
    args.details.parent.mkdir(parents=True, exist_ok=True)
    with args.details.open("w", encoding="utf-8") as sink:
        def write(outcome: Outcome) -> None:
            sink.write(json.dumps(outcome_record(outcome), ensure_ascii=False) + "\n")

        try:
            # the name `qa eval answer` gives this set's store, so the two share it
            report = eval_answers(settings, generator, docs, asked,
                                  name=f"multihop-{folder.name}", on_outcome=write)
        finally:
            generator.close()
    summary = report.summary()
    args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(f"{len(asked)} questions ({args.kind}): contains the answer "
          f"{summary['contains_answer_pct']}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
