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
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from qa.errors import ConfigError
from qa.records import Chunk, Document
from qa.text import encoding, iter_sentences

if TYPE_CHECKING:
    import tiktoken


def chunk_document(doc: Document, *, size: int = 256, overlap: int = 32) -> list[Chunk]:
    return list(iter_chunks(doc, size=size, overlap=overlap))


def iter_chunks(doc: Document, *, size: int = 256, overlap: int = 32) -> Iterator[Chunk]:
    """The chunks of `doc`, lazily: memory holds the sentences of a chunk or two, not the
    file's (a 49 MB text built 2.8 GB of lists and chunks before embedding one)."""
    if size < 1 or not 0 <= overlap < size:
        raise ConfigError(f"chunk overlap {overlap} must be at least 0 and below the chunk "
                          f"size {size}", fix="set chunk_overlap below chunk_tokens")
    ordinal = 0
    recent: deque[str] = deque(maxlen=REPEAT_WINDOW)
    for text, start, end, page in _spans(doc, size, overlap):
        if text in recent:
            continue  # the same words again ("word word word ..."): see REPEAT_WINDOW
        recent.append(text)
        yield Chunk(doc.doc_id, ordinal, text, start, end, page)
        ordinal += 1


# A chunk whose text equals one of the last REPEAT_WINDOW chunks of its document is not stored:
# its words are already searchable, and identical vectors break Chroma's HNSW graph (a file of
# one word repeated made 150 equal vectors of 224, and dense search then could not reach an
# unrelated document's chunk in about a third of builds: tests/test_hostile_corpus.py).
REPEAT_WINDOW = 64


def _spans(doc: Document, size: int, overlap: int
           ) -> Iterator[tuple[str, int, int, int | None]]:
    """(text, start, end, page) of each window of `doc`, in order."""
    if doc.stream is not None:
        # a file too big to hold: each section chunked on its own (qa/ingest/bigtext.py)
        for base, section in doc.stream.sections():
            for start, end in _windows(section, size, overlap):
                yield section[start:end], base + start, base + end, None
        return
    page_starts = [offset for _, offset in doc.pages]
    for start, end in _windows(doc.text, size, overlap):
        page = None
        if doc.pages:
            page = doc.pages[max(bisect_right(page_starts, start) - 1, 0)][0]
        yield doc.text[start:end], start, end, page


# A "sentence" longer than this many characters (a file with no sentence ends) is cut at a
# space first: one tiktoken call over megabytes is a long C call that Ctrl-C cannot interrupt.
PIECE_CHARS = 1 << 16


def _pieces(text: str) -> Iterator[tuple[int, int]]:
    for start, end in iter_sentences(text):
        while end - start > PIECE_CHARS:
            cut = text.rfind(" ", start + PIECE_CHARS // 2, start + PIECE_CHARS)
            cut = cut if cut > start else start + PIECE_CHARS
            yield start, cut
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if end > start:
            yield start, end


class _Sentences:
    """Sentence spans with their token counts and gaps, read on demand by absolute index; the
    ones before the current chunk's start are dropped."""

    def __init__(self, text: str, encode: Callable[[str], list[int]]) -> None:
        self.text, self.encode = text, encode
        self.source = _pieces(text)
        self.base = 0  # absolute index of spans[0]
        self.spans: list[tuple[int, int]] = []
        self.counts: list[int] = []
        self.gaps: list[int] = []  # estimated tokens of the gap before each sentence
        self.done = False
        self.last_end: int | None = None  # end of the last sentence read (dropped or not)

    def has(self, k: int) -> bool:
        while not self.done and k - self.base >= len(self.spans):
            span = next(self.source, None)
            if span is None:
                self.done = True
                break
            # a single space usually merges into the next word's token; a line break is about
            # one token. Each chunk's exact count is checked.
            last, self.last_end = self.last_end, span[1]
            gap = 0 if last is None or self.text[last:span[0]] == " " else 1
            self.spans.append(span)
            self.counts.append(len(self.encode(self.text[span[0]:span[1]])))
            self.gaps.append(gap)
        return k - self.base < len(self.spans)

    def span(self, k: int) -> tuple[int, int]:
        return self.spans[k - self.base]

    def count(self, k: int) -> int:
        return self.counts[k - self.base]

    def gap(self, k: int) -> int:
        return self.gaps[k - self.base]

    def drop_before(self, k: int) -> None:
        cut = k - self.base
        del self.spans[:cut], self.counts[:cut], self.gaps[:cut]
        self.base = k


def _windows(text: str, size: int, overlap: int) -> Iterator[tuple[int, int]]:
    """(start, end) character spans of the chunks of `text`."""
    enc = encoding()
    encode = enc.encode_ordinary
    sent = _Sentences(text, encode)
    i = 0
    while sent.has(i):
        if sent.count(i) > size:
            start, end = sent.span(i)
            for a, b in _split_long(text[start:end], size, overlap, enc):
                yield start + a, start + b
            i += 1
            sent.drop_before(i)
            continue
        total, j = sent.count(i), i + 1
        while sent.has(j) and total + sent.gap(j) + sent.count(j) <= size:
            total += sent.gap(j) + sent.count(j)
            j += 1
        while j - i > 1 and len(encode(text[sent.span(i)[0]:sent.span(j - 1)[1]])) > size:
            j -= 1  # the estimate was short: drop the last sentence
        yield sent.span(i)[0], sent.span(j - 1)[1]
        if not sent.has(j):
            break
        i = _next_start(i, j, sent, size, overlap)
        sent.drop_before(i)


def _next_start(i: int, j: int, sent: _Sentences, size: int, overlap: int) -> int:
    """First sentence of the chunk after sentences i..j-1: carry trailing ones worth `overlap`.

    The carried sentences leave room for sentence j, so every chunk adds something new, and the
    start always moves forward.
    """
    count, gap = sent.count, sent.gap
    if count(j) > size:
        return j  # a long sentence is split on its own
    k, carried = j, 0
    while k - 1 > i and carried + count(k - 1) + gap(k) <= overlap:
        k -= 1
        carried += count(k) + gap(k + 1)
    while k < j and carried + gap(j) + count(j) > size:
        carried -= count(k) + gap(k + 1)
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
        while bounds[t] <= start:
            t += 1  # token t lies inside the character this window began at: same start again
    return out
