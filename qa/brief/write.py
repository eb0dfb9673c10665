"""Writing one story: a headline and one to three cited sentences, every one checked.

Two modes behind the one generator layer: `extractive` (central, non-redundant sentences of the
story's articles, verbatim: qa/brief/extract.py) and model-written (prompts/brief.md through the
same generators and `generate_checked` as `qa ask`). Either way each sentence goes through the
citation check (qa/cite.py); in a briefing an unsupported sentence is never shown: it is dropped
and counted, and a model-written story left with nothing falls back to extractive. Sentences an
earlier briefing of the story already said are left out (`said`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from qa import cite
from qa.answer.ask import generate_checked
from qa.answer.packing import format_passage
from qa.brief.extract import select_sentences
from qa.brief.stories import Cluster
from qa.generators.base import GenerationRequest, Generator
from qa.prompts import load_template, render
from qa.records import Chunk, Citation, DocInfo, Passage, Sentence
from qa.text import content_words, split_sentences

if TYPE_CHECKING:
    from vectorstore.embedders import Embedder
    from vectorstore.manifest import Manifest

WriteMode = Literal["auto", "extractive", "write"]
CANDIDATES = 8  # extractive candidates offered to a model, and searched past what was said
SAID_OVERLAP = 0.7  # content-word Jaccard at which a sentence repeats an earlier one


@dataclass(frozen=True)
class WriteOptions:
    max_sentences: int = 3
    mode: WriteMode = "auto"  # auto: the model when there is one (a generator), else extractive
    answer_tokens: int = 200
    temperature: float = 0.0
    prompts_dir: Path | None = None


@dataclass
class Written:
    headline: str
    sentences: list[Sentence]  # citation numbers index `passages` (1-based)
    passages: list[Passage]
    dropped: int = 0  # sentences the citation check did not support
    mode: Literal["extractive", "model", "fallback"] = "extractive"
    notes: list[str] = field(default_factory=list)


def write_story(cluster: Cluster, manifest: Manifest, generator: Generator | None,
                embedder: Embedder | None, options: WriteOptions,
                said: Sequence[str] = (), seen: Sequence[str] = ()) -> Written:
    """`said`: the sentences earlier briefings of this story showed; `seen`: the texts of the
    documents they covered. What is new is what neither holds (a copy of yesterday's article
    republished today brings nothing new, though yesterday showed only three of its lines)."""
    candidates = candidate_passages(cluster, manifest, CANDIDATES + len(said))
    known = [" ".join(t.split()) for t in seen]
    fresh = [c for c in candidates if not repeats(c[1], said)
             and not any(" ".join(c[1].split()) in text for text in known)]
    headline = _headline(cluster, candidates)
    if not fresh:  # all said before (a continuing story with nothing new), or nothing usable
        return Written(headline, [], [])
    if generator is None or options.mode == "extractive":
        return _extractive(headline, fresh, embedder, options.max_sentences)
    written = _model_written(headline, fresh, generator, embedder, options, said)
    if written.sentences:
        return written
    fallback = _extractive(headline, fresh, embedder, options.max_sentences)
    fallback.mode, fallback.dropped = "fallback", written.dropped
    return fallback


def candidate_passages(cluster: Cluster, manifest: Manifest,
                       limit: int) -> list[tuple[Passage, str]]:
    """The story's best sentences as (passage around the sentence, the sentence), best first."""
    out: list[tuple[Passage, str]] = []
    for pick in select_sentences(cluster.texts, max_sentences=limit):
        article = cluster.articles[pick.article]
        text = cluster.texts[pick.article]
        passage = passage_around(article.doc, text, manifest.doc_chunks(article.doc.doc_id),
                                 pick.start, pick.end)
        if passage is not None:
            out.append((passage, text[pick.start:pick.end]))
    return out


