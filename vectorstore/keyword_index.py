"""Keyword retrieval: BM25 (bm25s, English stopwords, Snowball stemming) over chunk texts.

Chroma's own hybrid search runs only on distributed/hosted Chroma, so the keyword index lives
beside it in `<store>/bm25/`. A full rebuild from the manifest keeps it in step with the
vectors by construction; it costs a read of every chunk, which a store of a million chunks
cannot pay on every small ingest (a feed fetch of 100 entries). So a change made to an index
that was current is appended instead: `append` writes the new chunks' tokens (and the ids of
chunks gone or replaced) to a small delta beside the main index, and the query scores the
delta with the same BM25 (Lucene idf, k1, b, the main index's average length) over the joined
document counts, re-weighting the main index's precomputed scores by the joined idf, so the
scores equal a full rebuild's but for the average length. A delta past `DELTA_LIMIT` (or an
index that was not current) is folded in by a full rebuild.

A rebuild writes a new folder beside the old one and renames it into place, so a kill leaves
the old index whole; an append replaces the delta file by rename, then the stamp. Beside the
ids the index records the manifest's `keyword_stamp` it was built from; an index whose stamp
differs (a rebuild or append that died, a folder deleted) is stale and the next ingest
rebuilds it (`qa/ingest/heal.py`).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import time
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import StoreError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_IDS_FILE = "chunk_ids.json"
_STAMP_FILE = "manifest_stamp"  # written last: a folder without it was never finished
_STATS_FILE = "stats.json"  # the main index's size, average length and BM25 parameters
_DELTA_FILE = "delta.json"  # chunks appended since the last rebuild, and ids dropped
# A delta bigger than this is folded into the main index by a rebuild: the delta is scored in
# Python per query and rewritten whole per append, so it must stay small.
DELTA_LIMIT = 20_000


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _tokenize(texts: list[str], stemmer: Any) -> list[list[str]]:
    import bm25s

    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, return_ids=False,
                            show_progress=False)
    return list(tokens)


# Chunks tokenized per call while rebuilding: the texts of one batch are held, never the
# store's (a 500 MB file's 650 MB of chunk texts were all read before the first token).
_REBUILD_BATCH = 4096


def _token_ids(rows: Iterable[tuple[str, str]], stemmer: Any
               ) -> tuple[list[str], list[list[int]], dict[str, int]]:
    """Chunk ids, each chunk's token ids and the vocabulary, read `_REBUILD_BATCH` rows at a
    time. The ids are the vocabulary's own int objects, so a token costs one list slot (bm25s
    from strings holds the strings and a second list of ids)."""
    ids: list[str] = []
    token_ids: list[list[int]] = []
    vocab: dict[str, int] = {}
    rows = iter(rows)
    while batch := list(itertools.islice(rows, _REBUILD_BATCH)):
        ids.extend(cid for cid, _ in batch)
        for tokens in _tokenize([text for _, text in batch], stemmer):
            token_ids.append([vocab.setdefault(t, len(vocab)) for t in tokens])
    return ids, token_ids, vocab


_LOAD_TRIES = 20  # reads of an index a writer is swapping (the rename window is microseconds)
_LOAD_PAUSE = 0.05


def _unreadable(directory: Path, exc: Exception) -> StoreError:
    return StoreError(f"{directory}: keyword index unreadable ({exc})",
                      fix="rebuild it with `qa ingest --reindex` or `qa doctor --repair`")


class KeywordIndex:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._model: Any = None
        self._ids: list[str] = []
        self._position: dict[str, int] = {}
        self._stemmer: Any = None
        self._delta: _Delta | None = None

    # -- building ------------------------------------------------------------------------------
    def rebuild(self, rows: Iterable[tuple[str, str]], stamp: str = "") -> int:
        """Index (chunk_id, text) rows, replacing the index on disk atomically; `stamp` names
        the manifest state they came from. Returns the count."""
        import bm25s

        self._stemmer = self._stemmer or _stemmer()
        tmp = self.directory.with_name(self.directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        ids, token_ids, vocab = _token_ids(rows, self._stemmer)
        if ids:
            model = bm25s.BM25()
            model.index((token_ids, vocab), show_progress=False)
            model.save(str(tmp), show_progress=False)
            (tmp / _STATS_FILE).write_text(json.dumps({
                "docs": len(ids), "avgdl": sum(map(len, token_ids)) / len(ids),
                "k1": model.k1, "b": model.b, "method": model.method,
                "idf_method": model.idf_method}))
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

    def append(self, rows: Iterable[tuple[str, str]], dropped: Collection[str],
               stamp: str) -> int | None:
        """Add (chunk_id, text) rows and drop the chunk ids `dropped` without touching the main
        index; `stamp` as for `rebuild`. The caller must know the index was current before
        these changes, and drop every chunk it re-adds with new text (a relabelled title).
        Returns the delta's size, or None when a rebuild is needed instead (no main index, an
        index without stats, a delta grown past DELTA_LIMIT)."""
        folder = self._folder()
        stats = _read_json(folder / _STATS_FILE)
        if not stats or stats.get("method") != "lucene" or stats.get("idf_method") != "lucene":
            return None
        delta = _read_json(folder / _DELTA_FILE) or {"ids": [], "tokens": [], "dead": []}
        pairs = list(rows)
        gone = set(dropped) | {cid for cid, _ in pairs}  # a re-added chunk replaces its text
        dead = set(delta["dead"])
        kept = [(cid, toks) for cid, toks in zip(delta["ids"], delta["tokens"], strict=True)
                if cid not in gone]
        # a dropped id not in the delta is in the main index (the index was current)
        dead |= set(dropped) - set(delta["ids"])
        if len(kept) + len(pairs) > max(DELTA_LIMIT, int(stats["docs"]) // 10):
            return None
        if pairs:
            self._stemmer = self._stemmer or _stemmer()
            kept += zip([cid for cid, _ in pairs],
                        _tokenize([text for _, text in pairs], self._stemmer), strict=True)
        _write_atomic(folder / _DELTA_FILE, json.dumps(
            {"ids": [cid for cid, _ in kept], "tokens": [t for _, t in kept],
             "dead": sorted(dead)}))
        _write_atomic(folder / _STAMP_FILE, stamp)
        self._model = None  # reload lazily
        return len(kept)

    def stamp(self) -> str | None:
        """The manifest stamp this index was built from; None when there is no whole index."""
        try:
            return (self._folder() / _STAMP_FILE).read_text()
        except OSError:
            return None

    def count(self) -> int:
        """Chunks the index holds, read from its small files (the main index is not loaded)."""
        folder = self._folder()
        stats = _read_json(folder / _STATS_FILE)
        if stats is None:
            return len(self)
        delta = _read_json(folder / _DELTA_FILE) or {"ids": [], "dead": []}
        return int(stats["docs"]) - len(delta["dead"]) + len(delta["ids"])

    def _folder(self) -> Path:
        """The index folder; the previous one when a kill fell between the two renames."""
        old = self.directory.with_name(self.directory.name + ".old")
        return old if not self.directory.exists() and old.exists() else self.directory

    # -- querying ------------------------------------------------------------------------------
    def _load(self) -> bool:
        if self._model is not None:
            return True
        if not (self._folder() / _IDS_FILE).exists():
            time.sleep(_LOAD_PAUSE)  # a writer's swap may have been in its rename window
            if not (self._folder() / _IDS_FILE).exists():
                return False
        import bm25s

        for attempt in range(_LOAD_TRIES):
            # A writer may rename a new index into place while this reads it (found by
            # tests/test_concurrent_rw.py): between its two renames there is no index folder
            # for a moment, and ids and model may come from two builds. Read again until the
            # stamp held and every file was there.
            try:
                before = self.stamp()
                folder = self._folder()
                self._ids = json.loads((folder / _IDS_FILE).read_text())
                if not self._ids:
                    return False
                self._model = bm25s.BM25.load(str(folder), show_progress=False)
                if self.stamp() == before:
                    break
            except FileNotFoundError as exc:
                if attempt + 1 == _LOAD_TRIES:
                    raise _unreadable(self.directory, exc) from exc
                self._model = None
                time.sleep(_LOAD_PAUSE)
            except (OSError, ValueError, TypeError, KeyError) as exc:
                raise _unreadable(self.directory, exc) from exc
        self._position = {cid: i for i, cid in enumerate(self._ids)}
        self._stemmer = self._stemmer or _stemmer()
        self._delta = _Delta.load(folder, self._model, self._ids, self._position)
        return True

    def scores(self, query: str) -> npt.NDArray[np.float32] | None:
        """BM25 score of every indexed chunk (in index order), or None for an empty index."""
        if not self._load():
            return None
        tokens = _tokenize([query], self._stemmer)[0]
        if self._delta is not None:
            return self._delta.scores(self._model, tokens, len(self._ids))
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
        if not self._load():
            return 0
        return len(self._position)


class _Delta:
    """The appended chunks' term frequencies, and the positions of dropped chunks, joined to a
    loaded main index: `KeywordIndex._ids` gets the delta's ids after the main ones."""

    def __init__(self, stats: dict[str, Any], ids: list[str], tokens: list[list[str]],
                 main_docs: int, dead: npt.NDArray[np.int64]) -> None:
        import numpy as np
        from scipy import sparse

        self.k1, self.b, self.avgdl = float(stats["k1"]), float(stats["b"]), \
            float(stats["avgdl"])
        self.main_docs = main_docs
        self.dead = dead  # positions in main + delta order that score nothing
        vocab: dict[str, int] = {}
        rows, cols = [], []
        for row, toks in enumerate(tokens):
            for tok in toks:
                rows.append(row)
                cols.append(vocab.setdefault(tok, len(vocab)))
        self.vocab = vocab
        self.tf = sparse.csc_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                                    shape=(len(ids), len(vocab)))
        self.tf.sum_duplicates()
        self.df = np.diff(self.tf.indptr)
        self.lengths = np.array([len(t) for t in tokens], np.float32)
        self.live = main_docs + len(ids) - len(dead)

    @classmethod
    def load(cls, folder: Path, model: Any, ids: list[str],
             position: dict[str, int]) -> _Delta | None:
        """Read the delta beside a main index (ids/position extended in place), or None."""
        import numpy as np

        delta = _read_json(folder / _DELTA_FILE)
        stats = _read_json(folder / _STATS_FILE)
        if not delta or not stats:
            return None
        main_docs = len(ids)
        dead = [position.pop(cid) for cid in delta["dead"] if cid in position]
        for cid in delta["ids"]:
            position[cid] = len(ids)
            ids.append(cid)
        return cls(stats, delta["ids"], delta["tokens"], main_docs,
                   np.array(dead, dtype=np.int64))

    def scores(self, model: Any, tokens: list[str], total: int) -> npt.NDArray[np.float32]:
        """BM25 of every chunk, main then delta, with idf over both (bm25s' Lucene formulas)."""
        import numpy as np

        out = np.zeros(total, dtype=np.float32)
        vocab = model.vocab_dict
        indptr = model.scores["indptr"]
        for tok in tokens:
            main_id = vocab.get(tok)
            df_main = int(indptr[main_id + 1] - indptr[main_id]) if main_id is not None else 0
            column = self.vocab.get(tok)
            df_delta = int(self.df[column]) if column is not None else 0
            if not df_main + df_delta:
                continue
            idf = _idf(df_main + df_delta, self.live)
            if df_main:
                weight = idf / _idf(df_main, self.main_docs)
                out[:self.main_docs] += weight * np.asarray(model.get_scores([tok]), np.float32)
            if column is not None:
                start, end = self.tf.indptr[column], self.tf.indptr[column + 1]
                rows = self.tf.indices[start:end]
                tf = self.tf.data[start:end]
                norm = self.k1 * ((1 - self.b) + self.b * self.lengths[rows] / self.avgdl)
                out[self.main_docs + rows] += idf * tf / (norm + tf)
        if len(self.dead):
            out[self.dead] = 0.0
        return out


def _idf(df: int, docs: int) -> float:
    """bm25s' Lucene idf."""
    return math.log(1 + (docs - df + 0.5) / (df + 0.5))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: keyword index unreadable ({exc})",
                         fix="rebuild it with `qa ingest --reindex` or `qa doctor "
                             "--repair`") from exc


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
