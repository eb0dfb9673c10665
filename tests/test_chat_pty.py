"""`qa chat` in a real pseudo-terminal: the installed console script, prompt_toolkit and rich.

The answers come from the scripted OpenAI-compatible stub (tests/llm_servers.py) over real HTTP,
so a slow stream can be interrupted mid-answer with a real Ctrl-C; retrieval, the citation check
and rendering are the product's. PROMPT_TOOLKIT_NO_CPR: pexpect is not a terminal emulator and
would never answer prompt_toolkit's cursor-position request.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pexpect
from conftest import QA
from llm_servers import Reply, StubServer, ok

PROMPT = "qa>"
DEC6 = ("Chinese Foreign Minister Wang Yi and US Secretary of State Antony Blinken exchanged "
        "views during a telephone conversation on Dec 6. [1]")
TAIWAN = "He reiterated Beijing’s firm position on the Taiwan question. [1]"


def test_chat_session_in_a_pty(seeds_folder: Path, qa_env: dict[str, str], tmp_path: Path,
                               stub_server: StubServer) -> None:
    env = {**qa_env, "QA_STORE": str(tmp_path / "data" / "store"), "QA_BASE_URL": stub_server.url,
           "QA_MODEL": "stub", "QA_VERIFY": "false", "TERM": "xterm",
           "PROMPT_TOOLKIT_NO_CPR": "1"}
    del env["QA_GENERATOR"]  # auto: the endpoint chooses the openai backend
    ingest = pexpect.run(f"{QA} ingest {seeds_folder}", env=env, withexitstatus=True,
                         timeout=120)
    assert ingest[1] == 0, ingest[0]
    slow = Reply(pieces=tuple(f"word{i} " for i in range(200)), piece_delay=0.1)
    stub_server.script(
        ok("Chinese Foreign Minister Wang Yi and US Secretary of State ",
           DEC6.removeprefix("Chinese Foreign Minister Wang Yi and US Secretary of State ")),
        ok('{"answer": "Dec 6"}'),  # the direct answer, as a JSON reply (qa/answer/direct.py)
        ok("What did Wang Yi and Blinken talk about?"), slow,  # condensed, then a slow answer
        ok("What did Wang Yi say about Taiwan?"), ok(TAIWAN))
    transcript = tmp_path / "chat.md"

    # Started from a background job, a process inherits SIGINT ignored: the chat must install
    # its own Ctrl-C handler, so the child is started that way here.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        child = pexpect.spawn(str(QA), ["chat"], env=env, cwd=str(tmp_path), dimensions=(40, 200),
                              encoding="utf-8", timeout=30)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        child.expect_exact(PROMPT)
        # Esc then Enter inserts a newline; Enter sends the two lines as one question.
        child.send("When did Wang Yi\x1b\rand Blinken talk?\r")
        child.expect_exact("1 of 1 sentence supported")  # the checked answer replaced the stream
        child.expect(r"\[1\] (?:\x1b\[[0-9;]*m)*Top China, US diplomats")  # compact sources
        child.expect_exact(PROMPT)

        child.sendline("/sources")
        child.expect_exact("“Chinese Foreign Minister Wang Yi")
        child.expect_exact(PROMPT)
        child.sendline("/open 1")
        child.expect_exact("[1] Top China, US diplomats also share views on bilateral ties")
        child.expect_exact("China Daily · 2023-12-06 · ")
        child.expect_exact("2023-12-06_wang-yi-blinken-phone-call.txt")
        child.expect_exact(PROMPT)

        child.sendline("What did Wang Yi and Blinken talk about?")
        child.expect_exact("word2")  # streaming, one piece every 0.1 s
        child.sendintr()
        child.expect_exact("[cut short: the answer is incomplete]")
        child.expect_exact(PROMPT)

        child.sendline("What did Wang say about Taiwan?")
        child.expect_exact("searched: What did Wang Yi say about Taiwan?")
        child.expect_exact("He reiterated Beijing’s firm position on the Taiwan question")
        child.expect(re.escape("openai:stub") + r".*of 1 sentence supported")
        child.expect_exact(PROMPT)

        child.sendline(f"/save {transcript}")
        child.expect_exact("saved 3 turns")
        child.expect_exact(PROMPT)
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    text = transcript.read_text()
    assert "## What did Wang say about Taiwan?" in text and "Sources:" in text
    assert "> He reiterated Beijing’s firm position on the Taiwan question" in text
    assert "[cut short: the answer is incomplete]" in text
    history = (tmp_path / "data" / "chat_history").read_text()
    assert "What did Wang say about Taiwan?" in history
