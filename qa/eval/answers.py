"""`qa eval answer`: answer accuracy, refusals, citation precision/recall, support, latency.

Inputs: SQuAD-format JSON (each paragraph becomes a document whose source is its article), or a
generic `--corpus docs.jsonl` (id, title, text, optional date) plus `--questions q.jsonl`
(id, question, answers: list, empty for unanswerable). With `off_topic`, each question is asked
against every document except its own article's (a source filter), which measures refusal when
the retrieved passages cannot hold the answer.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.answer.ask import AnswerOptions, ask
from qa.answer.direct import options_of
from qa.errors import QAError
from qa.eval.metrics import contains_answer, exact_match, normalize_answer, percentile, token_f1
from qa.generators.base import Generator
from qa.retrieve import Filters
from qa.settings import Settings
from vectorstore.index import Index

SHORT_KINDS = ("short", "yesno", "options")
# Answers that are a choice: their evidence names every option (and says "no" somewhere), so
# only the direct answer can hold the right one.
CHOICE_KINDS = ("yesno", "options")


@dataclass
class Item:
    id: str
    question: str
    answers: list[str]
    group: str = ""  # the article (source) the question belongs to
    # titles of the gold supporting passages, when the data set names them (HotpotQA, 2Wiki)
    supporting: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass
class Outcome:
    item: Item
    text: str
    refused: bool
    cited: list[int]  # passage numbers cited (after the check)
    cited_with_gold: int
    gold_retrieved: bool
    sentences: int
    supported: int
    ttft: float
    total: float
    verification: float | None = None
    withheld: str = ""
    proposed: str = ""  # the model's reply before any refusal step (for threshold sweeps)
    direct: str = ""  # the direct answer (for open questions, the evidence sentences)
    hops: int = 0  # retrievals after the question's own
    supporting_cited: int = 0  # gold supporting passages among the cited ones
    kind: str = ""  # the answer's kind (qa/answer/direct.py)
    # for the details: every passage read (titles, in citation numbering), the numbers of those
    # holding a gold answer, and each hop's query
    titles: list[str] = field(default_factory=list)
    gold_in: list[int] = field(default_factory=list)
    hop_queries: list[str] = field(default_factory=list)


@dataclass
class AnswerReport:
    backend: str
    outcomes: list[Outcome] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ans = [o for o in self.outcomes if o.item.answerable]
        una = [o for o in self.outcomes if not o.item.answerable]
        answered = [o for o in ans if not o.refused]
        cited = [o for o in self.outcomes if not o.refused and o.cited]
        n_cites = sum(len(o.cited) for o in answered)
        recall_pool = [o for o in answered if o.gold_retrieved]
        sentences = sum(o.sentences for o in self.outcomes if not o.refused)

        def rate(part: float, whole: int) -> float | None:
            return round(100 * part / whole, 1) if whole else None

        supported_pool = [o for o in answered if o.item.supporting]
        return {
            "backend": self.backend, "questions": len(self.outcomes),
            "answerable": len(ans), "unanswerable": len(una),
            "contains_answer_pct": rate(sum(holds_answer(o) for o in ans), len(ans)),
            "direct_contains_pct": rate(sum(contains_answer(o.direct, o.item.answers)
                                            for o in ans), len(ans)),
            "exact_match_pct": rate(sum(exact_match(o.direct, o.item.answers) for o in ans),
                                    len(ans)),
            "token_f1_pct": rate(sum(token_f1(o.direct, o.item.answers) for o in ans), len(ans)),
            # answered with a short answer (a span, an option, yes/no), not with sentences
            "short_answers_pct": rate(sum(o.kind in SHORT_KINDS for o in answered),
                                      len(answered)),
            "false_refusal_pct": rate(sum(o.refused for o in ans), len(ans)),
            "refusal_on_unanswerable_pct": rate(sum(o.refused for o in una), len(una)),
            "answers_cited_pct": rate(len(cited), sum(1 for o in self.outcomes if not o.refused)),
            "citation_precision_pct": rate(sum(o.cited_with_gold for o in answered), n_cites),
            "citation_recall_pct": rate(sum(o.cited_with_gold > 0 for o in recall_pool),
                                        len(recall_pool)),
            "supporting_precision_pct": rate(sum(o.supporting_cited for o in supported_pool),
                                             sum(len(o.cited) for o in supported_pool)),
            "supporting_recall_pct": rate(sum(o.supporting_cited / len(set(o.item.supporting))
                                              for o in supported_pool), len(supported_pool)),
            "hops_mean": round(sum(o.hops for o in self.outcomes) / len(self.outcomes), 2)
            if self.outcomes else None,
            "second_hop_pct": rate(sum(o.hops > 0 for o in self.outcomes), len(self.outcomes)),
            "support_rate_pct": rate(sum(o.supported for o in self.outcomes if not o.refused),
                                     sentences),
            "ttft_p50_s": round(percentile([o.ttft for o in self.outcomes], 0.5), 2),
            "ttft_p95_s": round(percentile([o.ttft for o in self.outcomes], 0.95), 2),
            "total_p50_s": round(percentile([o.total for o in self.outcomes], 0.5), 2),
            "total_p95_s": round(percentile([o.total for o in self.outcomes], 0.95), 2),
        }


def read_squad(path: Path) -> tuple[list[dict[str, str]], list[Item]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError) as exc:
        raise QAError(f"{path}: not SQuAD JSON ({exc})",
                      fix="pass the official dev-v2.0 file") from exc
    docs, items = [], []
    for article in data:
        title = article["title"].replace("_", " ")
        for i, paragraph in enumerate(article["paragraphs"]):
            docs.append({"id": f"{article['title']}-{i}", "title": f"{title} ({i + 1})",
                         "text": paragraph["context"], "source": title})
            for qa in paragraph["qas"]:
                golds = [] if qa.get("is_impossible") else [a["text"] for a in qa["answers"]]
                items.append(Item(qa["id"], qa["question"], golds, title))
    return docs, items


def read_generic(corpus: Path, questions: Path) -> tuple[list[dict[str, str]], list[Item]]:
    def lines(path: Path) -> list[dict[str, Any]]:
        try:
            return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                    if line.strip()]
        except (OSError, ValueError) as exc:
            raise QAError(f"{path}: cannot read JSON lines ({exc})",
                          fix="one object a line") from exc
    docs = [{k: str(v) for k, v in r.items()} for r in lines(corpus)]
    items = [Item(str(r["id"]), r["question"], list(r.get("answers") or []),
                  str(r.get("source", "")), [str(t) for t in r.get("supporting") or []])
             for r in lines(questions)]
    return docs, items


def sample(items: list[Item], limit: int | None, seed: int) -> list[Item]:
    """Half answerable, half unanswerable (as far as each side allows), reproducibly."""
    if not limit:
        return items
    rng = random.Random(seed)
    ans = [i for i in items if i.answerable]
    una = [i for i in items if not i.answerable]
    take_una = min(len(una), limit // 2)
    take_ans = min(len(ans), limit - take_una)
    picked = rng.sample(ans, take_ans) + rng.sample(una, take_una)
    rng.shuffle(picked)
    return picked


def kept_apart(items: list[Item], limit: int = 200, seed: int = 0) -> list[Item]:
    """The items the evaluation sample (`--limit limit --seed seed`) leaves out: where the
    bench scripts tune, so the sample's figures stay a test."""
    sampled = {i.id for i in sample(items, limit, seed)}
    return [i for i in items if i.id not in sampled]


