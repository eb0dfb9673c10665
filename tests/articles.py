"""The one way tests make a store of titled articles (encyclopaedic text: a title, its text), as
the multi-hop sets are stored: one JSON line a document, ingested into a new store."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

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


def articles_fixture(articles: Mapping[str, str]) -> Callable[..., Iterator[Index]]:
    """A fixture `index`: a store of `articles` in the test's tmp_path, closed after it (a module
    says `index = articles_fixture(ARTICLES)`)."""

    @pytest.fixture
    def index(tmp_path: Path) -> Iterator[Index]:
        opened = articles_index(tmp_path, articles)
        yield opened
        opened.close()

    return index
