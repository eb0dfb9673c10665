"""`qa eval brief`: briefings measured on real data, through the code that ships.

A dataset is JSON Lines, one article a line: `id`, `title`, `text` (or another field: BBC's
`article` is found by itself), `date`, `source`, optional `story` (the gold story label) and
optional `summary` (a reference summary of that one article). It is loaded by the ingest
loader and ingested by the real pipeline into a throwaway store (or `keep_store`), then:

- clustering, when records carry `story`: `qa.brief.stories.group_stories` (what `gather` runs
  after picking the window: near-duplicates folded, then `cluster_stories`) over the whole set
  as one window, or per day -> ARI, B-cubed P/R/F1, purity, predicted vs gold clusters. A
  near-duplicate copy is in its article's story.
- summaries, when records carry `summary`: each article as a one-article story, written by
  `write_story` in extractive mode (and, with a generator, model-written), ROUGE-1/2/L F1
  against the reference beside the First-3 baseline of the same text, at natural length and
  truncated to `words`.
- replay (qa/eval/replay.py): ingest and brief day by day, cross-day linking and ROUGE against
  journalists' timelines.
Speed is in every report: documents/s ingested, seconds of clustering, writing, briefing.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qa.errors import LoadError, QAError
from qa.ingest.load import FieldMap, iter_documents
from qa.ingest.pipeline import Chunking, Ingestor
from qa.records import Document
from qa.settings import Settings
from qa.store import open_index
from vectorstore.index import Index

StageProgress = Callable[[str, int, int], None]  # (stage, done, total)
TEXT_FIELDS = ("text", "article", "body", "content")  # looked for in this order


@dataclass
class Dataset:
    """The records as loaded for ingest, and the labels kept apart from them."""

    path: Path
    fields: FieldMap
    documents: list[Document]  # file order; `external_id` is the record id
    gold: dict[str, str] = field(default_factory=dict)  # record id -> story
    summaries: dict[str, str] = field(default_factory=dict)  # record id -> reference
    skipped: list[str] = field(default_factory=list)  # records the loader refused, why

    def gold_of_doc(self) -> dict[str, str]:
        """doc_id -> gold story (records of identical text are one document: the first's)."""
        out: dict[str, str] = {}
        for doc in self.documents:
            if doc.external_id in self.gold:
                out.setdefault(doc.doc_id, self.gold[doc.external_id])
        return out


@dataclass
class Speed:
    documents: int = 0  # documents handed to the ingest
    embedded: int = 0  # of which new to the store (a kept store re-embeds nothing)
    ingest_seconds: float = 0.0
    cluster_seconds: float | None = None
    summaries: int = 0
    summary_seconds: float = 0.0  # extractive writing, all summaries
    model_seconds: float = 0.0  # model writing, all summaries
    briefings: int = 0
    brief_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        def per(total: float, n: int) -> float | None:
            return round(total / n, 4) if n else None

        return {"documents": self.documents, "embedded": self.embedded,
                "ingest_seconds": round(self.ingest_seconds, 2),
                "documents_per_s": round(self.documents / self.ingest_seconds, 1)
                if self.ingest_seconds else None,
                "cluster_seconds": self.cluster_seconds,
                "seconds_per_summary": per(self.summary_seconds, self.summaries),
                "seconds_per_model_summary": per(self.model_seconds, self.summaries)
                if self.model_seconds else None,
                "briefings": self.briefings,
                "seconds_per_briefing": per(self.brief_seconds, self.briefings)}


@dataclass(frozen=True)
class ClusteringScores:
    records: int
    gold_clusters: int
    predicted_clusters: int
    ari: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    purity: float
    per_day: bool


def read_dataset(path: Path, *, text_field: str | None = None,
                 limit: int | None = None) -> Dataset:
    """The records of `path` (the first `limit`), through the ingest loader."""
    try:
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n")
                 if line.strip()]
    except (OSError, ValueError) as exc:
        raise QAError(f"{path}: not a JSON Lines file ({exc})",
                      fix="pass --dataset a .jsonl file, one article a line") from exc
    if not lines:
        raise QAError(f"{path}: no records", fix="pass --dataset a non-empty .jsonl file")
    text_field = text_field or next((f for f in TEXT_FIELDS if f in lines[0]), "text")
    fields = FieldMap(text=text_field)
    documents: list[Document] = []
    skipped: list[str] = []
    for item in iter_documents([path], fields=fields):
        if isinstance(item, LoadError):
            skipped.append(str(item))
        elif limit is None or len(documents) < limit:
            documents.append(item)
    if not documents:
        raise QAError(f"{path}: no record has text in field {text_field!r}",
                      fix="name the text field with --text-field")
    wanted = {d.external_id for d in documents}
    records = [r for r in lines if str(r.get("id", "")) in wanted]
    return Dataset(path, fields, documents,
                   gold={str(r["id"]): str(r["story"]) for r in records if r.get("story")},
                   summaries={str(r["id"]): str(r["summary"]) for r in records
                              if r.get("summary")}, skipped=skipped)


