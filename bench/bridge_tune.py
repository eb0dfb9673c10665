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

from held_out import held_out

from qa.answer.bridge import bridge, with_openings
from qa.answer.direct import question_kind
from qa.answer.sentences import rank_sentences
from qa.eval.metrics import contains_answer

THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, float("inf"))


def main() -> int:
    held_out_set = held_out(__doc__.splitlines()[0])
    if held_out_set is None:
        return 0
    items = [i for i in held_out_set.items if question_kind(i.question) == "short"]
    index = held_out_set.open_index()
    more = held_out_set.retriever(index)
    held = dict.fromkeys(THRESHOLDS, 0)
    cited = dict.fromkeys(THRESHOLDS, 0)
    gold = dict.fromkeys(THRESHOLDS, 0)
    try:
        for item in items:
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
    print(f"{len(items)} short questions kept apart ({held_out_set.name}, k={held_out_set.k})")
    for threshold in THRESHOLDS:
        print(f"LINK_SCORE {threshold}: holds the answer {100 * held[threshold] / len(items):.1f}%"
              f", supporting precision {100 * gold[threshold] / max(cited[threshold], 1):.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
