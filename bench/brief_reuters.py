"""Briefing speed on the busiest day of Reuters-21578 (about 853 stories; the day is found, not
assumed), offline.

    python bench/brief_reuters.py [--shared ../shared] [--limit N] [--store DIR]
                                  [--model 1.5b] [--sample FILE] [--out FILE.json]

1. parse the SGML (`bench/reuters.py`), keep the stories of the day with the most;
2. ingest them into `--store DIR` (reused: what is stored unchanged embeds nothing) or a fresh
   temporary store; this is timed and printed, but it is not part of the briefing's time: the
   target is a briefing of a store already ingested;
3. an extractive briefing of that day (`make_briefing`, UTC, default options: 10 stories
   written, the rest listed as "also"), timed from the call to its return (stored included);
4. with `--model 1.5b` (or another local model name or .gguf path): the same day briefed by the
   local model (`make_generator(Settings(generator="local", local_model=...))`), 10 stories
   written, timed apart from loading the model;
5. `--sample FILE`: the last briefing made, as Markdown.
Targets (issue 9): extractive < 30 s, model-written of 10 stories < 3 minutes, on 2 cores.
Read the figures on a quiet machine: `os.getloadavg()` is printed beside each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from reuters import find_reuters, load_reuters

from qa.brief.briefing import BriefOptions, make_briefing
from qa.brief.output import briefing_markdown
from qa.brief.window import day_window
from qa.ingest.pipeline import Ingestor
from qa.records import Briefing, Document
from qa.settings import Settings
from qa.store import open_index
from vectorstore.index import Index

ROOT = Path(__file__).resolve().parents[1]


def busiest_day(docs: list[Document]) -> tuple[dt.date, list[Document]]:
    days = Counter(d.published for d in docs if d.published is not None)
    day, _ = days.most_common(1)[0]
    return day, [d for d in docs if d.published == day]


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def timed_briefing(index: Index, generator: Any, day: dt.date, label: str) -> tuple[Briefing,
                                                                                dict[str, Any]]:
    load = load_average()
    started = time.perf_counter()
    briefing = make_briefing(index, generator, day_window(day, dt.UTC), BriefOptions())
    seconds = time.perf_counter() - started
    figures = {"seconds": round(seconds, 2), "load_average": load,
               "stories_written": len(briefing.stories), "also": len(briefing.also),
               "developing": len(briefing.developing), "documents": briefing.documents,
               "near_duplicates": briefing.duplicates, "supported": briefing.supported,
               "dropped": briefing.dropped, "backend": briefing.backend}
    print(f"{label}: {seconds:.1f} s, {len(briefing.stories)} stories written "
          f"(+{len(briefing.also)} also) from {briefing.documents} documents, "
          f"{briefing.supported} sentences supported, {briefing.dropped} dropped "
          f"(load average {load})", flush=True)
    return briefing, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--limit", type=int, help="only the day's first N stories")
    parser.add_argument("--store", type=Path, help="ingest into (or reuse) this store")
    parser.add_argument("--model", help="also brief with this local model (0.5b, 1.5b, path)")
    parser.add_argument("--sample", type=Path, help="write the last briefing here, Markdown")
    parser.add_argument("--out", type=Path, help="write the figures here, JSON")
    args = parser.parse_args()

    folder = find_reuters(args.shared)
    if folder is None:
        print(f"skipped: no Reuters-21578 SGML under {args.shared / 'eval'}", file=sys.stderr)
        return 0
    day, stories = busiest_day(load_reuters(folder))
    stories = stories[:args.limit] if args.limit else stories
    results: dict[str, Any] = {"day": day.isoformat(), "stories": len(stories),
                               "cpus": len(os.sched_getaffinity(0))}
    print(f"busiest day {day}: {len(stories)} stories ({results['cpus']} cpus)", flush=True)

    with tempfile.TemporaryDirectory(prefix="qa-bench-brief-") as tmp:
        settings = Settings(store=args.store or Path(tmp), chroma_url=None)
        index = open_index(settings)
        try:
            started = time.perf_counter()
            report = Ingestor(index).run(stories)
            ingest_seconds = time.perf_counter() - started
            results["ingest"] = {"seconds": round(ingest_seconds, 1), "added": report.added,
                                 "unchanged": report.unchanged}
            print(f"ingest (not part of the briefing): {ingest_seconds:.1f} s, "
                  f"{report.summary()}", flush=True)
            briefing, results["extractive"] = timed_briefing(index, None, day, "extractive")
            if args.model:
                briefing = _model_briefing(index, day, args.model, results)
            if args.sample:
                args.sample.write_text(briefing_markdown(briefing), encoding="utf-8")
                print(f"sample: {args.sample}")
        finally:
            index.close()
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def _model_briefing(index: Index, day: dt.date, model: str, results: dict[str, Any]) -> Briefing:
    from qa.generators.registry import make_generator

    started = time.perf_counter()
    generator = make_generator(Settings(generator="local", local_model=model))
    try:
        load = getattr(generator, "load", None)  # the local backend loads lazily: not timed
        if load is not None:                    # as part of the briefing
            load()
        results["model_load_seconds"] = round(time.perf_counter() - started, 1)
        briefing, results["model"] = timed_briefing(index, generator, day, f"local {model}")
    finally:
        generator.close()
    return briefing


if __name__ == "__main__":
    sys.exit(main())
