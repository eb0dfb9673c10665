"""Fuzzing (issue 10, item 13): the loaders, the sentence splitter, the chunker and the citation
parser, driven by hypothesis. Each target asserts invariants (offsets map back into the text,
only `LoadError`s escape a loader, citations name retrieved passages), not only "no crash".

CI runs a few hundred examples per target, derandomized (the same examples every run, no
example database needed). `QA_FUZZ_LONG=1` multiplies the counts by 25 and draws fresh random
examples; docs/reliability.md records the last long run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfs import encrypt, make_pdf

from qa.cite import _MARKER, attach_citations, check
from qa.errors import LoadError
from qa.ingest import chunker
from qa.ingest.chunker import iter_chunks
from qa.ingest.corpora import load_csv, load_jsonl
from qa.ingest.formats import (
    TITLE_CHARS,
    Draft,
    Source,
    date_from_name,
    front_matter,
    load_html,
    load_md,
    load_txt,
    normalise,
    parse_date,
    parse_timestamp,
)
from qa.ingest.load import iter_documents
from qa.ingest.pdf import load_pdf
from qa.records import Chunk, DocInfo, Document, Passage
from qa.text import count_tokens, iter_sentences

LONG = os.environ.get("QA_FUZZ_LONG") == "1"


def fuzz(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Settings for a target: `examples` in CI (derandomized), 25 times as many, random, if long."""
    return settings(max_examples=examples * (25 if LONG else 1), deadline=None,
                    derandomize=not LONG, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---- text worth fuzzing with: sentence ends, markers, brackets, controls, odd spaces -----------

_PIECES = st.sampled_from([
    ". ", "! ", "? ", ".\" ", ".) ", "\n", "\n\n", "\r\n", " \n ", "\t", "  ", "Mr. ", "U.S. ",
    "[1]", "[1, 2]", "[1-3]", "[3-1]", "[0]", "[99]", "[[1]]", "[1-900]", "[passage 2]", "[",
    "]", "[/]", "\x1b[2J", "\x1b]0;t\x07", "\x9b", "\x00", "\u2028", "\u00a0", "\ufeff",
    "é", "日本語", "🙂", "\u0301", "A", "Z", "7", "1987", "---\n", "title: x\n", "# ", "\"", "'",
    "…", "—",
])
TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=40).map("".join)
WORDY = st.lists(st.one_of(_PIECES, st.from_regex(r"[A-Za-z][a-z]{0,9}", fullmatch=True)),
                 max_size=60).map(" ".join)


def loaded(loader: Callable[[Source], Iterable[Draft | LoadError]], data: bytes,
           name: str = "f.txt") -> list[Draft | LoadError]:
    """Everything `loader` gives for `data`; a raised LoadError is returned as the one item.
    Any other exception fails the test."""
    try:
        return list(loader(Source(Path("/fuzz") / name, data)))
    except LoadError as err:
        return [err]


def assert_draft(draft: Draft) -> None:
    assert draft.text == normalise(draft.text)  # the one normalisation, already applied
    assert len(draft.title) <= TITLE_CHARS
    assert draft.published_at is None or draft.published_at.tzinfo is not None


def as_bytes(text: str) -> st.SearchStrategy[bytes]:
    return st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]).map(
        lambda codec: text.encode(codec, errors="replace"))


# ---- loaders ----------------------------------------------------------------------------------


@fuzz(400)
@given(data=st.one_of(st.binary(max_size=300), TEXT.flatmap(as_bytes)))
def test_txt_and_md_loaders_give_drafts_or_load_errors(data: bytes) -> None:
    for loader in (load_txt, load_md):
        for item in loaded(loader, data):
            if isinstance(item, Draft):
                assert_draft(item)
                if loader is load_txt:
                    assert item.text == normalise(data.decode("utf-8-sig"))


