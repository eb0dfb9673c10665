"""`qa eval retrieval`: nDCG@10, recall@10/100 and MRR on BEIR-layout data.

The corpus is ingested through the real pipeline (loader, chunker, embedder, Chroma, BM25) into
a store cached under the cache dir, keyed by the corpus hash and the chunk/embedder settings, so
a second run only queries. Documents are ranked by their best chunk.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError
from qa.eval.metrics import ndcg_at, recall_at, reciprocal_rank
from qa.ingest.load import FieldMap
from qa.retrieve import FUSION_K, Mode, retrieve
from qa.settings import Settings
from qa.store import open_index
from vectorstore.index import Index

MODES: tuple[Mode, ...] = ("dense", "keyword", "hybrid")


@dataclass
class RetrievalScores:
    mode: str
    queries: int
    ndcg10: float
    recall10: float
    recall100: float
    mrr: float
    seconds: float


def read_beir(dataset: Path, split: str) -> tuple[Path, dict[str, str], dict[str, dict[str, int]]]:
    corpus, queries_file = dataset / "corpus.jsonl", dataset / "queries.jsonl"
    qrels_file = dataset / "qrels" / f"{split}.tsv"
    for path in (corpus, queries_file, qrels_file):
        if not path.is_file():
            raise QAError(f"{path}: not found", fix="point --dataset at a BEIR folder with "
                          "corpus.jsonl, queries.jsonl and qrels/<split>.tsv")
    qrels: dict[str, dict[str, int]] = {}
    with qrels_file.open(newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    queries = {}
    with queries_file.open() as fh:
        for line in fh:
            record = json.loads(line)
            if record["_id"] in qrels:
                queries[record["_id"]] = record["text"]
    return corpus, queries, qrels


def eval_store(settings: Settings, corpus: Path) -> Settings:
    """Settings pointing at the cached evaluation store for this corpus and configuration."""
    digest = hashlib.sha256()
    with corpus.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    digest.update(f"{settings.chunk_tokens}/{settings.chunk_overlap}/{settings.embedder}/"
                  f"{settings.embed_model}".encode())
    store = settings.cache_dir / "eval" / f"{corpus.parent.name}-{digest.hexdigest()[:12]}"
    return settings.model_copy(update={"store": store, "chroma_url": None,
                                       "collection": "eval"})


def open_eval_index(settings: Settings, corpus: Path, *, fields: FieldMap | None = None,
                    progress: Callable[[str, int, int], None] | None = None) -> Index:
    """The cached evaluation store for `corpus`, ingested (only what changed) and open."""
    from qa.ingest.pipeline import Chunking, ingest_paths

    store = eval_store(settings, corpus)
    index = open_index(store)
    try:
        on_ingest = (lambda d, t: progress("ingest", d, t)) if progress else None
        report = ingest_paths(index, [corpus], chunking=Chunking.from_settings(store),
                              fields=fields, progress=on_ingest)
    except BaseException:
        index.close()
        raise
    if report.failed:
        index.close()
        raise QAError(f"{corpus}: {report.failed} records failed to load",
                      fix=str(report.errors[0]))
    return index


def ranked_docs(index: Index, query: str, mode: Mode, depth: int = 100,
                fusion_k: int = FUSION_K) -> list[str]:
    passages = retrieve(index, query, k=depth * 2, mode=mode, candidates=depth * 2,
                        fusion_k=fusion_k)
    seen: dict[str, None] = {}
    for p in passages:
        seen.setdefault(p.doc.external_id or p.doc.doc_id, None)
    return list(seen)[:depth]


def eval_retrieval(settings: Settings, dataset: Path, *, split: str = "test",
                   limit: int | None = None, modes: tuple[Mode, ...] = MODES,
                   progress: Callable[[str, int, int], None] | None = None,
                   ) -> list[RetrievalScores]:
    corpus, queries, qrels = read_beir(dataset, split)
    index = open_eval_index(settings, corpus, fields=FieldMap(id="_id"), progress=progress)
    try:
        items = sorted(queries.items())[:limit] if limit else sorted(queries.items())
        results = []
        for mode in modes:
            started = time.perf_counter()
            sums = [0.0, 0.0, 0.0, 0.0]
            for done, (qid, text) in enumerate(items, 1):
                ranked = ranked_docs(index, text, mode, fusion_k=settings.fusion_k)
                rel = qrels[qid]
                for i, value in enumerate((ndcg_at(ranked, rel, 10), recall_at(ranked, rel, 10),
                                           recall_at(ranked, rel, 100),
                                           reciprocal_rank(ranked, rel))):
                    sums[i] += value
                if progress:
                    progress(mode, done, len(items))
            n = max(len(items), 1)
            ndcg10, recall10, recall100, mrr = (s / n for s in sums)
            results.append(RetrievalScores(mode, len(items), ndcg10, recall10, recall100, mrr,
                                           seconds=time.perf_counter() - started))
        return results
    finally:
        index.close()
