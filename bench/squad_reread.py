"""Does a second reading, the offered sentences in reverse order, tell answerable SQuAD 2.0
questions from unanswerable ones better than the first reading alone?

    python bench/squad_reread.py [--n 200] [--local-model 1.5b] [--out FILE.jsonl]

The reading check (qa/answer/pick.py) refuses when P(stated) = 1 - P("0") is under the
threshold. Its first reading is noisy near the threshold (session 10: 10 of 11 false refusals
at 0.77-0.80, where unanswerable questions sit too). This script reads the questions kept apart
from the evaluation sample (`--limit 200 --seed 0`; here seed 1, half unanswerable) twice, in
the ranked order and reversed, and prints the refusal rates of a few ways to combine the two.
Skips cleanly when the data is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.answer.pick import candidates, pick_messages
from qa.eval.answers import corpus_file, kept_apart, read_squad, sample
from qa.eval.metrics import contains_answer
from qa.eval.retrieval import open_eval_index
from qa.generators.registry import make_generator
from qa.retrieve import retrieve
from qa.settings import load_settings

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared/eval/squad2-dev-5articles" \
    / "squad2_dev_first5articles.json"


def read(generator, question: str, offered: list[tuple[str, int]]) -> list[float]:  # noqa: ANN001
    choices = [str(i) for i in range(len(offered) + 1)]
    return generator.choice_probabilities(pick_messages(question, offered), choices)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=Path, default=DEFAULT)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--local-model", default="1.5b")
    parser.add_argument("--out", type=Path, default=Path("bench/results/squad_reread.jsonl"))
    args = parser.parse_args()
    if not args.squad.is_file():
        print(f"skipped: {args.squad} not found")
        return 0
    settings = load_settings({"generator": "local", "local_model": args.local_model,
                              "k": args.k}).settings
    docs, items = read_squad(args.squad)
    tune = sample(kept_apart(items), args.n, 1)
    generator = make_generator(settings)
    index = open_eval_index(settings, corpus_file(settings, f"squad-{args.squad.stem}", docs))
    rows = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w") as fh:
        for done, item in enumerate(tune, 1):
            passages = retrieve(index, item.question, k=args.k, fusion_k=settings.fusion_k)
            offered = candidates(item.question, passages)
            if not offered:
                continue
            forward = read(generator, item.question, offered)
            backward = read(generator, item.question, offered[::-1])
            row = {"id": item.id, "answerable": item.answerable,
                   "forward": forward, "reversed": backward,
                   "holds": [bool(item.answers) and contains_answer(s, item.answers)
                             for s, _ in offered]}
            rows.append(row)
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            print(f"read {done}/{len(tune)}", file=sys.stderr)
    index.close()
    generator.close()
    report(rows)
    return 0


def report(rows: list[dict]) -> None:
    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]

    def rates(stated) -> tuple[float, float]:  # noqa: ANN001
        return (100 * sum(stated(r) < 0 for r in ans) / max(len(ans), 1),
                100 * sum(stated(r) < 0 for r in una) / max(len(una), 1))

    print(f"{len(ans)} answerable, {len(una)} unanswerable")
    print("rule                          threshold  false-refusal%  refused-unanswerable%")
    for t in (0.7, 0.75, 0.78, 0.8, 0.82, 0.85):
        rules = {
            "first reading": lambda r, t=t: (1 - r["forward"][0]) - t,
            "reversed reading": lambda r, t=t: (1 - r["reversed"][0]) - t,
            "mean of both": lambda r, t=t: (1 - (r["forward"][0] + r["reversed"][0]) / 2) - t,
            "mean where first in band": lambda r, t=t: (
                (1 - r["forward"][0]) if abs((1 - r["forward"][0]) - t) >= 0.05
                else 1 - (r["forward"][0] + r["reversed"][0]) / 2) - t,
        }
        for name, rule in rules.items():
            false_refusal, refused = rates(rule)
            print(f"{name:28s}  {t:9.2f}  {false_refusal:14.1f}  {refused:21.1f}")


if __name__ == "__main__":
    raise SystemExit(main())
