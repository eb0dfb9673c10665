"""Alignment for the citation check: the few passage sentences a claim aligns to, and whether
every fact of the claim is found there in the same role.

Word overlap with a whole chunk sees that a sentence is about its passage, not that the passage
says it: a name taken from another paragraph, "20" for "200", a dropped "not" and a swapped
subject all share the chunk's words. So the facts of a claim (numbers with their scale, names,
months and weekdays, negations, gendered pronouns) are checked against the sentences it aligns
to only:

- a number must occur there with the same scale ("20 million" is not "20 billion", "20" is not
  "200"); a name must occur there (names of the sentence before count when the aligned sentence
  refers back with a pronoun: "he said" after "Wang Yi met Blinken");
- role: two facts of the claim around the same words must not trade places in the span
  ("Chelsea beat Arsenal" against "Arsenal beat Chelsea"; one fact on the other side of a word
  is no evidence: "Xi met Biden" and "Xi and Biden met" say the same);
- a word the claim negates an odd number of times must be negated an odd number of times in the
  span, and the reverse ("did not discuss" against "discussed");
- a claim's "she" against a span that says only "he" (or the reverse) fails.

A claim found word for word in the passage is verbatim: it needs none of this.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.text import STOPWORDS, light_stem

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z][A-Za-z'’\-]*|%")
_SCALES = {"million": "million", "mln": "million", "m": "million", "mn": "million",
           "billion": "billion", "bn": "billion", "bln": "billion", "b": "billion",
           "trillion": "trillion", "thousand": "thousand", "k": "thousand",
           "percent": "percent", "pct": "percent", "%": "percent", "cent": "percent"}
_MONTHS = {m: m[:3] for m in "january february march april may june july august september "
           "october november december".split()}
_NEGATIONS = frozenset("not n't no never neither nor none nothing nobody cannot".split())
_MASCULINE = frozenset("he him his himself".split())
_FEMININE = frozenset("she her hers herself".split())
# Personal pronouns only: "it" mostly stands for a thing ("go ahead with it"), and letting it
# bring in the names of the sentence before let swapped names through.
_BACK_REFERENCES = _MASCULINE | _FEMININE | frozenset("they them their".split())
_NEGATION_REACH = 3  # content words after a negation that it may govern ("did not fully agree")


@dataclass(frozen=True)
class Token:
    raw: str
    key: str  # normalised: lower case, light stem, month abbreviated, number without commas
    kind: str  # "number", "name", "word", "stop", "negation", "scale"


@dataclass(frozen=True)
class Fact:
    key: str
    kind: str  # "number" or "name"
    scale: str = ""  # for numbers: million, billion, percent...


@dataclass(frozen=True)
class ClaimFacts:
    facts: tuple[Fact, ...]
    negated: tuple[str, ...]  # content words the claim negates ("" when nothing follows)
    genders: frozenset[str]  # "m" / "f": gendered pronouns of the claim
    tokens: tuple[Token, ...]


def tokens(text: str, *, capitals_as_names: frozenset[str] = frozenset()) -> list[Token]:
    """`text` as facts-aware tokens. A capitalised word is a name unless it starts the
    sentence; a first word counts as a name when `capitals_as_names` holds it (the passage
    writes it with a capital mid-sentence)."""
    out: list[Token] = []
    previous_number = False
    for m in _TOKEN.finditer(text.replace("’", "'")):
        raw = m.group()
        low = raw.lower()
        if low.endswith("n't"):
            stem = low[:-3]
            out.append(Token(raw[:-3], stem, "stop"))
            out.append(Token("n't", "n't", "negation"))
            previous_number = False
            continue
        for suffix in ("'s", "'ll", "'d", "'re", "'ve", "'m"):
            if low.endswith(suffix):
                low, raw = low[:-len(suffix)], raw[:-len(suffix)]
                break
        if raw[0].isdigit():
            out.append(Token(raw, raw.replace(",", ""), "number"))
            previous_number = True
            continue
        if previous_number and low in _SCALES:
            out.append(Token(raw, _SCALES[low], "scale"))
        elif low in ("per",) and previous_number:
            previous_number = True  # "5 per cent"
            continue
        elif low in _NEGATIONS:
            out.append(Token(raw, low, "negation"))
        elif low in STOPWORDS or len(low) < 2:
            out.append(Token(raw, low, "stop"))
        else:
            key = _MONTHS.get(low) or light_stem(low.strip("'-"))
            first = not out or _sentence_start(text, m.start())
            is_name = (raw[0].isupper() and (not first or key in capitals_as_names)) or \
                any(part[:1].isupper() for part in raw.split("-")[1:])  # "anti-Semitic"
            out.append(Token(raw, key, "name" if is_name else "word"))
        previous_number = False
    return out


def _sentence_start(text: str, at: int) -> bool:
    before = text[:at].rstrip(" \"'“‘(")
    return not before or before[-1] in ".!?:\n"


def mid_capitals(text: str) -> frozenset[str]:
    """Keys of words `text` capitalises where a capital is not forced (not first in a
    sentence): the names of the passage."""
    return frozenset(t.key for t in tokens(text) if t.kind == "name")


def claim_facts(text: str, passage_names: frozenset[str] = frozenset()) -> ClaimFacts:
    toks = tokens(text, capitals_as_names=passage_names)
    content = [t for t in toks if t.kind in ("number", "name", "word", "scale")]
    facts: list[Fact] = []
    for i, t in enumerate(content):
        if t.kind not in ("number", "name"):
            continue
        scale = content[i + 1].key if (t.kind == "number" and i + 1 < len(content)
                                       and content[i + 1].kind == "scale") else ""
        facts.append(Fact(t.key, t.kind, scale))
    genders = frozenset(("m" if t.key in _MASCULINE else "f") for t in toks
                        if t.key in _MASCULINE | _FEMININE)
    return ClaimFacts(tuple(facts), tuple(_negated_words(toks)), genders, tuple(toks))


def _negated_words(toks: Sequence[Token]) -> list[str]:
    """For each negation, the first content word after it (within reach), or ""."""
    out: list[str] = []
    for i, t in enumerate(toks):
        if t.kind != "negation":
            continue
        following = [u.key for u in toks[i + 1:i + 1 + 2 * _NEGATION_REACH]
                     if u.kind in ("word", "name", "number")][:_NEGATION_REACH]
        out.append(following[0] if following else "")
    return out


def _negation_failures(claim: ClaimFacts, span_toks: Sequence[Token],
                       span_keys: Sequence[str]) -> list[str]:
    """A word negated an odd number of times on one side and an even number on the other
    ("did not discuss" against "discussed"; "would not be no spree" against "would be no
    spree"); a claim's negation of a word the span does not have needs some negation there."""
    span_negated = _negated_words(span_toks)
    claim_keys = [t.key for t in claim.tokens]
    out: list[str] = []
    for word in dict.fromkeys(w for w in (*claim.negated, *span_negated) if w):
        in_claim = any(_same_word(word, k) for k in claim_keys)
        in_span = any(_same_word(word, k) for k in span_keys)
        ours = sum(_same_word(word, w) for w in claim.negated)
        theirs = sum(_same_word(word, w) for w in span_negated)
        if in_claim and in_span and ours % 2 != theirs % 2:
            out.append(f"negation of {word}")
    has_negation = any(t.kind == "negation" for t in span_toks)
    if claim.negated and not has_negation:
        out.append("negation")
    return list(dict.fromkeys(out))


def _same_word(a: str, b: str) -> bool:
    """One word in two forms, as far as a negation goes: the light stem leaves "discus" and
    "discuss" (from "discussed") apart; five shared letters join them."""
    return a == b or (len(a) >= 5 and len(b) >= 5 and a[:5] == b[:5])


def failures(claim: ClaimFacts, span: str, *, context: str = "", extra: str = "") -> list[str]:
    """What of the claim the aligned `span` does not state, one short reason each.

    `context` is the passage text just before the span (pronoun antecedents); `extra` is what
    the passage is known to say about itself (title, source, date), which may hold a name.
    """
    span_toks = tokens(span)
    content = [t for t in span_toks if t.kind in ("number", "name", "word", "scale")]
    keys = [t.key for t in content]
    refers_back = any(t.key in _BACK_REFERENCES for t in span_toks)
    named = set(keys) | {t.key for t in tokens(extra)}
    if refers_back:
        named |= {t.key for t in tokens(context)}
    out: list[str] = []
    for fact in claim.facts:
        if fact.kind == "number":
            if not _number_found(fact, content):
                out.append(f"number {fact.key}{' ' + fact.scale if fact.scale else ''}")
        elif fact.key not in named:
            out.append(f"name {fact.key}")
    out.extend(_swapped(claim.tokens, span_toks))
    out.extend(_negation_failures(claim, span_toks, keys))
    span_genders = {("m" if t.key in _MASCULINE else "f") for t in span_toks
                    if t.key in _MASCULINE | _FEMININE}
    context_genders = {("m" if t.key in _MASCULINE else "f") for t in tokens(context)
                       if t.key in _MASCULINE | _FEMININE}
    seen = span_genders or context_genders
    for gender in claim.genders:
        if seen and gender not in seen:
            out.append("pronoun")
    return out


def _number_found(fact: Fact, content: Sequence[Token]) -> bool:
    for i, t in enumerate(content):
        if t.kind == "number" and t.key == fact.key:
            scale = content[i + 1].key if i + 1 < len(content) and \
                content[i + 1].kind == "scale" else ""
            if scale == fact.scale or not fact.scale or not scale:
                # a bare number may drop or add its scale ("$1.13bn" said as "1.13")
                return True
    return False


def _swapped(claim: Sequence[Token], span: Sequence[Token]) -> list[str]:
    """Pairs of facts that trade places around the same words: the claim says "A beat B" (or
    "6.4 pct to 725,023 tonnes") where the span says "B beat A", and nowhere "A ... B".

    One fact beside a word on the other side ("Biden met" against "met Biden") is no evidence:
    "Xi met Biden" and "Xi and Biden met" say the same."""
    ours = [t for t in claim if t.kind in ("number", "name", "word", "scale")]
    theirs = [t.key for t in span if t.kind in ("number", "name", "word", "scale")]
    out: list[str] = []
    for i, a in enumerate(ours):
        if a.kind not in ("number", "name"):
            continue
        for j in range(i + 2, min(i + 4, len(ours))):  # one or two words between the facts
            b, gap = ours[j], [t.key for t in ours[i + 1:j]]
            if b.kind != a.kind or any(t.kind == a.kind for t in ours[i + 1:j]):
                continue
            if _in_order(theirs, b.key, gap, a.key) and not _near(theirs, a.key, b.key, j - i):
                out.append(f"role of {a.key} and {b.key}")
    return out


def _in_order(keys: Sequence[str], first: str, gap: Sequence[str], last: str) -> bool:
    n = len(gap) + 1
    for i, k in enumerate(keys):
        if k == first and i + n < len(keys) and keys[i + n] == last and \
                list(keys[i + 1:i + n]) == list(gap):
            return True
    return False


def _near(keys: Sequence[str], first: str, last: str, distance: int) -> bool:
    """`first` before `last` within `distance` + 1 words: the claim's order is also there."""
    for i, k in enumerate(keys):
        if k == first and last in keys[i + 1:i + distance + 2]:
            return True
    return False


_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


def normalised(text: str) -> str:
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip().lower()


def is_verbatim(claim: str, passage_text: str) -> bool:
    """The claim occurs word for word in the passage (spacing, quote style and case aside)."""
    needle = normalised(claim).rstrip(".!?;:, ")
    hay = normalised(passage_text)
    if len(needle) < 12:
        return False
    at = hay.find(needle)
    while at >= 0:
        rest = hay[at + len(needle):]
        # a cut is verbatim only at a word's end, and not just before a "not" it would drop
        if (not rest or not rest[0].isalnum()) and \
                not _NEGATION_AHEAD.match(rest):
            return True
        at = hay.find(needle, at + 1)
    return False


_NEGATION_AHEAD = re.compile(r"\W*(?:not|n't|no|never|neither|nor)\b")
