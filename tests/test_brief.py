"""`qa brief` end to end on a real store: two days of made-up news (tests/fixtures/brief/) with a
syndicated copy, three stories, an update, a republished story and a late article in another
time zone; memory across days, re-runs, every output format, the window's filters."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qa.cli import app
from tests.conftest import ROOT

DAYS = ROOT / "tests" / "fixtures" / "brief"
runner = CliRunner()


def qa(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def brief_json(*args: str) -> dict[str, Any]:
    code, out, err = qa("brief", *args, "--tz", "UTC", "--mode", "extractive", "--json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def by_headline(briefing: dict[str, Any], word: str) -> dict[str, Any]:
    found = [s for s in briefing["stories"] + briefing["developing"] + briefing["also"]
             if word in s["headline"]]
    assert len(found) == 1, [s["headline"] for s in briefing["stories"]]
    return found[0]


@pytest.fixture
def store(qa_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QA_STORE", str(tmp_path / "store"))
    return tmp_path


@pytest.fixture
def two_days(store: Path) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    assert qa("ingest", str(DAYS / "day1.jsonl"))[0] == 0
    first = brief_json("2026-03-02")
    assert qa("ingest", str(DAYS / "day2.jsonl"))[0] == 0
    second = brief_json("2026-03-03")
    yield first, second


def test_day_one_groups_outlets_folds_the_copy_and_cites_every_sentence(
        two_days: tuple[dict[str, Any], dict[str, Any]]) -> None:
    first, _ = two_days
    assert first["schema"].startswith("qa.briefing/")
    assert [s["status"] for s in first["stories"]] == ["new", "new", "new"]
    bridge, strike, library = first["stories"]  # ranked by outlets: 3, 2, 1
    assert "bridge" in bridge["headline"].lower() and "strike" in strike["headline"].lower() + \
        " ".join(x["text"] for x in strike["sentences"]).lower()
    assert sorted(bridge["outlets"]) == ["Coast Daily", "Harbor Times", "Valley Post"]
    copies = [c for a in bridge["articles"] for c in a["copies"]]
    assert len(bridge["articles"]) == 2 and [c["source"] for c in copies] == ["Valley Post"]
    assert library["single_source"] and not bridge["single_source"]
    passages = {p["number"]: p for p in first["passages"]}
    for story in first["stories"]:
        assert 1 <= len(story["sentences"]) <= 3
        for sentence in story["sentences"]:
            [citation] = sentence["citations"]
            start, end = citation["span"]
            assert passages[citation["number"]]["text"][start:end] == sentence["text"]
    assert (first["support"]["supported"], first["support"]["dropped"]) == (9, 0)


def test_day_two_updates_with_only_what_is_new_and_does_not_repeat_the_republished_story(
        two_days: tuple[dict[str, Any], dict[str, Any]]) -> None:
    first, second = two_days
    bridge = by_headline(second, "bridge")
    assert bridge["status"] == "update" and bridge["first_seen"] == "2026-03-02"
    assert bridge["id"] == first["stories"][0]["id"]
    said = {s["text"] for story in first["stories"] for s in story["sentences"]}
    assert bridge["sentences"] and not said & {s["text"] for s in bridge["sentences"]}
    assert "crack" in " ".join(s["text"] for s in bridge["sentences"])
    strike = by_headline(second, "Port workers")
    assert strike["status"] == "developing" and strike in second["developing"]
    snow = by_headline(second, "Snow")
    assert snow["status"] == "new" and snow["single_source"]  # the 23:30 New York one is day 3


def test_memory_rerun_replaces_and_story_show_has_the_timeline(
        two_days: tuple[dict[str, Any], dict[str, Any]]) -> None:
    first, second = two_days
    again = brief_json("2026-03-03")
    assert [s["id"] for s in again["stories"]] == [s["id"] for s in second["stories"]]
    code, out, _ = qa("briefs", "list", "--json")
    assert code == 0 and [b["brief_id"] for b in json.loads(out)] == ["2026-03-03", "2026-03-02"]
    bridge = by_headline(second, "bridge")
    code, out, _ = qa("story", "show", bridge["id"], "--json")
    days = json.loads(out)["days"]
    assert code == 0 and [(d["day"], d["status"]) for d in days] == [
        ("2026-03-02", "new"), ("2026-03-03", "update")]
    code, out, _ = qa("story", "show", bridge["id"])
    assert "2026-03-02 · new" in out and "2026-03-03 · update" in out
    code, out, _ = qa("briefs", "show", "2026-03-02")
    assert code == 0 and "# Briefing 2026-03-02 (UTC)" in out
    code, out, _ = qa("briefs", "show", "2026-03-02", "--json")
    assert code == 0 and json.loads(out) == first  # stored whole: the same briefing again
    assert qa("briefs", "show", "1999-01-01")[0] != 0


def test_the_users_time_zone_decides_the_day(two_days: tuple[dict[str, Any], dict[str, Any]]
                                             ) -> None:
    code, out, err = qa("brief", "2026-03-03", "--tz", "America/New_York", "--mode",
                        "extractive", "--json", "--no-save")
    assert code == 0, err
    snow = by_headline(json.loads(out), "Snow")
    assert sorted(snow["outlets"]) == ["Coast Daily", "Harbor Times"]
    code, _, err = qa("brief", "2026-03-03", "--tz", "Mars/Olympus")
    assert code != 0 and "unknown time zone 'Mars/Olympus'" in err and "--tz" in err


def test_topic_and_source_narrow_the_window(two_days: tuple[dict[str, Any], dict[str, Any]]
                                            ) -> None:
    topic = brief_json("2026-03-03", "--topic", "snow on the mountain road", "--no-save")
    assert [s["headline"] for s in topic["stories"]] == ["Snow closes Kestrel Pass"]
    coast = brief_json("2026-03-02", "--source", "Coast Daily", "--no-save")
    assert {o for s in coast["stories"] for o in s["outlets"]} == {"Coast Daily"}


def test_an_empty_window_says_so_in_one_line_and_exits_0(store: Path) -> None:
    code, out, err = qa("brief", "2026-01-01", "--tz", "UTC")
    assert code == 0 and out == ""
    assert err.strip() == "no documents published in 2026-01-01 (UTC); nothing to brief"


def test_every_output_format(two_days: tuple[dict[str, Any], dict[str, Any]],
                             store: Path) -> None:
    md, html, feed = store / "b.md", store / "b.html", store / "briefs.xml"
    for fmt, path in (("md", md), ("html", html), ("atom", feed), ("atom", feed)):
        code, _, err = qa("brief", "2026-03-02", "--tz", "UTC", "--mode", "extractive",
                          "--format", fmt, "--out", str(path))
        assert code == 0, err
    text = md.read_text()
    assert text.startswith("# Briefing 2026-03-02 (UTC)")
    assert "9 of 9 sentences supported, 0 dropped" in text
    page = html.read_text()
    assert page.lstrip().lower().startswith("<!doctype html") and "Tern River" in page
    entries = ET.parse(feed).getroot().findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 1  # the re-run replaced its entry
    code, _, err = qa("brief", "2026-03-02", "--format", "atom")
    assert code != 0 and "--out" in err
    code, _, err = qa("brief", "2026-03-02", "--format", "pdf")
    assert code != 0 and "--format md, json, html or atom" in err


def test_a_model_written_briefing_through_the_real_small_model(
        small_local_generator: Any, tmp_path: Path) -> None:
    """The 0.5B writes each story; whatever it writes goes through the citation check: a shown
    sentence is supported and cited, the rest are counted as dropped."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from qa.brief.briefing import BriefOptions, make_briefing
    from qa.brief.window import day_window
    from qa.brief.write import WriteOptions
    from qa.ingest.pipeline import ingest_paths
    from qa.settings import Settings
    from qa.store import open_index

    index = open_index(Settings(store=tmp_path / "store"))
    try:
        ingest_paths(index, [DAYS / "day1.jsonl"])
        briefing = make_briefing(index, small_local_generator,
                                 day_window(dt.date(2026, 3, 2), ZoneInfo("UTC")),
                                 BriefOptions(write=WriteOptions(mode="write"), save=False))
    finally:
        index.close()
    assert briefing.backend == small_local_generator.name
    assert len(briefing.stories) == 3
    assert any(s.writer == "model" for s in briefing.stories), [s.writer for s in briefing.stories]
    for story in briefing.stories:
        assert story.sentences
        for sentence in story.sentences:
            assert sentence.supported and sentence.citations
            for citation in sentence.citations:
                assert 1 <= citation.number <= len(briefing.passages)


def test_the_seed_day_is_briefed_with_its_outlet(store: Path, seeds_folder: Path) -> None:
    assert qa("ingest", str(seeds_folder))[0] == 0
    code, out, err = qa("brief", "--date", "2023-12-06", "--tz", "UTC", "-g", "extractive")
    assert code == 0, err
    assert "*new · China Daily · single source*" in out and "[1]" in out
    assert "Wang Yi" in out and "sentences supported" in out


def test_since_until_timestamps_make_a_window(two_days: tuple[dict[str, Any], dict[str, Any]]
                                              ) -> None:
    # 08:30-10:30 UTC on day 1 holds b1 (09:00) and a2 (10:00) only
    window = brief_json("--since", "2026-03-02T08:30:00Z", "--until", "2026-03-02T10:30:00+00:00",
                        "--no-save")
    assert window["counts"]["documents"] == 2
    code, _, err = qa("brief", "--since", "2026-03-03", "--until", "2026-03-02")
    assert code != 0 and "is not after --since" in err
