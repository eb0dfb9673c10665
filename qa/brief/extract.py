"""Extractive story summaries: the one to three central, non-redundant sentences across a story's
articles, each quoted verbatim (a `Pick` is a character span of one article's text).

A sentence's score is
    centrality   cosine to the story's centroid (tf-idf over content words; each article's
                 mean vector counts once, so a long article does not outvote three short ones)
  + support      the mean, over the *other* articles, of the best cosine to one of their
                 sentences: a fact that several outlets state wins over one outlet's aside
  + lead         a prior for the first sentences of an article, where news puts the facts
minus a penalty for openers that lean on what came before ("He said", "But it").
Picks are made greedily by maximal marginal relevance (its penalty was tuned to 0), and a
candidate too close to a pick is never taken, so two outlets' versions of one fact yield one
pick. Sentences that are not summary material (captions, bylines, calls to action, questions,
bare quotes, fragments) are never candidates. Parameters were tuned on BBC News Summary articles
0-499 and Timeline17's BP oil spill days (docs/benchmarks.md).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qa.injection import addresses_reader
from qa.text import content_words, split_sentences

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from scipy.sparse import csr_matrix


@dataclass(frozen=True)
class Pick:
    """One chosen sentence: `texts[article][start:end]`, and the score it was chosen with."""

    article: int
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class ExtractParams:
    """The weights of the score and the limits on what counts as a sentence."""

    # Tuned by bench/brief_summaries.py --tune (docs/benchmarks.md): BBC dev chose the rest and
    # wants no lead prior; Timeline17's journalists' entries want one, 0.2. MMR's penalty tuned
    # to 0 on both, so redundancy is left to the cap, set tighter than tuned (0.8) so that two
    # outlets' wordings of one fact are not both picked: it costs BBC dev ~0.6 ROUGE-2.
    lead_weight: float = 0.2  # the first sentence's bonus; later ones get lead_weight * decay**i
    lead_decay: float = 0.7
    support_weight: float = 0.5  # only where the story has more than one article
    dangling_penalty: float = 0.05  # openers such as "He said", "But", "It was"
    redundancy: float = 0.0  # MMR: subtract this times the best cosine to a pick
    max_similarity: float = 0.5  # a candidate closer than this to a pick is never picked
    min_words: int = 6
    max_words: int = 60  # longer "sentences" are run-ons: headline + caption + text


DEFAULT = ExtractParams()

# Captions and credits: "(PHOTO / AFP)", "Photo: Reuters", "(Getty Images)", "AP Photo/John Doe".
# A wire dateline, "PARIS (Reuters) - ...", is not one: it opens the lead sentence.
_AGENCY = r"(?:AFP|AP|EPA|Reuters|Getty(?: Images)?|Xinhua)"
_CAPTION = re.compile(
    r"\(\s*(?:file\s+)?(?:photo|picture|image|video)s?\b[^()]*\)"  # (PHOTO / AFP)
    r"|\b(?:photo|picture|image)s?\s*(?:/|:|by\b|credit)"  # Photo: Reuters, Picture by X
    rf"|\b{_AGENCY}\s*(?:/\s*{_AGENCY}|Photo\b)"  # AFP/Getty Images, AP Photo (not Reuters/Ipsos)
    rf"|\([^()]*/\s*{_AGENCY}\b[^()]*\)|\(Getty Images\)",  # (John Doe/AFP)
    re.IGNORECASE)

# Calls to action and page furniture.
_BOILERPLATE = re.compile(
    r"\b(?:click here|read more|sign up|subscribe|follow us|all rights reserved|copyright|"
    r"newsletter|share this|advertisement|related (?:stories|articles|content)|"
    r"terms of (?:use|service)|privacy policy|cookies?)\b|©",
    re.IGNORECASE)
# Credit and syndication lines: "This article first appeared in the Harbor Times.",
# "Originally published by ...", "Reporting by Jane Doe; Editing by John Roe".
_CREDIT = re.compile(
    r"^(?:this (?:article|story|report|piece) (?:was )?(?:first |originally )?(?:appeared|"
    r"published|ran)\b|(?:originally|first) (?:published|appeared)\b|(?:additional )?reporting "
    r"by\b|(?:writing|editing) by\b)", re.IGNORECASE)
# A byline or dateline line: "By Jane Doe", "By JANE DOE and John Roe", "Updated 10:32 GMT".
_BYLINE = re.compile(
    r"^(?:By\s+[A-Z][\w.'’-]*\s+[A-Z][\w.'’-]*(?:\s*(?:,|\||and\b|$))"
    r"|(?:Posted|Updated|Published|Last updated)\b)")
_END = re.compile(r"""[.!]["'”’)\]]*$""")
_OPEN_QUOTE = "\"“"
_QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")  # a quoted stretch
_WORDS = re.compile(r"\w+")
# Openers that need the sentence before them to make sense.
_DANGLING = re.compile(
    r"^(?:He|She|It|They|This|That|These|Those|His|Her|Its|Their|But|And|Also|However|Yet|"
    r"Meanwhile|Still|So|Instead|Then)\b")


