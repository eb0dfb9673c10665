"""How well one passage supports a claim: the scoring half of the citation check (qa/cite.py).

A claim is scored against a passage as a weighted content-word overlap (numbers and names count
more; a number or a name the passage lacks multiplies the score down) blended with the embedding
cosine to the passage's best-matching sentence; then aligned (qa/align.py): the passage
sentences it aligns to must state its facts, each one they do not multiplies the score by
`fact_penalty`. A claim found word for word in the passage is verbatim and skips alignment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qa import align
from qa.records import Passage
from qa.text import STOPWORDS, light_stem, split_sentences

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


DEFAULT_THRESHOLDS = Thresholds()

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_MONTHS = {m: m[:3] for m in "january february march april june july august september "
           "october november december sept".split()}
@dataclass
class Words:
    weights: dict[str, float]  # normalised word -> weight
    numbers: frozenset[str]
    names: frozenset[str]
    capitals: frozenset[str] = frozenset()  # every capitalised word, the first one too


@dataclass
class PassageInfo:
    vocab: frozenset[str]  # the whole passage plus its title, source and date
    spans: list[tuple[int, int]]  # its sentences, offsets in the chunk text
    sentence_vocabs: list[frozenset[str]]
    rows: list[int]  # row of each sentence in the embedding matrix
    text: str = ""
    extra: str = ""  # title, source and date: what the passage says about itself
    names: frozenset[str] = frozenset()  # words the passage capitalises mid-sentence


def _clean(raw: str) -> str:
    word = raw.lower().replace("’", "'").strip("'-")
    return word[:-2] if word.endswith("'s") else word


def _normal(word: str) -> str:
    return _MONTHS.get(word) or light_stem(word)


def weighted_words(text: str, thresholds: Thresholds) -> Words:
    weights: dict[str, float] = {}
    numbers: set[str] = set()
    names: set[str] = set()
    capitals: set[str] = set()
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
            if raw[0].isupper():
                capitals.add(key)
            if raw[0].isupper() and position > 0:
                weight = thresholds.name_weight
                names.add(key)
        weights[key] = max(weight, weights.get(key, 0.0))
    return Words(weights=weights, numbers=frozenset(numbers), names=frozenset(names - numbers),
                  capitals=frozenset(capitals))


def terms(text: str) -> frozenset[str]:
    """The content words and numbers of `text`, normalised as the check compares them
    (light stem, months abbreviated, possessive 's dropped)."""
    return frozenset(weighted_words(text, DEFAULT_THRESHOLDS).weights)


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


def overlap_share(feats: Words, vocab: frozenset[str]) -> tuple[float, int, int]:
    """(weighted share of the sentence's words found in `vocab`, numbers and names not found)."""
    total = found = 0.0
    missing_numbers = missing_names = 0
    for word, weight in feats.weights.items():
        total += weight
        if word_found(word, vocab):
            found += weight
        elif word in feats.numbers:
            missing_numbers += 1
        elif word in feats.names:
            missing_names += 1
    return (found / total if total else 0.0), missing_numbers, missing_names


def word_found(word: str, vocab: frozenset[str]) -> bool:
    return word in vocab or word.replace("-", "") in vocab


def passage_info(passage: Passage) -> PassageInfo:
    text = passage.text
    spans = split_sentences(text) or [(0, len(text))]
    doc = passage.doc
    extra = f"{doc.title} {doc.source}"
    if doc.published is not None:
        extra += f" {doc.published.isoformat()} {doc.published:%B %d %Y}"
    return PassageInfo(vocab=vocabulary(f"{text}\n{extra}"), spans=spans,
                        sentence_vocabs=[vocabulary(text[a:b]) for a, b in spans], rows=[],
                        text=text, extra=extra, names=align.mid_capitals(text))



def cosine_matrix(claims: list[str], passages: Sequence[Passage], infos: list[PassageInfo],
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
class Scored:
    score: float  # combined support score, penalties applied
    span: tuple[int, int]  # the best-supporting sentence of the passage
    cosine: float  # cosine to the passage's best-matching sentence (0 without an embedder)
    overlap: float  # weighted share of the sentence's words in the passage, before penalties
    aligned: tuple[int, ...] = ()  # the passage sentences (indices) the claim aligns to
    failed: tuple[str, ...] = ()  # facts of the claim the aligned sentences do not state
    verbatim: bool = False  # the claim occurs word for word in the passage


def combine(feats: Words, vocab: frozenset[str], cosine: float | None,
             thresholds: Thresholds) -> tuple[float, float]:
    """(score with penalties, raw overlap share)."""
    overlap, missing_numbers, missing_names = overlap_share(feats, vocab)
    penalty = (thresholds.number_penalty ** min(missing_numbers, 2)
               * thresholds.name_penalty ** min(missing_names, 2))
    w = thresholds.overlap_weight
    score = overlap if cosine is None else w * overlap + (1 - w) * cosine
    return round(score * penalty, 4), overlap


def score_passage(feats: Words, info: PassageInfo, cos_row: npt.NDArray[np.float32] | None,
           thresholds: Thresholds, text: str = "") -> Scored:
    """How well one passage supports the sentence, and where."""
    w = thresholds.overlap_weight
    locals_: list[float] = []
    best_cos = 0.0
    for k, vocab in enumerate(info.sentence_vocabs):
        local = overlap_share(feats, vocab)[0]
        cos = float(cos_row[info.rows[k]]) if cos_row is not None else 0.0
        locals_.append(w * local + (1 - w) * cos if cos_row is not None else local)
        best_cos = max(best_cos, cos)
    best_k = max(range(len(locals_)), key=lambda k: (locals_[k], -k)) if locals_ else 0
    score, overlap = combine(feats, info.vocab, None if cos_row is None else best_cos, thresholds)
    if not text:
        return Scored(score=score, span=info.spans[best_k], cosine=best_cos, overlap=overlap)
    aligned = aligned_sentences(feats, info, locals_, best_k, thresholds)
    if align.is_verbatim(text, info.text):
        return Scored(score=score, span=info.spans[best_k], cosine=best_cos, overlap=overlap,
                       aligned=aligned, verbatim=True)
    first = min(aligned)
    context = info.text[info.spans[first - 1][0]:info.spans[first - 1][1]] if first else ""
    span = " ".join(info.text[a:b] for a, b in (info.spans[k] for k in aligned))
    failed = align.failures(align.claim_facts(text, info.names), span, context=context,
                            extra=info.extra)
    score = round(score * thresholds.fact_penalty ** min(len(failed), 2), 4)
    return Scored(score=score, span=info.spans[best_k], cosine=best_cos, overlap=overlap,
                   aligned=aligned, failed=tuple(failed))


def aligned_sentences(feats: Words, info: PassageInfo, locals_: list[float], best_k: int,
             thresholds: Thresholds) -> tuple[int, ...]:
    """The best-matching sentence, plus the next best that each hold a fair share of the claim's
    plain words the ones before do not (a claim may join two sentences), in passage order.

    Only plain words count here: a sentence that adds nothing but a number or a name (the one
    a swapped fact came from) does not join the span."""
    plain = {w: v for w, v in feats.weights.items()
             if w not in feats.numbers and w not in feats.names and w not in feats.capitals}
    total = sum(plain.values()) or 1.0

    def found(k: int) -> set[str]:
        return {word for word in plain if word_found(word, info.sentence_vocabs[k])}

    if not info.sentence_vocabs:
        return (best_k,)
    # Anchored on what the claim says (its plain words), not on whom it names: "Wang Yi said a
    # cease-fire was urgent" aligns to "Officials said a cease-fire was urgent", where Wang Yi
    # is then missing, not to the sentence before that merely names him.
    anchor = max(range(len(locals_)),
                 key=lambda k: (sum(plain[w] for w in found(k)), locals_[k], -k)) \
        if plain else best_k
    picked, covered = [anchor], found(anchor)
    for k in sorted(range(len(locals_)), key=lambda k: locals_[k], reverse=True):
        if len(picked) == thresholds.aligned_sentences:
            break
        if k in picked:
            continue
        new = found(k) - covered
        if len(new) >= 2 and sum(plain[word] for word in new) / total >= thresholds.part:
            picked.append(k)
            covered |= new
    return tuple(sorted(picked))
