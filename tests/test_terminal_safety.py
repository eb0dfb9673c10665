"""Issue 10 item 4: document text is data. Escape sequences and control characters in a title,
source, file name or passage never reach the terminal, through every command that prints them;
rich markup in a title (`[/]`) is printed, not parsed."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.text import Text
from typer.testing import CliRunner

from qa.cli import app
from qa.render import SafeConsole, json_text, printable

CLEAR = "\x1b[2J"
RETITLE = "\x1b]0;pwned\x07"
LINK = "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\"
CSI_C1 = "\x9b31m"
HOSTILE = {
    "id": "h1", "title": f"Bridge [/] report {CLEAR}{RETITLE}", "source": f"wire{CSI_C1}",
    "date": "2024-01-02",
    "text": f"The Quillon bridge cost 4 billion dollars to build. {LINK} here {CLEAR} gone "
            f"{CSI_C1} red \x7f del \x08 back.",
}
# What a terminal acts on: ESC, C1 CSI, BEL (and rich's own escapes when it styles: none here,
# CliRunner and pipes are not terminals).
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\x7f", "\x08")


def assert_inert(*texts: str) -> None:
    for text in texts:
        found = [repr(c) for c in FORBIDDEN if c in text]
        assert not found, f"{found} reached the output: {text[:300]!r}"


@pytest.fixture
def hostile_store(qa_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "h.jsonl").write_text(json.dumps(HOSTILE) + "\n")
    for sub in ("ferry[", "empty["):  # paths holding `[/x]` and escapes
        (docs / sub).mkdir()
    (docs / "ferry[" / f"x]{CLEAR}.txt").write_text(f"Quillon ferry {RETITLE} cost 3 dollars.\n")
    (docs / "empty[" / f"x]{RETITLE}.txt").write_text("")  # its skip line names the file
    code, out, err = run("ingest", str(docs))
    assert code == 1 and "2 added" in out and "empty" in err
    qa_env["QA_TEST_INGEST_OUTPUT"] = out + err
    return qa_env


def test_ingest_skip_line_names_a_hostile_path_inert(hostile_store: dict[str, str]) -> None:
    output = hostile_store["QA_TEST_INGEST_OUTPUT"]
    assert_inert(output)
    # the BEL shown too (rich dropped it before: report lines now pass through one_line)
    assert "empty[/x]␛]0;pwned␇.txt: empty file" in output


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def test_printable_shows_every_control_but_newline_and_tab_and_keeps_the_length() -> None:
    text = f"a{CLEAR}b{RETITLE}c{LINK}\x9b\x7f\x00\r\n\tz"
    shown = printable(text)
    assert len(shown) == len(text)  # cited spans index the stored text
    assert shown.startswith("a␛[2Jb␛]0;pwned␇c␛]8;;http://evil␛\\click")
    assert shown.endswith("\ufffd␡␀␍\n\tz")
    assert_inert(shown)
    assert printable("plain – ünïcode “text”") == "plain – ünïcode “text”"


@pytest.mark.parametrize("args", [
    ("docs", "list"), ("docs", "show", "{id}", "--text"), ("search", "Quillon bridge"),
    ("ask", "How much did the Quillon bridge cost?"),
    ("brief", "2024-01-02", "--tz", "UTC", "--mode", "extractive"),
])
def test_commands_print_hostile_documents_inert(hostile_store: dict[str, str],
                                                args: tuple[str, ...]) -> None:
    if "{id}" in args:
        docs = json.loads(run("docs", "list", "--json")[1])
        doc_id = next(d["doc_id"] for d in docs if d["external_id"] == "h1")
        args = tuple(doc_id if a == "{id}" else a for a in args)
    code, out, err = run(*args)
    assert code == 0, err
    assert_inert(out, err)
    assert "␛" in out  # shown, not hidden: the reader sees the file holds escapes
    if args[0] != "brief":
        assert "[/]" in out  # markup in a title is text


def test_chat_answers_sources_and_open_are_inert(hostile_store: dict[str, str]) -> None:
    code, out, err = run("chat", input="How much did the Quillon bridge cost?\n/sources\n"
                                       "/open 1\n")
    assert code == 0, err
    assert_inert(out, err)
    assert "4 billion" in out and out.count("␛]8;;http://evil") >= 2


@pytest.mark.parametrize("args", [
    ("docs", "list", "--json"), ("search", "Quillon bridge", "--json"),
    ("ask", "How much did the Quillon bridge cost?", "--json"),
    ("brief", "2024-01-02", "--tz", "UTC", "--mode", "extractive", "--format", "json"),
])
def test_json_escapes_controls_and_keeps_the_values(hostile_store: dict[str, str],
                                                    args: tuple[str, ...]) -> None:
    code, out, err = run(*args)
    assert code == 0, err
    assert_inert(out, err)
    assert "\\u001b" in out and "\\u009b" in out
    assert HOSTILE["source"] in json.dumps(json.loads(out), ensure_ascii=False)


def test_json_text_round_trips() -> None:
    data = {"t": f"{CLEAR}{CSI_C1}\x7f é"}
    assert json.loads(json_text(data)) == data
    assert_inert(json_text(data))


def test_piped_subprocess_output_is_inert(hostile_store: dict[str, str]) -> None:
    for args in (["ask", "How much did the Quillon bridge cost?"], ["docs", "list"]):
        proc = subprocess.run([sys.executable, "-c", "from qa.cli import app; app()", *args],
                              capture_output=True, env=hostile_store, timeout=120)
        assert proc.returncode == 0, proc.stderr
        for raw in (proc.stdout, proc.stderr):
            assert b"\x1b" not in raw and b"\xc2\x9b" not in raw and b"\x07" not in raw
        assert "␛".encode() in proc.stdout


def test_on_a_terminal_only_the_tools_own_styling_is_sent() -> None:
    sink = io.StringIO()
    console = SafeConsole(file=sink, force_terminal=True, color_system="standard", width=200)
    console.print(Text(f"title {RETITLE} {LINK}", style="bold"))
    written = sink.getvalue()
    assert "\x1b[1m" in written  # rich's bold
    assert "\x1b]" not in written and "\x07" not in written and "\x1b[2J" not in written
    assert "␛]0;pwned" in written  # (rich itself drops the BEL)