@dataclass
class _Sentence:
    article: int
    position: int  # index among its article's sentences
    start: int
    end: int
    terms: Counter[str]
    n_words: int
    candidate: bool  # may be picked (passed the filters)
    dangling: bool


def select_sentences(texts: Sequence[str], *, max_sentences: int = 3,
                     max_words: int | None = None, params: ExtractParams = DEFAULT,
                     background_df: Mapping[str, int] | None = None,
                     background_docs: int = 0) -> list[Pick]:
    """Up to `max_sentences` central, non-redundant sentences of a story, best first.

    `texts` are the story's articles, one text each; `Pick.article` indexes them. The picks come
    in the order chosen, most central first (across outlets, article order means nothing, and
    a reader wants the main fact first). With `max_words`, a sentence that would take the
    summary over that many words is skipped for a shorter one; the first pick is always kept.
    `background_df` (term -> number of documents holding it, from `document_frequencies`) over
    `background_docs` documents gives the idf; without it the idf comes from the story's own
    sentences, which cannot tell a story's topic words from common ones as well.
    """
    sentences = _sentences(texts, params)
    candidates = [i for i, s in enumerate(sentences) if s.candidate]
    if not candidates or max_sentences <= 0:
        return []
    idf = _idf(sentences, background_df, background_docs)
    vectors = _vectors(sentences, idf)
    similarity = (vectors @ vectors.T).toarray()
    score = _scores(sentences, vectors, similarity, params)
    return _mmr(sentences, candidates, score, similarity, max_sentences, max_words, params)


def document_frequencies(texts: Iterable[str]) -> Counter[str]:
    """Term -> number of `texts` holding it, normalised as `select_sentences` compares terms."""
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(content_words(text)))
    return df


def is_summary_sentence(sentence: str, params: ExtractParams = DEFAULT) -> bool:
    """Whether a sentence may stand in a summary: not a caption, byline, call to action,
    question, bare quote or fragment, nor one addressing the reader (an injected instruction),
    and of a sentence's length."""
    n_words = len(sentence.split())
    if not params.min_words <= n_words <= params.max_words:
        return False
    if (_CAPTION.search(sentence) or _BOILERPLATE.search(sentence) or _BYLINE.match(sentence)
            or _CREDIT.match(sentence)):
        return False
    if not _END.search(sentence):  # a question, a headline, a list item, a cut-off line
        return False
    if addresses_reader(sentence):
        return False
    first = next((ch for ch in sentence if ch.isalnum()), "")
    if first.islower():  # a fragment left by a bad split
        return False
    return not _bare_quote(sentence)


def _bare_quote(sentence: str) -> bool:
    """A quotation with no attribution outside its quote marks ('"We will win."'), or a piece
    of a quote that runs over several sentences (its marks do not pair up); not
    '"We will win," she said.'"""
    if sentence.count('"') % 2 or sentence.count("“") != sentence.count("”"):
        return True
    if sentence[0] not in _OPEN_QUOTE:
        return False
    return len(_WORDS.findall(_QUOTED.sub(" ", sentence))) < 2


