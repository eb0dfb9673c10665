"""Answering: retrieve -> off-topic gate -> reading check -> pick, or prompt + generate (streamed)
-> citation check -> `Answer`.

Every value the path reads arrives as an argument: `AnswerOptions` (built from the settings by
`AnswerOptions.from_settings`), the generator, and the embedder the citation check scores with.
Briefings will reuse `generate_checked` with their own prompt: one generator layer, one check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from qa import cite
from qa.answer import direct
from qa.answer.bridge import bridge, with_openings
from qa.answer.chain import chain_of
from qa.answer.compare import Comparison, compare, compared
from qa.answer.connected import connected
from qa.answer.decide import by_time, same_place
from qa.answer.direct import Kind, options_of, question_kind
from qa.answer.evidence import (
    MAX_EVIDENCE,
    Hop,
    Retriever,
    bridge_query,
    names_a_relation,
    reached,
    select,
    select_bridged,
    titled,
    unseen,
)
from qa.answer.gate import off_topic_reason
from qa.answer.packing import answer_messages
from qa.answer.pick import Pick, pick_sentence, refusal_threshold
from qa.answer.quotes import answer_from_quote, split_quote_first
from qa.answer.sentences import rank_sentences
from qa.errors import IncompleteAnswer
from qa.generators.base import GenerationRequest, Generator
from qa.judge import reading_judge
from qa.records import Answer, Passage, Sentence
from qa.refusal import NOT_IN_DOCUMENTS, is_refusal
from qa.retrieve import FUSION_K, NO_FILTERS, Filters, retrieve

if TYPE_CHECKING:
    from qa.settings import Settings
    from vectorstore.embedders import Embedder
    from vectorstore.index import Index

OnText = Callable[[str], None]
SUMMARY_SENTENCES = 3
# A summary names its topic in a word or two ("the phone call"), so one word of two found in
# the passages ("phone talks") lets it through; the dense signal still has to fail as well.
SUMMARY_COVERAGE = 0.5
AnswerStyle = Literal["auto", "write", "pick"]


@dataclass(frozen=True)
class AnswerOptions:
    """What answering reads. The defaults are `Settings`' (a test keeps them in step)."""

    k: int = 6
    fusion_k: int = FUSION_K
    strict: bool = False
    min_relevance: float = 0.3
    min_coverage: float = 0.7
    answer_style: AnswerStyle = "auto"
    verify: bool = True
    verify_threshold: float | None = None
    answer_tokens: int = 256
    temperature: float = 0.0
    prompts_dir: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswerOptions:
        return cls(k=settings.k, fusion_k=settings.fusion_k, strict=settings.strict,
                   min_relevance=settings.min_relevance, min_coverage=settings.min_coverage,
                   answer_style=settings.answer_style, verify=settings.verify,
                   verify_threshold=settings.verify_threshold,
                   answer_tokens=settings.answer_tokens, temperature=settings.temperature,
                   prompts_dir=settings.prompts_dir)


def refusal(question: str, passages: list[Passage], backend: str, *, withheld: str = "",
            verification: float | None = None) -> Answer:
    return Answer(question=question, sentences=[Sentence(text=NOT_IN_DOCUMENTS)],
                  passages=passages, backend=backend, refused=True, raw_text=NOT_IN_DOCUMENTS,
                  withheld=withheld, verification=verification)


def generate_checked(embedder: Embedder | None, generator: Generator,
                     request: GenerationRequest, *, strict: bool,
                     on_text: OnText | None = None, judge: bool = True) -> Answer:
    """Stream the generator's text to `on_text`, then check every sentence's citations; with
    `judge`, a backend that reports token probabilities also reads each written sentence
    against its span (qa/judge.py)."""
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
    # written text (not verbatim) is also read by the model where it reports probabilities
    sentences = cite.check(text, request.passages, embedder, strict=strict,
                           judge=reading_judge(generator) if judge else None)
    answer = Answer(question=request.question, sentences=sentences, passages=request.passages,
                    backend=generator.name, refused=False, complete=complete, raw_text=raw)
    if complete and request.task == "answer":
        _refuse_if_unfounded(answer)
    return answer


def _refuse_if_unfounded(answer: Answer) -> None:
    """Withhold an answer no sentence of which survives the citation check."""
    if not any(s.supported and s.citations for s in answer.sentences):
        answer.refused = True
        answer.withheld = "no sentence of the proposed answer is supported by the passages"
        answer.sentences = [Sentence(text=NOT_IN_DOCUMENTS)]


