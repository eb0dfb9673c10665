"""The chat's slash commands, their completion, and how a turn is shown and saved.

Handlers print to a rich Console (colours for a terminal, plain text for a pipe) and raise
`QAError` for the user's mistakes; the front end turns those into one line.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from rich.console import Console
from rich.text import Text

from qa.chat.session import BACKENDS, ChatSession
from qa.errors import QAError
from qa.records import Answer
from qa.render import (
    answer_markdown,
    cited_numbers,
    passage_label,
    print_passage,
    sources_markdown,
    sources_text,
    support_line,
)
from qa.retrieve import Filters

Handler = Callable[[ChatSession, Console, list[str]], bool]  # False: leave the chat

KEYS_HELP = ("Enter sends · Esc then Enter (or Alt-Enter) inserts a newline · Up/Down browse "
             "history · Ctrl-R searches it · Tab completes commands · Ctrl-C stops an answer or "
             "clears the line · Ctrl-D exits")


@dataclass(frozen=True)
class Command:
    usage: str
    help: str
    run: Handler


def need_answer(session: ChatSession) -> Answer:
    if session.last_answer is None:
        raise QAError("no answer yet", fix="ask a question first")
    return session.last_answer


# -- the commands ----------------------------------------------------------------------------------
def cmd_help(session: ChatSession, console: Console, args: list[str]) -> bool:
    console.print("Ask a question, or type a command:", style="bold")
    width = max(len(c.usage) for c in COMMANDS.values())
    for name, command in COMMANDS.items():
        if name != "/quit":
            console.print(Text(f"  {command.usage:<{width}}  {command.help}"))
    console.print(Text(KEYS_HELP), style="dim")
    return True


def cmd_sources(session: ChatSession, console: Console, args: list[str]) -> bool:
    answer = need_answer(session)
    cited = cited_numbers(answer)
    if cited:
        console.print(sources_text(answer), end="")
    others = [n for n in range(1, len(answer.passages) + 1) if n not in cited]
    if others:
        console.print("retrieved, not cited:", style="dim")
        for n in others:
            console.print(Text(f"[{n}] {passage_label(answer.passages[n - 1])}", style="dim"))
    if not answer.passages:
        console.print("the last answer had no passages")
    return True


def cmd_open(session: ChatSession, console: Console, args: list[str]) -> bool:
    answer = need_answer(session)
    total = len(answer.passages)
    if len(args) != 1 or not args[0].strip("[]").isdigit():
        raise QAError("usage: /open N", fix=f"N is a passage number from 1 to {total}")
    number = int(args[0].strip("[]"))
    if not 1 <= number <= total:
        raise QAError(f"no passage [{number}]", fix=f"the last answer has passages 1 to {total}"
                      if total else "the last answer has no passages")
    print_passage(console, answer, number)
    return True


def describe_filters(filters: Filters) -> str:
    parts = [f"since:{filters.since}" if filters.since else "",
             f"until:{filters.until}" if filters.until else "",
             *(f"source:{s}" for s in filters.sources),
             f"story:{filters.scope or len(filters.doc_ids)}" if filters.doc_ids else ""]
    return " ".join(p for p in parts if p) or "none"


def _day(key: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QAError(f"{key}:{value} is not a date", fix="use YYYY-MM-DD") from None


def cmd_filter(session: ChatSession, console: Console, args: list[str]) -> bool:
    if args == ["clear"]:
        session.filters = Filters()
    elif args:
        since, until, sources = session.filters.since, session.filters.until, []
        for arg in args:
            key, _, value = arg.partition(":")
            if key == "since" and value:
                since = _day(key, value)
            elif key == "until" and value:
                until = _day(key, value)
            elif key == "source" and value:
                sources.append(value)
            else:
                raise QAError(f"/filter: cannot read {arg!r}",
                              fix="use since:YYYY-MM-DD until:YYYY-MM-DD source:NAME, or clear")
        if since and until and since > until:
            raise QAError(f"since:{since} is after until:{until}", fix="swap the dates")
        session.filters = replace(session.filters, since=since, until=until,
                                  sources=tuple(sources) or session.filters.sources)
        unknown = [s for s in sources if s not in session.sources()]
        if unknown:
            console.print(Text(f"note: no stored documents from {', '.join(unknown)} (known: "
                               f"{', '.join(session.sources()) or 'none'})", style="yellow"))
    console.print(Text(f"filters: {describe_filters(session.filters)}"))
    return True


def cmd_k(session: ChatSession, console: Console, args: list[str]) -> bool:
    if args:
        if len(args) != 1 or not args[0].isdigit():
            raise QAError("usage: /k N", fix="N is the number of passages, 1 to 100")
        session.set_k(int(args[0]))
    console.print(f"k: {session.k} passages")
    return True


def cmd_model(session: ChatSession, console: Console, args: list[str]) -> bool:
    from qa.generators.registry import choose_backend

    if len(args) > 1:
        raise QAError("usage: /model [" + "|".join(BACKENDS) + "]")
    if args:
        session.switch_generator(args[0])
        console.print(Text(f"switched to {session.generator.name}"
                           + (" (loading in the background)" if session.loading() else "")))
        return True
    _, why = choose_backend(session.settings)
    state = " (loading)" if session.loading() else ""
    console.print(Text(f"generator: {session.generator.name}{state} ({why})"))
    console.print(Text("switch with /model " + "|".join(BACKENDS)), style="dim")
    return True


def cmd_clear(session: ChatSession, console: Console, args: list[str]) -> bool:
    session.clear()
    console.print("conversation forgotten (filters and k kept)", style="dim")
    return True


def cmd_save(session: ChatSession, console: Console, args: list[str]) -> bool:
    if len(args) != 1:
        raise QAError("usage: /save FILE", fix="e.g. /save chat.md")
    path = Path(args[0]).expanduser()
    try:
        path.write_text(transcript_markdown(session), encoding="utf-8")
    except OSError as exc:
        raise QAError(f"cannot write {path}: {exc.strerror or exc}",
                      fix="choose a writable path") from None
    turns = len(session.turns)
    console.print(Text(f"saved {turns} turn{'s' if turns != 1 else ''} to {path}"))
    return True


def cmd_brief(session: ChatSession, console: Console, args: list[str]) -> bool:
    """The stored briefing of the day, else a new extractive one (fast; `qa brief` writes with
    the model)."""
    from qa.brief.briefing import BriefOptions, load_briefing, make_briefing
    from qa.brief.output import briefing_markdown
    from qa.brief.window import day_window, parse_day, resolve_zone

    if len(args) > 1:
        raise QAError("usage: /brief [DATE]", fix="e.g. /brief 2023-12-06")
    zone = resolve_zone(session.settings.tz)
    day = parse_day(args[0] if args else None, datetime.now(zone).date())
    briefing = load_briefing(session.index, day.isoformat())
    if briefing is None:
        options = BriefOptions.from_settings(session.settings, mode="extractive")
        briefing = make_briefing(session.index, None, day_window(day, zone), options)
    if briefing.documents == 0 and not briefing.stories:
        console.print(Text(f"no documents published on {day} ({zone.key}); nothing to brief"))
        return True
    session.briefing = briefing
    console.print(Text(briefing_markdown(briefing).rstrip("\n")))
    console.print(Text("/story N opens story N and scopes questions to it", style="dim"))
    return True


def cmd_story(session: ChatSession, console: Console, args: list[str]) -> bool:
    from qa.brief import labels

    briefing = session.briefing
    if briefing is None:
        raise QAError("no briefing shown yet", fix="run /brief [DATE] first")
    stories = briefing.stories
    if len(args) != 1 or not args[0].isdigit() or not 1 <= int(args[0]) <= len(stories):
        raise QAError("usage: /story N", fix=f"N is a story of the briefing, 1 to {len(stories)}"
                      if stories else "this briefing has no written stories")
    story = stories[int(args[0]) - 1]
    console.print(Text(story.headline, style="bold"))
    console.print(Text(labels.status_line(story), style="dim"))
    for sentence in story.sentences:
        console.print(Text(sentence.text + "".join(f" [{n}]" for n in labels.numbers(sentence))))
    doc_ids = tuple(d.doc_id for a in story.articles for d in (a.doc, *a.copies))
    for article in story.articles:
        console.print(Text(f"  {article.doc.source}: {article.doc.title}", style="dim"))
    session.filters = replace(session.filters, doc_ids=doc_ids, scope=story.story_id)
    console.print(Text(f"questions are now about this story ({len(doc_ids)} documents); "
                       "/filter clear ends that", style="dim"))
    return True


def cmd_exit(session: ChatSession, console: Console, args: list[str]) -> bool:
    return False


COMMANDS: dict[str, Command] = {
    "/help": Command("/help", "this list", cmd_help),
    "/sources": Command("/sources", "the last answer's sources, with the cited quotes",
                        cmd_sources),
    "/open": Command("/open N", "passage N in full, cited span highlighted, with its document",
                     cmd_open),
    "/filter": Command("/filter since:DATE until:DATE source:NAME | clear",
                       "restrict retrieval (no arguments: show the filters)", cmd_filter),
    "/k": Command("/k N", "passages to retrieve per question (no argument: show)", cmd_k),
    "/model": Command("/model [" + "|".join(BACKENDS) + "]", "show or switch the generator",
                      cmd_model),
    "/clear": Command("/clear", "forget the conversation", cmd_clear),
    "/save": Command("/save FILE", "write the conversation as markdown, with sources", cmd_save),
    "/brief": Command("/brief [DATE]", "the day's briefing (stored, or made extractively)",
                      cmd_brief),
    "/story": Command("/story N", "story N of the briefing shown; questions then stay on it",
                      cmd_story),
    "/exit": Command("/exit", "leave (or Ctrl-D)", cmd_exit),
    "/quit": Command("/quit", "leave", cmd_exit),
}


def dispatch(session: ChatSession, console: Console, line: str) -> bool:
    """Run one slash command; False when the chat should end."""
    try:
        name, *args = shlex.split(line)
    except ValueError as exc:
        raise QAError(f"cannot read the command: {exc}", fix="check the quotes") from None
    command = COMMANDS.get(name.lower())
    if command is None:
        raise QAError(f"unknown command {name}", fix="type /help for the list")
    return command.run(session, console, args)


# -- completion ------------------------------------------------------------------------------------
def completions(session: ChatSession, text: str) -> list[tuple[str, str]]:
    """(candidate, description) pairs for the word being typed at the end of `text`."""
    if not text.startswith("/"):
        return []
    if " " not in text:
        return [(n, c.help) for n, c in COMMANDS.items() if n.startswith(text.lower())]
    name, _, rest = text.partition(" ")
    word = rest.rsplit(" ", 1)[-1]
    options: list[tuple[str, str]] = []
    name = name.lower()
    if name == "/model":
        options = [(b, "generator") for b in BACKENDS]
    elif name == "/filter":
        options = [("since:", "YYYY-MM-DD"), ("until:", "YYYY-MM-DD"), ("clear", "no filters")]
        options += [("source:" + (f'"{s}"' if " " in s else s), "source") for s in
                    session.sources()]
    elif name == "/open" and session.last_answer is not None:
        options = [(str(i), p.doc.title[:60])
                   for i, p in enumerate(session.last_answer.passages, 1)]
    elif name == "/save":
        options = _path_options(word)
    return [(c, d) for c, d in options if c.lower().startswith(word.lower()) and c != word]


def _path_options(word: str) -> list[tuple[str, str]]:
    typed = Path(word).expanduser()
    folder = typed if word.endswith("/") else typed.parent
    prefix = word[: len(word) - len(typed.name)] if not word.endswith("/") else word
    try:
        entries = sorted(folder.iterdir())[:200]
    except OSError:
        return []
    return [(prefix + e.name + ("/" if e.is_dir() else ""), "folder" if e.is_dir() else "file")
            for e in entries if not e.name.startswith(".")]


# -- the transcript --------------------------------------------------------------------------------
def transcript_markdown(session: ChatSession) -> str:
    lines = [f"# qa chat, {datetime.now():%Y-%m-%d %H:%M}", ""]
    for turn in session.turns:
        answer = turn.answer
        lines += [f"## {turn.question}", ""]
        if turn.searched != turn.question:
            lines += [f"*Searched: {turn.searched}*", ""]
        lines += [answer_markdown(answer), ""]
        footer = " · ".join(p for p in (answer.backend, support_line(answer)) if p)
        lines += [f"*{footer}*", ""]
        sources = sources_markdown(answer)
        if sources:
            lines += ["Sources:", "", *sources, ""]
    return "\n".join(lines).rstrip() + "\n"
