"""What the reading judge adds to the citation check of a three-sentence written answer.

Each answer is three sentences of one dev document (bench/claims_build.py's dev.jsonl), lightly
paraphrased so that none is verbatim (verbatim sentences skip the judge), each cited to the
passage that holds it, as a model-written answer would be. The check runs on the document's
passages (chunked as ingest does) with MiniLM, once without and once with the judge; the
difference is the judge's cost. Run it under the heavy lock:

    flock /tmp/qa-heavy.lock python bench/cite_cost.py --pairs /tmp/claims/dev.jsonl \
        --local-model 1.5b --answers 20
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from claims_build import Doc, paraphrase  # noqa: E402

from qa import cite  # noqa: E402
from qa.align import is_verbatim  # noqa: E402
from qa.eval.check import CachedEmbedder, passages_of, read_pairs  # noqa: E402
from qa.generators.local_backend import LocalGenerator  # noqa: E402
from qa.judge import reading_judge  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.store import make_embedder  # noqa: E402


def answers(pairs_file: Path, count: int, seed: int) -> list[tuple[str, str]]:
    """(document, written answer with [n] markers) pairs."""
    rng = random.Random(seed)
    documents = list(dict.fromkeys(p.document for p in read_pairs(pairs_file)))
    rng.shuffle(documents)
    settings = Settings()
    out: list[tuple[str, str]] = []
    for text in documents:
        doc = Doc("dev", "x", text)
        passages = passages_of(text, settings)
        written = []
        for sentence in doc.sentences:
            p = paraphrase(sentence, doc, rng)
            if p is None or is_verbatim(p, text) or len(p.split()) < 8:
                continue
            number = next((i for i, ps in enumerate(passages, 1) if sentence in ps.text), 1)
            written.append(f"{p} [{number}]")
            if len(written) == 3:
                break
        if len(written) == 3:
            out.append((text, " ".join(written)))
        if len(out) == count:
            break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, required=True)
    parser.add_argument("--local-model", default="1.5b")
    parser.add_argument("--answers", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = Settings(local_model=args.local_model)
    embedder = CachedEmbedder(make_embedder(settings))
    generator = LocalGenerator(settings)
    generator.load()
    judge = reading_judge(generator)
    assert judge is not None
    plain, judged, calls = [], [], []
    try:
        for text, answer in answers(args.pairs, args.answers, args.seed):
            passages = passages_of(text, settings)
            cite.check(answer, passages, embedder)  # embed outside the timing, both runs alike
            started = time.perf_counter()
            cite.check(answer, passages, embedder)
            plain.append(time.perf_counter() - started)
            before = judge.calls
            started = time.perf_counter()
            cite.check(answer, passages, embedder, judge=judge)
            judged.append(time.perf_counter() - started)
            calls.append(judge.calls - before)
    finally:
        generator.close()
    added = [j - p for j, p in zip(judged, plain, strict=True)]
    print(json.dumps({
        "answers": len(added), "model": args.local_model, "judge_calls_mean":
        round(statistics.mean(calls), 2), "check_s_median": round(statistics.median(plain), 3),
        "added_s_median": round(statistics.median(added), 2),
        "added_s_p90": round(sorted(added)[int(0.9 * (len(added) - 1))], 2),
        "added_s_max": round(max(added), 2)}, indent=1))


if __name__ == "__main__":
    main()
