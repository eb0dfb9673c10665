"""A feed fetch of 100 new entries into a store of 1,000,000 chunks (issue 13, item 3).

    python bench/feeds_scale.py fill STORE --chunks 1000000   # once: a synthetic big store
    python bench/feeds_scale.py run STORE --entries 100       # time one fetch (repeatable)

`fill` writes synthetic documents (10 chunks each, news-like sentences, seeded) into the
manifest, random unit vectors into Chroma (no embedding of a million texts) and builds the
keyword index once from them, all through the store's own classes. `run` serves a feed of
`--entries` new articles (about 350 words each, unique per run) and their pages from a local
HTTP server in this process, subscribes to it and times `fetch_feeds` end to end with the real
MiniLM embedder, then the parts: time in HTTP requests (the "network", here loopback),
embedding, vector writes, the keyword-index update and the store check (`heal`). It prints one
JSON object and appends it to bench/results/feeds_scale.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.feeds.fetch import fetch_feeds  # noqa: E402  (bench/ is scripts: the repo on the path)
from qa.ingest.pipeline import _chunk_metadata  # noqa: E402
from qa.records import Chunk, Document  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.store import open_index  # noqa: E402
from vectorstore.feeds import FeedRow  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "feeds_scale.json"
CHUNKS_PER_DOC = 10
DOCS_PER_BATCH = 2_000

_SUBJECTS = ["The minister", "Officials in Brussels", "The central bank", "Analysts at Nomura",
             "Mr. Okafor", "The U.S. Treasury", "Shareholders", "The opposition party",
             "Police in Lagos", "Dr. Lindqvist", "The company", "Farmers in Punjab",
             "The mayor of Lyon", "Dock workers", "The weather service", "Engineers"]
_VERBS = ["said", "warned", "announced", "denied", "confirmed", "expected", "argued", "added"]
_CLAUSES = ["that talks would resume next week", "that output fell {n} percent in {month}",
            "a plan to cut {n} jobs by {year}", "that rates would stay at {n}.{m} percent",
            "that the bridge reopened after {n} days", "a deal worth ${n} million",
            "that exports to China rose for the {ord} month", "that prices had doubled since "
            "{year}", "that {n} people were evacuated from the coast",
            "that the {word} project would cost {n} million", "a review of the {word} program",
            "that the {word} line would open in {year}"]
_WORDS = ["harbour", "tram", "pipeline", "vaccine", "satellite", "railway", "archive",
          "reservoir", "turbine", "bridge", "stadium", "hospital", "school", "airport"]
_MONTHS = ["January", "March", "June", "September", "November"]


def sentence(rng: random.Random) -> str:
    clause = rng.choice(_CLAUSES).format(
        n=rng.randint(2, 950), m=rng.randint(0, 9), year=rng.randint(1990, 2024),
        month=rng.choice(_MONTHS), ord=rng.choice(["second", "third", "fifth"]),
        word=rng.choice(_WORDS) + str(rng.randint(1, 5000)))  # a long tail of rare terms
    return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {clause}."


# ---------------------------------------------------------------------------- fill


def fill(store: Path, chunks: int, seed: int = 13) -> dict[str, Any]:
    rng = random.Random(seed)
    vectors_rng = np.random.default_rng(seed)
    index = open_index(Settings(store=store))
    started = time.monotonic()
    docs_total = chunks // CHUNKS_PER_DOC
    try:
        done = index.manifest.stats()["documents"]
        while done < docs_total:
            batch = []
            for number in range(done, min(done + DOCS_PER_BATCH, docs_total)):
                texts = [" ".join(sentence(rng) for _ in range(3)) for _ in range(CHUNKS_PER_DOC)]
                text = "\n\n".join(texts)
                doc = Document(key=f"/synthetic/{number}.txt", text=text,
                               title=f"Synthetic story {number}", source="synthetic",
                               published=(datetime(2020, 1, 1) + timedelta(days=number % 1400))
                               .date(), sha256=hashlib.sha256(text.encode()).hexdigest())
                offset, parts = 0, []
                for ordinal, part in enumerate(texts):
                    parts.append(Chunk(doc.doc_id, ordinal, part, offset, offset + len(part)))
                    offset += len(part) + 2
                batch.append((doc, parts))
            flat = [(d, c) for d, cs in batch for c in cs]
            vectors = vectors_rng.standard_normal((len(flat), 384), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            index.vectors.add([c.chunk_id for _, c in flat], vectors, [c.text for _, c in flat],
                              [_chunk_metadata(d, c) for d, c in flat])
            index.manifest.put_documents(batch)  # after its vectors, as an ingest does
            done += len(batch)
            print(f"{done * CHUNKS_PER_DOC} chunks ({time.monotonic() - started:.0f} s)",
                  file=sys.stderr, flush=True)
        filled = time.monotonic() - started
        keyword_started = time.monotonic()
        indexed = index.rebuild_keyword_index()
        keyword_seconds = time.monotonic() - keyword_started
    finally:
        index.close()
    return {"command": "fill", "chunks": indexed, "fill_seconds": round(filled, 1),
            "keyword_rebuild_seconds": round(keyword_seconds, 1)}


# ---------------------------------------------------------------------------- serve


def articles(run: str, n: int, seed: int) -> dict[str, tuple[str, str, str]]:
    """path -> (title, pubDate, page HTML), unique to `run`."""
    rng = random.Random(seed)
    out = {}
    when = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    for i in range(n):
        title = f"Report {run}-{i}: {rng.choice(_WORDS)} {rng.choice(_VERBS)}"
        paragraphs = [" ".join(sentence(rng) for _ in range(4)) for _ in range(6)]
        page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + title +
                "</title></head><body><article><h1>" + title + "</h1>" +
                "".join(f"<p>{p}</p>" for p in paragraphs) + "</article></body></html>")
        stamp = (when + timedelta(minutes=i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        out[f"/{run}/a{i}.html"] = (title, stamp, page)
    return out


@contextmanager
def serving(pages: dict[str, tuple[str, str, str]], feed_path: str) -> Iterator[str]:
    items = "".join(f"<item><title>{t}</title><link>{{base}}{p}</link><pubDate>{d}</pubDate>"
                    f"<description>{t}.</description></item>" for p, (t, d, _) in pages.items())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            base = f"http://{self.headers['Host']}"
            if self.path == feed_path:
                body = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                        f"<title>Scale wire</title><link>{base}/</link><description>x"
                        f"</description>{items.replace('{base}', base)}</channel></rss>")
                self._send(body.encode(), "application/rss+xml")
            elif self.path in pages:
                self._send(pages[self.path][2].encode(), "text/html; charset=utf-8")
            else:
                self._send(b"", "text/plain", 404)

        def _send(self, body: bytes, kind: str, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


# ---------------------------------------------------------------------------- run


class Meter:
    """Seconds spent inside wrapped callables (summed over threads: the HTTP figure is time
    in requests, which overlap when several hosts are fetched at once; here one host)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[name] = self.seconds.get(name, 0.0) + time.monotonic() - started
        return timed