@fuzz(300)
@given(block=st.lists(st.one_of(TEXT, st.from_regex(r"[a-z]{1,6}: ?[^\n]{0,20}",
                                                    fullmatch=True)), max_size=6),
       body=TEXT, close=st.sampled_from(["---", "...", "--", ""]))
def test_front_matter_never_invents_text(block: list[str], body: str, close: str) -> None:
    text = "---\n" + "\n".join(block) + f"\n{close}\n" + body
    meta, rest = front_matter(text)
    assert text.endswith(rest)  # the body is a tail of the text, never rewritten
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items())
    [item] = [i for i in loaded(load_md, text.encode()) if isinstance(i, Draft)] or [None]
    if item is not None:
        assert_draft(item)


_TAGS = st.sampled_from(["div", "p", "span", "title", "meta", "time", "script", "article", "b",
                         "html", "head", "body", "h1", "table", "td", "!--", "![CDATA["])


@st.composite
def html_pages(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 25))):
        tag = draw(_TAGS)
        attrs = draw(st.sampled_from(["", ' content="2023-02-30"', ' datetime="yesterday"',
                                      ' name="date" content="-5"', ' property="og:site_name" '
                                      'content="[/]"', ' charset="nonsense"', ' class="x"']))
        parts.append(draw(st.sampled_from([f"<{tag}{attrs}>", f"</{tag}>", f"<{tag}"])))
        parts.append(draw(WORDY))
    return "".join(parts)


@fuzz(150)
@given(page=html_pages(), codec=st.sampled_from(["utf-8", "latin-1", "utf-16"]))
def test_html_loader_gives_a_draft_or_a_load_error(page: str, codec: str) -> None:
    for item in loaded(load_html, page.encode(codec, errors="replace"), "f.html"):
        if isinstance(item, Draft):
            assert_draft(item)
            assert item.text.strip()


_PDF = make_pdf([["First page, one line.", "Second (line)."], [], ["Third page \\ text."]])


@st.composite
def damaged_pdfs(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from([_PDF, encrypt(_PDF, ""), encrypt(_PDF, "pw")])))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at:]
            if not data:
                data.extend(b"%")
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[at:at + draw(st.integers(1, 64))]
            if not data:
                data.extend(b"%")
    return bytes(data)


