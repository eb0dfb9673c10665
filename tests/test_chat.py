"""`qa chat` in process: scripted sessions on a real store ingested from seeds/, through the
session object, the plain (non-TTY) loop and CliRunner. Generators that must fail or be
interrupted at a given moment are small scripted `Generator`s; everything else is real."""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console
from scripted import Scripted
from typer.testing import CliRunner

from qa.chat.commands import completions, dispatch, transcript_markdown
from qa.chat.followups import carry_context, clean_condensed
from qa.chat.session import ChatSession
from qa.cli import app
from qa.cli.chat import run_plain
from qa.errors import GeneratorError, StoreError
from qa.records import Answer
from qa.refusal import NOT_IN_DOCUMENTS
from qa.settings import Settings

TAIWAN = "He reiterated Beijing’s firm position on the Taiwan question"
DEC6 = "telephone conversation on Dec 6"


@pytest.fixture
def session(seeded_store: Path, tmp_path: Path) -> Iterator[ChatSession]:
    chat = ChatSession.open(Settings(store=seeded_store, cache_dir=tmp_path / "cache",
                                     generator="extractive"))
    yield chat
    chat.close()


@pytest.fixture
def env(qa_env: dict[str, str], seeded_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_STORE", str(seeded_store))


def quotes(answer: Answer) -> list[str]:
    return [answer.passages[c.number - 1].text[c.span[0]:c.span[1]]
            for s in answer.sentences for c in s.citations]


def script(session: ChatSession, capsys: pytest.CaptureFixture[str],
           *lines: str) -> tuple[str, str, bool]:
    failed = run_plain(session, [line + "\n" for line in lines])
    out, err = capsys.readouterr()
    return out, err, failed


# -- briefings -----------------------------------------------------------------------------------
def test_brief_then_story_scopes_questions_until_filter_clear(
        seeds_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qa.ingest.pipeline import ingest_paths
    from qa.store import open_index

    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache",
                        generator="extractive", tz="UTC")
    index = open_index(settings)
    ingest_paths(index, [seeds_folder])
    index.close()
    chat = ChatSession.open(settings)
    try:
        out, err, failed = script(chat, capsys, "/brief 2023-12-01", "/story 1",
                                  "/brief 2023-12-06", "/story 2", "/story 1",
                                  "When did Wang Yi and Blinken talk?", "/filter clear")
        assert failed  # /story before any briefing, and /story 2 of a one-story briefing
        first, rest = out.split("Briefing 2023-12-06 (UTC)")
        assert "no documents published on 2023-12-01 (UTC); nothing to brief" in first
        assert "no briefing shown yet" in err and "1 to 1" in err
        assert "*new · China Daily · single source*" in rest and "[1]" in rest
        assert "questions are now about this story (1 documents)" in rest
        assert "filters: story:" in rest or DEC6 in rest
        assert DEC6 in rest.split("questions are now about this story")[1]
        assert chat.filters.doc_ids == ()  # cleared
        assert chat.index.briefs.count() == 1  # the briefing made by /brief is remembered
    finally:
        chat.close()


# -- follow-ups ----------------------------------------------------------------------------------
def test_follow_up_is_rewritten_and_cites_the_taiwan_sentence(session: ChatSession) -> None:
    first = session.ask("When did Wang Yi and Blinken talk?")
    assert any(DEC6 in q for q in quotes(first.answer))
    seen: list[str] = []
    turn = session.ask("What did Wang say about Taiwan?", on_rewrite=seen.append)
    assert turn.searched == seen[0] == "What did Wang Yi say about Taiwan?"
    assert turn.answer.question == turn.searched
    assert any(q.startswith(TAIWAN) for q in quotes(turn.answer)), quotes(turn.answer)
    assert all(s.supported for s in turn.answer.sentences)


def test_pronoun_follow_up_carries_the_previous_terms(session: ChatSession) -> None:
    session.ask("When did Wang Yi and Blinken talk?")
    turn = session.ask("What did he say about Taiwan?")
    assert turn.searched == "What did he say about Taiwan? (Wang Yi, Blinken, talk)"
    assert any(q.startswith(TAIWAN) for q in quotes(turn.answer))


@pytest.mark.parametrize(("previous", "question", "searched"), [
    ("When did Wang Yi and Blinken talk?", "What did Wang say about Taiwan?",
     "What did Wang Yi say about Taiwan?"),
    ("When did Wang Yi and Blinken talk?", "And Kissinger?",
     "And Kissinger? (Wang Yi, Blinken, talk)"),
    ("When did Wang Yi and Blinken talk?", "What was Wang's view on Gaza?",
     "What was Wang Yi's view on Gaza?"),
    # a standalone question is left alone
    ("When did Wang Yi and Blinken talk?", "Who died on Nov 29 at the age of 100?",
     "Who died on Nov 29 at the age of 100?"),
])
def test_carry_context_rules(previous: str, question: str, searched: str) -> None:
    assert carry_context(previous, question).searched == searched


def test_a_model_condenses_with_the_condense_prompt(session: ChatSession) -> None:
    session.ask("When did Wang Yi and Blinken talk?")
    model = Scripted(["He reiterated Beijing’s firm position on the Taiwan question. [1]"],
                     condensed="Standalone question: What did Wang Yi say about Taiwan?\n")
    session.generator = model
    turn = session.ask("What did he say about Taiwan?")
    condense = model.requests[0]
    assert condense.task == "condense"
    prompt = condense.messages[-1]["content"]
    assert "User: When did Wang Yi and Blinken talk?" in prompt and DEC6 in prompt
    assert "Last question: What did he say about Taiwan?" in prompt
    assert turn.searched == "What did Wang Yi say about Taiwan?"
    assert model.requests[1].question == turn.searched
    assert clean_condensed('  \n"Why?"\nmore') == "Why?"


# -- slash commands, through the plain loop ------------------------------------------------------
def test_sources_open_k_model_brief_help_unknown(session: ChatSession,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out, err, failed = script(session, capsys, "/sources", "When did Wang Yi and Blinken talk?",
                              "/sources", "/open 1", "/open 99", "/k 3", "/k", "/model",
                              "/help", "/frobnicate")
    assert failed
    assert "> When did Wang Yi and Blinken talk?" in out
    assert "\x1b" not in out + err
    assert "error: no answer yet (ask a question first)" in err
    assert "“Chinese Foreign Minister Wang Yi" in out  # /sources quotes the cited span
    title = "Top China, US diplomats also share views on bilateral ties"
    assert f"[1] {title}" in out and "China Daily · 2023-12-06 · " in out  # /open
    assert "2023-12-06_wang-yi-blinken-phone-call.txt" in out
    assert "error: no passage [99]" in err
    assert "k: 3 passages" in out and session.k == 3
    assert "generator: extractive" in out
    assert "/open N" in out and "Ctrl-R" in out
    assert "unknown command /frobnicate (type /help for the list)" in err


def test_open_highlights_the_cited_span(session: ChatSession) -> None:
    session.ask("When did Wang Yi and Blinken talk?")
    buffer = StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="standard", width=300)
    dispatch(session, console, "/open 1")
    text = buffer.getvalue()
    assert re.search(r"\x1b\[[0-9;]*7[0-9;]*mChinese Foreign Minister Wang Yi", text)


def test_filter_and_clear(session: ChatSession, capsys: pytest.CaptureFixture[str]) -> None:
    out, err, failed = script(
        session, capsys, "/filter since:2024-01-01", "When did Wang Yi and Blinken talk?",
        "/filter clear", '/filter until:2023-12-31 source:"China Daily"',
        "When did Wang Yi and Blinken talk?", "/filter since:yesterday",
        "/filter since:2024-01-01 until:2023-01-01", "/filter source:nowhere", "/filter colour:red",
        "/clear")
    assert "filters: since:2024-01-01" in out
    first, second = out.split("filters: none")
    assert NOT_IN_DOCUMENTS in first and DEC6 not in first
    assert "filters: until:2023-12-31 source:China Daily" in second and DEC6 in second
    assert "since:yesterday is not a date (use YYYY-MM-DD)" in err
    assert "since:2024-01-01 is after until:2023-01-01" in err
    assert "no stored documents from nowhere (known: China Daily)" in out
    assert "cannot read 'colour:red'" in err
    assert failed and session.turns == []  # /clear forgot the conversation


def test_save_writes_a_markdown_transcript_with_sources(session: ChatSession, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "chat.md"
    out, err, failed = script(session, capsys, "When did Wang Yi and Blinken talk?",
                              "What did Wang say about Taiwan?", f"/save {target}",
                              f"/save {tmp_path / 'missing' / 'x.md'}", "/exit", "never asked")
    assert f"saved 2 turns to {target}" in out and "cannot write" in err
    assert "never asked" not in out  # /exit ended the loop
    text = target.read_text()
    assert text.startswith("# qa chat, ")
    assert "## When did Wang Yi and Blinken talk?" in text
    assert "## What did Wang say about Taiwan?" in text
    assert "*Searched: What did Wang Yi say about Taiwan?*" in text
    assert text.count("Sources:") == 2 and "- [1] Top China, US diplomats" in text
    assert "  > Chinese Foreign Minister Wang Yi" in text and f"  > {TAIWAN}" in text
    assert text.split("\n", 1)[1] == transcript_markdown(session).split("\n", 1)[1]


# -- errors and Ctrl-C ---------------------------------------------------------------------------
def test_model_and_store_errors_print_one_line_and_the_session_goes_on(
        session: ChatSession, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    extractive = session.generator
    session.generator = Scripted([], error=GeneratorError("the model failed", fix="retry later"))
    out, err, _ = script(session, capsys, "When did Wang Yi and Blinken talk?")
    assert err.strip() == "error: the model failed (retry later)"
    session.generator = extractive

    def broken(*args: object, **kwargs: object) -> None:
        raise StoreError("the store is unreachable", fix="check QA_CHROMA_URL")

    with monkeypatch.context() as patch:
        patch.setattr("qa.chat.session.retrieve", broken)
        out, err, failed = script(session, capsys, "When did Wang Yi and Blinken talk?")
    assert failed and err.strip() == "error: the store is unreachable (check QA_CHROMA_URL)"
    out, err, failed = script(session, capsys, "When did Wang Yi and Blinken talk?")
    assert not failed and DEC6 in out and err == ""


def test_ctrl_c_mid_answer_keeps_the_partial_answer_marked_as_cut(
        session: ChatSession, capsys: pytest.CaptureFixture[str]) -> None:
    session.generator = Scripted(["Chinese Foreign Minister Wang Yi and "],
                                 error=KeyboardInterrupt())
    out, err, failed = script(session, capsys, "When did Wang Yi and Blinken talk?")
    assert "Chinese Foreign Minister Wang Yi" in out and "[cut short" in out and not failed
    assert session.last_answer is not None and not session.last_answer.complete


def _interrupt_soon() -> threading.Timer:
    """A real Ctrl-C (SIGINT to the main thread) in 0.3 s."""
    main = threading.main_thread().ident
    assert main is not None
    timer = threading.Timer(0.3, signal.pthread_kill, args=(main, signal.SIGINT))
    timer.start()
    return timer


def test_ctrl_c_before_the_first_token_and_during_retrieval(
        session: ChatSession, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, ctrl_c: None) -> None:
    extractive = session.generator
    session.generator = Scripted([], error=KeyboardInterrupt())
    out, err, failed = script(session, capsys, "When did Wang Yi and Blinken talk?")
    assert err.strip() == "interrupted" and not failed and session.turns == []
    session.generator = extractive

    searching: list[float] = []

    def slow_retrieve(*args: object, **kwargs: object) -> None:
        searching.append(time.monotonic())
        time.sleep(20)  # longer than the suite's patience: only Ctrl-C ends it in time

    session.start_loading()
    session.wait_loaded()
    with monkeypatch.context() as patch:
        patch.setattr("qa.chat.session.retrieve", slow_retrieve)
        timer = _interrupt_soon()
        out, err, _ = script(session, capsys, "When did Wang Yi and Blinken talk?")
        timer.join()
    assert err.strip() == "interrupted" and searching
    out, err, _ = script(session, capsys, "When did Wang Yi and Blinken talk?")
    assert DEC6 in out


class Loading(Scripted):
    """A backend whose `load()` takes until `release` is set (and fails once, if told to)."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__(["Chinese Foreign Minister Wang Yi and US Secretary of State Antony "
                          "Blinken exchanged views during a telephone conversation on Dec 6. [1]"],
                         name="slowmodel")
        self.release = threading.Event()
        self.fail = fail
        self.loads = 0

    def load(self) -> None:
        self.loads += 1
        self.release.wait(20)
        if self.fail and self.loads == 1:
            raise GeneratorError("cannot load the model", fix="reinstall it")


def test_model_loads_in_the_background_and_ctrl_c_while_waiting(
        session: ChatSession, capsys: pytest.CaptureFixture[str], ctrl_c: None) -> None:
    session.generator = model = Loading()
    session.start_loading()
    assert session.loading()
    timer = _interrupt_soon()
    statuses: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        session.ask("When did Wang Yi and Blinken talk?", on_status=statuses.append)
    timer.join()
    assert statuses == ["loading slowmodel and the search index…"] and session.loading()
    model.release.set()
    turn = session.ask("When did Wang Yi and Blinken talk?")
    assert turn.answer.backend == "slowmodel" and model.loads == 1


def test_a_failed_background_load_is_one_error_line(session: ChatSession,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    session.generator = model = Loading(fail=True)
    model.release.set()
    out, err, failed = script(session, capsys, "When did Wang Yi and Blinken talk?",
                              "When did Wang Yi and Blinken talk?")
    assert err.strip() == "error: cannot load the model (reinstall it)"
    assert out.count("Dec 6") >= 1 and failed


# -- completion ----------------------------------------------------------------------------------
def test_completion_of_commands_and_arguments(session: ChatSession, tmp_path: Path) -> None:
    assert [c for c, _ in completions(session, "/s")] == ["/sources", "/save", "/story"]
    assert [c for c, _ in completions(session, "/model lo")] == ["local"]
    assert [c for c, _ in completions(session, "/filter s")] == ["since:", 'source:"China Daily"']
    assert completions(session, "/open ") == [] and completions(session, "What") == []
    session.ask("When did Wang Yi and Blinken talk?")
    assert [c for c, _ in completions(session, "/open ")][:2] == ["1", "2"]
    (tmp_path / "notes.md").write_text("")
    assert completions(session, f"/save {tmp_path}/no") == [(f"{tmp_path}/notes.md", "file")]


# -- the command line ----------------------------------------------------------------------------
def test_cli_chat_without_a_terminal(env: None) -> None:
    lines = "When did Wang Yi and Blinken talk?\nWhat did Wang say about Taiwan?\n/sources\n"
    result = CliRunner().invoke(app, ["chat"], input=lines)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert "searched: What did Wang Yi say about Taiwan?" in result.stdout
    assert TAIWAN in result.stdout and DEC6 in result.stdout
    assert "extractive · 2 of 2 sentences supported" in result.stdout


def test_cli_chat_options_and_a_failing_line(env: None) -> None:
    result = CliRunner().invoke(app, ["chat", "--since", "2024-01-01", "-k", "2"],
                                input="When did Wang Yi and Blinken talk?\n/k\n/filter\n/nope\n")
    assert result.exit_code == 1
    assert NOT_IN_DOCUMENTS in result.stdout and "k: 2 passages" in result.stdout
    assert "filters: since:2024-01-01" in result.stdout
    result = CliRunner().invoke(app, ["chat", "--until", "soon"], input="")
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.stderr


def test_cli_chat_on_a_broken_store_is_one_line(env: None, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.sqlite3").write_text("not a database " * 100)
    result = CliRunner().invoke(app, ["--store", str(broken), "chat"], input="hello\n")
    assert result.exit_code != 0 and "not a qa manifest" in result.stderr
    assert "Traceback" not in result.output


def test_chat_help(env: None) -> None:
    result = CliRunner().invoke(app, ["chat", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("--k", "--generator", "--since", "--until", "--source", "/open N",
                 "/model [extractive|local|openai|auto]", "Esc then Enter", "Ctrl-D",
                 "qa chat"):
        assert text in result.stdout, text
