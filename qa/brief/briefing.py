"""A briefing: window -> stories -> link to earlier briefings -> write -> remember.

`make_briefing` reads everything it needs as arguments (the index, the generator, the window,
`BriefOptions`); the CLI and chat build those. The briefing is stored in the store's briefing
tables (vectorstore/briefs.py) unless `save=False`; re-running one replaces it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qa.brief import codec
from qa.brief.memory import link, new_story_id, story_terms, window_df
from qa.brief.stories import Cluster, gather
from qa.brief.window import Window
from qa.brief.write import WriteMode, WriteOptions, Written, write_story
from qa.generators.base import Generator
from qa.records import Briefing, Passage, Story, StoryStatus
from vectorstore.briefs import BriefRow, StoryDay
from vectorstore.index import Index

if TYPE_CHECKING:
    from qa.settings import Settings

Progress = Callable[[int, int], None]  # (stories written, stories to write)


@dataclass(frozen=True)
class BriefOptions:
    max_stories: int = 10
    lookback_days: int = 7
    topic: str = ""
    sources: tuple[str, ...] = ()
    write: WriteOptions = field(default_factory=WriteOptions)
    save: bool = True

    @classmethod
    def from_settings(cls, settings: Settings, *, mode: WriteMode = "auto", topic: str = "",
                      sources: tuple[str, ...] = (), save: bool = True) -> BriefOptions:
        return cls(max_stories=settings.max_stories, lookback_days=settings.lookback_days,
                   topic=topic, sources=sources, save=save,
                   write=WriteOptions(mode=mode, temperature=settings.temperature,
                                      prompts_dir=settings.prompts_dir))


def briefing_id(window: Window, topic: str = "", sources: tuple[str, ...] = ()) -> str:
    """Readable and stable: the day (or the window), plus a digest of any filters, so re-running
    the same briefing replaces it and a --topic briefing of the day stands beside the day's."""
    if window.day is not None:
        base = window.day.isoformat()
    else:
        base = f"{window.since:%Y-%m-%dT%H%M}--{window.until:%Y-%m-%dT%H%M}"
    if topic or sources:
        base += "-" + hashlib.sha256("\n".join([topic, *sorted(sources)]).encode()).hexdigest()[:6]
    return base


def make_briefing(index: Index, generator: Generator | None, window: Window,
                  options: BriefOptions, *, progress: Progress | None = None,
                  now: dt.datetime | None = None) -> Briefing:
    started = time.perf_counter()
    gathered = gather(index, window, sources=options.sources, topic=options.topic)
    brief_id = briefing_id(window, options.topic, options.sources)
    day = window.last_day  # a story's day in memory: the last day its window covers
    earlier = index.briefs.recent(since=day - dt.timedelta(days=options.lookback_days),
                                  before=day, exclude=brief_id)
    clusters = gathered.clusters
    df, ndocs = window_df(clusters)
    terms = [story_terms(c, df, ndocs) for c in clusters]
    links = link(clusters, terms, earlier)
    # no generator: extractive, and verbatim sentences need no embedding (overlap suffices)
    embedder = index.embedder if generator is not None else None

    briefing = Briefing(brief_id=brief_id, day=window.day, since=window.since,
                        until=window.until, tz=window.tz_name, stories=[],
                        backend=generator.name if generator else "extractive",
                        topic=options.topic, sources=options.sources,
                        created_at=now or dt.datetime.now(dt.UTC),
                        documents=gathered.documents, duplicates=gathered.duplicates)
    days: list[StoryDay] = []
    to_write = min(len(clusters), options.max_stories)
    for cluster, cluster_terms, linked in zip(clusters, terms, links, strict=True):
        story_id = linked or new_story_id(day.isoformat(), cluster)
        # what earlier briefings said about the story (a re-run of this one left out)
        before = [d for d in index.briefs.timeline(linked) if d.brief_id != brief_id] \
            if linked else []
        first_seen = min((d.day for d in before), default=day)
        story = Story(story_id=story_id, headline=cluster.articles[0].doc.title, sentences=[],
                      articles=cluster.articles, status="update" if linked else "new",
                      first_seen=first_seen, score=round(cluster.score, 4),
                      relevance=cluster.relevance)
        if len(briefing.stories) < options.max_stories:
            old_docs = {i for d in before for i in d.doc_ids} - set(cluster.doc_ids)
            written = write_story(cluster, index.manifest, generator, embedder, options.write,
                                  said=[s for d in before for s in d.sentences],
                                  seen=[index.manifest.doc_text(i) for i in sorted(old_docs)])
            briefing.dropped += written.dropped
            story.headline, story.writer = written.headline, written.mode
            if written.sentences:
                _attach(briefing, story, written)
                briefing.stories.append(story)
            elif linked:
                story.status = "developing"
                briefing.developing.append(story)
            else:
                briefing.also.append(story)
            if progress:
                progress(min(len(briefing.stories), to_write), to_write)
        else:
            briefing.also.append(story)
        days.append(_story_day(story, brief_id, day, cluster, cluster_terms))
    briefing.seconds = round(time.perf_counter() - started, 3)
    if options.save and gathered.documents:  # an empty window is said, not stored
        with index.writing():
            index.briefs.put(_row(briefing), codec.dumps(briefing), days)
    return briefing


def _attach(briefing: Briefing, story: Story, written: Written) -> None:
    """Number the story's passages after the briefing's so far ([n] is briefing-wide)."""
    offset = len(briefing.passages)
    passages: list[Passage] = written.passages
    briefing.passages.extend(passages)
    for sentence in written.sentences:
        for citation in sentence.citations:
            citation.number += offset
    story.sentences = written.sentences


def _story_day(story: Story, brief_id: str, day: dt.date, cluster: Cluster,
               terms: dict[str, float]) -> StoryDay:
    status: StoryStatus = story.status
    return StoryDay(story_id=story.story_id, brief_id=brief_id, day=day, status=status,
                    headline=story.headline, sentences=[s.text for s in story.sentences],
                    doc_ids=cluster.doc_ids, centroid=cluster.vector, terms=terms)


def _row(b: Briefing) -> BriefRow:
    return BriefRow(brief_id=b.brief_id, day=b.day, since=b.since.isoformat(),
                    until=b.until.isoformat(), tz=b.tz, topic=b.topic,
                    created_at=(b.created_at or dt.datetime.now(dt.UTC)).isoformat(),
                    stories=len(b.stories))


def load_briefing(index: Index, ref: str) -> Briefing | None:
    """A stored briefing by id, or the latest of a day."""
    body = index.briefs.body(ref)
    return codec.loads(body) if body is not None else None
