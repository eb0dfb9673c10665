"""`qa chat` in a real pseudo-terminal: the installed console script, prompt_toolkit and rich.

QA_TEST_SLOW_STREAM (a test hook in qa/chat.py) sleeps before each streamed word, so Ctrl-C lands
mid-answer. PROMPT_TOOLKIT_NO_CPR: pexpect is not a terminal emulator and would never answer
prompt_toolkit's cursor-position request.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parent.parent
QA = Path(sys.executable).parent / "qa"
PROMPT = "qa>"
STARTUP_BUDGET = 1.5  # seconds to the prompt with the extractive generator


def test_chat_session_in_a_pty(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QA_", "OPENAI_"))}
    env.update(QA_STORE=str(tmp_path / "data" / "store"), QA_CACHE_DIR=str(tmp_path / "cache"),
               QA_GENERATOR="extractive", XDG_CONFIG_HOME=str(tmp_path / "xdg"), TERM="xterm",
               QA_TEST_SLOW_STREAM="0.06", PROMPT_TOOLKIT_NO_CPR="1")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    subprocess.run([str(QA), "ingest", str(tmp_path / "seeds")], env=env, cwd=tmp_path,
                   check=True, capture_output=True, timeout=120)
    transcript = tmp_path / "chat.md"

    started = time.perf_counter()
    child = pexpect.spawn(str(QA), ["chat"], env=env, cwd=str(tmp_path), dimensions=(40, 200),
                          encoding="utf-8", timeout=30)
    try:
        child.expect_exact(PROMPT)
        startup = time.perf_counter() - started
        print(f"prompt after {startup:.2f} s")
        # generous (a loaded machine); the budget is STARTUP_BUDGET, measured ~0.5 s
        assert startup < 2 * STARTUP_BUDGET

        # Esc then Enter inserts a newline; Enter sends the two lines as one question.
        child.send("When did Wang Yi\x1b\rand Blinken talk?\r")
        child.expect_exact("Chinese Foreign Minister")  # streamed, word by word
        child.expect_exact("1 of 1 sentence supported")  # the checked answer replaced the stream
        child.expect(r"\[1\] (?:\x1b\[[0-9;]*m)*Top China, US diplomats")  # compact sources
        child.expect_exact(PROMPT)

        child.sendline("/sources")
        child.expect_exact("“Chinese Foreign Minister Wang Yi")
        child.expect_exact(PROMPT)
        child.sendline("/open 1")
        child.expect_exact("[1] Top China, US diplomats also share views on bilateral ties")
        child.expect_exact("seeds · 2023-12-06 · ")
        child.expect_exact("2023-12-06_wang-yi-blinken-phone-call.txt")
        child.expect_exact(PROMPT)

        child.sendline("What did Wang Yi and Blinken talk about?")
        child.expect_exact("Chinese Foreign Minister Wang")
        child.sendintr()
        child.expect_exact("[cut short: the answer is incomplete]")
        child.expect_exact(PROMPT)

        child.sendline("What did Wang say about Taiwan?")
        child.expect_exact("searched: What did Wang Yi say about Taiwan?")
        child.expect_exact("He reiterated Beijing’s firm position on the Taiwan question")
        child.expect_exact("sentences supported")
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