def corpus_file(settings: Settings, name: str, docs: list[dict[str, str]]) -> Path:
    """Write the corpus as JSON lines in the cache (deterministic, so the eval store is reused)."""
    path = settings.cache_dir / "eval" / f"{name}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n" for d in docs)
    if not path.exists() or path.read_text(encoding="utf-8") != body:
        path.write_text(body, encoding="utf-8")
    return path


def eval_answers(settings: Settings, generator: Generator, docs: list[dict[str, str]],
                 items: list[Item], *, name: str, off_topic: bool = False,
                 progress: Callable[[str, int, int], None] | None = None,
                 on_outcome: Callable[[Outcome], None] | None = None,
                 answered: list[Outcome] | None = None) -> AnswerReport:
    """Answer every item; `on_outcome` sees each result as it comes (details files, logs).
    Items with an outcome in `answered` (a resumed run's) are counted, not asked again."""
    from qa.eval.retrieval import open_eval_index

    index = open_eval_index(settings, corpus_file(settings, name, docs), progress=progress)
    groups = sorted({d.get("source", "") for d in docs})
    report = AnswerReport(backend=generator.name, outcomes=list(answered or []))
    known = {o.item.id for o in report.outcomes}
    todo = [item for item in items if item.id not in known]
    try:
        for done, item in enumerate(todo, len(items) - len(todo) + 1):
            filters = Filters(sources=tuple(g for g in groups if g != item.group)) \
                if off_topic else Filters()
            outcome = _run_one(index, generator, item, settings, filters)
            report.outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
            if progress:
                progress("answer", done, len(items))
    finally:
        index.close()
    return report


def holds_answer(o: Outcome) -> bool:
    """Whether the answer holds a gold answer: the direct answer of a choice (an option, yes or
    no), the whole text otherwise (the direct answer and its evidence sentences)."""
    if o.refused:
        return False
    if o.kind == "options" and (meant := meant_option(o.item.question, o.item.answers)):
        return normalize_answer(o.direct) == normalize_answer(meant)
    return contains_answer(o.direct if o.kind in CHOICE_KINDS else o.text, o.item.answers)


