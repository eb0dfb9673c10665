"""The one way tests make a store of titled articles (encyclopaedic text: a title, its text), as
the multi-hop sets are stored: one JSON line a document, ingested into a new store."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from qa.ingest.pipeline import ingest_paths
from qa.settings import Settings
from qa.store import open_index
from vectorstore.index import Index


def articles_index(folder: Path, articles: Mapping[str, str]) -> Index:
    """An open store in `folder` holding each (title, text) as a document; the caller closes
    it."""
    corpus = folder / "articles.jsonl"
    corpus.write_text("".join(json.dumps({"id": title, "title": title, "text": text}) + "\n"
                              for title, text in articles.items()))
    index = open_index(Settings(store=folder / "store"))
    ingest_paths(index, [corpus])
    return index
