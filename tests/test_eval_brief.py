"""`qa eval brief` on a hand-made set: two stories over two days, with reference summaries.

A harbour fire (both days: the second day's articles continue it) and a mayoral election (day
one only), plus a chess final on day two. The stories share no vocabulary, so a correct
clustering is perfect; the replay must link day two's fire story to day one's and nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qa.cli import app
from qa.eval.metrics import adjusted_rand_index

FIRE_1 = ("A large fire broke out at the Rotterdam harbour warehouse on Monday night. "
          "Firefighters fought the blaze for six hours before bringing it under control. "
          "The warehouse stored chemicals and plastic goods for export. "
          "Residents near the harbour were told to keep their windows closed.")
FIRE_2 = ("Thick smoke from the Rotterdam harbour fire drifted over the city on Monday. "
          "Firefighters said the warehouse blaze was the largest in the port for a decade. "
          "Officials told residents near the harbour to keep windows shut overnight.")
FIRE_3 = ("Investigators began searching the burnt Rotterdam harbour warehouse on Tuesday. "
          "The fire that destroyed the warehouse started in a storage room, firefighters said. "
          "Chemicals stored in the warehouse had made the blaze hard to fight.")
VOTE_1 = ("Voters in Leeds elected Maria Gomez as their new mayor on Monday evening. "
          "Gomez won fifty-two percent of the ballots after a long campaign on housing. "
          "Turnout in the mayoral election rose to its highest level in twenty years.")
VOTE_2 = ("Maria Gomez promised cheaper housing after winning the Leeds mayoral election. "
          "The new mayor thanked volunteers who knocked on doors through the campaign. "
          "Her rival conceded the ballots late on Monday and congratulated her.")
CHESS_1 = ("The world chess final in Madrid ended in a draw after seven hours of play. "
           "Both grandmasters refused to repeat moves in a tense endgame with rooks. "
           "The tiebreak games of the chess final will be played on Thursday afternoon.")

RECORDS = [
    ("f1", "Fire at Rotterdam harbour warehouse", FIRE_1, "2024-03-04", "ap", "fire"),
    ("f2", "Smoke over Rotterdam after harbour blaze", FIRE_2, "2024-03-04", "bbc", "fire"),
    ("v1", "Gomez elected mayor of Leeds", VOTE_1, "2024-03-04", "ap", "vote"),
    ("v2", "New Leeds mayor promises housing", VOTE_2, "2024-03-04", "bbc", "vote"),
    ("f3", "Investigators search burnt warehouse", FIRE_3, "2024-03-05", "ap", "fire"),
    ("c1", "Chess final in Madrid drawn", CHESS_1, "2024-03-05", "bbc", "chess"),
]
TIMELINES = [
    {"story": "fire", "source": "ap", "date": "2024-03-04",
     "summary": "A fire breaks out at a Rotterdam harbour warehouse storing chemicals."},
    {"story": "fire", "source": "bbc", "date": "2024-03-05",
     "summary": "Investigators search the burnt warehouse; the fire started in a storage room."},
]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "stories.jsonl"
    lines = []
    for rid, title, text, day, source, story in RECORDS:
        first_sentence = text.split(". ")[0] + "."
        lines.append(json.dumps({"id": rid, "title": title, "text": text, "date": day,
                                 "source": source, "url": "", "story": story,
                                 "summary": first_sentence}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(qa_env: dict[str, str], *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["eval", "brief", *args, "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_clustering_summaries_and_speed(qa_env: dict[str, str], dataset: Path) -> None:
    report = run(qa_env, "--dataset", str(dataset), "--words", "12")
    assert report["records"] == 6 and report["stories"] == 3
    clustering = report["clustering"]
    assert clustering["ari"] == 1.0 and clustering["bcubed_f1"] == 1.0
    assert clustering["purity"] == 1.0
    assert clustering["predicted_clusters"] == clustering["gold_clusters"] == 3
    rouge = report["summaries"]["rouge"]
    assert set(rouge) == {"ours", "ours@12", "first3", "first3@12"}
    for row in rouge.values():
        assert {"rouge1", "rouge2", "rougeL", "words", "n"} <= set(row) and row["n"] == 6
    assert rouge["ours@12"]["words"] <= 12 and rouge["first3@12"]["words"] <= 12
    # the reference is each article's first sentence: First-3 truncated to it recalls it all
    assert rouge["first3@12"]["rouge1"] > rouge["first3"]["rouge1"]
    speed = report["speed"]
    assert speed["documents"] == 6 and speed["embedded"] == 6 and speed["documents_per_s"] > 0
    assert speed["seconds_per_summary"] is not None


def test_per_day_clustering_splits_a_story_across_days(qa_env: dict[str, str],
                                                       dataset: Path) -> None:
    clustering = run(qa_env, "--dataset", str(dataset), "--per-day")["clustering"]
    assert clustering["per_day"] and clustering["predicted_clusters"] == 4  # fire on two days
    assert clustering["bcubed_precision"] == 1.0 and clustering["bcubed_recall"] < 1.0


def test_replay_links_the_continuing_story(qa_env: dict[str, str], dataset: Path,
                                           tmp_path: Path) -> None:
    timelines = tmp_path / "timelines.jsonl"
    timelines.write_text("\n".join(json.dumps(t) for t in TIMELINES) + "\n", encoding="utf-8")
    store = tmp_path / "kept"
    args = ("--dataset", str(dataset), "--replay", "--timelines", str(timelines),
            "--keep-store", str(store))
    replay = run(qa_env, *args)["replay"]
    assert replay["days"] == 2
    linking = replay["linking"]
    # day two: the fire continues (linked right), the chess final is new (not linked)
    assert linking["stories"] == 2 and linking["continuing"] == 1
    assert linking["right"] == 1 and linking["wrong"] == 0 and linking["missed"] == 0
    assert linking["right_pct"] == 100.0 and linking["wrong_pct"] == 0.0
    assert replay["timelines"]["pairs"]["scored"] == 2
    assert set(replay["timelines"]["rouge"]) == {"ours", "top", "first3"}
    # a kept store replays again from no memory and embeds nothing twice
    again = run(qa_env, *args)
    assert again["replay"]["linking"] == linking and again["speed"]["embedded"] == 0
    assert again["speed"]["briefings"] == 2 and again["speed"]["seconds_per_briefing"] > 0


def test_text_field_is_found_and_errors_are_one_line(qa_env: dict[str, str],
                                                     tmp_path: Path) -> None:
    bbc = tmp_path / "bbc.jsonl"
    bbc.write_text(json.dumps({"id": "b1", "title": "Fire", "article": FIRE_1,
                               "summary": FIRE_1.split(". ")[0] + "."}) + "\n", encoding="utf-8")
    report = run(qa_env, "--dataset", str(bbc))
    assert report["text_field"] == "article" and report["summaries"]["articles"] == 1
    assert "clustering" not in report and "replay" not in report
    result = CliRunner().invoke(app, ["eval", "brief", "--dataset", str(bbc), "--replay"])
    assert result.exit_code != 0 and "no record has a date" in result.output
    assert "Traceback" not in result.output


def test_metrics_see_a_wrong_clustering() -> None:
    # the figures the command reports can fail: one merged pair is not a perfect ARI
    assert adjusted_rand_index(["a", "a", "b", "b"], [0, 0, 0, 1]) < 1.0
