"""Keyword retrieval: BM25 (bm25s, English stopwords, Snowball stemming) over chunk texts.

Chroma's own hybrid search runs only on distributed/hosted Chroma, so the keyword index lives
beside it in `<store>/bm25/`. It is rebuilt from the manifest after any ingest or forget that
changed something (bm25s indexes tens of thousands of chunks in seconds), which keeps it in
step with the vectors by construction rather than by incremental bookkeeping.

A rebuild writes a new folder beside the old one and renames it into place, so a kill leaves
the old index whole. Beside the ids it records the manifest's `keyword_stamp` it was built
from; an index whose stamp differs (a rebuild that died, a folder deleted) is stale and the
next ingest rebuilds it (`qa/ingest/heal.py`).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import StoreError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_IDS_FILE = "chunk_ids.json"
_STAMP_FILE = "manifest_stamp"  # written last: a folder without it was never finished


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _tokenize(texts: list[str], stemmer: Any) -> list[list[str]]:
    import bm25s

    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, return_ids=False,
                            show_progress=False)
    return list(tokens)


class KeywordIndex:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._model: Any = None
        self._ids: list[str] = []
        self._position: dict[str, int] = {}
        self._stemmer: Any = None

    # -- building ------------------------------------------------------------------------------
    def rebuild(self, rows: Iterable[tuple[str, str]], stamp: str = "") -> int:
        """Index (chunk_id, text) rows, replacing the index on disk atomically; `stamp` names
        the manifest state they came from. Returns the count."""
        import bm25s

        pairs = list(rows)
        self._stemmer = self._stemmer or _stemmer()
        tmp = self.directory.with_name(self.directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        ids = [cid for cid, _ in pairs]
        if pairs:
            model = bm25s.BM25()
            model.index(_tokenize([text for _, text in pairs], self._stemmer), show_progress=False)
            model.save(str(tmp), show_progress=False)
        (tmp / _IDS_FILE).write_text(json.dumps(ids))
        (tmp / _STAMP_FILE).write_text(stamp)
        old = self.directory.with_name(self.directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.directory.exists():
            self.directory.rename(old)
        tmp.rename(self.directory)
        shutil.rmtree(old, ignore_errors=True)
        self._model = None  # reload lazily
        return len(ids)

    def stamp(self) -> str | None:
        """The manifest stamp this index was built from; None when there is no whole index."""
        try:
            return (self._folder() / _STAMP_FILE).read_text()
        except OSError:
            return None

    def _folder(self) -> Path:
        """The index folder; the previous one when a kill fell between the two renames."""
        old = self.directory.with_name(self.directory.name + ".old")
        return old if not self.directory.exists() and old.exists() else self.directory

    # -- querying ------------------------------------------------------------------------------
    def _load(self) -> bool:
        if self._model is not None:
            return True
        folder = self._folder()
        ids_path = folder / _IDS_FILE
        if not ids_path.exists():
            return False
        import bm25s

        try:
            for _ in range(5):
                # A writer may rename a new index into place between reading the ids and the
                # model (found by tests/test_concurrent_rw.py): read again until the stamp held
                before = self.stamp()
                folder = self._folder()
                self._ids = json.loads((folder / _IDS_FILE).read_text())
                if not self._ids:
                    return False
                self._model = bm25s.BM25.load(str(folder), show_progress=False)
                if self.stamp() == before:
                    break
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"{self.directory}: keyword index unreadable ({exc})",
                             fix="rebuild it with `qa ingest --reindex` or `qa doctor "
                                 "--repair`") from exc
        self._position = {cid: i for i, cid in enumerate(self._ids)}
        self._stemmer = self._stemmer or _stemmer()
        return True

    def scores(self, query: str) -> npt.NDArray[np.float32] | None:
        """BM25 score of every indexed chunk (in index order), or None for an empty index."""
        if not self._load():
            return None
        tokens = _tokenize([query], self._stemmer)[0]
        vocab = self._model.vocab_dict
        known = [t for t in tokens if t in vocab]
        import numpy as np

        if not known:
            return np.zeros(len(self._ids), dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)

    def search(self, query: str, k: int,
               allowed: Collection[str] | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk_id, score) with score > 0, optionally only among `allowed` chunk ids."""
        import numpy as np

        scores = self.scores(query)
        if scores is None:
            return []
        if allowed is not None:
            mask = np.zeros(len(scores), dtype=bool)
            idx = [self._position[c] for c in allowed if c in self._position]
            mask[idx] = True
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self._ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def __len__(self) -> int:
        return len(self._ids) if self._load() else 0
