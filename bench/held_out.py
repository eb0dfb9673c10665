"""The multi-hop questions the evaluation sample leaves out, for the scripts that tune on them.

`qa eval answer --limit 200 --seed 0` is the test; bench/bridge_tune.py and
bench/compare_tune.py tune on the rest of the set (`kept_apart`), read in place from
../shared/eval/multihop.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from qa.answer.evidence import Retriever
from qa.eval.answers import Item, corpus_file, kept_apart, read_generic
from qa.eval.retrieval import open_eval_index
from qa.records import Passage
from qa.retrieve import retrieve
from qa.settings import Settings, load_settings
from vectorstore.index import Index

MULTIHOP = Path(__file__).resolve().parents[1].parent / "shared/eval/multihop"


@dataclass
class HeldOut:
    name: str
    k: int
    settings: Settings
    docs: list[dict[str, str]]
    items: list[Item]  # kept apart from the evaluation sample

    def open_index(self) -> Index:
        """The eval store of the whole set (built on first use); the caller closes it."""
        return open_eval_index(self.settings,
                               corpus_file(self.settings, f"multihop-{self.name}", self.docs))

    def retriever(self, index: Index) -> Retriever:
        def more(query: str) -> list[Passage]:
            return retrieve(index, query, k=self.k, fusion_k=self.settings.fusion_k)
        return more


def held_out(description: str) -> HeldOut | None:
    """Parse `--set` and `--k` and read the set; None (after saying so) when it is absent."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--set", default="hotpotqa-dev", help="a folder of ../shared/eval/multihop")
    parser.add_argument("--k", type=int, default=4)  # `qa eval answer`'s default
    args = parser.parse_args()
    folder = MULTIHOP / args.set
    if not (folder / "questions.jsonl").is_file():
        print(f"skipped: {folder} not found")
        return None
    settings = load_settings({"generator": "extractive", "k": args.k}).settings
    docs, items = read_generic(folder / "corpus.jsonl", folder / "questions.jsonl")
    return HeldOut(folder.name, args.k, settings, docs, kept_apart(items))
