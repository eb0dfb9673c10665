"""Peak memory of ingesting one big text file (issue 10, item 5), and its generator.

    python bench/ingest_memory.py gen FILE --mb 50         # news-like sentences, seeded
    python bench/ingest_memory.py run FILE [--real-embedder]

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
        try:
            report = ingest_paths(index, [path], max_bytes=path.stat().st_size + 1)
        finally:
            index.close()
        seconds = time.monotonic() - started
    peak_mb = _peak_mb()
    print(f"{path.name}: {path.stat().st_size / 2**20:.0f} MB, {report.summary()}, "
          f"peak RSS {peak_mb:.0f} MB, {seconds:.0f} s")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("gen")
    gen.add_argument("file", type=Path)
    gen.add_argument("--mb", type=float, default=50)
    go = sub.add_parser("run")
    go.add_argument("file", type=Path)
    go.add_argument("--real-embedder", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "gen":
        generate(args.file, args.mb)
    else:
        run(args.file, args.real_embedder)


if __name__ == "__main__":
    sys.exit(main())
