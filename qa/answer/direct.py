"""The direct answer: what kind of answer a question wants, the short answer drawn from the
evidence sentences, and the check that it is grounded in them.

A short answer is a span of the evidence (a name, number, date), one of the options the question
names ("Who was born first, A or B?"), or yes/no. Backends that can be constrained (llama.cpp
grammars; servers through a JSON reply) are asked for it with `span_grammar`, which admits only
spans of the evidence, the options, or yes/no; others get `heuristic_answer`. Whatever produced
it, `grounding_problem` says why it is not grounded, and an ungrounded answer is withheld.
Open questions ("Summarise ...", "What did X say about Y?", why/how) are answered by their
evidence sentences themselves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from qa.answer.asked import misplaced_number, missing_kind, nameless, untimely
from qa.answer.grounding import grounding_problem
from qa.answer.sentences import QUESTION_FILLER, question_type
from qa.cite import terms, vocabulary
from qa.records import Answer, Sentence
from qa.refusal import NOT_IN_DOCUMENTS

Kind = Literal["summary", "open", "yesno", "options", "short"]

_SUMMARY = re.compile(r"^\s*(?:please\s+)?(?:summari[sz]e|sum up|recap|give (?:me )?(?:a |an )?"
                      r"(?:summary|overview|recap)|(?:what is|what's) (?:the )?(?:summary|gist)|"
                      r"what happened (?:in|during|at))\b", re.I)
# "What did X say about Y?" wants what was said; "What did X say is the most urgent task?" wants
# the task, a short answer, so the verb must end the question or lead into "about".
_OPEN = re.compile(r"\bwhat (?:did|does|do|has|have|had) .+? (?:say|said|think|thinks|argue|"
                   r"write|wrote|announce|propose|demand)(?:\s+(?:about|on|of|regarding)\b.*|"
                   r"\s*\??\s*$)|^\s*(?:why|describe|explain|tell me)\b|"
                   r"^\s*how (?:did|does|do|is|are|was|were|can|could|should|will)\b", re.I)
_ABOUT = re.compile(r"\b(?:about|on|regarding)\s+(.+?)\s*\??\s*$", re.I)
_AUX = re.compile(r"^\s*(?:is|are|was|were|do|does|did|can|could|has|have|had|will|would|"
                  r"should|shall|may|might)\b", re.I)
_OR_OPTIONS = re.compile(r"(?:^|[,:;]|\bbetween)\s*([^,:;]+?)\s+or\s+(.+?)\s*\??\s*$", re.I)
# the options set off by commas after what is asked: "Which director, A or B, is ...?"; the
# question goes on in lower case ("Sleep, My Love" and "Boyd Merriman, 1st Baron" are names)
_ASIDE_OPTIONS = re.compile(r"^\s*(?:which|who|what)\b[^,]*,\s*([^,]+?)\s+or\s+([^,]+?)\s*,"
                            r"(?=\s*(?-i:[a-z]))", re.I)
# a capitalised "Between" past the first word is a title's ("Between Day And Night")
_BETWEEN = re.compile(r"(?:^\s*between|(?-i:\bbetween))\s+(.+?)\s+and\s+(.+?)(?:\s*,|\s+"
                      r"(?:who|which|what|whose|where|when|is|was|has|had)\b|\s*\?)", re.I)
# A comparison says what it compares by: "born first", "older", "the same country". Without one
# "between A and B" is no comparison ("What would not create a conflict between problem X and
# problem C?", a SQuAD 2.0 question made unanswerable).
COMPARATIVE = re.compile(
    r"\b(?:first|last|earlier|later|earliest|latest|older|younger|oldest|youngest|newer|"
    r"longer|shorter|higher|lower|larger|bigger|smaller|greater|farther|further|closer|more|"
    r"most|less|least|fewer|same|both|before|after|sooner)\b", re.I)
_WORD = re.compile(r"\S+")
_EDGE = "\"'“”‘’()[]"
_TRAIL = ",.;:!?"


def question_kind(question: str) -> Kind:
    if _SUMMARY.search(question):
        return "summary"
    if options_of(question):
        return "options"
    if _OPEN.search(question):
        return "open"
    if _AUX.search(question):
        return "yesno"
    return "short"


def options_of(question: str) -> list[str]:
    """The two options a comparison question names ("..., A or B?", "Between A and B, ...",
    "Was A or B founded first?", "Is it abstract or concrete?", "Which director, A or B, is
    ...?"), else []."""
    match = _BETWEEN.search(question)
    if match and not (match.start() == 0 or COMPARATIVE.search(question)):
        # "What Norman law was developed between 1000 and 1300?" compares nothing
        match = None
    # the aside before "or ... ?": "Which band, Muse or Coldplay, was formed first?" is not
    # Muse or "Coldplay, was formed first"
    match = match or _ASIDE_OPTIONS.search(question) or _OR_OPTIONS.search(question)
    return _options(question, match) if match else []


def _options(question: str, match: re.Match[str]) -> list[str]:
    left, right = (_strip_words(g) for g in match.groups())
    if match.re is _OR_OPTIONS and match.start(1) == 0:
        left, right = _framed_options(question, left, right)
    left = re.sub(r"^(?:the (?:film|movie|band|song|album|book|city|town|company) )", "", left,
                  flags=re.I) if len(left.split()) > 6 else left
    if not left or not right or len(left.split()) > 8 or len(right.split()) > 8:
        return []
    return [left, right]


# A name: capitalised words or numbers, joined by the small words titles hold
_NAMED = r"[A-Z0-9][\w’'.\-]*"
_SMALL = r"of|the|de|la|le|von|van|and|og|&|for|in|on|a"
_NAME_RUN = (rf"{_NAMED}(?:\s+(?:{_SMALL}|{_NAMED}))*"
             rf"(?:,\s+{_NAMED}(?:\s+{_NAMED})*)?")
_LAST_NAME_RUN = re.compile(rf"(?<!\S)({_NAME_RUN})$")
_FIRST_NAME_RUN = re.compile(rf"^({_NAME_RUN})")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+")  # "The Memory of Justice" keeps its "The"
_TRAILING_SMALL = re.compile(rf"(?:\s+(?:{_SMALL}))+$")


def _framed_options(question: str, left: str, right: str) -> tuple[str, str]:
    """The options of "A or B" with no comma before A, where A is the end of the question's own
    words ("Who was born first David Draiman", "Is the output ... a simple") and B runs on into
    them ("Peter Emanuel Falck born first"): the names either side of "or", or for a yes/no
    frame ending on the choice the single words ("abstract or concrete"). A wh-question's "or"
    is a choice only between names and when it compares ("What does not hide constant factors
    or smaller terms?" is no choice), else ("", "")."""
    body = left.split(None, 1)[1] if len(left.split()) > 1 else ""  # past "Who", "Was"
    first = _FIRST_NAME_RUN.match(_ARTICLE.sub("", right))
    last = _LAST_NAME_RUN.search(body)
    if last and first and (_AUX.match(question) or COMPARATIVE.search(question)):
        return _TRAILING_SMALL.sub("", last.group(1)), _TRAILING_SMALL.sub("", first.group(1))
    words = _ARTICLE.sub("", right).split()
    # the choice ends the question ("... a simple or complex answer?"); "Do both have a
    # headquarter or editor based in Maryland?" asks yes or no
    if not _AUX.match(question) or not body or not 0 < len(words) <= 2:
        return "", ""
    return _strip_words(body.split()[-1]), _strip_words(words[0])


def _strip_words(text: str) -> str:
    return text.strip().strip(_EDGE + _TRAIL).strip()


# ---- the grammar: only spans of the evidence, the options, or yes/no --------------------------

def span_grammar(kind: Kind, evidence: Sequence[str], options: Sequence[str],
                 question: str = "") -> str:
    """A GBNF grammar whose sentences are exactly the admissible short answers.

    Each evidence word gets a rule "this word, then optionally the next word's rule", so any
    run of consecutive words is admitted and nothing else; the grammar grows linearly with the
    evidence (a list of every span would grow with its square). A span may not start on a word
    of the question: small models answer "Chicago" to "What series ... set in Chicago?"."""
    alternatives: list[str] = []
    rules: list[str] = []
    if kind == "options":
        alternatives += [_literal(o) for o in options]
    elif kind == "yesno":
        alternatives += ['"yes"', '"no"']
    else:
        for s, sentence in enumerate(evidence):
            words = [(_strip_words(r), _trailing(r)) for r in _WORD.findall(sentence)]
            words = [(core, trail) for core, trail in words if core]
            asked = terms(question)
            for i, (core, trail) in enumerate(words):
                name = f"s{s}w{i}"
                if not (terms(core) and terms(core) <= asked):
                    alternatives.append(name)
                # continuing past this word copies its punctuation ("Elgort," then " Kevin")
                more = (f" ({_literal(trail) + ' ' if trail else ''}\" \" s{s}w{i + 1})?"
                        if i + 1 < len(words) else "")
                rules.append(f"{name} ::= {_literal(core)}{more}")
    if not alternatives and rules:  # every word is the question's: any start then
        alternatives = [r.split(" ::= ", 1)[0] for r in rules]
    return "\n".join([f"root ::= {' | '.join(alternatives) or _literal('')}", *rules]) + "\n"


def _trailing(word: str) -> str:
    bare = word.rstrip(_EDGE)
    return bare[len(bare.rstrip(_TRAIL)):]


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@runtime_checkable
class SpanAnswerer(Protocol):
    """A backend that can reply with one of a grammar's sentences (llama.cpp grammars; a server
    asked for a JSON reply and held to the same choices afterwards)."""

    def constrained_reply(self, messages: list[dict[str, str]], grammar: str,
                          choices: Sequence[str], max_tokens: int) -> str:
        """The reply, restricted to `grammar` (GBNF) where the backend can, else asked to pick
        among `choices` or to copy a span of the evidence."""
        ...


EXAMPLE_REPLY = "42 million dollars"  # the answer of prompts/short_answer_example.md


def short_answer_messages(question: str, kind: Kind, evidence: Sequence[str],
                          options: Sequence[str],
                          prompts_dir: Path | None = None) -> list[dict[str, str]]:
    from qa.prompts import load_template, render

    body = "\n".join(f"- {s}" for s in evidence)
    how = {"options": f"Reply with one of: {' / '.join(options)}.",
           "yesno": "Reply yes or no."}.get(
        kind, "Reply with the shortest phrase copied from the evidence that answers it "
              "(a name, number, date or place).")
    user = render(load_template("short_answer", prompts_dir), evidence=body, question=question,
                  how=how)
    system = render(load_template("short_answer_system", prompts_dir))
    # one worked turn: without it the 0.5B copies its evidence from the first word on
    example = render(load_template("short_answer_example", prompts_dir))
    return [{"role": "system", "content": system.strip()},
            {"role": "user", "content": example.strip()},
            {"role": "assistant", "content": EXAMPLE_REPLY},
            {"role": "user", "content": user.strip()}]


# ---- no model: the kind of thing asked for, read from the best evidence sentence --------------

_DATE = re.compile(r"\b(?:\d{1,2}\s+)?(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|"
                   r"June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|"
                   r"Dec(?:ember)?)\.?(?:\s+\d{1,2})?(?:,?\s+\d{4})?\b|\b(?:1[0-9]|20)\d\d\b")
_NUMBER = re.compile(r"\b\d[\d,.]*(?:\s+(?:million|billion|thousand|hundred|percent|per cent|%))?"
                     r"(?:\s+[a-z]+)?")
_NAME = re.compile(r"[A-Z][\w’'\-]+(?:\s+(?:of|de|von|van|the|and|&)?\s*[A-Z][\w’'\-]+)*")


def heuristic_answer(question: str, kind: Kind, evidence: Sequence[str],
                     options: Sequence[str]) -> str:
    """The short answer without a model; "" when nothing of the asked kind is found."""
    if not evidence:
        return ""
    if kind == "yesno":
        return "yes"
    if kind == "options":
        held = named_options(options, evidence)
        return held[0] if held else ""
    asked = terms(question)
    pattern = {"when": _DATE, "number": _NUMBER}.get(question_type(question), _NAME)
    for sentence in evidence:
        # the question's own words in the sentence: the answer is the match nearest them
        # ("... Henry Kissinger, who died on Nov 29", not the sentence's subject far before)
        anchors = [m.start() for m in re.finditer(r"[\w’'\-]+", sentence)
                   if terms(m.group()) & asked]
        found = [(min((abs(m.start() - a) for a in anchors), default=0), _strip_words(m.group()))
                 for m in pattern.finditer(sentence)]
        found = [(d, f) for d, f in found if f and terms(f) and not terms(f) <= asked]
        if found:
            return min(found, key=lambda t: t[0])[1]
    return ""


def about(question: str) -> frozenset[str]:
    """The terms of what an open question is about ("... say about Taiwan?" -> taiwan)."""
    match = _ABOUT.search(question)
    return terms(match.group(1)) if match else frozenset()


def summary_topic(question: str) -> str:
    return _SUMMARY.sub("", question).strip() or question


# ---- the step that ends every answer ------------------------------------------------------------

SHORT_TOKENS = 24  # a name, a date, a few words: more is a sentence, which the evidence already is


def finish(answer: Answer, generator: object, options: Sequence[str], *,
           prompts_dir: Path | None = None, chosen: str | None = None) -> Answer:
    """Give a checked answer its direct answer, or withhold it when that is not grounded.

    The evidence read is the cited passage spans of the supported sentences (verbatim text, even
    when a model wrote the sentences). `chosen`: a comparison's option already decided from its
    lines (a comparison of years), which the grounding check still reads; "" when they did not
    decide. Only an answer that is no comparison (`chosen` None) is decided by the one option
    its evidence names: a comparison's lines can name one option only (the directors' lines of
    "Which film has the director born first, A or B?")."""
    kind = question_kind(answer.question)
    answer.kind = kind
    if answer.refused or not answer.complete:
        return answer
    evidence = evidence_quotes(answer)
    if kind in ("open", "summary") or not evidence:
        answer.direct = " ".join(s.text for s in answer.sentences if s.supported)
        return answer
    titled = titled_quotes(answer)
    if chosen:
        short = chosen
    elif chosen is None and kind == "options" and (
            named := only_named(options, titled) or matched_option(answer.question, options,
                                                                   titled)):
        short = named
    elif isinstance(generator, SpanAnswerer):
        choices = list(options) if kind == "options" else ["yes", "no"] if kind == "yesno" else []
        short = generator.constrained_reply(
            short_answer_messages(answer.question, kind, titled, options, prompts_dir),
            span_grammar(kind, titled, options, answer.question), choices, SHORT_TOKENS)
    else:
        short = heuristic_answer(answer.question, kind, evidence, options)
    if kind == "short" and misplaced_number(short, answer.question, evidence):
        short = ""  # e.g. "37" from the title "Computational complexity theory (37)"
    if kind == "short" and short and not chosen and untimely(short, answer.question):
        # "reputation" to "... the album scheduled to be released on what date?": the date
        # the evidence holds nearest the question's words instead, if any
        short = heuristic_answer(answer.question, kind, evidence, options)
    if not short and kind == "short" and (lacking := missing_kind(answer.question, evidence)):
        return _withheld(answer, short, f"the evidence holds no {lacking}, which the question "
                                        f"asks for")
    if not short and kind == "short":
        # Nothing of the asked kind to point at: the checked evidence sentence is the answer.
        answer.kind = "open"
        answer.direct = " ".join(s.text for s in answer.sentences if s.supported)
        return answer
    if kind == "short" and not chosen and nameless(short, answer.question):
        return _withheld(answer, short, f"the direct answer {short!r} names no one, and the "
                                        f"question asks who")
    problem = grounding_problem(short, kind, titled, options)
    if problem:
        return _withheld(answer, short, f"the direct answer {short!r} is not grounded: {problem}")
    answer.direct = short.lower() if kind == "yesno" else short
    return answer


def _withheld(answer: Answer, short: str, why: str) -> Answer:
    answer.refused = True
    answer.withheld = why
    answer.raw_text = answer.raw_text or short
    answer.sentences = [Sentence(text=NOT_IN_DOCUMENTS)]
    return answer


def only_named(options: Sequence[str], evidence: Sequence[str]) -> str:
    """The one option the evidence (with its titles) names when it names no other, else "".
    What a sentence says of one option alone answers "A or B": asked "Is the output ...
    characterized by a simple or complex answer?", the 1.5B chose "simple" from "the output is
    more complex than that of a decision problem". Not for comparisons (`finish`)."""
    named = named_options(options, evidence)
    return named[0] if len(named) == 1 else ""


MATCH_MARGIN = 2  # question words one option's evidence holds beyond the other's


def matched_option(question: str, options: Sequence[str], evidence: Sequence[str]) -> str:
    """The option whose evidence holds MATCH_MARGIN more of the question's words than the
    other's, else "" (comparisons too: "first" is in neither). On HotpotQA the 1.5B chose Şeren
    for "Which goalkeeper was nicknamed the "Black Spider", Turgay Şeren or Lev Yashin?"."""
    if len(options) != 2 or COMPARATIVE.search(question):
        return ""
    wanted = terms(question) - QUESTION_FILLER - frozenset().union(*map(terms, options))
    quotes = [vocabulary(q) for q in evidence]
    held = [len(wanted & frozenset().union(*(v for v in quotes if terms(o) <= v)))
            for o in options]
    if abs(held[0] - held[1]) < MATCH_MARGIN:
        return ""
    return options[0] if held[0] > held[1] else options[1]


def named_options(options: Sequence[str], evidence: Sequence[str]) -> list[str]:
    """The options every term of which the evidence holds, in the question's order."""
    held = vocabulary(" ".join(evidence))
    return [o for o in options if terms(o) and terms(o) <= held]


def titled_quotes(answer: Answer) -> list[str]:
    """The evidence quotes, each after its document's title ("Shameless (U.S. TV series): Set
    in Chicago, the series ..."): in encyclopaedic text the title is often what a sentence
    leaves unsaid ("the series"), and the citation check counts it as the passage's, too."""
    lines: list[str] = []
    for sentence in answer.sentences:
        if not sentence.supported:
            continue
        for c in sentence.citations:
            start, end = c.span
            passage = answer.passages[c.number - 1]
            quote = " ".join(passage.text[start:end].split())
            title = " ".join(passage.doc.title.split())
            lines.append(f"{title}: {quote}" if title and title not in quote else quote)
    return list(dict.fromkeys(q for q in lines if q))


def evidence_quotes(answer: Answer) -> list[str]:
    """The verbatim passage spans that the supported sentences cite, in answer order."""
    quotes: list[str] = []
    for sentence in answer.sentences:
        if not sentence.supported:
            continue
        for c in sentence.citations:
            start, end = c.span
            quotes.append(" ".join(answer.passages[c.number - 1].text[start:end].split()))
    return list(dict.fromkeys(q for q in quotes if q))
