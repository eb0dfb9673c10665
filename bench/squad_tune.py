"""Tune the refusal step's threshold on SQuAD 2.0 questions kept apart from the evaluation sample.

    python bench/squad_tune.py [--n 60] [--local-model 1.5b] [--out bench/results/squad_tune.jsonl]

The evaluation sample is `qa eval answer --squad FILE --limit 200 --seed 0`; this script removes
those questions, samples --n others (seed 1, half unanswerable), answers them with verification
recorded but never applied (threshold 0), and prints, for a range of thresholds, the rates the
evaluation reports: contains-answer and false refusals on answerable questions, refusals on
unanswerable ones. Skips cleanly when the data is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.eval.answers import Outcome, eval_answers, kept_apart, outcome_record, read_squad, sample
from qa.eval.metrics import contains_answer
from qa.generators.registry import make_generator
from qa.settings import load_settings

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared/eval/squad2-dev-5articles" \
    / "squad2_dev_first5articles.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=Path, default=DEFAULT)
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--local-model", default="1.5b")
    parser.add_argument("--generator", default="local")
    parser.add_argument("--out", type=Path, default=Path("bench/results/squad_tune.jsonl"))
    args = parser.parse_args()
    if not args.squad.is_file():
        print(f"skipped: {args.squad} not found")
        return 0
    settings = load_settings({"generator": args.generator, "local_model": args.local_model,
                              "k": args.k, "verify_threshold": 0.0}).settings
    docs, items = read_squad(args.squad)
    tune = sample(kept_apart(items), args.n, 1)
    generator = make_generator(settings)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w") as fh:
        def write(outcome: Outcome) -> None:
            fh.write(json.dumps(outcome_record(outcome)) + "\n")
            fh.flush()

        report = eval_answers(settings, generator, docs, tune, name=f"squad-{args.squad.stem}",
                              progress=lambda stage, d, t: print(f"{stage} {d}/{t}",
                                                                 file=sys.stderr),
                              on_outcome=write)
    generator.close()
    print(f"\n{report.summary()}")
    outcomes = report.outcomes
    ans = [o for o in outcomes if o.item.answerable]
    una = [o for o in outcomes if not o.item.answerable]
    print("threshold  contains%  false-refusal%  refusal-unanswerable%")
    for twentieth in range(0, 20):
        t = twentieth / 20
        def refused(o, t=t):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
            return o.refused or (o.verification is not None and o.verification < t)
        contains = sum(not refused(o) and contains_answer(o.text, o.item.answers) for o in ans)
        print(f"{t:9.2f}  {100 * contains / len(ans):9.1f}  "
              f"{100 * sum(refused(o) for o in ans) / len(ans):14.1f}  "
              f"{100 * sum(refused(o) for o in una) / len(una):21.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
