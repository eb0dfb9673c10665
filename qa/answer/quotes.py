"""Reading a model's quote-first reply: `Quote [n]: "..."` lines, then `Answer: ...`.

The answer prompt asks small models to quote before answering: it lifted citation rates from 57%
to 100% for the 1.5B (../shared/OFFLINE.md). What the reply quoted also repairs an answer that
drifted away from its own quote.
"""

from __future__ import annotations

import re

from qa.records import Passage
from qa.refusal import is_refusal
from qa.text import content_words, split_sentences

_QUOTE = re.compile(r"^\s*quote\s*\[(\d+)\]\s*:?\s*(.*)$", re.IGNORECASE | re.MULTILINE)
_ANSWER = re.compile(r"^\s*answer\s*:\s*", re.IGNORECASE | re.MULTILINE)
_HAS_MARKER = re.compile(r"\[\s*\d+")
# "..., according to the passage [2]." adds nothing a citation does not say.
_ACCORDING = re.compile(r",?\s+(?:according to|as stated in|as per|based on)\s+(?:the\s+)?"
                        r"(?:passages?|sources?|text)(?=\s*[\[.,;]|\s*$)", re.IGNORECASE)


def split_quote_first(raw: str) -> tuple[str, list[tuple[int, str]]]:
    """(answer text, [(passage number, quote)]) from a quote-first reply; other text unchanged.

    An answer without its own [n] markers inherits the quote's passage number, which the
    citation check then verifies like any other citation.
    """
    quotes = [(int(n), q.strip().strip('"“”')) for n, q in _QUOTE.findall(raw)]
    match = _ANSWER.search(raw)
    if match:
        answer = _ACCORDING.sub("", raw[match.end():]).strip()
    elif quotes:
        answer = _QUOTE.sub("", raw).strip()
    else:
        return raw.strip(), []
    if quotes and answer and not _HAS_MARKER.search(answer) and not is_refusal(answer):
        answer = f"{answer} [{quotes[0][0]}]"
    return answer, quotes


def answer_from_quote(answer: str, quotes: list[tuple[int, str]],
                      passages: list[Passage]) -> str:
    """Small models sometimes quote the right words, then answer with another sentence (seen
    with the 1.5B on the seed: quote "an immediate cease-fire in Gaza", answer about the
    two-state solution). When the answer shares under half of the quote's content words and
    the quote really is in its passage, the passage sentence holding the quote is the answer."""
    if not quotes or not answer or is_refusal(answer):
        return answer
    number, quote = quotes[0]
    quote_words = set(content_words(quote))
    if not quote_words or not 1 <= number <= len(passages):
        return answer
    if len(quote_words & set(content_words(answer))) >= len(quote_words) / 2:
        return answer
    text = passages[number - 1].text
    found = _find_loose(text, quote)
    if found is None:
        return answer
    picked = [text[a:b] for a, b in split_sentences(text) if a < found[1] and b > found[0]]
    return " ".join(picked) + f" [{number}]" if picked else answer


def _find_loose(text: str, quote: str) -> tuple[int, int] | None:
    """Where `quote` occurs in `text`, ignoring case, spacing and curly quotes."""
    def fold(s: str) -> str:
        return s.translate(_FOLD).lower()

    pattern = r"\s+".join(re.escape(part) for part in fold(quote).split())
    match = re.search(pattern, fold(text)) if pattern else None
    return (match.start(), match.end()) if match else None


_FOLD = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