def _sentences(texts: Sequence[str], params: ExtractParams) -> list[_Sentence]:
    out = []
    for a, text in enumerate(texts):
        for position, (start, end) in enumerate(split_sentences(text)):
            sentence = text[start:end]
            terms = Counter(content_words(sentence))
            if not terms:
                continue
            out.append(_Sentence(a, position, start, end, terms, len(sentence.split()),
                                 candidate=is_summary_sentence(sentence, params),
                                 dangling=_DANGLING.match(sentence) is not None))
    return out


def _idf(sentences: Sequence[_Sentence], background_df: Mapping[str, int] | None,
         background_docs: int) -> dict[str, float]:
    vocabulary = {t for s in sentences for t in s.terms}
    if background_df is not None and background_docs > 0:
        df, n = background_df, background_docs
    else:
        df, n = Counter(t for s in sentences for t in s.terms), len(sentences)
    # smoothed, and never below 1: a word every document holds still says a little
    return {t: 1.0 + math.log((n + 1) / (df.get(t, 0) + 1)) for t in vocabulary}


def _vectors(sentences: Sequence[_Sentence], idf: Mapping[str, float]) -> csr_matrix:
    """One L2-normalised row per sentence: (1 + log tf) * idf over content words."""
    from scipy.sparse import csr_matrix

    index = {t: i for i, t in enumerate(idf)}
    rows, cols, vals = [], [], []
    for r, s in enumerate(sentences):
        weights = {t: (1.0 + math.log(c)) * idf[t] for t, c in s.terms.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        for t, w in weights.items():
            rows.append(r)
            cols.append(index[t])
            vals.append(w / norm)
    return csr_matrix((vals, (rows, cols)), shape=(len(sentences), len(index)))


def _scores(sentences: Sequence[_Sentence], vectors: csr_matrix, similarity: NDArray[np.float64],
            params: ExtractParams) -> NDArray[np.float64]:
    articles = np.array([s.article for s in sentences])
    # the centroid: each article's mean sentence vector, normalised, then averaged
    centroid = np.zeros(vectors.shape[1])
    for a in np.unique(articles):
        mean = np.asarray(vectors[articles == a].mean(axis=0)).ravel()
        centroid += mean / (np.linalg.norm(mean) or 1.0)
    centroid /= np.linalg.norm(centroid) or 1.0
    score = np.asarray(vectors @ centroid).ravel()
    present = np.unique(articles)
    if params.support_weight and len(present) > 1:
        # (sentence, other article): the best cosine to one of that article's sentences
        best = np.stack([similarity[:, articles == a].max(axis=1) for a in present], axis=1)
        best[articles[:, None] == present[None, :]] = 0.0  # a sentence's own article
        score += params.support_weight * best.sum(axis=1) / (len(present) - 1)
    positions = np.array([s.position for s in sentences])
    score += params.lead_weight * params.lead_decay ** positions
    score -= params.dangling_penalty * np.array([s.dangling for s in sentences])
    return score


def _mmr(sentences: Sequence[_Sentence], candidates: Sequence[int], score: NDArray[np.float64],
         similarity: NDArray[np.float64], max_sentences: int, max_words: int | None,
         params: ExtractParams) -> list[Pick]:
    """Greedy maximal marginal relevance under the similarity cap and the word budget."""
    picks: list[Pick] = []
    picked: list[int] = []
    words = 0
    left = list(candidates)
    while left and len(picks) < max_sentences:
        closest = similarity[np.ix_(left, picked)].max(axis=1) if picked else np.zeros(len(left))
        gain = score[left] - params.redundancy * closest
        chosen = None
        for k in np.argsort(-gain, kind="stable"):
            s = sentences[left[k]]
            over_budget = max_words is not None and picks and words + s.n_words > max_words
            if closest[k] <= params.max_similarity and not over_budget:
                chosen = int(k)
                break
        if chosen is None:
            break
        i = left.pop(chosen)
        s = sentences[i]
        picked.append(i)
        words += s.n_words
        picks.append(Pick(s.article, s.start, s.end, round(float(gain[chosen]), 4)))
    return picks
