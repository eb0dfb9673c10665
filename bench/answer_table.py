"""Print the `qa eval answer` summaries in bench/results/ as one markdown table.

    python bench/answer_table.py bench/results/squad_*.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROWS = [("contains a gold answer (answerable)", "contains_answer_pct", "%"),
        ("direct answer contains a gold answer", "direct_contains_pct", "%"),
        ("exact match of the direct answer", "exact_match_pct", "%"),
        ("token F1 (answerable; of the direct answer)", "token_f1_pct", "%"),
        ("answered with a short answer (span, option, yes/no)", "short_answers_pct", "%"),
        ("false refusals (answerable)", "false_refusal_pct", "%"),
        ("refusals (unanswerable)", "refusal_on_unanswerable_pct", "%"),
        ("answers with a citation", "answers_cited_pct", "%"),
        ("citation precision (cited passage holds a gold answer)", "citation_precision_pct", "%"),
        ("citation recall", "citation_recall_pct", "%"),
        ("citation precision (cited passage is a gold supporting passage)",
         "supporting_precision_pct", "%"),
        ("supporting passages cited (share of the gold ones)", "supporting_recall_pct", "%"),
        ("questions with a second hop", "second_hop_pct", "%"),
        ("sentences supported by the check", "support_rate_pct", "%"),
        ("time to first token p50 / p95", ("ttft_p50_s", "ttft_p95_s"), "s"),
        ("total time p50 / p95", ("total_p50_s", "total_p95_s"), "s")]


def cell(data: dict[str, object], key: str | tuple[str, str], unit: str) -> str:
    if isinstance(key, tuple):
        return " / ".join(f"{data.get(k)}" for k in key) + f" {unit}"
    value = data.get(key)
    return "-" if value is None else f"{value}{unit}"


def refused_all(data: dict[str, object]) -> str:
    """Refusals over every question: the figure that matters for an --off-topic run."""
    try:
        ans, una = int(data["answerable"]), int(data["unanswerable"])  # type: ignore[call-overload]
        refused = (float(data["false_refusal_pct"]) * ans  # type: ignore[arg-type]
                   + float(data["refusal_on_unanswerable_pct"]) * una)  # type: ignore[arg-type]
        return f"{refused / (ans + una):.1f}%"
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return "-"


def title(data: dict[str, object]) -> str:
    name = str(data["backend"]).removeprefix("local:qwen2.5-coder-").replace("b", "B")
    name = name if data["backend"] == "extractive" else f"local {name}"
    threshold = data.get("verify_threshold")
    if threshold is not None and data["backend"] != "extractive":
        name += f" ({data.get('answer_style', 'pick')}, threshold {threshold})"
    return name + (", off-topic" if data.get("off_topic") else "")


def main(paths: list[str]) -> None:
    runs = [json.loads(Path(p).read_text()) for p in paths if Path(p).stat().st_size]
    print("| | " + " | ".join(title(r) for r in runs) + " |")
    print("|---|" + "---|" * len(runs))
    for label, key, unit in ROWS:
        print(f"| {label} | " + " | ".join(cell(r, key, unit) for r in runs) + " |")
    print("| refusals, all questions | " + " | ".join(refused_all(r) for r in runs) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