def run(store: Path, entries: int) -> dict[str, Any]:
    import qa.ingest.heal
    from qa.feeds.client import Fetcher
    from vectorstore.index import Index

    meter = Meter()
    Fetcher.get = meter.wrap("http", Fetcher.get)  # type: ignore[method-assign]
    Index.update_keyword_index = meter.wrap(  # type: ignore[method-assign]
        "keyword_update", Index.update_keyword_index)
    Index.rebuild_keyword_index = meter.wrap(  # type: ignore[method-assign]
        "keyword_rebuild", Index.rebuild_keyword_index)
    qa.ingest.heal.heal = meter.wrap("heal", qa.ingest.heal.heal)
    run_id = datetime.now(UTC).strftime("%H%M%S%f")
    pages = articles(run_id, entries, seed=int(run_id))
    opened = time.monotonic()
    index = open_index(Settings(store=store))
    before = index.manifest.stats()
    index.embedder.embed(["warm up"])  # the model's load is not the fetch's cost
    chunks_before = before["chunks"]
    embed = index.embedder.embed
    index.embedder.embed = meter.wrap("embed", embed)  # type: ignore[method-assign]
    index.vectors.add = meter.wrap("vector_add", index.vectors.add)  # type: ignore[method-assign]
    open_seconds = time.monotonic() - opened
    try:
        with serving(pages, f"/{run_id}/feed.xml") as base:
            index.feeds.add(FeedRow(f"scale-{run_id}", f"{base}/{run_id}/feed.xml", "",
                                    datetime.now(UTC).isoformat()))
            started = time.monotonic()
            report = fetch_feeds(index, [f"scale-{run_id}"])
            total = time.monotonic() - started
        after = index.manifest.stats()
    finally:
        index.close()
    [feed] = report.feeds
    assert feed.status == "fetched" and feed.new == entries, (feed.status, feed.new, feed.error)
    result = {"command": "run", "store_chunks_before": chunks_before, "entries": entries,
              "new_documents": after["documents"] - before["documents"],
              "new_chunks": after["chunks"] - chunks_before, "requests": report.requests,
              "seconds_total": round(total, 2),
              "seconds_excluding_http": round(total - meter.seconds.get("http", 0.0), 2),
              "open_and_load_seconds": round(open_seconds, 2),
              "parts_seconds": {k: round(v, 2) for k, v in sorted(meter.seconds.items())},
              "keyword_rebuilt": "keyword_rebuild" in meter.seconds,
              "measured": datetime.now(UTC).isoformat(timespec="seconds")}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_fill = sub.add_parser("fill", help="fill STORE with synthetic chunks and vectors")
    p_fill.add_argument("store", type=Path)
    p_fill.add_argument("--chunks", type=int, default=1_000_000)
    p_run = sub.add_parser("run", help="time one fetch of --entries new entries into STORE")
    p_run.add_argument("store", type=Path)
    p_run.add_argument("--entries", type=int, default=100)
    p_run.add_argument("--note", default="", help="e.g. 'shared machine'")
    args = parser.parse_args(argv)
    if args.command == "fill":
        result = fill(args.store, args.chunks)
    else:
        result = run(args.store, args.entries)
        result["note"] = args.note
    print(json.dumps(result, indent=2))
    history = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    RESULTS.write_text(json.dumps([*history, result], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
