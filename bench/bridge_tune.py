"""The bridge article's threshold (qa/answer/bridge.py `LINK_SCORE`), tuned without a model.

    python bench/bridge_tune.py [--set hotpotqa-dev] [--k 4]

On the short questions kept apart from `qa eval answer --limit 200 --seed 0`, the retrieval
ranking's top sentence stands in for the 1.5B's pick (its choice adds nothing to the ranking,
docs/benchmarks.md session 11). For each threshold, the evidence is that sentence and its
passage's opening one, then the linked article's best and opening sentences when it holds at
least the threshold's share of what the first passages lack of the question. Prints how often
the evidence holds the answer and the share of cited passages that are gold supporting
paragraphs. Skips cleanly without the data.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from qa.answer.bridge import bridge, with_openings
from qa.answer.direct import question_kind
from qa.answer.sentences import rank_sentences
from qa.eval.answers import corpus_file, kept_apart, read_generic
from qa.eval.metrics import contains_answer
from qa.eval.retrieval import open_eval_index
from qa.records import Passage
from qa.retrieve import retrieve
from qa.settings import load_settings

MULTIHOP = Path(__file__).resolve().parents[1].parent / "shared/eval/multihop"
THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, float("inf"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="hotpotqa-dev", help="a folder of ../shared/eval/multihop")
    parser.add_argument("--k", type=int, default=4)  # `qa eval answer`'s default
    args = parser.parse_args()
    folder = MULTIHOP / args.set
    if not (folder / "questions.jsonl").is_file():
        print(f"skipped: {folder} not found")
        return 0
    settings = load_settings({"generator": "extractive", "k": args.k}).settings
    docs, items = read_generic(folder / "corpus.jsonl", folder / "questions.jsonl")
    items = [i for i in kept_apart(items) if question_kind(i.question) == "short"]
    index = open_eval_index(settings, corpus_file(settings, f"multihop-{folder.name}", docs))
    held = dict.fromkeys(THRESHOLDS, 0)
    cited = dict.fromkeys(THRESHOLDS, 0)
    gold = dict.fromkeys(THRESHOLDS, 0)
    try:
        for item in items:
            def more(query: str) -> list[Passage]:
                return retrieve(index, query, k=args.k, fusion_k=settings.fusion_k)

            passages = more(item.question)
            ranked = rank_sentences(item.question, passages, index.embedder)
            if not ranked:
                continue
            first = with_openings([(" ".join(ranked[0].text.split()), ranked[0].number)],
                                  passages)
            # the best article whatever its score: the sweep decides
            link = bridge(item.question, first, passages, more, index.embedder,
                          least_score=float("-inf"))
            for threshold in THRESHOLDS:
                evidence = [(s, passages[n - 1]) for s, n in first]
                if link is not None and link.score >= threshold:
                    evidence += [(s, link.passage) for s in link.sentences]
                held[threshold] += any(contains_answer(s, item.answers) for s, _ in evidence)
                titles = {p.doc.title for _, p in evidence}
                cited[threshold] += len(titles)
                gold[threshold] += len(titles & set(item.supporting))
    finally:
        index.close()
    print(f"{len(items)} short questions kept apart ({args.set}, k={args.k})")
    for threshold in THRESHOLDS:
        print(f"LINK_SCORE {threshold}: holds the answer {100 * held[threshold] / len(items):.1f}%"
              f", supporting precision {100 * gold[threshold] / max(cited[threshold], 1):.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
