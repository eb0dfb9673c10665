"""`qa eval check`: the citation check on labelled claims (document, claim, label 1 = consistent).

Each document is split into passages as ingest splits it (the chunker at the default settings),
the claim is cited to them as an answer sentence without a marker would be (`attach_citations`:
the check finds its passage), and the verdict is "consistent" when every sentence of the claim
is supported. Reported: balanced accuracy, true and false positive rates, accuracy per
transformation and time per claim (the passages and the claim embedded beforehand: what the
check itself costs), without the reading judge and, when the generator reports token
probabilities, with it. Pairs files: bench/claims_build.py (FactCC-style) or any JSONL with
the same fields.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from qa import cite
from qa.errors import QAError
from qa.ingest.chunker import chunk_document
from qa.judge import ReadingJudge
from qa.records import DocInfo, Document, Passage, Sentence
from qa.settings import Settings
from qa.text import split_sentences
from vectorstore.embedders import Embedder


@dataclass(frozen=True)
class Pair:
    document: str
    claim: str
    label: int
    transform: str = ""


@dataclass
class Verdicts:
    """One way of checking (with or without the judge): a verdict per pair and its time."""

    name: str
    verdicts: list[bool] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    judge_calls: int = 0

    def summary(self, pairs: Sequence[Pair]) -> dict[str, Any]:
        pos = [v for v, p in zip(self.verdicts, pairs, strict=True) if p.label == 1]
        neg = [v for v, p in zip(self.verdicts, pairs, strict=True) if p.label == 0]
        tpr = sum(pos) / len(pos) if pos else None
        fpr = sum(neg) / len(neg) if neg else None
        balanced = None if tpr is None or fpr is None else (tpr + 1 - fpr) / 2
        per: dict[str, dict[str, Any]] = {}
        for verdict, pair in zip(self.verdicts, pairs, strict=True):
            row = per.setdefault(pair.transform or "-", {"n": 0, "label": pair.label,
                                                         "correct": 0})
            row["n"] += 1
            row["correct"] += verdict == bool(pair.label)
        for row in per.values():
            row["accuracy_pct"] = round(100 * row.pop("correct") / row["n"], 1)
        ms = 1000 * sum(self.seconds) / len(self.seconds) if self.seconds else 0.0
        return {"balanced_accuracy_pct": _pct(balanced), "tpr_pct": _pct(tpr),
                "fpr_pct": _pct(fpr), "per_transform": per, "ms_per_claim": round(ms, 1),
                "judge_calls": self.judge_calls}


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def read_pairs(path: Path) -> list[Pair]:
    pairs: list[Pair] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QAError(f"{path}: cannot read the pairs file ({exc})",
                      fix="pass a JSONL file of document, claim, label") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            label = int(r["label"])
            pairs.append(Pair(str(r["document"]), str(r["claim"]), label,
                              str(r.get("transform") or "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise QAError(f"{path}:{n}: not a pair ({exc})",
                          fix='one JSON object a line: "document", "claim", "label" (1 or 0)'
                          ) from exc
        if label not in (0, 1):
            raise QAError(f"{path}:{n}: label {label} is neither 1 nor 0",
                          fix="label 1 = consistent with the document, 0 = not")
    if not pairs:
        raise QAError(f"{path}: no pairs", fix="one JSON object a line")
    return pairs


def passages_of(text: str, settings: Settings) -> list[Passage]:
    """The document split as ingest splits it, each chunk a passage."""
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    doc = Document(key=f"pairs/{sha[:12]}", text=text, title="", source="", published=None,
                   sha256=sha)
    info = DocInfo(doc_id=doc.doc_id, title="", source="", published=None, sha256=sha)
    chunks = chunk_document(doc, size=settings.chunk_tokens, overlap=settings.chunk_overlap)
    return [Passage(chunk=c, doc=info, score=1.0) for c in chunks]


class CachedEmbedder:
    """Embeds each distinct text once: every claim of a document re-scores the same passage
    sentences, and the eval times the check, not repeated embedding of them."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dimension = inner, inner.name, inner.dimension
        self.cache: dict[str, npt.NDArray[np.float32]] = {}

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            for text, vector in zip(missing, self.inner.embed(missing), strict=True):
                self.cache[text] = np.asarray(vector, dtype=np.float32)
        return np.stack([self.cache[t] for t in texts])


