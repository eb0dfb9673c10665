"""`Document` -> `Chunk`s: token windows snapped to sentence boundaries, character offsets kept.

Whole sentences are packed greedily up to `size` tokens (cl100k_base, offline). The next chunk
starts with the trailing sentences of the previous one that fit in `overlap` tokens. A sentence
longer than `size` is cut at token boundaries into windows that overlap by `overlap` tokens.
Every chunk satisfies `chunk.text == doc.text[chunk.start:chunk.end]` and has at most `size`
tokens when its text is encoded on its own.

Speed: each sentence is encoded once with `encode_ordinary` (the batch API starts a thread pool
per call, which costs more than it saves on news-sized documents), and each chunk once more to
check its exact count, since tokens at the seams between sentences do not simply add up.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING

from qa.errors import ConfigError
from qa.records import Chunk, Document
from qa.text import encoding, split_sentences

if TYPE_CHECKING:
    import tiktoken


def chunk_document(doc: Document, *, size: int = 256, overlap: int = 32) -> list[Chunk]:
    if size < 1 or not 0 <= overlap < size:
        raise ConfigError(f"chunk overlap {overlap} must be at least 0 and below the chunk "
                          f"size {size}", fix="set chunk_overlap below chunk_tokens")
    windows = _windows(doc.text, size, overlap)
    page_starts = [offset for _, offset in doc.pages]
    chunks = []
    for ordinal, (start, end) in enumerate(windows):
        page = None
        if doc.pages:
            page = doc.pages[max(bisect_right(page_starts, start) - 1, 0)][0]
        chunks.append(Chunk(doc.doc_id, ordinal, doc.text[start:end], start, end, page))
    return chunks


def _windows(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """(start, end) character spans of the chunks of `text`."""
    spans = split_sentences(text)
    if not spans:
        return []
    enc = encoding()
    encode = enc.encode_ordinary
    counts = [len(encode(text[s:e])) for s, e in spans]
    # Estimated tokens for the gap before each sentence: a single space usually merges into the
    # next word's token; a line break is about one token. Each chunk's exact count is checked.
    gaps = [0] + [0 if text[spans[k - 1][1]:spans[k][0]] == " " else 1
                  for k in range(1, len(spans))]
    windows: list[tuple[int, int]] = []
    n, i = len(spans), 0
    while i < n:
        if counts[i] > size:
            start, end = spans[i]
            windows.extend((start + a, start + b)
                           for a, b in _split_long(text[start:end], size, overlap, enc))
            i += 1
            continue
        total, j = counts[i], i + 1
        while j < n and total + gaps[j] + counts[j] <= size:
            total += gaps[j] + counts[j]
            j += 1
        while j - i > 1 and len(encode(text[spans[i][0]:spans[j - 1][1]])) > size:
            j -= 1  # the estimate was short: drop the last sentence
        windows.append((spans[i][0], spans[j - 1][1]))
        if j >= n:
            break
        i = _next_start(i, j, counts, gaps, size, overlap)
    return windows


def _next_start(i: int, j: int, counts: list[int], gaps: list[int], size: int,
                overlap: int) -> int:
    """First sentence of the chunk after sentences i..j-1: carry trailing ones worth `overlap`.

    The carried sentences leave room for sentence j, so every chunk adds something new, and the
    start always moves forward.
    """
    if counts[j] > size:
        return j  # a long sentence is split on its own
    k, carried = j, 0
    while k - 1 > i and carried + counts[k - 1] + gaps[k] <= overlap:
        k -= 1
        carried += counts[k] + gaps[k + 1]
    while k < j and carried + gaps[j] + counts[j] > size:
        carried -= counts[k] + gaps[k + 1]
        k += 1
    return k


def _split_long(sentence: str, size: int, overlap: int,
                enc: tiktoken.Encoding) -> list[tuple[int, int]]:
    """Character spans of windows of at most `size` tokens covering `sentence`."""
    tokens = enc.encode_ordinary(sentence)
    # offsets[t]: where token t starts in the sentence (a token inside a multi-byte character
    # maps to that character's start); the final bound is the sentence end.
    _, offsets = enc.decode_with_offsets(tokens)
    bounds = [*offsets, len(sentence)]
    n = len(tokens)
    out: list[tuple[int, int]] = []
    t = 0
    while t < n:
        u = min(t + size, n)
        start = bounds[t]
        # re-encoding a cut-out piece can take more tokens than the slice: shrink until it fits
        while u - t > 1 and len(enc.encode_ordinary(sentence[start:bounds[u]])) > size:
            u -= 1
        while u < n and bounds[u] <= start:
            u += 1  # never an empty window (only possible with absurdly small sizes)
        out.append((start, bounds[u]))
        if u >= n:
            break
        t = max(u - overlap, t + 1)
    return out
