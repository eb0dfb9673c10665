"""Answering: retrieve -> pack a prompt -> generate (streamed) -> citation check -> Answer.

Briefings will reuse `generate_checked` with their own prompt: one generator layer, one check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from qa import cite
from qa.errors import IncompleteAnswer
from qa.generators.base import GenerationRequest, Generator
from qa.index import Index
from qa.pick import Pick, pick_sentence, refusal_threshold
from qa.prompts import answer_messages
from qa.refusal import NOT_IN_DOCUMENTS, is_refusal
from qa.retrieve import Filters, retrieve
from qa.settings import Settings
from qa.text import content_words, split_sentences
from qa.types import Answer, Passage, Sentence

OnText = Callable[[str], None]

# The answer prompt asks small models to quote before answering ("Quote [n]: ..." then
# "Answer: ..."): it lifted citation rates from 57% to 100% for the 1.5B (../shared/OFFLINE.md).
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


@dataclass
class AskOptions:
    k: int = 6
    filters: Filters = Filters()
    strict: bool = False


def refusal(question: str, passages: list[Passage], backend: str) -> Answer:
    return Answer(question=question, sentences=[Sentence(text=NOT_IN_DOCUMENTS)],
                  passages=passages, backend=backend, refused=True, raw_text=NOT_IN_DOCUMENTS)


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


def generate_checked(index: Index, generator: Generator, request: GenerationRequest,
                     *, strict: bool, on_text: OnText | None = None) -> Answer:
    """Stream the generator's text to `on_text`, then check every sentence's citations."""
    pieces: list[str] = []
    complete = True
    try:
        for piece in generator.stream(request):
            pieces.append(piece)
            if on_text:
                on_text(piece)
    except IncompleteAnswer as exc:
        complete = False
        pieces = [exc.partial]
    except KeyboardInterrupt:
        if not pieces:
            raise
        complete = False  # Ctrl-C mid-answer: keep what came, marked as cut
    raw = "".join(pieces).strip()
    text, quotes = split_quote_first(raw)
    text = answer_from_quote(text, quotes, request.passages)
    if complete and (is_refusal(text) or not text):
        return refusal(request.question, request.passages, generator.name)
    sentences = cite.check(text, request.passages, index.embedder, strict=strict)
    answer = Answer(question=request.question, sentences=sentences, passages=request.passages,
                    backend=generator.name, refused=False, complete=complete, raw_text=raw)
    if complete and request.task == "answer":
        _refuse_if_unfounded(answer)
    return answer


def _refuse_if_unfounded(answer: Answer) -> None:
    """Withhold an answer no sentence of which survives the citation check."""
    if not any(s.supported and s.citations for s in answer.sentences):
        _withhold(answer, "no sentence of the proposed answer is supported by the passages")


def _withhold(answer: Answer, why: str) -> None:
    answer.refused = True
    answer.withheld = why
    answer.sentences = [Sentence(text=NOT_IN_DOCUMENTS)]


def off_topic_reason(question: str, passages: list[Passage], min_relevance: float,
                     min_coverage: float) -> str:
    """Why the passages cannot be about the question, or "" when they may be.

    Both signals must fail: short questions score low on dense similarity against long chunks
    ("Who died on Nov 29?": 0.16 on the seed) yet share all their words with the passage.
    """
    best = max((p.dense_score for p in passages if p.dense_score is not None), default=-1.0)
    asked = set(content_words(question))
    held = {w for p in passages for w in content_words(p.text)}
    coverage = len(asked & held) / len(asked) if asked else 1.0
    if best < min_relevance and coverage < min_coverage:
        return (f"no passage is close to the question (similarity {best:.2f} < {min_relevance}, "
                f"{coverage:.0%} of its words found)")
    return ""


def ask(index: Index, generator: Generator, question: str, options: AskOptions,
        on_text: OnText | None = None) -> Answer:
    passages = retrieve(index, question, k=options.k, filters=options.filters)
    return answer_passages(index, generator, question, passages, strict=options.strict,
                           on_text=on_text)


def answer_passages(index: Index, generator: Generator, question: str, passages: list[Passage],
                    *, strict: bool, on_text: OnText | None = None,
                    focus: str | None = None) -> Answer:
    """Answer `question` from retrieved `passages` (the part of `ask` that chat shares).

    `focus` is what the extractive backend should look for when it differs from the question
    searched (chat's follow-ups: the user's new words, not the names carried over).
    """
    if not passages:
        return refusal(question, [], generator.name)
    settings = index.settings
    off_topic = off_topic_reason(question, passages, settings.min_relevance,
                                 settings.min_coverage)
    if off_topic:
        # Nothing retrieved is about the question: refusing here beats asking a small model,
        # which answers off-topic questions from memory.
        answer = refusal(question, passages, generator.name)
        answer.withheld = off_topic
        return answer
    style = resolve_answer_style(settings, generator)
    pick = pick_sentence(generator, settings, question, passages) \
        if settings.verify or style == "pick" else None
    threshold = refusal_threshold(settings, generator)
    if pick is not None and settings.verify and pick.stated < threshold:
        answer = refusal(question, passages, generator.name)
        answer.verification = pick.stated
        answer.withheld = (f"no passage sentence states the answer, by the model's reading "
                           f"(P = {pick.stated:.2f} < {threshold})")
        return answer
    if style == "pick" and pick is not None:
        answer = _picked_answer(index, generator.name, question, passages, pick, strict=strict,
                                on_text=on_text)
    else:
        messages, packed = answer_messages(settings, question, passages,
                                           generator.context_window)
        request = GenerationRequest(task="answer", messages=messages,
                                    question=focus or question, passages=packed,
                                    max_tokens=settings.answer_tokens,
                                    temperature=settings.temperature,
                                    # small models go on to invent the next few-shot turn
                                    stop=["\nQuestion:", "\nPassages:", "\nExample"])
        answer = generate_checked(index, generator, request, strict=strict, on_text=on_text)
        answer.question = question
    if pick is not None and answer.verification is None:
        answer.verification = pick.stated
    return answer


def resolve_answer_style(settings: Settings, generator: Generator) -> str:
    """"pick" or "write". auto picks for the embedded models: on SQuAD 2.0 the 1.5B's pick
    held the answer far more often than its written answer (docs/benchmarks.md)."""
    if settings.answer_style != "auto":
        return settings.answer_style
    return "pick" if generator.name.startswith("local:") else "write"


def _picked_answer(index: Index, backend: str, question: str, passages: list[Passage],
                   pick: Pick, *, strict: bool, on_text: OnText | None) -> Answer:
    """The picked sentence, verbatim with its passage number, through the same citation check."""
    text = f"{pick.sentence} [{pick.passage}]"
    if on_text:
        on_text(text)
    sentences = cite.check(text, passages, index.embedder, strict=strict)
    answer = Answer(question=question, sentences=sentences, passages=passages, backend=backend,
                    raw_text=text, verification=pick.stated)
    _refuse_if_unfounded(answer)
    return answer
