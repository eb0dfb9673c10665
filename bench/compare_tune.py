"""Where a comparison reads each thing compared (qa/answer/compare.py `OWN_ARTICLE`), no model.

    python bench/compare_tune.py [--set hotpotqa-dev] [--k 4]

On the comparison questions kept apart from `qa eval answer --limit 200 --seed 0` ("Who was born
first, A or B?", "Are A and B both ...?"), builds each comparison's evidence (no model reads it:
the lines are chosen by retrieval and sentence ranking) three ways: in any passage naming the
thing ("off"), in its own article when one was retrieved ("held"), and also retrieving for it
when none was ("retrieve"). Prints the share of cited passages that are gold supporting
paragraphs, the share of questions whose every cited passage is, the mean gold paragraphs cited
per question and the retrievals per question. Skips cleanly without the data.
"""

from __future__ import annotations

from held_out import held_out

from qa.answer import compare as comparing
from qa.answer.direct import options_of, question_kind
from qa.records import Passage

MODES = ("off", "held", "retrieve")


def main() -> int:
    held_out_set = held_out(__doc__.splitlines()[0])
    if held_out_set is None:
        return 0
    asked = []
    for item in held_out_set.items:
        kind = question_kind(item.question)
        entities = comparing.compared(item.question, kind,
                                      options_of(item.question) if kind == "options" else [])
        if entities and item.supporting:
            asked.append((item, entities))
    index = held_out_set.open_index()
    retrieve = held_out_set.retriever(index)
    calls = 0

    def more(query: str) -> list[Passage]:
        nonlocal calls
        calls += 1
        return retrieve(query)

    print(f"{len(asked)} comparisons kept apart ({held_out_set.name}, k={held_out_set.k})")
    try:
        for mode in MODES:
            comparing.OWN_ARTICLE = mode  # type: ignore[assignment]
            cited = gold = clean = refused = calls = 0
            for item, entities in asked:
                found = comparing.compare(item.question, entities, more(item.question), more)
                if found.missing:
                    refused += 1
                    continue
                titles = {found.passages[n - 1].doc.title for _, n in found.evidence}
                cited += len(titles)
                gold += len(titles & set(item.supporting))
                clean += titles <= set(item.supporting)
            answered = len(asked) - refused
            print(f"{mode:>8}: supporting precision {100 * gold / max(cited, 1):.1f}%, "
                  f"all cited gold {100 * clean / max(answered, 1):.1f}%, "
                  f"gold passages cited {gold / max(answered, 1):.2f}, "
                  f"no passage for a thing {refused}, retrievals {calls / len(asked):.2f}")
    finally:
        index.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
