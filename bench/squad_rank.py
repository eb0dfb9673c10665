"""How often the top-ranked sentence holds the answer, by words alone and with the question's
similarity to the sentence added at several weights (qa/answer/sentences.py DENSE_WEIGHT).

    python bench/squad_rank.py [--k 4] [--squad FILE]

Reads the answerable SQuAD 2.0 questions kept apart from the evaluation sample (`--limit 200
--seed 0`), retrieves `--k` passages for each as `qa ask` does and ranks their sentences; no
language model runs. The reading check offers the top sentences to the model and its pick
follows the ranking closely (bench/squad_reread.py), so this is where the pick can gain.
Skips cleanly when the data is absent.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from qa.answer.sentences import rank_sentences
from qa.eval.answers import corpus_file, kept_apart, read_squad
from qa.eval.metrics import contains_answer
from qa.eval.retrieval import open_eval_index
from qa.retrieve import retrieve
from qa.settings import load_settings

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared/eval/squad2-dev-5articles" \
    / "squad2_dev_first5articles.json"
WEIGHTS = (0.0, 0.2, 0.5, 0.7, 1.0, 1.5, 2.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=Path, default=DEFAULT)
    parser.add_argument("--k", type=int, default=4)
    args = parser.parse_args()
    if not args.squad.is_file():
        print(f"skipped: {args.squad} not found")
        return 0
    settings = load_settings({"generator": "extractive", "k": args.k}).settings
    docs, items = read_squad(args.squad)
    tune = [i for i in kept_apart(items) if i.answerable]
    index = open_eval_index(settings, corpus_file(settings, f"squad-{args.squad.stem}", docs))
    top = dict.fromkeys(WEIGHTS, 0)
    counted = 0
    try:
        for item in tune:
            passages = retrieve(index, item.question, k=args.k, fusion_k=settings.fusion_k)
            ranked = rank_sentences(item.question, passages)  # by words alone
            holds = [contains_answer(c.text, item.answers) for c in ranked]
            if not any(holds):
                continue  # no retrieved sentence holds it: no ranking can help
            counted += 1
            vectors = index.embedder.embed([item.question, *(c.text for c in ranked)])
            similarity = np.asarray(vectors[1:]) @ np.asarray(vectors[0])
            for weight in WEIGHTS:
                scores = [c.score + weight * float(s)
                          for c, s in zip(ranked, similarity, strict=True)]
                top[weight] += holds[int(np.argmax(scores))]
    finally:
        index.close()
    print(f"{counted} answerable questions with a retrieved sentence holding the answer "
          f"(of {len(tune)})")
    print("weight  top sentence holds the answer")
    for weight, hits in top.items():
        print(f"{weight:6.1f}  {hits} ({100 * hits / max(counted, 1):.1f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
