"""ROUGE of summaries against references, per system, beside the First-3 baseline: each
article of a summary set written as a one-article story by `write_story` (what the briefing
ships), extractive and, with a generator, model-written (with the share of sentences the
citation check dropped). Shared by `qa eval brief` and its replay (qa/eval/replay.py)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from statistics import fmean
from typing import Any

from qa.eval.briefs import Dataset, Speed, StageProgress
from qa.generators.base import Generator
from qa.records import Article
from vectorstore.index import Index


class RougeTable:
    """Per system ("ours", "first3", "model"), the mean ROUGE F1 (x100) and summary length."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, float]]] = {}

    def add(self, system: str, candidate: str, references: Sequence[str],
            words: int | None = None) -> None:
        """Score `candidate` (and, with `words`, its first `words` words as `system@words`);
        against several references, each metric's best (as rouge-score's `score_multi`)."""
        from qa.eval.rouge import rouge_scores, truncate_words

        versions = [(system, candidate)]
        if words:
            versions.append((f"{system}@{words}", truncate_words(candidate, words)))
        for name, text in versions:
            scores = [rouge_scores(text, ref) for ref in references]
            best = {m: max(s[m] for s in scores) for m in scores[0]} if scores else {}
            self.rows.setdefault(name, []).append({**best, "words": len(text.split())})

    def means(self) -> dict[str, dict[str, float]]:
        return {system: {m: round(fmean(r[m] for r in rows) * (1 if m == "words" else 100), 2)
                         for m in rows[0]} | {"n": len(rows)}
                for system, rows in self.rows.items() if rows}


def eval_summaries(index: Index, data: Dataset, *, generator: Generator | None = None,
                   words: int | None = None, speed: Speed | None = None,
                   progress: StageProgress | None = None) -> dict[str, Any]:
    """ROUGE of each article's extractive (and model-written) summary vs its reference."""
    from qa.brief.stories import Cluster
    from qa.brief.write import WriteOptions, write_story
    from qa.eval.rouge import first_k

    speed = speed or Speed()
    manifest = index.manifest
    table = RougeTable()
    dropped = written_sentences = fallbacks = 0
    todo = [d for d in data.documents if d.external_id in data.summaries]
    for done, doc in enumerate(todo, 1):
        reference = [data.summaries[doc.external_id]]
        info = manifest.documents([doc.doc_id])[0]
        text = manifest.doc_text(doc.doc_id)
        story = Cluster([Article(info)], [text], None)
        started = time.perf_counter()
        ours = write_story(story, manifest, None, None, WriteOptions(mode="extractive"))
        speed.summary_seconds += time.perf_counter() - started
        table.add("ours", " ".join(s.text for s in ours.sentences), reference, words)
        table.add("first3", first_k(text, 3), reference, words)
        if generator is not None:
            started = time.perf_counter()
            model = write_story(story, manifest, generator, index.embedder,
                                WriteOptions(mode="write"))
            speed.model_seconds += time.perf_counter() - started
            table.add("model", " ".join(s.text for s in model.sentences), reference, words)
            dropped += model.dropped
            written_sentences += len(model.sentences)
            fallbacks += model.mode == "fallback"
        speed.summaries += 1
        if progress:
            progress("summaries", done, len(todo))
    out: dict[str, Any] = {"articles": len(todo), "words": words, "rouge": table.means()}
    if generator is not None:
        out["model"] = {"backend": generator.name,
                        "dropped_pct": round(100 * dropped / (dropped + written_sentences), 1)
                        if dropped + written_sentences else None,
                        "dropped": dropped, "kept": written_sentences,
                        "fallbacks": fallbacks}
    return out
