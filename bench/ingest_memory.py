"""Peak memory of ingesting one big text file (issue 10, item 5), and its generator.

    python bench/ingest_memory.py gen FILE --mb 50         # news-like sentences, seeded
    python bench/ingest_memory.py split FILE DIR --files 500  # the same text as DIR/*.txt
    python bench/ingest_memory.py run FILE|DIR [--real-embedder]

`split` makes the baseline for "bounded by the batch, not the file": the same text as many
small files builds the same store, so its peak is what the store costs; a big file's peak
above it is what the file costs.

`run` ingests FILE into a fresh temporary store with the real pipeline (`ingest_paths`) and
prints peak RSS (`ru_maxrss`) and the time. By default the embedder is a stub (a hash of the
text as a unit vector) so that a 500 MB file takes minutes, not hours, on two cores: what is
measured is everything around the embedder (loading, chunking, batching, Chroma, the manifest).
`--real-embedder` uses MiniLM, whose tokenizer holds every text of a call at once.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

_SUBJECTS = ["The minister", "Officials in Brussels", "The central bank", "Analysts at Nomura",
             "Mr. Okafor", "The U.S. Treasury", "Shareholders", "The opposition party",
             "Police in Lagos", "Dr. Lindqvist", "The company", "Farmers in Punjab"]
_VERBS = ["said", "warned", "announced", "denied", "confirmed", "expected", "argued"]
_CLAUSES = ["that talks would resume next week", "that output fell {n} percent in {month}",
            "a plan to cut {n} jobs by {year}", "that rates would stay at {n}.{m} percent",
            "that the bridge reopened after {n} days", "a deal worth ${n} million",
            "that exports to China rose for the {ord} month", "that prices had doubled since "
            "{year}", "that {n} people were evacuated from the coast"]
_TAILS = ["", "", " on Tuesday", ", according to a statement", " despite protests",
          ", citing weak demand", " in a televised address"]
_MONTHS = ["January", "March", "June", "September", "November"]


def generate(path: Path, mb: float, seed: int = 10) -> None:
    rng = random.Random(seed)
    target, written = int(mb * 2**20), 0
    with path.open("w", encoding="utf-8") as out:
        while written < target:
            sentences = []
            for _ in range(rng.randint(2, 7)):
                clause = rng.choice(_CLAUSES).format(
                    n=rng.randint(2, 950), m=rng.randint(0, 9), year=rng.randint(1990, 2024),
                    month=rng.choice(_MONTHS), ord=rng.choice(["second", "third", "fifth"]))
                sentences.append(f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {clause}"
                                 f"{rng.choice(_TAILS)}.")
            paragraph = " ".join(sentences) + "\n"
            out.write(paragraph)
            written += len(paragraph)


class StubEmbedder:
    """Unit vectors from a hash of each text: no model, same shape as MiniLM's."""

    name = "minilm"
    dimension = 384

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def __getattr__(self, attr: str) -> object:
        return getattr(self.inner, attr)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
            vec = np.random.default_rng(seed).standard_normal(self.dimension)
            out[row] = vec / np.linalg.norm(vec)
        return out


def split(path: Path, folder: Path, files: int) -> None:
    """Cut `path` at paragraph ends into `files` files of about equal size."""
    folder.mkdir(parents=True, exist_ok=True)
    target = path.stat().st_size / files
    with path.open(encoding="utf-8") as text:
        part, size, out = 0, 0, (folder / "part-0000.txt").open("w", encoding="utf-8")
        for paragraph in text:
            if size >= target and part + 1 < files:
                out.close()
                part, size = part + 1, 0
                out = (folder / f"part-{part:04d}.txt").open("w", encoding="utf-8")
            out.write(paragraph)
            size += len(paragraph)
        out.close()


def run(path: Path, real_embedder: bool) -> None:
    from qa.ingest.pipeline import ingest_paths
    from qa.settings import Settings
    from qa.store import open_index

    with tempfile.TemporaryDirectory() as store:
        index = open_index(Settings(store=Path(store), collection="memory"))
        if not real_embedder:
            index.embedder = StubEmbedder(index.embedder)  # type: ignore[assignment]
        print(f"opened: peak RSS {_peak_mb():.0f} MB")
        rebuild = index.rebuild_keyword_index

        def timed_rebuild() -> int:
            print(f"before the keyword index rebuild: peak RSS {_peak_mb():.0f} MB")
            return rebuild()

        index.rebuild_keyword_index = timed_rebuild  # type: ignore[method-assign]
        started = time.monotonic()
        sampler = threading.Thread(target=_sample_rss, args=(started,), daemon=True)
        sampler.start()
        try:
            report = ingest_paths(index, [path], max_bytes=_size(path) + 1)
        finally:
            index.close()
        seconds = time.monotonic() - started
    peak_mb = _peak_mb()
    print(f"{path.name}: {_size(path) / 2**20:.0f} MB, {report.summary()}, "
          f"peak RSS {peak_mb:.0f} MB, {seconds:.0f} s")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.glob("*.txt")) if path.is_dir() \
        else path.stat().st_size


def _sample_rss(started: float, every: float = 60.0) -> None:
    """Print the resident size now and the peak so far every `every` seconds: where in the run
    the peak comes from (loading, embedding, the manifest write, the keyword rebuild)."""
    while True:
        time.sleep(every)
        status = Path("/proc/self/status").read_text()
        rss_kb = next((int(line.split()[1]) for line in status.splitlines()
                       if line.startswith("VmRSS:")), 0)
        print(f"  {time.monotonic() - started:.0f} s: RSS {rss_kb / 1024:.0f} MB, "
              f"peak {_peak_mb():.0f} MB", flush=True)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("gen")
    gen.add_argument("file", type=Path)
    gen.add_argument("--mb", type=float, default=50)
    cut = sub.add_parser("split")
    cut.add_argument("file", type=Path)
    cut.add_argument("folder", type=Path)
    cut.add_argument("--files", type=int, default=500)
    go = sub.add_parser("run")
    go.add_argument("file", type=Path)
    go.add_argument("--real-embedder", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "gen":
        generate(args.file, args.mb)
    elif args.command == "split":
        split(args.file, args.folder, args.files)
    else:
        run(args.file, args.real_embedder)


if __name__ == "__main__":
    sys.exit(main())