def meant_option(question: str, answers: list[str]) -> str:
    """The option of "A or B?" that the gold answer names, "" when it names neither more than
    the other. HotpotQA's gold is often the full name ("Bengt Mikael Stanne" for "Chester
    Bennington or Mikael Stanne?"), which the option the answer chose does not contain."""
    scored = sorted(((token_f1(o, answers), o) for o in options_of(question)), reverse=True)
    if len(scored) < 2 or scored[0][0] == scored[1][0]:
        return ""
    return scored[0][1]


def outcome_record(o: Outcome) -> dict[str, Any]:
    """One question's result as a JSON-ready dict (a line of `--details`)."""
    return {"id": o.item.id, "question": o.item.question, "answers": o.item.answers,
            "answerable": o.item.answerable, "text": o.text, "refused": o.refused,
            "contains": holds_answer(o), "cited": o.cited,
            "cited_with_gold": o.cited_with_gold, "gold_retrieved": o.gold_retrieved,
            "verification": o.verification, "withheld": o.withheld, "proposed": o.proposed,
            "direct": o.direct, "kind": o.kind, "hops": o.hops,
            "supporting_cited": o.supporting_cited, "titles": o.titles, "gold_in": o.gold_in,
            "hop_queries": o.hop_queries, "sentences": o.sentences, "supported": o.supported,
            "ttft_s": round(o.ttft, 2), "total_s": round(o.total, 2)}


def resumed_outcomes(path: Path, items: list[Item]) -> list[Outcome]:
    """The outcomes a stopped run wrote to its details file, for the items of this sample, so
    `--resume` asks only the rest. A last line cut off mid-write (the run was killed) is cut
    from the file. Rows written before the sentence counts were recorded count as no sentences
    (the support rate then covers the other rows)."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        raw = raw[:raw.rfind(b"\n") + 1]
        path.write_bytes(raw)
    by_id = {item.id: item for item in items}
    outcomes: dict[str, Outcome] = {}
    for number, line in enumerate(raw.decode("utf-8").splitlines(), 1):
        try:
            record = json.loads(line)
            item = by_id[record["id"]]
        except (ValueError, KeyError) as exc:
            raise QAError(f"{path}: line {number} is not a row of this sample ({exc})",
                          fix="resume with the same question set, --limit and --seed, or "
                          "pass a new --details file") from exc
        outcomes[item.id] = _outcome_from_record(item, record)
    return list(outcomes.values())


def _outcome_from_record(item: Item, r: dict[str, Any]) -> Outcome:
    return Outcome(item=item, text=r["text"], refused=r["refused"], cited=r["cited"],
                   cited_with_gold=r["cited_with_gold"], gold_retrieved=r["gold_retrieved"],
                   sentences=r.get("sentences", 0), supported=r.get("supported", 0),
                   ttft=r["ttft_s"], total=r["total_s"], verification=r["verification"],
                   withheld=r["withheld"], proposed=r["proposed"], direct=r["direct"],
                   hops=r["hops"], supporting_cited=r["supporting_cited"], kind=r["kind"],
                   titles=r["titles"], gold_in=r["gold_in"], hop_queries=r["hop_queries"])


def _run_one(index: Index, generator: Generator, item: Item, settings: Settings,
             filters: Filters) -> Outcome:
    started = time.perf_counter()
    first: list[float] = []

    def on_text(_piece: str) -> None:
        if not first:
            first.append(time.perf_counter() - started)

    answer = ask(index, generator, item.question, AnswerOptions.from_settings(settings),
                 filters=filters, on_text=on_text)
    total = time.perf_counter() - started
    evidence = " ".join(s.text for s in answer.sentences)
    # what the reader sees: the direct answer, then its evidence (once, for open questions)
    text = evidence if answer.refused or answer.direct == evidence \
        else f"{answer.direct} {evidence}".strip()
    cited = sorted({c.number for s in answer.sentences for c in s.citations})
    titles = {answer.passages[n - 1].doc.title for n in cited}
    holds = [contains_answer(p.text, item.answers) if item.answers else False
             for p in answer.passages]
    return Outcome(item=item, text=text, refused=answer.refused, cited=cited,
                   cited_with_gold=sum(holds[n - 1] for n in cited), gold_retrieved=any(holds),
                   sentences=len(answer.sentences), supported=answer.supported_count,
                   ttft=first[0] if first else total, total=total,
                   verification=answer.verification, withheld=answer.withheld,
                   proposed=answer.raw_text, direct="" if answer.refused else answer.direct,
                   hops=len(answer.hops), kind=answer.kind,
                   supporting_cited=len(titles & set(item.supporting)),
                   titles=[p.doc.title for p in answer.passages],
                   gold_in=[n for n, held in enumerate(holds, 1) if held],
                   hop_queries=list(answer.hops))
