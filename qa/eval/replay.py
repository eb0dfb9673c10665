"""`qa eval brief --replay`: ingest and brief day by day, then measure memory across days.

The records are grouped by their UTC day; for each day in order its documents are ingested, then
`make_briefing` briefs that day (UTC), remembering what earlier days' briefings said, exactly as
`qa brief` run every morning would. A kept store is replayed from no memory (its briefings are
cleared first); its documents are not embedded again.

Linking is judged for every story of every day after the first (written, "still developing" or
listed as "also": each has the id the briefing gave it):
- its gold label is the majority `story` of its documents;
- it is *continuing* when a story of that label was in a briefing within the lookback;
- it is *linked* when the briefing kept an earlier story's id (status update or developing); that
  earlier story's label is the majority label of the documents it held on its days within the
  lookback;
- right: linked to an earlier story of its own label; wrong: linked to one of another label;
  missed: continuing and not linked.
`right_pct` = right / continuing; `wrong_pct` = wrong / linked (every linked story, continuing
or not: a fresh story glued to an old one counts). `story_days_linked_pct`: of the (day, gold
story) pairs that continue, the share where at least one of the day's stories of it is linked
right (where the gold story is a whole topic, as in Timeline17, a day holds several of ours).
Each earlier story continues into at most one of a day's clusters, so a day whose articles of
one gold story form two clusters has one missed.

Timelines (`--timelines`, the format of Timeline17's timelines.jsonl: `story`, `source`, `date`,
`summary`): for each (story, date) that has entries and articles that day, the briefing's text
about that story (`ours`: the sentences of all its written stories of that label, in rank order;
`top`: those of the best-ranked one only, 1-3 sentences, since a topic-level gold story such as
Timeline17's is several of a day's stories at once) and the First-3 baseline (the first three
sentences of that day's first article of that story: earliest published, then dataset order) are
scored against the entries; with several outlets' entries for one (story, date), each ROUGE metric
takes its best entry (as rouge-score's `score_multi`).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qa.brief.briefing import BriefOptions, make_briefing
from qa.brief.window import day_window
from qa.errors import QAError
from qa.eval.briefs import Dataset, Speed, StageProgress, ingest, majority
from qa.eval.rouge import first_k
from qa.eval.summaries import RougeTable
from qa.generators.base import Generator
from qa.ingest.pipeline import Chunking
from qa.records import Briefing, Document, Story
from vectorstore.index import Index

UTC = dt.UTC


@dataclass
class LinkCounts:
    stories: int = 0  # stories of the days after the first
    continuing: int = 0
    linked: int = 0
    right: int = 0
    wrong: int = 0
    missed: int = 0
    # per (day, gold story) continuing: is at least one of that day's stories of it linked right?
    story_days: int = 0
    story_days_linked: int = 0

    def as_dict(self) -> dict[str, Any]:
        def pct(part: int, whole: int) -> float | None:
            return round(100 * part / whole, 1) if whole else None

        return {**asdict(self), "right_pct": pct(self.right, self.continuing),
                "wrong_pct": pct(self.wrong, self.linked),
                "missed_pct": pct(self.missed, self.continuing),
                "story_days_linked_pct": pct(self.story_days_linked, self.story_days)}


def doc_day(doc: Document) -> dt.date | None:
    """The UTC day a document belongs to: its instant's, else its date."""
    if doc.published_at is not None:
        return doc.published_at.astimezone(UTC).date()
    return doc.published


def read_timelines(path: Path) -> dict[tuple[str, dt.date], list[str]]:
    """(story, date) -> the entries of every outlet's timeline for that day."""
    out: dict[tuple[str, dt.date], list[str]] = defaultdict(list)
    try:
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.strip():
                row = json.loads(line)
                out[(str(row["story"]), dt.date.fromisoformat(row["date"][:10]))].append(
                    str(row["summary"]))
    except (OSError, ValueError, KeyError) as exc:
        raise QAError(f"{path}: not a timelines file ({exc})",
                      fix="pass --timelines a .jsonl file of story, source, date, summary") \
            from exc
    return dict(out)


