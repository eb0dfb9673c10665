"""Follow-up questions made standalone by rule, for backends that cannot rewrite them.

A name given in part is completed from the previous turn ("What did Wang say about Taiwan?" ->
"What did Wang Yi say about Taiwan?"), and when the new question has a pronoun or is short, the
previous question's names and content words that it lacks are appended ("What did he say about
Taiwan?" -> "What did he say about Taiwan? (Wang Yi, Blinken, talk)").

The extractive quoting step is given the *new* part of the question instead (the user's words
minus the names carried over from the conversation): running text refers to the subject of a
conversation by pronoun ("He reiterated Beijing's firm position on the Taiwan question..."), so
demanding the carried names in every quoted sentence would pick exactly the wrong sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.answer.sentences import QUESTION_FILLER
from qa.text import STOPWORDS, light_stem, words

SHORT_QUESTION = 4  # words; a question this short is read as a follow-up

_PRONOUNS = frozenset("he she him her his hers it its they them their theirs this that these "
                      "those".split())
# Capitalised words that open a question or an instruction rather than name something.
_NOT_NAMES = STOPWORDS | frozenset("tell show give list explain describe summarise summarize "
                                   "compare find please and so ok okay".split())
_CAPITALISED_RUN = re.compile(r"[A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*)*")


@dataclass
class Rewrite:
    searched: str  # standalone: what retrieval sees and the user is shown
    focus: str  # what the extractive quoting looks for



def names_in(text: str) -> list[str]:
    """Runs of capitalised words ("Wang Yi", "Blinken"), minus question words and possessives."""
    found: list[str] = []
    for match in _CAPITALISED_RUN.finditer(text):
        parts = [re.sub(r"[’']s$", "", w) for w in match.group().split()]
        while parts and parts[0].lower() in _NOT_NAMES:
            parts.pop(0)
        name = " ".join(parts)
        if name and name not in found:
            found.append(name)
    return found


def _words(text: str) -> list[str]:
    """Lower-cased words without a possessive 's ("Wang's" -> "wang")."""
    return [re.sub(r"[’']s$", "", w) for w in words(text)]


def _stems(text: str) -> set[str]:
    return {light_stem(w) for w in _words(text)}


def carry_context(previous: str, question: str) -> Rewrite:
    """Make `question` standalone from the previous (standalone) question, by rule."""
    tokens = _words(question)
    prev_names = names_in(previous)
    name_words = {w.lower() for n in prev_names for w in n.split()}
    has_pronoun = any(t in _PRONOUNS for t in tokens)
    short = len(tokens) <= SHORT_QUESTION
    if not (has_pronoun or short or name_words & set(tokens)):
        return Rewrite(question, question)
    expanded = question
    for name in prev_names:
        parts = name.split()
        if len(parts) < 2 or all(re.search(rf"\b{re.escape(p)}\b", expanded) for p in parts):
            continue
        for part in parts:  # "Wang" -> "Wang Yi": complete a name given in part
            pattern = rf"\b{re.escape(part)}\b"
            if re.search(pattern, expanded):
                expanded = re.sub(pattern, name, expanded, count=1)
                break
    have = _stems(expanded)
    carried: list[str] = []
    if has_pronoun or short:  # too little of its own: carry the previous turn's key terms
        carried = [n for n in prev_names if not _stems(n) <= have]
        for word in _words(previous):
            if (word not in STOPWORDS and word not in QUESTION_FILLER and word not in name_words
                    and len(word) > 2 and light_stem(word) not in have and word not in carried):
                carried.append(word)
    searched = expanded + (f" ({', '.join(carried)})" if carried else "")
    new_part = " ".join(w for w in re.findall(r"\S+", question)
                        if not set(_words(w)) & name_words)
    # Nothing new beyond the names ("Who is Blinken?", the same question again): look for the
    # whole question; nothing at all ("Why?"): for the carried terms.
    if _content(new_part) - _stems(previous):
        focus = new_part
    else:
        focus = expanded if _content(expanded) else searched
    return Rewrite(searched, focus)


def _content(text: str) -> set[str]:
    return {light_stem(w) for w in _words(text) if w not in STOPWORDS | QUESTION_FILLER | _PRONOUNS}


def clean_condensed(text: str) -> str:
    """The first non-empty line of a model's condensed question, without labels or quotes."""
    for line in text.strip().splitlines():
        line = re.sub(r"^\s*(?:standalone question|question|rewritten)\s*:\s*", "", line,
                      flags=re.I).strip().strip("\"'“”`")
        if line:
            return line[:300]
    return ""
