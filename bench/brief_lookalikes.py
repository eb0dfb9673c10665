"""Cross-day linking when look-alike events overlap: ECB+ replayed on a made-up calendar.

    python bench/brief_lookalikes.py [--shared ../shared] [--keep-store DIR]
                                     [--out bench/results/brief_lookalikes.json]

BASIL tests that distinct events of nearby days stay apart, but its events last one to three
days; Timeline17 dev follows two topics for months, but they are far apart (oil spill, flu), so
nothing is ever linked wrongly there. Neither has a running story next to a look-alike one.
ECB+ has exactly those look-alikes (43 topics x 2 distinct events built to resemble each other:
two earthquakes, two rehab check-ins of two actresses) but no dates, so this script gives them a
calendar, written to a temporary copy (the data is read in place, never kept): topic k starts on
day 3k; its first event's articles are spread round-robin over days 0-5 of the topic, the second
event's over days 3-8, so the look-alike arrives while the first event is still being briefed,
and two or three topics run at once. Then `qa eval brief --replay` (the real pipeline: ingest and
brief day by day) judges every story: linked to its own event's earlier story is right, to the
look-alike or any other event is wrong. Skips cleanly, exit 0, where ECB+ is absent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
START = dt.date(2020, 1, 1)
TOPIC_STRIDE = 3  # days between two topics' starts
EVENT_DAYS = 6  # days an event's articles are spread over
SECOND_EVENT_DELAY = 3  # the look-alike starts this many days after the first event


def scheduled(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records with dates on the calendar of the module docstring."""
    by_event: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_event[str(record["story"])].append(record)
    topics = sorted({str(r["topic"]) for r in records}, key=lambda t: (len(t), t))
    out = []
    for k, topic in enumerate(topics):
        events = sorted(e for e in by_event if e.split("-", 1)[0] == topic)  # "1-ecb", "1-ecbplus"
        for delay, event in zip((0, SECOND_EVENT_DELAY), events, strict=False):
            for i, record in enumerate(sorted(by_event[event], key=lambda r: str(r["id"]))):
                day = START + dt.timedelta(days=TOPIC_STRIDE * k + delay + i % EVENT_DAYS)
                out.append({**record, "date": day.isoformat()})
    return out


@contextmanager
def scheduled_copy(source: Path) -> Iterator[Path]:
    """`source` with the calendar's dates, as a temporary .jsonl (removed afterwards)."""
    records = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()
               if line.strip()]
    with tempfile.TemporaryDirectory(prefix="qa-lookalikes-") as tmp:
        dataset = Path(tmp) / "ecbplus-scheduled.jsonl"
        dataset.write_text("".join(json.dumps(r) + "\n" for r in scheduled(records)),
                           encoding="utf-8")
        yield dataset


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--keep-store", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    source = args.shared / "eval" / "news-stories" / "ecbplus.jsonl"
    if not source.is_file():
        print(f"skipped: {source} not found (ECB+ is read in place from ../shared/eval)")
        return 0

    from qa.eval.briefs import BriefEvalOptions, eval_brief
    from qa.settings import Settings

    with scheduled_copy(source) as dataset:
        report = eval_brief(Settings(), dataset,
                            BriefEvalOptions(replay=True, keep_store=args.keep_store))
    report["dataset"] = f"{source} (scheduled: {__file__})"
    linking = report["replay"]["linking"]
    print(f"days {report['replay']['days']}, stories judged {linking['stories']}, continuing "
          f"{linking['continuing']}: linked right {linking['right_pct']}% ({linking['right']}), "
          f"wrongly linked {linking['wrong_pct']}% ({linking['wrong']} of {linking['linked']})")
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