def replay(index: Index, data: Dataset, *, generator: Generator | None, options: BriefOptions,
           chunking: Chunking, speed: Speed, timelines: Path | None = None,
           words: int | None = None, progress: StageProgress | None = None) -> dict[str, Any]:
    days: dict[dt.date, list[Document]] = defaultdict(list)
    undated = 0
    for doc in data.documents:
        day = doc_day(doc)
        if day is None:
            undated += 1
        else:
            days[day].append(doc)
    if not days:
        raise QAError(f"{data.path}: no record has a date", fix="a replay needs dated records "
                      "(a `date` field); drop --replay for undated sets")
    entries = read_timelines(timelines) if timelines else {}
    gold = data.gold_of_doc()
    index.briefs.clear()
    held: dict[str, list[tuple[dt.date, list[str]]]] = defaultdict(list)  # story id -> days
    counts, table = LinkCounts(), RougeTable()
    pairs = {"scored": 0, "empty": 0, "no_articles": 0}
    lookback = dt.timedelta(days=options.lookback_days)
    order = sorted(days)
    for done, day in enumerate(order, 1):
        ingest(index, days[day], chunking, speed)
        started = time.perf_counter()
        briefing = make_briefing(index, generator, day_window(day, UTC), options)
        speed.brief_seconds += time.perf_counter() - started
        speed.briefings += 1
        everything = [*briefing.stories, *briefing.developing, *briefing.also]
        if day != order[0]:
            judge_day(everything, gold, held, day - lookback, day, counts)
        for story in everything:
            held[story.story_id].append((day, _doc_ids(story)))
        for (label, when), refs in entries.items():
            if when == day:
                _score_day(briefing, label, days[day], refs, gold, table, pairs, words)
        if progress:
            progress("replay", done, len(order))
    if entries:  # timeline days on which the dataset has no article of that story
        pairs["no_articles"] = sum(1 for (label, when) in entries
                                   if not any(gold.get(d.doc_id) == label
                                              for d in days.get(when, [])))
    out: dict[str, Any] = {"days": len(order), "undated": undated,
                           "lookback_days": options.lookback_days,
                           "linking": counts.as_dict()}
    if timelines:
        out["timelines"] = {"pairs": pairs, "words": words, "rouge": table.means()}
    return out


def _doc_ids(story: Story) -> list[str]:
    return [d.doc_id for a in story.articles for d in (a.doc, *a.copies)]


def _label(doc_ids: list[str], gold: dict[str, str]) -> str | None:
    return majority([gold[d] for d in doc_ids if d in gold])


def judge_day(stories: list[Story], gold: dict[str, str],
              held: dict[str, list[tuple[dt.date, list[str]]]], since: dt.date, day: dt.date,
              counts: LinkCounts) -> None:
    """Count one day's stories as right, wrong or missed links (module docstring)."""
    def earlier_label(story_id: str) -> str | None:
        return _label([d for when, ids in held.get(story_id, []) if since <= when < day
                       for d in ids], gold)

    earlier = {earlier_label(s) for s in held}
    continued: dict[str, bool] = {}  # gold story continuing today -> linked right at least once
    for story in stories:
        label = _label(_doc_ids(story), gold)
        if label is None:
            continue
        counts.stories += 1
        continuing = label in earlier
        counts.continuing += continuing
        linked = story.status in ("update", "developing")
        right = linked and earlier_label(story.story_id) == label
        if continuing:
            continued[label] = continued.get(label, False) or right
        if linked:
            counts.linked += 1
            counts.right += right
            counts.wrong += not right
        elif continuing:
            counts.missed += 1
    counts.story_days += len(continued)
    counts.story_days_linked += sum(continued.values())


def _score_day(briefing: Briefing, label: str, docs: list[Document], refs: list[str],
               gold: dict[str, str], table: RougeTable, pairs: dict[str, int],
               words: int | None) -> None:
    """One (story, day) of the timelines: the briefing's sentences and First-3 vs its entries."""
    mine = [d for d in docs if gold.get(d.doc_id) == label]
    if not mine:
        return  # counted once at the end, as no_articles
    stories = [story for story in briefing.stories if _label(_doc_ids(story), gold) == label]
    ours = " ".join(s.text for story in stories for s in story.sentences)
    pairs["scored"] += 1
    pairs["empty"] += not ours
    first = min(enumerate(mine), key=lambda p: (p[1].published_at or dt.datetime.min.replace(
        tzinfo=UTC), p[0]))[1]
    table.add("ours", ours, refs, words)
    table.add("top", " ".join(s.text for s in stories[0].sentences) if stories else "", refs,
              words)
    table.add("first3", first_k(first.text, 3), refs, words)