def ask(index: Index, generator: Generator, question: str, options: AnswerOptions, *,
        filters: Filters = NO_FILTERS, on_text: OnText | None = None) -> Answer:
    def more(query: str) -> list[Passage]:
        return retrieve(index, query, k=options.k, filters=filters, fusion_k=options.fusion_k)

    return answer_passages(generator, index.embedder, question, more(question), options,
                           on_text=on_text, more=more)


def answer_passages(generator: Generator, embedder: Embedder | None, question: str,
                    passages: list[Passage], options: AnswerOptions, *,
                    on_text: OnText | None = None, focus: str | None = None,
                    more: Retriever | None = None) -> Answer:
    """Answer `question` from retrieved `passages` (the part of `ask` that chat shares): the
    evidence sentences (picked, written or quoted), then the direct answer drawn from them.

    `focus` is what the extractive backend should look for when it differs from the question
    searched (chat's follow-ups: the user's new words, not the names carried over). `more`
    retrieves for a second hop's query; without it there is one hop.
    """
    if not passages:
        return refusal(question, [], generator.name)
    kind = question_kind(question)
    choices = options_of(question) if kind == "options" else []
    off_topic = off_topic_reason(_topic(question, kind), passages, options.min_relevance,
                                 options.min_coverage if kind != "summary" else SUMMARY_COVERAGE)
    if off_topic:
        # Nothing retrieved is about the question: refusing here beats asking a small model,
        # which answers off-topic questions from memory.
        return refusal(question, passages, generator.name, withheld=off_topic)
    if kind == "summary":
        answer = _summary(embedder, generator.name, question, passages, strict=options.strict,
                          on_text=on_text)
        return direct.finish(answer, generator, choices, prompts_dir=options.prompts_dir)
    style = resolve_answer_style(options.answer_style, generator)
    # Comparisons take their own path with every backend unless a written answer is asked for:
    # the lines of evidence need no model, and the choice is one constrained reply (or none).
    entities = compared(question, kind, choices) if options.answer_style != "write" else []
    if entities:
        answer, chosen = _comparison(embedder, generator.name, question, entities, choices,
                                     passages, more, strict=options.strict, on_text=on_text)
        return connected(direct.finish(answer, generator, choices,
                                       prompts_dir=options.prompts_dir, chosen=chosen))
    chain = chain_of(question, passages, more) if kind == "short" and style == "pick" else None
    if chain is not None:
        return connected(direct.finish(_chained(embedder, generator.name, question, chain,
                                                strict=options.strict, on_text=on_text),
                                       generator, choices, prompts_dir=options.prompts_dir))
    pick = pick_sentence(generator, question, passages, prompts_dir=options.prompts_dir,
                         embedder=embedder) if options.verify or style == "pick" else None
    threshold = refusal_threshold(options.verify_threshold, generator)
    if style == "pick" and pick is not None:
        answer = _picked(generator, embedder, question, kind, choices, pick, passages, threshold,
                         options, more=more, on_text=on_text)
    elif pick is not None and options.verify and pick.stated < threshold:
        answer = _doubted(question, passages, generator.name, pick.stated, threshold)
    else:
        answer = _written(generator, embedder, question, choices, pick, passages, options,
                          more=more, focus=focus, on_text=on_text)
    if pick is not None and answer.verification is None:
        answer.verification = pick.stated
    return connected(direct.finish(answer, generator, choices, prompts_dir=options.prompts_dir))