def passage_around(doc: DocInfo, text: str, chunks: Sequence[Chunk], start: int,
                   end: int) -> Passage | None:
    """A passage of the sentence at [start, end) of `text` (the document's) and the sentences
    either side of it, within the stored chunk that holds it (its id and page are the chunk's)."""
    holder = next((c for c in chunks if c.start <= start and end <= c.end), None)
    if holder is None:
        return None
    spans = [(holder.start + a, holder.start + b) for a, b in split_sentences(holder.text)]
    at = next((i for i, (a, b) in enumerate(spans) if a <= start < b), None)
    lo = spans[max(at - 1, 0)][0] if at is not None else start
    hi = spans[min(at + 1, len(spans) - 1)][1] if at is not None else end
    lo, hi = min(lo, start), max(hi, end)
    window = Chunk(doc.doc_id, holder.ordinal, text[lo:hi], lo, hi, holder.page)
    return Passage(chunk=window, doc=doc, score=1.0)


def repeats(sentence: str, said: Sequence[str]) -> bool:
    words = set(content_words(sentence))
    for earlier in said:
        other = set(content_words(earlier))
        union = words | other
        if union and len(words & other) / len(union) >= SAID_OVERLAP:
            return True
    return False


def _headline(cluster: Cluster, candidates: list[tuple[Passage, str]]) -> str:
    """The title of the article holding the story's most central sentence (titles are the
    outlets' own words; a headline is never generated)."""
    if candidates:
        return candidates[0][0].doc.title
    return cluster.articles[0].doc.title


def _extractive(headline: str, candidates: list[tuple[Passage, str]],
                embedder: Embedder | None, max_sentences: int) -> Written:
    passages: list[Passage] = []
    sentences: list[Sentence] = []
    dropped = 0
    for passage, sentence in candidates:
        if len(sentences) == max_sentences:
            break
        number = len(passages) + 1
        checked = cite.check(f"{sentence} [{number}]", [*passages, passage], embedder)
        if not checked or not all(s.supported for s in checked):
            dropped += 1
            continue
        offset = passage.text.find(sentence)
        span = (offset, offset + len(sentence)) if offset >= 0 else (0, len(passage.text))
        support = min(s.support for s in checked)
        citation = Citation(number=number, chunk_id=passage.chunk.chunk_id, span=span,
                            score=support)
        passages.append(passage)
        sentences.append(Sentence(text=sentence, citations=[citation], supported=True,
                                  support=support))
    return Written(headline, sentences, passages, dropped=dropped)


def _model_written(headline: str, candidates: list[tuple[Passage, str]], generator: Generator,
                   embedder: Embedder | None, options: WriteOptions,
                   said: Sequence[str]) -> Written:
    passages = _distinct([p for p, _ in candidates])[:6]
    if not passages:
        return Written(headline, [], [], mode="model")
    earlier = ("Already reported (do not repeat):\n" + "\n".join(f"- {s}" for s in said[-6:])
               + "\n") if said else ""
    system = render(load_template("brief_system", options.prompts_dir))
    user = render(load_template("brief", options.prompts_dir), headline=headline,
                  earlier=earlier,
                  passages="\n".join(format_passage(i, p) for i, p in enumerate(passages, 1)))
    request = GenerationRequest(task="brief", messages=[{"role": "system", "content": system},
                                                        {"role": "user", "content": user}],
                                question=headline, passages=passages,
                                max_tokens=options.answer_tokens,
                                temperature=options.temperature,
                                stop=["\nPassages:", "\nExample", "\nNow the real task"])
    answer = generate_checked(embedder, generator, request, strict=False)
    if answer.refused:
        return Written(headline, [], passages, mode="model")
    kept: list[Sentence] = []
    dropped = 0
    for sentence in answer.sentences:
        if not (sentence.supported and sentence.citations):
            dropped += 1
        elif not repeats(sentence.text, [*said, *(s.text for s in kept)]):
            kept.append(sentence)
    return Written(headline, kept[:options.max_sentences], passages, dropped=dropped,
                   mode="model")


def _distinct(passages: list[Passage]) -> list[Passage]:
    """Passages with overlapping windows of one chunk merged away (the first kept)."""
    out: list[Passage] = []
    for p in passages:
        if not any(q.chunk.doc_id == p.chunk.doc_id and q.chunk.start < p.chunk.end
                   and p.chunk.start < q.chunk.end for q in out):
            out.append(p)
    return out
