"""How fast this machine's llama.cpp build reads a prompt: the 1.5B evaluates a 700-token
prompt (what a pick and a short answer cost most of), best of `--runs`, in tokens per second.

    python bench/llama_speed.py [--model 1.5b] [--threads 2] [--runs 3]

Builds differ by what they were compiled for (the Makefile's LLAMA_CFLAGS and
LLAMA_CMAKE_ARGS): compare them
with this before an answer benchmark's times are compared across sessions.
"""

from __future__ import annotations

import argparse
import time

from qa.generators.models import resolve_model
from qa.settings import load_settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="1.5b")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=700)
    args = parser.parse_args()
    from llama_cpp import Llama

    cache = load_settings({}).settings.cache_dir
    llm = Llama(model_path=str(resolve_model(args.model, cache)), n_ctx=4096,
                n_threads=args.threads, verbose=False)
    text = " ".join(f"Sentence {i} says that the river rose by {i} metres." for i in range(200))
    tokens = llm.tokenize(text.encode())[:args.tokens]
    best = float("inf")
    for _ in range(args.runs):
        llm.reset()  # type: ignore[no-untyped-call]
        started = time.perf_counter()
        llm.eval(tokens)
        best = min(best, time.perf_counter() - started)
    print(f"{len(tokens)} tokens in {best:.2f} s: {len(tokens) / best:.0f} tokens/s "
          f"({args.threads} threads, best of {args.runs})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