def _picked(generator: Generator, embedder: Embedder | None, question: str, kind: Kind,
            choices: list[str], pick: Pick, passages: list[Passage], threshold: float,
            options: AnswerOptions, *, more: Retriever | None, on_text: OnText | None) -> Answer:
    """The embedded models' path: the pick and the sentences weighed close to it, a second hop
    (or a linked article) when the evidence names what the question turns on, then the reading
    check's refusal or the checked evidence."""
    evidence = select(kind, pick, choices, direct.about(question))
    stated = pick.stated
    hops: list[str] = []
    joined = False  # whether a hop's evidence joined the first
    hop, new = _second_hop(question, evidence, passages, choices, more)
    if hop is not None and new:
        hops.append(hop.query)
        # the second pick reads only what the hop brought: the first hop's evidence stays
        second = pick_sentence(generator, question, new, query=hop.query,
                               prompts_dir=options.prompts_dir, embedder=embedder)
        # What the hop found joins the evidence when the question turns on a relation,
        # or the first pick was doubted: on SQuAD 2.0 a hop after a first pick the model
        # stood by appended a sentence of an unrelated passage to evidence that already
        # held the answer (hop answers cited at 70.8%, the others at 95.8%).
        # ... or it reached the article of what the first evidence names (a bridge)
        bridged = second is not None and titled(
            hop, new[second.passage - 1], [passages[n - 1] for _, n in evidence])
        relation = names_a_relation(question) or bridged
        needed = relation or stated < threshold
        if second is not None and needed and reached(hop, new[second.passage - 1]):
            found = [(s, n + len(passages)) for s, n in
                     select_bridged(kind, second, choices, direct.about(question))]
            # a relation's first evidence is the bridge ("directed by Y"); what is asked
            # (where Y was born) is in the hop's, which the direct answer reads first
            ordered = [*found, *evidence] if relation and kind == "short" \
                else [*evidence, *found]
            evidence = list(dict.fromkeys(ordered))[:MAX_EVIDENCE]
            stated = max(stated, second.stated)
            joined = True
        passages = [*passages, *new]
    if kind == "short" and not joined and stated >= threshold:
        evidence, passages, query = _bridged(question, evidence, passages, more, embedder)
        hops += [query] if query else []
    if kind == "short":
        evidence = with_openings(evidence, passages)[:MAX_EVIDENCE]
    if options.verify and stated < threshold:
        answer = _doubted(question, passages, generator.name, stated, threshold)
    else:
        answer = _picked_answer(embedder, generator.name, question, passages, evidence,
                                stated, strict=options.strict, on_text=on_text)
    answer.hops = hops
    return answer


def _written(generator: Generator, embedder: Embedder | None, question: str,
             choices: list[str], pick: Pick | None, passages: list[Passage],
             options: AnswerOptions, *, more: Retriever | None, focus: str | None,
             on_text: OnText | None) -> Answer:
    """A written answer (or the extractive quoter's), from the passages and a second hop's,
    streamed and checked; `focus` is what the quoter looks for."""
    first = [(pick.sentence, pick.passage)] if pick is not None else \
        [(c.text, c.number) for c in rank_sentences(question, passages)[:1]]
    hop, new = _second_hop(question, first, passages, choices, more)
    hops = [hop.query] if hop is not None and new else []
    passages = [*passages, *new]
    messages, packed = answer_messages(question, passages,
                                       context_window=generator.context_window,
                                       answer_tokens=options.answer_tokens,
                                       prompts_dir=options.prompts_dir)
    request = GenerationRequest(task="answer", messages=messages,
                                question=focus or question, passages=packed,
                                max_tokens=options.answer_tokens,
                                temperature=options.temperature,
                                # small models go on to invent the next few-shot turn
                                stop=["\nQuestion:", "\nPassages:", "\nExample"])
    answer = generate_checked(embedder, generator, request, strict=options.strict,
                              on_text=on_text, judge=options.verify)
    answer.question = question
    answer.hops = hops
    return answer


def _comparison(embedder: Embedder | None, backend: str, question: str, entities: list[str],
                choices: list[str], passages: list[Passage], more: Retriever | None, *,
                strict: bool, on_text: OnText | None) -> tuple[Answer, str]:
    """A comparison's evidence, a line per thing compared (qa/answer/compare.py), checked, and
    the option the lines' years decide ("" for the model to choose); no reading check, whose
    "none of these sentences states it" is true of every comparison."""
    found = compare(question, entities, passages, more)
    if found.missing:
        return refusal(question, found.passages, backend,
                       withheld=f"no passage is about {found.missing!r}, which the question "
                                f"compares"), ""
    answer = _lined(embedder, backend, question, found, found.evidence, strict=strict,
                    on_text=on_text)
    return answer, by_time(question, choices, found) if choices else same_place(question, found)


def _chained(embedder: Embedder | None, backend: str, question: str, chain: Comparison, *,
             strict: bool, on_text: OnText | None) -> Answer:
    """A relation question answered along its chain (qa/answer/compare.py): the related
    person's sentences first (what the direct answer reads), then the subject's that names
    them."""
    [line] = chain.lines
    return _lined(embedder, backend, question, chain, [*line.evidence[1:], line.evidence[0]],
                  strict=strict, on_text=on_text)