@contextmanager
def eval_index(settings: Settings, keep_store: Path | None = None) -> Iterator[Index]:
    """A throwaway store (never the user's `--store`), or `keep_store` to reuse across runs."""
    with tempfile.TemporaryDirectory(prefix="qa-eval-brief-") as tmp:
        folder = keep_store or Path(tmp)
        index = open_index(settings.model_copy(update={"store": folder, "chroma_url": None,
                                                       "collection": "eval"}))
        try:
            yield index
        finally:
            index.close()


def ingest(index: Index, documents: Sequence[Document], chunking: Chunking, speed: Speed,
           progress: StageProgress | None = None) -> None:
    """The real ingest (chunk, embed, store, keyword index), timed into `speed`."""
    started = time.perf_counter()
    on_ingest = (lambda d, t: progress("ingest", d, t)) if progress else None
    report = Ingestor(index, chunking, on_ingest).run(list(documents))
    speed.ingest_seconds += time.perf_counter() - started
    speed.documents += len(documents)
    speed.embedded += report.added + report.updated
    if report.failed:
        raise QAError(f"{report.failed} documents failed to ingest", fix=str(report.errors[0]))


def eval_clustering(index: Index, data: Dataset, *, per_day: bool = False,
                    speed: Speed | None = None) -> ClusteringScores:
    from qa.brief.stories import group_stories
    from qa.eval.metrics import adjusted_rand_index, bcubed_f1, purity

    labelled = [d for d in data.documents if d.external_id in data.gold]
    infos = {i.doc_id: i for i in index.manifest.documents({d.doc_id for d in labelled})}
    groups: dict[str, list[str]] = {}  # day (or "all") -> doc ids
    for doc in labelled:
        day = str(doc.published or "undated") if per_day else "all"
        if doc.doc_id not in groups.setdefault(day, []):
            groups[day].append(doc.doc_id)
    started = time.perf_counter()
    predicted: dict[str, str] = {}
    for day, doc_ids in groups.items():
        docs = sorted((infos[i] for i in doc_ids),
                      key=lambda i: (str(i.published_at or i.published or ""), i.doc_id))
        clusters, _ = group_stories(index, docs)
        for k, cluster in enumerate(clusters):
            for doc_id in cluster.doc_ids:
                predicted[doc_id] = f"{day}/{k}"
    if speed is not None:
        speed.cluster_seconds = round(time.perf_counter() - started, 2)
    gold = [data.gold[d.external_id] for d in labelled]
    pred = [predicted[d.doc_id] for d in labelled]
    precision, recall, f1 = bcubed_f1(gold, pred)
    return ClusteringScores(len(labelled), len(set(gold)), len(set(pred)),
                            round(adjusted_rand_index(gold, pred), 4), round(precision, 4),
                            round(recall, 4), round(f1, 4), round(purity(gold, pred), 4),
                            per_day)


def majority(labels: Sequence[str]) -> str | None:
    """The most common label (the first seen of a tie), or None for none."""
    return Counter(labels).most_common(1)[0][0] if labels else None


@dataclass(frozen=True)
class BriefEvalOptions:
    text_field: str | None = None
    limit: int | None = None
    per_day: bool = False
    replay: bool = False
    timelines: Path | None = None
    words: int | None = None
    max_stories: int = 10
    lookback_days: int = 7
    keep_store: Path | None = None


def eval_brief(settings: Settings, dataset: Path, options: BriefEvalOptions, *,
               generator: Any = None, progress: StageProgress | None = None) -> dict[str, Any]:
    """Everything the dataset allows: clustering (with `story`), summaries (with `summary`),
    the day-by-day replay (asked for), and speed. `generator`: a model for written summaries
    and briefings beside the extractive ones (None: extractive only)."""
    from qa.brief.briefing import BriefOptions
    from qa.eval.replay import replay
    from qa.eval.summaries import eval_summaries

    data = read_dataset(dataset, text_field=options.text_field, limit=options.limit)
    speed = Speed()
    chunking = Chunking.from_settings(settings)
    report: dict[str, Any] = {"dataset": str(dataset), "records": len(data.documents),
                              "text_field": data.fields.text, "skipped": len(data.skipped),
                              "stories": len(set(data.gold.values())),
                              "summary_records": len(data.summaries)}
    with eval_index(settings, options.keep_store) as index:
        if options.replay:
            brief = BriefOptions(max_stories=options.max_stories,
                                 lookback_days=options.lookback_days)
            report["replay"] = replay(index, data, generator=generator, options=brief,
                                      chunking=chunking, speed=speed,
                                      timelines=options.timelines, words=options.words,
                                      progress=progress)
        else:
            ingest(index, data.documents, chunking, speed, progress)
        if data.gold:
            report["clustering"] = asdict(eval_clustering(index, data, per_day=options.per_day,
                                                          speed=speed))
        if data.summaries:
            report["summaries"] = eval_summaries(index, data, generator=generator,
                                                 words=options.words, speed=speed,
                                                 progress=progress)
    report["speed"] = speed.as_dict()
    return report
