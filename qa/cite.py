"""The citation check shared by answers and briefings.

`check` splits a model's text into sentences, resolves their `[n]` markers to passages, and scores
how well each cited passage supports its sentence: a weighted content-word overlap (numbers and
names count more; a number the passage lacks is strong evidence against) blended with the
embedding cosine between the sentence and the passage's best-matching sentence. A sentence whose
citation does not clear the bar is moved to the passage that supports it best (`recited=True`),
or marked unsupported; `strict=True` drops unsupported sentences.

Scoring lives in qa/support.py. Beyond the words, each fact of a sentence (number, name,
negation, pronoun) must be stated by the passage sentences it aligns to (qa/align.py), and with
a `judge` (qa/judge.py: a model that reports token probabilities) a supported sentence that is
not verbatim in its passage is also read against that span.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from qa import align
from qa.records import Citation, Passage, Sentence
from qa.refusal import is_refusal
from qa.support import (
    DEFAULT_THRESHOLDS,
    PassageInfo,
    Thresholds,
    Words,
    combine,
    cosine_matrix,
    passage_info,
    score_passage,
    terms,
    vocabulary,
    weighted_words,
    word_found,
)
from qa.text import STOPWORDS, split_sentences, words

__all__ = ["DEFAULT_THRESHOLDS", "ClaimJudge", "Thresholds", "attach_citations", "check",
           "support_summary", "terms", "vocabulary"]

if TYPE_CHECKING:
    import numpy.typing as npt

    from vectorstore.embedders import Embedder


class ClaimJudge(Protocol):
    """Reads whether a span states a claim (qa/judge.py): P(yes), or None when it cannot tell."""

    threshold: float

    def probability(self, span: str, claim: str) -> float | None: ...


_MARK_PREFIX = r"(?:(?:passages?|sources?|docs?|documents?)\s*)?"
_MARKER = re.compile(
    r"\[\s*" + _MARK_PREFIX + r"\d+(?:\s*(?:[-–,;]|and)\s*" + _MARK_PREFIX + r"\d+)*\s*\]",
    re.IGNORECASE)
_MARKER_RUN = rf"(?:[ \t]*{_MARKER.pattern})+"
# "opened. [1] It cost" -> "opened [1]. It cost": the marker belongs to the sentence before it.
_MARKER_AFTER_STOP = re.compile(r"([.!?])" + f"({_MARKER_RUN})", re.IGNORECASE)
# "headline [1] Next sentence": a marker run followed by a capital ends the sentence.
_MARKER_BEFORE_CAPITAL = re.compile(f"({_MARKER_RUN})" + r"[ \t]+(?=[\"'“(]?[A-Z])",
                                    re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d{1,2}[.)])\s+")
_FILLER = frozenset(
    "sure certainly okay ok here answer answers based passage passages provided following "
    "information hope helps help glad below summary summarise summarize question questions "
    "great let know find found context given text documents document sources source".split())
_MAX_RANGE = 20  # "[1-3]" expands; "[1-900]" is two numbers, not nine hundred


@dataclass
class _Claim:
    text: str
    numbers: list[int]


def check(raw_text: str, passages: Sequence[Passage], embedder: Embedder | None, *,
          thresholds: Thresholds = DEFAULT_THRESHOLDS, strict: bool = False,
          judge: ClaimJudge | None = None) -> list[Sentence]:
    """Resolve and verify the citations of every sentence in `raw_text`.

    Refusal sentences come back supported with no citations (the caller sets `Answer.refused`);
    filler without content ("Sure.", "Here is the answer:") is dropped. With a `judge`, a
    supported sentence that is not verbatim in its passage is also read by the judge against
    the span it aligns to, and unsupported when P(yes) is under the judge's threshold.
    """
    claims = [c for c in _parse(raw_text, thresholds)
              if is_refusal(c.text) or not _is_filler(c.text, thresholds)]
    if not claims:
        return []
    infos = [passage_info(p) for p in passages]
    feats = [weighted_words(c.text, thresholds) for c in claims]
    cosines = cosine_matrix([c.text for c in claims], passages, infos, embedder)
    bar = thresholds.support if embedder is not None else thresholds.support_overlap_only

    out: list[Sentence] = []
    for i, claim in enumerate(claims):
        scorer = _Judge(feats[i], infos, passages, None if cosines is None else cosines[i],
                        thresholds, bar, claim.text)
        sentence = scorer.sentence(claim)
        if judge is not None:
            scorer.read(sentence, judge)
        if sentence.supported or not strict:
            out.append(sentence)
    return out


def attach_citations(text: str, passages: Sequence[Passage], embedder: Embedder | None, *,
                     thresholds: Thresholds = DEFAULT_THRESHOLDS, strict: bool = False,
                     judge: ClaimJudge | None = None) -> list[Sentence]:
    """For backends that never cite: ignore any markers and cite every sentence's best passage."""
    return check(_MARKER.sub("", text), passages, embedder, thresholds=thresholds, strict=strict,
                 judge=judge)


