"""Cross-day linking swept offline: each day's stories clustered once, linking replayed per setting.

    python bench/brief_linking.py [--shared ../shared] [--sets basil t17 lookalikes]
                                  [--out bench/results/brief_linking.json]

A day's clusters do not depend on the memory (`gather` reads the window only), so each set is
ingested once into a throwaway store, every UTC day's clusters and top terms are kept, and the
linking step of `make_briefing` is replayed over them for each setting in seconds, judged by
`qa.eval.replay.judge_day` (the replay's own judge). The committed setting reproduces
`qa eval brief --replay` exactly (Timeline17 52.6% / 0.0%, BASIL 89.7% / 1.9%, ECB+ look-alikes
86.2% / 9.8%). Sets: BASIL by date, Timeline17 dev, and ECB+'s look-alike events on the
calendar of bench/brief_lookalikes.py. Settings: the bar and the dense weight
(qa/brief/memory.py), one-to-one or many-to-one (several of a day's clusters may continue one
story), and a bar lowered by `bonus` for every further day a story was briefed in the lookback
(a running story attracts). Skips cleanly where the data is absent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from brief_lookalikes import scheduled_copy  # noqa: E402

from qa.brief import memory  # noqa: E402
from qa.brief.stories import Cluster, gather  # noqa: E402
from qa.brief.window import day_window  # noqa: E402
from qa.eval.briefs import Dataset, Speed, eval_index, ingest, read_dataset  # noqa: E402
from qa.eval.replay import LinkCounts, doc_day, judge_day  # noqa: E402
from qa.ingest.pipeline import Chunking  # noqa: E402
from qa.records import Story  # noqa: E402
from qa.settings import Settings  # noqa: E402
from vectorstore.briefs import StoryDay  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LOOKBACK = 7


@dataclass(frozen=True)
class Setting:
    link_min: float = memory.LINK_MIN
    dense_weight: float = memory.DENSE_WEIGHT
    one_to_one: bool = True
    bonus: float = 0.0  # the bar falls this much per further day the story was briefed

    def label(self) -> str:
        return (f"{self.link_min} / {self.dense_weight}, "
                f"{'one-to-one' if self.one_to_one else 'many-to-one'}"
                + (f", running-story bonus {self.bonus}" if self.bonus else ""))


SETTINGS = [
    Setting(),  # committed
    Setting(one_to_one=False),
    *(Setting(link_min=b, one_to_one=o) for b in (0.45, 0.5, 0.55) for o in (True, False)),
    *(Setting(link_min=b, dense_weight=1.0, one_to_one=False) for b in (0.5, 0.575, 0.6)),
    *(Setting(bonus=x, one_to_one=False) for x in (0.02, 0.03, 0.05)),
]

Days = list[tuple[dt.date, list[Cluster], list[dict[str, float]]]]


def clustered_days(data: Dataset) -> Days:
    """Every UTC day's clusters and their top terms, from a throwaway store."""
    settings = Settings()
    by_day: dict[dt.date, list[Any]] = defaultdict(list)
    for doc in data.documents:
        if (day := doc_day(doc)) is not None:
            by_day[day].append(doc)
    out: Days = []
    with eval_index(settings) as index:
        ingest(index, data.documents, Chunking.from_settings(settings), Speed())
        for day in sorted(by_day):
            clusters = gather(index, day_window(day, dt.UTC)).clusters
            df, docs = memory.window_df(clusters)
            out.append((day, clusters, [memory.story_terms(c, df, docs) for c in clusters]))
    return out


def links(setting: Setting, clusters: list[Cluster], terms: list[dict[str, float]],
          earlier: list[StoryDay]) -> list[str | None]:
    """`memory.link` under `setting` (the committed setting gives `memory.link`'s answer)."""
    out: list[str | None] = [None] * len(clusters)
    if not clusters or not earlier:
        return out
    saved = memory.DENSE_WEIGHT
    memory.DENSE_WEIGHT = setting.dense_weight
    try:
        scores = memory.similarities(clusters, terms, earlier)
    finally:
        memory.DENSE_WEIGHT = saved
    days: dict[str, set[dt.date]] = defaultdict(set)
    for d in earlier:
        days[d.story_id].add(d.day)
    bars = np.array([setting.link_min - setting.bonus * (len(days[d.story_id]) - 1)
                     for d in earlier])
    margin = scores - bars[None, :]
    pairs = [(float(margin[i, j]), float(scores[i, j]), i, earlier[j].story_id)
             for i, j in zip(*np.nonzero(margin >= 0), strict=True)]
    taken: set[str] = set()
    for _, _, i, story_id in sorted(pairs, key=lambda p: (-p[1], p[2], p[3])):
        if out[i] is None and not (setting.one_to_one and story_id in taken):
            out[i] = story_id
            taken.add(story_id)
    return out


def replay_links(days: Days, gold: dict[str, str], setting: Setting) -> dict[str, Any]:
    remembered: list[StoryDay] = []
    held: dict[str, list[tuple[dt.date, list[str]]]] = defaultdict(list)
    counts = LinkCounts()
    for n, (day, clusters, terms) in enumerate(days):
        since = day - dt.timedelta(days=LOOKBACK)
        earlier = [d for d in remembered if since <= d.day < day]
        stories = []
        for cluster, cluster_terms, linked in zip(clusters, terms,
                                                  links(setting, clusters, terms, earlier),
                                                  strict=True):
            story_id = linked or memory.new_story_id(day.isoformat(), cluster)
            stories.append(Story(story_id=story_id, headline="", sentences=[],
                                 articles=cluster.articles,
                                 status="update" if linked else "new"))
            remembered.append(StoryDay(story_id=story_id, brief_id=day.isoformat(), day=day,
                                       status="new", headline="", sentences=[],
                                       doc_ids=cluster.doc_ids, centroid=cluster.vector,
                                       terms=cluster_terms))
        if n:
            judge_day(stories, gold, held, since, day, counts)
        for story, cluster in zip(stories, clusters, strict=True):
            held[story.story_id].append((day, cluster.doc_ids))
    return counts.as_dict()


def datasets(shared: Path, names: list[str]) -> Iterator[tuple[str, Dataset]]:
    paths = {"basil": shared / "eval/news-stories/basil.jsonl",
             "t17": shared / "eval/timeline17-dev/docs.jsonl"}
    for name in names:
        if name == "lookalikes":
            source = shared / "eval/news-stories/ecbplus.jsonl"
            if not source.is_file():
                print(f"skipped lookalikes: {source} not found")
                continue
            with scheduled_copy(source) as path:
                yield name, read_dataset(path)
        elif paths[name].is_file():
            yield name, read_dataset(paths[name])
        else:
            print(f"skipped {name}: {paths[name]} not found")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--sets", nargs="+", default=["basil", "t17", "lookalikes"],
                        choices=["basil", "t17", "lookalikes"])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = defaultdict(dict)
    for name, data in datasets(args.shared, args.sets):
        days = clustered_days(data)
        gold = data.gold_of_doc()
        for setting in SETTINGS:
            counts = replay_links(days, gold, setting)
            results[setting.label()][name] = counts
            print(f"{name:10} {setting.label():55} linked right {counts['right_pct']}% "
                  f"wrongly linked {counts['wrong_pct']}%", flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
