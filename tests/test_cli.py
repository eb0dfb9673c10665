"""The CLI in process (typer's CliRunner) and as a subprocess, including the README's commands."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import QA, ROOT
from typer.testing import CliRunner

from qa.cli import app
from qa.refusal import NOT_IN_DOCUMENTS


@pytest.fixture
def env(qa_env: dict[str, str]) -> dict[str, str]:
    return qa_env


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ingest_ask_search_json(env: dict[str, str]) -> None:
    code, out, _ = run("ingest", str(ROOT / "seeds"), "--json")
    assert code == 0 and json.loads(out)["added"] == 1
    code, out, _ = run("ask", "Who died on Nov 29?", "--json")
    data = json.loads(out)
    assert code == 0 and data["backend"] == "extractive" and not data["refused"]
    quotes = [c["quote"] for s in data["sentences"] for c in s["citations"]]
    assert any("Kissinger" in q for q in quotes)
    code, out, _ = run("search", "cease-fire Gaza", "--json", "-k", "2")
    hits = json.loads(out)
    assert code == 0 and len(hits) == 2 and "cease-fire" in hits[0]["text"]
    code, out, _ = run("ask", "What is the capital of Peru?")
    assert code == 0 and NOT_IN_DOCUMENTS in out


def test_plain_answer_lists_sources_and_support(env: dict[str, str]) -> None:
    run("ingest", str(ROOT / "seeds"))
    code, out, _ = run("ask", "What did Wang Yi say is the most urgent task?")
    assert code == 0
    assert out.splitlines()[0] == "answered by extractive"
    assert "an immediate cease-fire in Gaza" in out
    assert re.search(r"\d+ of \d+ sentences? supported", out)
    assert "Sources" in out and "2023-12-06" in out


def test_bad_file_gives_one_line_and_nonzero_exit(env: dict[str, str], tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("---\ntitle: Good\ndate: 2024-02-03\n---\nQuillon is big.\n")
    (docs / "bad.txt").write_bytes(b"\x00\x00binary")
    code, out, err = run("ingest", str(docs))
    assert code == 1
    assert "1 added" in out and "1 failed" in out
    lines = [line for line in err.splitlines() if "bad.txt" in line]
    assert len(lines) == 1
    code, out, _ = run("docs", "list", "--json")
    assert [d["title"] for d in json.loads(out)] == ["Good"]


def test_config_show_reports_origins(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "qa.toml").write_text("k = 3\n")
    code, out, _ = run("config", "show", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["k"] == {"value": "3", "origin": "file"}
    assert data["generator"]["origin"] == "env"


def test_errors_are_one_line_not_tracebacks(env: dict[str, str]) -> None:
    code, _, err = run("ask", "anything", "--since", "yesterday")
    assert code != 0 and "YYYY-MM-DD" in err and "Traceback" not in err
    code, _, err = run("docs", "show", "nope")
    assert code != 0 and "no such document" in err
    code, _, err = run("ask", "anything", "--answer-style", "guess")
    assert code != 0 and "'pick'" in err and "Traceback" not in err


def test_help_imports_nothing_heavy(env: dict[str, str]) -> None:
    probe = ("import sys, qa.cli; heavy = [m for m in ('chromadb', 'onnxruntime', 'openai', "
             "'llama_cpp', 'bm25s', 'trafilatura') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                         check=True).stdout
    assert out.strip() == "[]"
    result = subprocess.run([str(QA), "--help"], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and "ingest" in result.stdout


def test_readme_commands_run(env: dict[str, str], tmp_path: Path) -> None:
    """The qa commands shown in README.md's quick start run as written (paths made local)."""
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^(qa [^\n#]+?)\s*(?:#.*)?$", readme, flags=re.M)
    assert commands, "no qa commands found in README.md"
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("# Note\nWang Yi spoke with Blinken.\n")
    for command in commands:
        command = command.replace("~/notes", str(tmp_path / "notes"))
        result = subprocess.run(["bash", "-c", f"{QA.parent}/{command} < /dev/null"],
                                capture_output=True, text=True, env=env, cwd=tmp_path,
                                timeout=120)
        assert result.returncode == 0, (command, result.stderr)


def test_progress_is_plain_lines_when_stderr_is_not_a_terminal(env: dict[str, str],
                                                               tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(3):
        (docs / f"n{i}.txt").write_text(f"Note {i}: the Tern bridge opened on March {i + 1}.\n")
    code, _, err = run("ingest", str(docs))
    lines = [line for line in err.splitlines() if line.startswith("ingesting ")]
    assert code == 0 and lines and lines[-1].startswith("ingesting 3/3 (")
    code, _, err = run("ingest", str(docs), "--json")  # --json: stdout for scripts, no chatter
    assert code == 0 and "ingesting" not in err


def test_reindex_rebuilds_an_unreadable_keyword_index(env: dict[str, str], tmp_path: Path) -> None:
    run("ingest", str(ROOT / "seeds"))
    ids = tmp_path / "store" / "bm25" / "chunk_ids.json"
    ids.write_text("{ not json")
    code, _, err = run("search", "cease-fire", "--mode", "keyword")
    assert code == 1 and "keyword index unreadable" in err and "qa ingest --reindex" in err
    code, out, _ = run("ingest", "--reindex")
    assert code == 0 and "keyword index rebuilt" in out
    code, out, _ = run("search", "cease-fire", "--mode", "keyword", "--json")
    assert code == 0 and "cease-fire" in json.loads(out)[0]["text"]
    code, _, err = run("ingest")
    assert code != 0 and "nothing to ingest" in err


def test_names_from_files_are_printed_as_text_not_markup(env: dict[str, str],
                                                         tmp_path: Path) -> None:
    """A path holding rich markup ([/x]) used to crash the skip line with MarkupError."""
    docs = tmp_path / "docs"
    (docs / "[" / "x]").mkdir(parents=True)  # the path reads docs/[/x]/empty.txt
    (docs / "[" / "x]" / "empty.txt").write_text("")
    (docs / "[bold]note.txt").write_text("Quillon is the capital of Zorbia.\n")
    result = CliRunner().invoke(app, ["ingest", str(docs)])
    assert result.exit_code == 1 and not isinstance(result.exception, Exception), result.exception
    assert "skipped " in result.stderr and "[/x]/empty.txt: empty file" in result.stderr
    result = CliRunner().invoke(app, ["forget", "[/nope]"])
    assert result.exit_code == 1 and "[/nope]: no such document" in result.stderr


def test_eval_answer_on_a_tiny_squad_file(env: dict[str, str], tmp_path: Path) -> None:
    """`qa eval answer` end to end: the cached eval store, ingest, answers, the summary."""
    context = ("The Tern River bridge opened on March 1 after four years of work. "
               "Mayor Ana Ruiz said the bridge cost 42 million dollars.")
    qas = [{"id": "q1", "question": "How much did the Tern River bridge cost?",
            "answers": [{"text": "42 million dollars", "answer_start": 95}],
            "is_impossible": False},
           {"id": "q2", "question": "When did the Tern River bridge open?",
            "answers": [{"text": "March 1", "answer_start": 33}], "is_impossible": False}]
    squad = {"data": [{"title": "Tern", "paragraphs": [{"context": context, "qas": qas}]}]}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(squad))
    details = tmp_path / "details.jsonl"
    code, out, _ = run("eval", "answer", "--squad", str(path), "-g", "extractive", "--json",
                       "--details", str(details))
    assert code == 0
    summary = json.loads(out)
    assert (summary["questions"], summary["answerable"], summary["backend"]) == (2, 2,
                                                                               "extractive")
    records = [json.loads(line) for line in details.read_text().splitlines()]
    assert sorted(r["id"] for r in records) == ["q1", "q2"]
    assert any(r["contains"] and r["cited_with_gold"] for r in records)
    code, out, _ = run("eval", "answer", "--squad", str(path), "-g", "extractive", "--json")
    assert code == 0 and json.loads(out)["questions"] == 2  # the cached store is reused


def test_eval_answer_resume_keeps_the_stopped_runs_rows_and_answers_the_rest(
        env: dict[str, str], tmp_path: Path) -> None:
    """A long `qa eval answer` stopped part way goes on with `--resume`: the rows already in
    --details count as they were written (here one marked refused), the rest are answered and
    appended, and a last line cut off mid-write is dropped."""
    context = "The Tern River bridge opened on March 1. It cost 42 million dollars."
    qas = [{"id": f"q{i}", "question": q, "answers": [{"text": a, "answer_start": 0}],
            "is_impossible": False}
           for i, (q, a) in enumerate([("When did the Tern River bridge open?", "March 1"),
                                       ("How much did the bridge cost?", "42 million")], 1)]
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps({"data": [{"title": "Tern", "paragraphs": [
        {"context": context, "qas": qas}]}]}))
    details = tmp_path / "details.jsonl"
    args = ("eval", "answer", "--squad", str(path), "-g", "extractive", "--json",
            "--details", str(details))
    assert run(*args)[0] == 0
    rows = {r["id"]: r for r in map(json.loads, details.read_text().splitlines())}
    assert not rows["q1"]["refused"]
    kept = dict(rows["q1"], refused=True, direct="", text="")
    details.write_text(json.dumps(kept) + "\n" + '{"id": "q2", "que')
    code, out, _ = run(*args, "--resume")
    assert code == 0
    summary = json.loads(out)
    assert (summary["questions"], summary["resumed"], summary["false_refusal_pct"]) == (2, 1,
                                                                                        50.0)
    rows = [json.loads(line) for line in details.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["q1", "q2"] and rows[0]["refused"]
    details.write_text(json.dumps(dict(kept, id="elsewhere")) + "\n")
    code, _, err = run(*args, "--resume")
    assert code == 1 and "line 1 is not a row of this sample" in err


def test_app_called_in_process_leaves_the_callers_sigint_handler() -> None:
    """Only the `qa` script ignores Ctrl-C once its command is done (qa/cli/__init__.py `run`);
    a program that calls `app()` keeps its own handler."""
    import signal

    before = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        with pytest.raises(SystemExit):
            app(["--help"])
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)


def test_the_script_ignores_ctrl_c_once_its_command_is_done() -> None:
    import signal

    from qa.cli import run

    before = signal.getsignal(signal.SIGINT)
    saved = sys.argv
    try:
        sys.argv = ["qa", "--help"]
        with pytest.raises(SystemExit):
            run()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        sys.argv = saved
        signal.signal(signal.SIGINT, before)