def support_summary(sentences: Sequence[Sentence]) -> str:
    """A one-line count, e.g. "4 of 5 sentences supported"."""
    supported, total = sum(1 for s in sentences if s.supported), len(sentences)
    return f"{supported} of {total} sentence{'' if total == 1 else 's'} supported"


class _Judge:
    """Scores one claim against every passage and decides its citations."""

    def __init__(self, feats: Words, infos: list[PassageInfo], passages: Sequence[Passage],
                 cos_row: npt.NDArray[np.float32] | None, thresholds: Thresholds,
                 bar: float, text: str = "") -> None:
        self.feats, self.infos, self.passages = feats, infos, passages
        self.cos_row, self.th, self.bar, self.text = cos_row, thresholds, bar, text
        self.scored = [score_passage(feats, info, cos_row, thresholds, text) for info in infos]

    def citation(self, number: int, *, recited: bool = False) -> Citation:
        scored = self.scored[number - 1]
        return Citation(number=number, chunk_id=self.passages[number - 1].chunk.chunk_id,
                        span=scored.span, score=scored.score, recited=recited)

    def joint(self, numbers: Sequence[int]) -> float:
        """Support by several passages together: a sentence may combine their facts."""
        vocab = frozenset().union(*(self.infos[n - 1].vocab for n in numbers))
        cosine = max(self.scored[n - 1].cosine for n in numbers)
        score = combine(self.feats, vocab, None if self.cos_row is None else cosine, self.th)[0]
        if any(self.scored[n - 1].verbatim for n in numbers):
            return score
        infos = [self.infos[n - 1] for n in numbers]
        facts = align.claim_facts(self.text, frozenset().union(*(i.names for i in infos)))
        failed = align.failures(facts, " ".join(self.span_text(n) for n in numbers),
                                extra=" ".join(i.extra for i in infos))
        return round(score * self.th.fact_penalty ** min(len(failed), 2), 4)

    def span_text(self, number: int) -> str:
        """The passage sentences the claim aligns to, in passage order."""
        info = self.infos[number - 1]
        return " ".join(info.text[a:b] for a, b in
                        (info.spans[k] for k in sorted(self.scored[number - 1].aligned)))

    def read(self, sentence: Sentence, judge: ClaimJudge) -> None:
        """The judge's reading of a supported, non-verbatim sentence against its aligned span."""
        numbers = [c.number for c in sentence.citations]
        if not (sentence.supported and numbers) or is_refusal(sentence.text) or \
                any(self.scored[n - 1].verbatim for n in numbers):
            return
        probability = judge.probability(" ".join(self.span_text(n) for n in numbers),
                                        sentence.text)
        if probability is not None and probability < judge.threshold:
            sentence.supported = False

    def supporting(self, numbers: Sequence[int]) -> tuple[list[int], float]:
        """The numbers among `numbers` that support the claim (alone, or together), and how well."""
        alone = [n for n in numbers if self.scored[n - 1].score >= self.bar]
        if alone:
            return alone, max(self.scored[n - 1].score for n in alone)
        parts: list[int] = []
        covered: set[str] = set()
        total = sum(self.feats.weights.values()) or 1.0
        for n in sorted(numbers, key=lambda n: self.scored[n - 1].overlap, reverse=True):
            found = {w for w in self.feats.weights if word_found(w, self.infos[n - 1].vocab)}
            if sum(self.feats.weights[w] for w in found - covered) / total >= self.th.part:
                parts.append(n)  # holds a fair share of the sentence no better passage holds
                covered |= found
        if len(parts) > 1 and (joint := self.joint(parts)) >= self.bar:
            return parts, joint
        return [], 0.0

    def sentence(self, claim: _Claim) -> Sentence:
        valid = list(dict.fromkeys(n for n in claim.numbers if 1 <= n <= len(self.passages)))
        ranked = sorted(range(1, len(self.passages) + 1),
                        key=lambda n: self.scored[n - 1].score, reverse=True)
        best = self.scored[ranked[0] - 1].score if ranked else 0.0
        kept, support = self.supporting(valid)
        if kept and ranked[0] not in valid and best - support > self.th.recite_margin:
            kept = []  # the cited passage merely shares words; a far better one exists
        if kept:
            return Sentence(text=claim.text, citations=[self.citation(n) for n in kept],
                            supported=True, support=support)
        if is_refusal(claim.text):
            return Sentence(text=claim.text, citations=[], supported=True, support=0.0)
        # A sentence that cited nothing may combine two passages; one that cited a passage which
        # failed is only moved to a single better one (a pair would excuse a wrong detail).
        moved, support = self.supporting(ranked[:1] if valid else ranked[:2])
        if moved:
            moved = moved[:1] if self.scored[moved[0] - 1].score >= self.bar else moved
            return Sentence(text=claim.text, supported=True, support=support,
                            citations=[self.citation(n, recited=True) for n in moved])
        return Sentence(text=claim.text, citations=[self.citation(n) for n in valid],
                        supported=False, support=best)