@fuzz(300)
@given(data=damaged_pdfs())
def test_damaged_pdfs_give_a_draft_or_a_load_error(data: bytes) -> None:
    for item in loaded(load_pdf, data, "f.pdf"):
        if isinstance(item, Draft):
            assert_draft(item)
            assert item.text.strip()
            starts = [offset for _, offset in item.pages]
            assert starts == sorted(starts) and all(0 <= s <= len(item.text) for s in starts)
            assert [n for n, _ in item.pages] == list(range(1, len(item.pages) + 1))


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT
    | st.sampled_from(["2023-02-30", "yesterday", "-5", "2023-12-06T08:00:00+08:00", "[/]"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6)
_RECORD = st.dictionaries(st.sampled_from(["id", "text", "title", "date", "url", "source", "_id",
                                           "x"]), _JSON_VALUES, max_size=6)


@fuzz(300)
@given(lines=st.lists(st.one_of(_RECORD.map(json.dumps), TEXT, st.just("")), max_size=8))
def test_jsonl_records_are_drafts_or_errors_each_with_text(lines: list[str]) -> None:
    keys: list[str] = []
    for item in loaded(load_jsonl, "\n".join(lines).encode(), "c.jsonl"):
        if isinstance(item, Draft):
            assert_draft(item)
            assert item.text and item.record_key
            keys.append(item.record_key)
    assert len(keys) == len(set(keys))  # a duplicate id is an error, never two documents


_CELLS = st.one_of(TEXT, st.sampled_from(['"', '""', '"a,b"', '"unclosed', "2023-02-30", ",",
                                          '"multi\nline"', "\r", "x\"y"]))


@fuzz(300)
@given(header=st.sampled_from(["id,text", "id,text,date", "text", "title,text,date,url",
                               "nope", "id,\"text\"", ""]),
       rows=st.lists(st.lists(_CELLS, max_size=4).map(",".join), max_size=8),
       end=st.sampled_from(["\n", "\r\n"]))
def test_csv_rows_are_drafts_or_errors_and_none_swallows_a_line(header: str, rows: list[str],
                                                                 end: str) -> None:
    data = end.join([header, *rows]).encode()
    items = loaded(load_csv, data, "c.csv")
    keys = [i.record_key for i in items if isinstance(i, Draft)]
    for item in items:
        if isinstance(item, Draft):
            assert_draft(item)
            assert item.text
    assert len(keys) == len(set(keys))


_DATES = st.one_of(
    TEXT, st.integers(), st.floats(), st.none(), st.dates(), st.datetimes(),
    st.datetimes(timezones=st.timezones()),
    st.from_regex(r"-?\d{1,6}-\d{1,3}-\d{1,3}([T ]\d{1,2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?)?",
                  fullmatch=True),
    st.from_regex(r"(Mon|Wed), \d{1,2} (Dec|Feb) \d{1,5} \d{2}:\d{2}:\d{2} [+-]\d{4}",
                  fullmatch=True),
    st.from_regex(r"\d{1,2}(st|nd|th)? (Dec|February|Feb\.) \d{1,5}", fullmatch=True))


@fuzz(500)
@given(value=_DATES)
def test_dates_and_timestamps_parse_or_give_none(value: object) -> None:
    day = parse_date(value)
    assert day is None or isinstance(day, dt.date)
    stamp = parse_timestamp(value)
    assert stamp is None or stamp.tzinfo is not None
    if isinstance(value, str):
        named = date_from_name(value)
        assert named is None or isinstance(named, dt.date)


_TOML = st.one_of(
    TEXT,
    st.lists(st.tuples(st.sampled_from(["title", "date", "source", "url", "tags", "title.x"]),
                       st.sampled_from(['"a [/] title"', "2023-02-30", "2023-12-06",
                                        "2023-12-06T08:00:00+08:00", "08:00:00", "1", "[1, 2]",
                                        "{ a = 1 }", '"yesterday"', "true", '"""x"""', "'\\'"])),
             max_size=5).map(lambda pairs: "\n".join(f"{k} = {v}" for k, v in pairs)))


@fuzz(200)
@given(sidecar=_TOML, text=TEXT.filter(lambda t: "\0" not in t))  # NUL: a binary file
def test_a_sidecar_never_crashes_a_file_and_never_changes_its_text(sidecar: str,
                                                                  text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.txt"
        path.write_bytes(text.encode())
        (Path(folder) / "a.txt.meta.toml").write_bytes(sidecar.encode())
        items = list(iter_documents([path]))
    docs = [i for i in items if isinstance(i, Document)]
    assert all(isinstance(i, Document | LoadError) for i in items)
    expected = normalise(text.encode().decode("utf-8-sig"))  # a leading BOM is not text
    if expected:
        [doc] = docs
        assert doc.text == expected  # metadata never touches the text or its hash
        assert doc.sha256 == hashlib.sha256(doc.text.encode()).hexdigest()
        assert all(isinstance(v, str) for v in (doc.title, doc.source, doc.url))
        assert doc.published is None or isinstance(doc.published, dt.date)


# ---- sentences and chunks: offsets always map back into the text -------------------------------


@fuzz(600)
@given(text=st.one_of(TEXT, WORDY))
def test_sentences_are_ordered_trimmed_spans_that_cover_every_visible_character(
        text: str) -> None:
    spans = list(iter_sentences(text))
    covered = 0
    for start, end in spans:
        assert covered <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip() and piece
        assert not text[covered:start].strip()  # only whitespace falls between sentences
        covered = end
    assert not text[covered:].strip()


@fuzz(300)
@given(text=st.one_of(TEXT, WORDY, st.lists(WORDY, max_size=8).map(" ".join),
                     st.lists(_PIECES, max_size=300).map("".join),
                     # one long "sentence" of characters of several tokens each
                     st.lists(st.sampled_from(["🙂", "語", "é\u0301", "👍🏽", " "]), min_size=20,
                              max_size=200).map("".join)).map(normalise).filter(bool),
       size=st.integers(4, 64), overlap_share=st.floats(0, 0.99))
def test_chunks_are_slices_within_size_that_cover_the_text(text: str, size: int,
                                                          overlap_share: float) -> None:
    overlap = int(size * overlap_share)
    doc = Document(key="k", text=text, title="t", source="s", published=None,
                   sha256=hashlib.sha256(text.encode()).hexdigest())
    chunks = list(iter_chunks(doc, size=size, overlap=overlap))
    assert chunks and [c.ordinal for c in chunks] == list(range(len(chunks)))
    stored = {c.text for c in chunks}
    for chunk in chunks:
        assert chunk.text == text[chunk.start:chunk.end] and chunk.text
        assert count_tokens(chunk.text) <= size
    # the windows before repeats were left out: they cover the text, and each one left out
    # repeats a stored chunk word for word
    covered, last_start = 0, -1
    for window, start, end, _page in chunker._spans(doc, size, overlap):
        assert window == text[start:end] and window in stored
        assert start > last_start  # every window moves on
        assert not text[covered:start].strip()  # nothing visible is skipped
        covered, last_start = max(covered, end), start
    assert not text[covered:].strip()


# ---- the citation parser ------------------------------------------------------------------------


def passage(number: int, text: str) -> Passage:
    chunk = Chunk(doc_id=f"d{number}", ordinal=0, text=text, start=0, end=len(text))
    info = DocInfo(doc_id=f"d{number}", title=f"Title {number}", source="wire",
                   published=dt.date(2024, 1, number), sha256="0" * 64)
    return Passage(chunk=chunk, doc=info, score=1.0)


_FACTS = ["The Quillon bridge cost 4 billion dollars in 1987.",
          "Officials said the ferry carried 300 people.",
          "Rain fell [2] on Tuesday. The 99 figure was wrong."]
_ANSWER = st.lists(st.one_of(WORDY, st.sampled_from(_FACTS), st.sampled_from(
    ["[1]", "[1,2]", "[1-3]", "[2-1]", "[0]", "[4]", "[99]", "[[1]]", "[1[2]]", "[1-99999]",
     "[passage 2]", "[Sources 1 and 3]", "[12345678901234567890]", "**", "- ", "1. ", "Sure: ",
     ":", "\n", "[1]."])), max_size=20).map(" ".join)


@fuzz(300)
@given(answer=_ANSWER, count=st.integers(0, 3), strict=st.booleans())
def test_citations_only_name_retrieved_passages_and_spans_lie_inside_them(
        answer: str, count: int, strict: bool) -> None:
    passages = [passage(n, _FACTS[n - 1]) for n in range(1, count + 1)]
    checked = check(answer, passages, None, strict=strict)
    assert not strict or all(s.supported for s in checked)
    for sentences in (checked, attach_citations(answer, passages, None)):
        for sentence in sentences:
            assert sentence.text and not _MARKER.search(sentence.text)  # markers never kept
            for citation in sentence.citations:
                assert 1 <= citation.number <= len(passages)
                cited = passages[citation.number - 1]
                assert citation.chunk_id == cited.chunk.chunk_id
                start, end = citation.span
                assert 0 <= start < end <= len(cited.text)


@fuzz(200)
@given(numbers=st.lists(st.integers(0, 10**20) | st.integers(0, 30), min_size=1, max_size=4),
       joins=st.lists(st.sampled_from([",", ", ", "-", " - ", "–", ";", " and "]), min_size=3,
                      max_size=3))
def test_marker_numbers_keep_what_was_written_and_ranges_stay_capped(
        numbers: list[int], joins: list[str]) -> None:
    from qa.cite import _MAX_RANGE, _marker_numbers

    marker = "[" + "".join(f"{joins[i % 3] if i else ''}{n}" for i, n in enumerate(numbers)) + "]"
    assert _MARKER.fullmatch(marker)
    found = _marker_numbers(marker)
    assert set(numbers) <= set(found)  # a range keeps both ends; a list keeps every number
    assert len(found) <= len(numbers) * (_MAX_RANGE + 1)  # "[1-900]" is not 900 citations
    sentences = check(f"The Quillon bridge cost 4 billion dollars in 1987 {marker}.",
                      [passage(1, _FACTS[0])], None)
    assert [c.number for s in sentences for c in s.citations] in ([], [1])


# ---- what the fuzzing found, kept as plain tests ------------------------------------------------


def test_a_lone_carriage_return_in_a_csv_row_is_one_error(tmp_path: Path) -> None:
    """`id,text\\n\\r,` raised `_csv.Error: new-line character seen in unquoted field` out of
    the loader: the whole ingest stopped with a traceback."""
    path = tmp_path / "c.csv"
    path.write_bytes(b"id,text\n\r,x\n2,Second row.\n")
    items = list(iter_documents([path]))
    errors = [i for i in items if isinstance(i, LoadError)]
    assert [e.path for e in errors] == [f"{path.resolve()}:2"]
    assert "broken CSV line" in errors[0].reason
    assert [i.text for i in items if isinstance(i, Document)] == ["Second row."]


def test_a_nested_marker_leaves_no_marker_in_the_sentence() -> None:
    """`[1[2]]`: the inner `[2]` was removed and the `[1]` left behind stayed in the sentence's
    text, where it reads as a citation nobody checked (or was kept as a sentence "[1]")."""
    facts = [passage(1, _FACTS[0]), passage(2, _FACTS[1])]
    assert check("[1[2]]", facts, None) == []
    [sentence] = check("The Quillon bridge cost 4 billion dollars in 1987 [1[2]].", facts, None)
    assert "[" not in sentence.text and sentence.text.endswith("1987.")
    assert [c.number for c in sentence.citations] == [1]


def test_a_long_run_of_multi_token_characters_gives_no_repeated_chunk() -> None:
    """An emoji is two tokens. With a large overlap (32 and 31, which the settings allow) the
    next window of a long sentence began on the second token of the character the last one
    began at: 49 chunks for 40 emoji, 24 of them repeats of the one before."""
    text = "🙂" * 40
    doc = Document(key="k", text=text, title="t", source="s", published=None,
                   sha256=hashlib.sha256(text.encode()).hexdigest())
    windows = list(chunker._spans(doc, 32, 31))
    starts = [start for _, start, _, _ in windows]
    assert starts == sorted(set(starts)) and len(windows) == 25
    # the windows of one repeated character are mostly the same text: each is stored once
    chunks = list(iter_chunks(doc, size=32, overlap=31))
    assert len({c.text for c in chunks}) == len(chunks) < 25
    assert {c.text for c in chunks} == {w for w, _, _, _ in windows}
    assert all(c.text == text[c.start:c.end] and count_tokens(c.text) <= 32 for c in chunks)


def test_normalising_twice_changes_nothing(tmp_path: Path) -> None:
    """Found by the long run: `\\r\\r\\n` became `\\r\\n` in the loader and `\\n` when the
    document was made (both normalise), so a PDF's page offsets, taken from the loader's text,
    pointed past where its pages began."""
    assert normalise("a\r\r\nb\r\n") == normalise(normalise("a\r\r\nb\r\n")) == "a\nb"
    path = tmp_path / "a.txt"
    path.write_bytes(b"First line.\r\r\nSecond line.\r\n")
    [doc] = list(iter_documents([path]))
    assert isinstance(doc, Document) and doc.text == "First line.\nSecond line."
    [draft] = loaded(load_csv, b'id,text\r\n1,"a\r\r\nb"\r\n', "c.csv")
    assert isinstance(draft, Draft) and draft.text == "a\nb"
