"""The citation check shared by answers and briefings.

`check` splits a model's text into sentences, resolves their `[n]` markers to passages, and scores
how well each cited passage supports its sentence: a weighted content-word overlap (numbers and
names count more; a number the passage lacks is strong evidence against) blended with the
embedding cosine between the sentence and the passage's best-matching sentence. A sentence whose
citation does not clear the bar is moved to the passage that supports it best (`recited=True`),
or marked unsupported; `strict=True` drops unsupported sentences.
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
from qa.text import STOPWORDS, light_stem, split_sentences, words

if TYPE_CHECKING:
    import numpy.typing as npt

    from vectorstore.embedders import Embedder


@dataclass(frozen=True)
class Thresholds:
    """Scoring weights and bars of the citation check.

    The defaults were tuned on dev data: claims built from SQuAD 2.0 dev questions and answers,
    cited rightly, wrongly, or carrying a swapped answer, scored with all-MiniLM-L6-v2 and with
    no embedder over a sweep of weight and bar. The figures are recorded in docs/benchmarks.md,
    section Citation check.
    """

    support: float = 0.55  # combined score a citation needs, with an embedder
    support_overlap_only: float = 0.55  # the bar when no embedder is given (overlap alone)
    overlap_weight: float = 0.5  # w in w * overlap + (1 - w) * cosine
    min_content_words: int = 1  # fewer non-filler content words: the sentence is dropped
    number_weight: float = 3.0  # weight of a number or date in the overlap share
    name_weight: float = 2.0  # weight of a capitalised word (names, places, months)
    number_penalty: float = 0.5  # score factor per number the passage lacks (at most two)
    name_penalty: float = 0.7  # score factor per capitalised word the passage lacks (at most two)
    recite_margin: float = 0.2  # an uncited passage this much better takes the citation over
    part: float = 0.25  # share of a sentence's words only one of joint citations holds
    # Alignment (qa/align.py): a fact of the sentence (number, name, negation, pronoun) that the
    # passage sentences it aligns to do not state multiplies the score by this (at most twice).
    fact_penalty: float = 0.5
    aligned_sentences: int = 3  # the most passage sentences one claim aligns to


class ClaimJudge(Protocol):
    """Reads whether a span states a claim (qa/judge.py): P(yes), or None when it cannot tell."""

    threshold: float

    def probability(self, span: str, claim: str) -> float | None: ...


DEFAULT_THRESHOLDS = Thresholds()

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
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_MONTHS = {m: m[:3] for m in "january february march april june july august september "
           "october november december sept".split()}
_FILLER = frozenset(
    "sure certainly okay ok here answer answers based passage passages provided following "
    "information hope helps help glad below summary summarise summarize question questions "
    "great let know find found context given text documents document sources source".split())
_MAX_RANGE = 20  # "[1-3]" expands; "[1-900]" is two numbers, not nine hundred


@dataclass
class _Claim:
    text: str
    numbers: list[int]


@dataclass
class _Words:
    weights: dict[str, float]  # normalised word -> weight
    numbers: frozenset[str]
    names: frozenset[str]


@dataclass
class _PassageInfo:
    vocab: frozenset[str]  # the whole passage plus its title, source and date
    spans: list[tuple[int, int]]  # its sentences, offsets in the chunk text
    sentence_vocabs: list[frozenset[str]]
    rows: list[int]  # row of each sentence in the embedding matrix
    text: str = ""
    extra: str = ""  # title, source and date: what the passage says about itself
    names: frozenset[str] = frozenset()  # words the passage capitalises mid-sentence


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
    infos = [_passage_info(p) for p in passages]
    feats = [_weighted_words(c.text, thresholds) for c in claims]
    cosines = _cosines([c.text for c in claims], passages, infos, embedder)
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

    def __init__(self, feats: _Words, infos: list[_PassageInfo], passages: Sequence[Passage],
                 cos_row: npt.NDArray[np.float32] | None, thresholds: Thresholds,
                 bar: float, text: str = "") -> None:
        self.feats, self.infos, self.passages = feats, infos, passages
        self.cos_row, self.th, self.bar, self.text = cos_row, thresholds, bar, text
        self.scored = [_score(feats, info, cos_row, thresholds, text) for info in infos]

    def citation(self, number: int, *, recited: bool = False) -> Citation:
        scored = self.scored[number - 1]
        return Citation(number=number, chunk_id=self.passages[number - 1].chunk.chunk_id,
                        span=scored.span, score=scored.score, recited=recited)

    def joint(self, numbers: Sequence[int]) -> float:
        """Support by several passages together: a sentence may combine their facts."""
        vocab = frozenset().union(*(self.infos[n - 1].vocab for n in numbers))
        cosine = max(self.scored[n - 1].cosine for n in numbers)
        score = _combine(self.feats, vocab, None if self.cos_row is None else cosine, self.th)[0]
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
            found = {w for w in self.feats.weights if _found(w, self.infos[n - 1].vocab)}
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
            piece = line[start:end]
            numbers = [n for m in _MARKER.finditer(piece) for n in _marker_numbers(m.group())]
            text = _tidy(_MARKER.sub(" ", piece))
            head, colon, tail = text.partition(":")
            if colon and tail.strip() and _is_filler(head, thresholds):
                text = tail.strip()  # "Here is the answer: X" -> "X"
            if any(ch.isalnum() for ch in text):
                claims.append(_Claim(text=text, numbers=numbers))
    return claims


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



def _clean(raw: str) -> str:
    word = raw.lower().replace("’", "'").strip("'-")
    return word[:-2] if word.endswith("'s") else word


def _normal(word: str) -> str:
    return _MONTHS.get(word) or light_stem(word)


def _weighted_words(text: str, thresholds: Thresholds) -> _Words:
    weights: dict[str, float] = {}
    numbers: set[str] = set()
    names: set[str] = set()
    for position, raw in enumerate(_TOKEN.findall(text)):
        word = _clean(raw)
        if not word:
            continue
        if any(ch.isdigit() for ch in word):
            key, weight = word, thresholds.number_weight
            numbers.add(key)
        elif word in STOPWORDS or len(word) < 2:
            continue
        else:  # a capitalised word is a name, except first in the sentence (could be any word)
            key, weight = _normal(word), 1.0
            if raw[0].isupper() and position > 0:
                weight = thresholds.name_weight
                names.add(key)
        weights[key] = max(weight, weights.get(key, 0.0))
    return _Words(weights=weights, numbers=frozenset(numbers), names=frozenset(names - numbers))


def terms(text: str) -> frozenset[str]:
    """The content words and numbers of `text`, normalised as the check compares them
    (light stem, months abbreviated, possessive 's dropped)."""
    return frozenset(_weighted_words(text, DEFAULT_THRESHOLDS).weights)


def vocabulary(text: str) -> frozenset[str]:
    """Every normalised word of `text` (stopwords too), hyphenated words also split and joined:
    test `terms(claim)` against it."""
    vocab: set[str] = set()
    for raw in _TOKEN.findall(text):
        word = _clean(raw)
        if not word:
            continue
        vocab.add(word if any(ch.isdigit() for ch in word) else _normal(word))
        if "-" in word:  # "cease-fire" also matches "ceasefire", "cease" and "fire"
            vocab.add(word.replace("-", ""))
            vocab.update(p if p.isdigit() else _normal(p) for p in word.split("-") if p)
    return frozenset(vocab)


def _overlap(feats: _Words, vocab: frozenset[str]) -> tuple[float, int, int]:
    """(weighted share of the sentence's words found in `vocab`, numbers and names not found)."""
    total = found = 0.0
    missing_numbers = missing_names = 0
    for word, weight in feats.weights.items():
        total += weight
        if _found(word, vocab):
            found += weight
        elif word in feats.numbers:
            missing_numbers += 1
        elif word in feats.names:
            missing_names += 1
    return (found / total if total else 0.0), missing_numbers, missing_names


def _found(word: str, vocab: frozenset[str]) -> bool:
    return word in vocab or word.replace("-", "") in vocab


def _passage_info(passage: Passage) -> _PassageInfo:
    text = passage.text
    spans = split_sentences(text) or [(0, len(text))]
    doc = passage.doc
    extra = f"{doc.title} {doc.source}"
    if doc.published is not None:
        extra += f" {doc.published.isoformat()} {doc.published:%B %d %Y}"
    return _PassageInfo(vocab=vocabulary(f"{text}\n{extra}"), spans=spans,
                        sentence_vocabs=[vocabulary(text[a:b]) for a, b in spans], rows=[],
                        text=text, extra=extra, names=align.mid_capitals(text))



def _cosines(claims: list[str], passages: Sequence[Passage], infos: list[_PassageInfo],
             embedder: Embedder | None) -> npt.NDArray[np.float32] | None:
    """claims x passage-sentences cosine matrix from one batched embed call (None: no embedder).

    Identical texts (a chunk retrieved twice, a repeated sentence) are embedded once; each
    passage's `rows` says which columns hold its sentences.
    """
    if embedder is None:
        return None
    row: dict[str, int] = {}
    claim_rows = [row.setdefault(text, len(row)) for text in claims]
    for passage, info in zip(passages, infos, strict=True):
        info.rows = [row.setdefault(passage.text[a:b], len(row)) for a, b in info.spans]
    vectors = np.asarray(embedder.embed(list(row)), dtype=np.float32)
    vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
    result: npt.NDArray[np.float32] = np.clip(vectors[claim_rows] @ vectors.T, 0.0, 1.0)
    return result


@dataclass
class _Scored:
    score: float  # combined support score, penalties applied
    span: tuple[int, int]  # the best-supporting sentence of the passage
    cosine: float  # cosine to the passage's best-matching sentence (0 without an embedder)
    overlap: float  # weighted share of the sentence's words in the passage, before penalties
    aligned: tuple[int, ...] = ()  # the passage sentences (indices) the claim aligns to
    failed: tuple[str, ...] = ()  # facts of the claim the aligned sentences do not state
    verbatim: bool = False  # the claim occurs word for word in the passage


def _combine(feats: _Words, vocab: frozenset[str], cosine: float | None,
             thresholds: Thresholds) -> tuple[float, float]:
    """(score with penalties, raw overlap share)."""
    overlap, missing_numbers, missing_names = _overlap(feats, vocab)
    penalty = (thresholds.number_penalty ** min(missing_numbers, 2)
               * thresholds.name_penalty ** min(missing_names, 2))
    w = thresholds.overlap_weight
    score = overlap if cosine is None else w * overlap + (1 - w) * cosine
    return round(score * penalty, 4), overlap


def _score(feats: _Words, info: _PassageInfo, cos_row: npt.NDArray[np.float32] | None,
           thresholds: Thresholds, text: str = "") -> _Scored:
    """How well one passage supports the sentence, and where."""
    w = thresholds.overlap_weight
    locals_: list[float] = []
    best_cos = 0.0
    for k, vocab in enumerate(info.sentence_vocabs):
        local = _overlap(feats, vocab)[0]
        cos = float(cos_row[info.rows[k]]) if cos_row is not None else 0.0
        locals_.append(w * local + (1 - w) * cos if cos_row is not None else local)
        best_cos = max(best_cos, cos)
    best_k = max(range(len(locals_)), key=lambda k: (locals_[k], -k)) if locals_ else 0
    score, overlap = _combine(feats, info.vocab, None if cos_row is None else best_cos, thresholds)
    if not text:
        return _Scored(score=score, span=info.spans[best_k], cosine=best_cos, overlap=overlap)
    aligned = _aligned(feats, info, locals_, best_k, thresholds)
    if align.is_verbatim(text, info.text):
        return _Scored(score=score, span=info.spans[best_k], cosine=best_cos, overlap=overlap,
                       aligned=aligned, verbatim=True)
    first = min(aligned)
    context = info.text[info.spans[first - 1][0]:info.spans[first - 1][1]] if first else ""
    span = " ".join(info.text[a:b] for a, b in (info.spans[k] for k in aligned))
    failed = align.failures(align.claim_facts(text, info.names), span, context=context,
                            extra=info.extra)
    score = round(score * thresholds.fact_penalty ** min(len(failed), 2), 4)
    return _Scored(score=score, span=info.spans[best_k], cosine=best_cos, overlap=overlap,
                   aligned=aligned, failed=tuple(failed))


def _aligned(feats: _Words, info: _PassageInfo, locals_: list[float], best_k: int,
             thresholds: Thresholds) -> tuple[int, ...]:
    """The best-matching sentence, plus the next best that each hold a fair share of the claim's
    plain words the ones before do not (a claim may join two sentences), in passage order.

    Only plain words count here: a sentence that adds nothing but a number or a name (the one
    a swapped fact came from) does not join the span."""
    plain = {w: v for w, v in feats.weights.items()
             if w not in feats.numbers and w not in feats.names}
    total = sum(plain.values()) or 1.0

    def found(k: int) -> set[str]:
        return {word for word in plain if _found(word, info.sentence_vocabs[k])}

    picked, covered = [best_k], found(best_k) if info.sentence_vocabs else set()
    for k in sorted(range(len(locals_)), key=lambda k: locals_[k], reverse=True):
        if len(picked) == thresholds.aligned_sentences:
            break
        if k in picked:
            continue
        new = found(k) - covered
        if sum(plain[word] for word in new) / total >= thresholds.part:
            picked.append(k)
            covered |= new
    return tuple(sorted(picked))