def _parse(raw_text: str, thresholds: Thresholds) -> list[_Claim]:
    claims: list[_Claim] = []
    for line in raw_text.splitlines():
        line = _BULLET.sub("", line, count=1).replace("**", "")
        if not line.strip():
            continue
        line = _MARKER_AFTER_STOP.sub(r"\2\1", line)
        line = _MARKER_BEFORE_CAPITAL.sub("\\1\n", line)
        for start, end in split_sentences(line):
            numbers, text = _markers_out(line[start:end])
            head, colon, tail = text.partition(":")
            if colon and tail.strip() and _is_filler(head, thresholds):
                text = tail.strip()  # "Here is the answer: X" -> "X"
            if any(ch.isalnum() for ch in text):
                claims.append(_Claim(text=text, numbers=numbers))
    return claims


def _markers_out(piece: str) -> tuple[list[int], str]:
    """(the numbers of the markers in `piece`, the piece without them). Removed until none is
    left: taking `[2]` out of a nested `[1[2]]` leaves a `[1]` that would pass for a citation."""
    numbers: list[int] = []
    while _MARKER.search(piece):
        numbers.extend(n for m in _MARKER.finditer(piece) for n in _marker_numbers(m.group()))
        piece = _tidy(_MARKER.sub(" ", piece))
    return numbers, _tidy(piece)


def _marker_numbers(marker: str) -> list[int]:
    numbers: list[int] = []
    for first, last in re.findall(r"(\d+)(?:\s*[-–]\s*(\d+))?", marker):
        a, b = int(first), int(last or first)
        numbers.extend(range(a, b + 1) if 0 <= b - a <= _MAX_RANGE else (a, b))
    return numbers


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r"\s+([.,;:!?)\]])", r"\1", text)
    text = re.sub(r"([(\[])\s+", r"\1", text)
    return text.strip()


def _is_filler(text: str, thresholds: Thresholds) -> bool:
    content = [w for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    meaningful = [w for w in content if w not in _FILLER]
    return len(meaningful) < thresholds.min_content_words


