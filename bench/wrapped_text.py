"""Sentences of hard-wrapped text: `qa.text.split_sentences` with its line-break reading (every
line break ends a sentence) against hard-wrapped detection, on Reuters-21578 wire copy; and on
the other corpora of ../shared/eval, how many documents are read as hard-wrapped (their lines
are paragraphs, so none should be).

    python bench/wrapped_text.py [--shared ../shared] [--limit N]

A sentence is counted as a fragment when it starts with a lower-case letter ("rose 0.50 to",
"1.50 dlr, the usda said." starts with a digit and is counted as run-on instead: it ends no
sentence its line began) or ends with neither a full stop, question or exclamation mark, a
closing quote or bracket, nor a colon (a table row such as "Shr 34 cts vs 1.19 dlrs" is one).
Skips cleanly, exit 0, where the data is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reuters import find_reuters, load_reuters  # noqa: E402

from qa.text import hard_wrapped, split_sentences  # noqa: E402

_ENDS = tuple(""".!?:"'”’)]""")
OTHERS = {  # corpus -> (path under eval/, the text field)
    "BBC News Summary": ("bbc-news-summary/bbc_news_summary.jsonl", "article"),
    "Timeline17 dev": ("timeline17-dev/docs.jsonl", "text"),
    "BASIL": ("news-stories/basil.jsonl", "text"),
    "ECB+": ("news-stories/ecbplus.jsonl", "text"),
    "HotpotQA dev corpus": ("multihop/hotpotqa-dev/corpus.jsonl", "text"),
    "2Wiki dev corpus": ("multihop/2wiki-dev/corpus.jsonl", "text"),
}


def counts(texts: list[str], wrapped: bool | None) -> dict[str, float]:
    pieces = [t[a:b] for t in texts for a, b in split_sentences(t, wrapped)]
    lower = sum(p[0].islower() for p in pieces)
    open_end = sum(not p.endswith(_ENDS) for p in pieces)
    return {"sentences": len(pieces), "per_document": round(len(pieces) / len(texts), 2),
            "starts_lower_case_pct": round(100 * lower / len(pieces), 1),
            "ends_mid_sentence_pct": round(100 * open_end / len(pieces), 1)}


def texts_of(path: Path, field: str) -> Iterator[str]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            value = json.loads(line).get(field)
            if isinstance(value, str) and value:
                yield value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] /
                        "shared")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    folder = find_reuters(args.shared)
    if folder is None:
        print(f"skipped: no Reuters-21578 under {args.shared}/eval")
        return
    bodies = [d.text for d in load_reuters(folder, args.limit)]
    result = {"reuters_documents": len(bodies),
              "reuters_read_as_wrapped": sum(hard_wrapped(b) for b in bodies),
              "every_line_break_ends_a_sentence": counts(bodies, False),
              "hard_wrapped_detected": counts(bodies, None)}
    others: dict[str, dict[str, int]] = {}
    for name, (where, field) in OTHERS.items():
        path = args.shared / "eval" / where
        if path.exists():
            texts = list(texts_of(path, field))
            others[name] = {"documents": len(texts),
                            "read_as_wrapped": sum(hard_wrapped(t) for t in texts)}
    print(json.dumps({**result, "others": others}, indent=2))


if __name__ == "__main__":
    main()