def _lined(embedder: Embedder | None, backend: str, question: str, found: Comparison,
           evidence: list[tuple[str, int]], *, strict: bool, on_text: OnText | None) -> Answer:
    """Lines of evidence as a checked answer, their hops named; no reading check was made."""
    answer = _picked_answer(embedder, backend, question, found.passages, evidence, 1.0,
                            strict=strict, on_text=on_text)
    answer.verification = None
    answer.hops = found.queries
    return answer


def _bridged(question: str, evidence: list[tuple[str, int]], passages: list[Passage],
             more: Retriever | None, embedder: Embedder | None
             ) -> tuple[list[tuple[str, int]], list[Passage], str]:
    """The evidence with the bridge article's sentences first (qa/answer/bridge.py: there the
    direct answer reads what is asked), the passages with that article, and the name it was
    read for, a hop shown like any other, even when the question retrieved it ("" when there
    is none)."""
    link = bridge(question, evidence, passages, more, embedder)
    if link is None:
        return evidence, passages, ""
    ids = [p.chunk.chunk_id for p in passages]
    if link.passage.chunk.chunk_id not in ids:
        passages, ids = [*passages, link.passage], [*ids, link.passage.chunk.chunk_id]
    number = ids.index(link.passage.chunk.chunk_id) + 1
    found = [(s, number) for s in link.sentences]
    return list(dict.fromkeys([*found, *evidence])), passages, link.query


def _second_hop(question: str, evidence: list[tuple[str, int]], passages: list[Passage],
                choices: list[str], more: Retriever | None) -> tuple[Hop | None, list[Passage]]:
    """The bridge and the passages its query retrieves that the first hop did not."""
    hop = bridge_query(question, evidence, passages, choices) if more and evidence else None
    if not more or hop is None:
        return None, []
    return hop, unseen(passages, more(hop.query))


def _topic(question: str, kind: str) -> str:
    """What the question is about: a summary's topic without the "Summarise" that asks."""
    return direct.summary_topic(question) if kind == "summary" else question


def _doubted(question: str, passages: list[Passage], backend: str, stated: float,
             threshold: float) -> Answer:
    return refusal(question, passages, backend, verification=stated,
                   withheld=f"no passage sentence states the answer, by the model's reading "
                            f"(P = {stated:.2f} < {threshold})")


def resolve_answer_style(style: AnswerStyle, generator: Generator) -> Literal["write", "pick"]:
    """"pick" or "write". auto asks the backend: the embedded models pick, because on SQuAD 2.0
    the 1.5B's pick held the answer far more often than its written answer
    (docs/benchmarks.md)."""
    return generator.answer_style if style == "auto" else style


def _picked_answer(embedder: Embedder | None, backend: str, question: str,
                   passages: list[Passage], evidence: list[tuple[str, int]], stated: float, *,
                   strict: bool, on_text: OnText | None) -> Answer:
    """The picked sentences, verbatim with their passage numbers, through the citation check."""
    text = " ".join(f"{sentence} [{number}]" for sentence, number in evidence)
    if on_text:
        on_text(text)
    sentences = cite.check(text, passages, embedder, strict=strict)
    answer = Answer(question=question, sentences=sentences, passages=passages, backend=backend,
                    raw_text=text, verification=stated)
    _refuse_if_unfounded(answer)
    return answer


def _summary(embedder: Embedder | None, backend: str, question: str, passages: list[Passage],
             *, strict: bool, on_text: OnText | None) -> Answer:
    """A summary of what was retrieved: its central sentences, verbatim and cited (the
    briefings' extractive selection), checked like any answer. No reading check: a summary
    does not state one answer that a passage could lack."""
    from qa.brief.extract import select_sentences

    picks = select_sentences([p.text for p in passages], max_sentences=SUMMARY_SENTENCES)
    picks = sorted(picks, key=lambda p: (p.article, p.start))  # the passages' own order
    text = " ".join(f"{' '.join(passages[p.article].text[p.start:p.end].split())} "
                    f"[{p.article + 1}]" for p in picks)
    if on_text and text:
        on_text(text)
    sentences = cite.check(text, passages, embedder, strict=strict) if text else []
    answer = Answer(question=question, sentences=sentences, passages=passages, backend=backend,
                    raw_text=text)
    _refuse_if_unfounded(answer)
    return answer
