"""`qa eval check --pairs FILE` on a small pairs file: the verdicts, rates and per-transformation
figures it prints, with and without the judge, and one clear error for a bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.cli import app

DOC = ("Chelsea beat Arsenal 2-1 at Stamford Bridge on Saturday. Roman Abramovich bought the "
       "club in 2003. Frank Lampard scored twice, and he was named man of the match.\n\n"
       "Ticket sales reached 200 million pounds in 2004, the club said. The club's chairman, "
       "Bruce Buck, said the board did not discuss a new stadium.")
PAIRS = [
    (DOC, "Chelsea beat Arsenal 2-1 at Stamford Bridge on Saturday.", 1, "verbatim"),
    (DOC, "Abramovich bought the club in 2003.", 1, "paraphrase"),
    (DOC, "Roman Abramovich bought the club in 2004.", 0, "date_swap"),
    (DOC, "Frank Lampard bought the club in 2003.", 0, "entity_swap"),
    (DOC, "Bruce Buck said the board discussed a new stadium.", 0, "negation"),
    (DOC, "Ticket sales reached 20 million pounds in 2004.", 0, "number_swap"),
]


def write_pairs(path: Path, pairs: list[tuple[str, str, int, str]]) -> Path:
    path.write_text("".join(json.dumps({"document": d, "claim": c, "label": y, "transform": t})
                            + "\n" for d, c, y, t in pairs), encoding="utf-8")
    return path


def run_json(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["eval", "check", *args, "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_eval_check_reports_rates_and_transformations(qa_env: dict[str, str],
                                                       tmp_path: Path) -> None:
    pairs = write_pairs(tmp_path / "pairs.jsonl", PAIRS)
    report = run_json("--pairs", str(pairs), "--baseline")
    assert (report["pairs"], report["positives"], report["negatives"]) == (6, 2, 4)
    check = report["check"]
    assert isinstance(check, dict)
    assert (check["tpr_pct"], check["fpr_pct"], check["balanced_accuracy_pct"]) == \
        (100.0, 0.0, 100.0)
    assert set(check["per_transform"]) == {t for *_, t in PAIRS}
    assert check["ms_per_claim"] > 0 and check["judge_calls"] == 0
    # the check before alignment let the swapped date, name and the dropped "not" through
    baseline = report["baseline"]
    assert isinstance(baseline, dict) and baseline["fpr_pct"] >= 50.0
    assert "check+judge" not in report


def test_eval_check_with_the_judge(qa_env: dict[str, str], tmp_path: Path,
                                   small_model_path: Path) -> None:
    turned = (DOC, "Chelsea lost to Arsenal 2-1 at Stamford Bridge on Saturday.", 0, "antonym")
    pairs = write_pairs(tmp_path / "pairs.jsonl", [*PAIRS, turned])
    report = run_json("--pairs", str(pairs), "-g", "local", "--local-model",
                      str(small_model_path), "--no-embedder")
    judged = report["check+judge"]
    assert isinstance(judged, dict)
    # only sentences that pass the words and are not verbatim are read
    assert 1 <= judged["judge_calls"] <= 2
    assert judged["ms_per_claim"] >= report["check"]["ms_per_claim"]  # type: ignore[index]
    sweep = report["judge_sweep"]
    assert isinstance(sweep, dict) and len(sweep) == 19


@pytest.mark.parametrize(("line", "message"), [
    ('{"document": "x", "claim": "y"}', "not a pair"),
    ('{"document": "x", "claim": "y", "label": 2}', "neither 1 nor 0"),
    ("not json", "not a pair"),
])
def test_bad_pairs_file_is_one_clear_error(qa_env: dict[str, str], tmp_path: Path, line: str,
                                           message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "check", "--pairs", str(path)])
    assert result.exit_code != 0
    assert message in result.output and "bad.jsonl:1" in result.output


def test_eval_check_prints_a_table(qa_env: dict[str, str], tmp_path: Path) -> None:
    pairs = write_pairs(tmp_path / "pairs.jsonl", PAIRS)
    result = CliRunner().invoke(app, ["eval", "check", "--pairs", str(pairs), "--no-embedder"])
    assert result.exit_code == 0, result.output
    assert "balanced accuracy %" in result.output and "embedder none" in result.output
    assert "entity_swap (label 0, n 1) accuracy %" in result.output