# The check as it was before alignment (issue 11): the same scores, no fact of the claim
# required in the sentences it aligns to.
BASELINE = cite.Thresholds(fact_penalty=1.0)
SWEEP = tuple(round(0.05 * i, 2) for i in range(1, 20))


class RecordingJudge:
    """Asks the real judge but never vetoes: the probabilities are kept, so the verdict at any
    threshold (the judge's own, and a sweep for tuning) comes from one pass."""

    threshold = -1.0

    def __init__(self, judge: ReadingJudge) -> None:
        self.judge = judge
        self.probabilities: list[float] = []
        self.seconds = 0.0

    def probability(self, span: str, claim: str) -> float | None:
        started = time.perf_counter()
        p = self.judge.probability(span, claim)
        self.seconds += time.perf_counter() - started
        if p is not None:
            self.probabilities.append(p)
        return p


def eval_check(pairs: Sequence[Pair], settings: Settings, embedder: Embedder | None,
               judge: ReadingJudge | None = None, *, baseline: bool = False,
               progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Check every pair without the judge and, given one, with it; `baseline` adds the check
    without alignment."""
    cached = CachedEmbedder(embedder) if embedder is not None else None
    documents: dict[str, list[Passage]] = {}
    before, check, judged = Verdicts("baseline"), Verdicts("check"), Verdicts("check+judge")
    lowest: list[float | None] = []  # the judge's least P(Yes) over a claim's sentences
    recorder = RecordingJudge(judge) if judge is not None else None
    for done, pair in enumerate(pairs, 1):
        passages = documents.get(pair.document)
        if passages is None:
            passages = documents[pair.document] = passages_of(pair.document, settings)
            if cached is not None:  # embed the document's sentences outside the timing
                cached.embed([p.text[a:b] for p in passages for a, b in
                              split_sentences(p.text)])
        if cached is not None:
            cached.embed([pair.claim])  # times below are the check's, not MiniLM's
        if baseline:
            started = time.perf_counter()
            sentences = cite.attach_citations(pair.claim, passages, cached, thresholds=BASELINE)
            before.seconds.append(time.perf_counter() - started)
            before.verdicts.append(_consistent(sentences))
        if recorder is not None:
            recorder.probabilities, recorder.seconds = [], 0.0
        started = time.perf_counter()
        sentences = cite.attach_citations(pair.claim, passages, cached, judge=recorder)
        elapsed = time.perf_counter() - started
        check.seconds.append(elapsed - (recorder.seconds if recorder else 0.0))
        check.verdicts.append(_consistent(sentences))
        if recorder is not None and judge is not None:
            judged.seconds.append(elapsed)
            judged.judge_calls += len(recorder.probabilities)
            low = min(recorder.probabilities, default=None)
            lowest.append(low)
            judged.verdicts.append(check.verdicts[-1] and (low is None or low >= judge.threshold))
        if progress:
            progress("check", done, len(pairs))
    report: dict[str, Any] = {
        "pairs": len(pairs), "documents": len(documents),
        "positives": sum(p.label for p in pairs), "negatives": sum(1 - p.label for p in pairs),
        "embedder": embedder.name if embedder is not None else None,
        "judge_threshold": judge.threshold if judge is not None else None}
    if baseline:
        report["baseline"] = before.summary(pairs)
    report["check"] = check.summary(pairs)
    if judge is not None:
        report["check+judge"] = judged.summary(pairs)
        report["judge_sweep"] = {str(t): _balanced(check.verdicts, lowest, t, pairs)
                                 for t in SWEEP}
    return report


def _consistent(sentences: Sequence[Sentence]) -> bool:
    return bool(sentences) and all(s.supported for s in sentences)


def _balanced(verdicts: Sequence[bool], lowest: Sequence[float | None], threshold: float,
              pairs: Sequence[Pair]) -> float | None:
    run = Verdicts("sweep", [v and (p is None or p >= threshold)
                             for v, p in zip(verdicts, lowest, strict=True)])
    balanced: float | None = run.summary(pairs)["balanced_accuracy_pct"]
    return balanced
