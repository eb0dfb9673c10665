"""Figures of a `qa eval answer --multihop ... --details FILE` run from its rows, beside another
run's rows for the same questions: for a run stopped before its end (the details file is written
as questions are answered, in the sample's order), or to compare two runs on the same questions.

    python bench/details_figures.py RUN.jsonl OTHER.jsonl \
        --questions ../shared/eval/multihop/hotpotqa-dev/questions.jsonl [--from-row 25]

`--from-row` leaves the first rows out of the time median (a run that began beside other work).
The figures are computed as `qa eval answer` computes them (on a whole run they are its own,
but for times rounded to 0.01 s in the rows).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from qa.eval.metrics import percentile, token_f1


def figures(rows: list[dict[str, Any]], supporting: dict[str, set[str]],
            from_row: int = 0) -> dict[str, float | None]:
    n = len(rows)
    cited = [r["titles"][c - 1] in supporting[r["id"]]
             for r in rows if not r["refused"] for c in r["cited"]]
    return {"questions": n,
            "contains_answer_pct": round(100 * sum(r["contains"] for r in rows) / n, 1),
            "refused_pct": round(100 * sum(r["refused"] for r in rows) / n, 1),
            "supporting_precision_pct": round(100 * sum(cited) / len(cited), 1) if cited else None,
            "token_f1_pct": round(100 * statistics.mean(
                0.0 if r["refused"] else token_f1(r["direct"], r["answers"]) for r in rows), 1),
            "total_p50_s": round(percentile([r["total_s"] for r in rows[from_row:]], 0.5), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("other", type=Path)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--from-row", type=int, default=0)
    args = parser.parse_args()
    supporting = {q["id"]: set(q.get("supporting") or [])
                  for q in map(json.loads, args.questions.open())}
    run = [json.loads(line) for line in args.run.open()]
    ids = {r["id"] for r in run}
    other = [r for r in map(json.loads, args.other.open()) if r["id"] in ids]
    print(args.run.name, figures(run, supporting, args.from_row))
    print(args.other.name, figures(other, supporting, args.from_row))


if __name__ == "__main__":
    main()
