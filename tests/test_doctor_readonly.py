"""`qa doctor [--repair] [--json]`, a read-only store and a store path that cannot be made
(issue 10, items 7 and 10). The CLI in process, on real embedded stores."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import vectorstore.index
from qa.cli import app
from qa.errors import StoreError
from vectorstore.manifest import Manifest


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def store(qa_env: dict[str, str], tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Quillon is the capital of Zorbia and its largest port.")
    (docs / "b.txt").write_text("Marvel City is the capital of Borduria since 1921.")
    assert run("ingest", str(docs))[0] == 0
    return Path(qa_env["QA_STORE"])


def test_doctor_reports_a_healthy_store(store: Path) -> None:
    code, out, _ = run("doctor", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["problems"] == []
    assert (report["documents"], report["chunks"], report["vectors"],
            report["keyword_entries"]) == (2, 2, 2, 2)
    assert report["chroma_reachable"] and report["settings"]["store"]["value"] == str(store)
    minilm = next(m for m in report["models"] if m["role"] == "embedder")
    assert minilm["present"] and len(minilm["sha256"]) == 64


def test_doctor_finds_lost_parts_and_repair_fixes_them(store: Path) -> None:
    shutil.rmtree(store / "bm25")
    shutil.rmtree(store / "chroma")
    code, out, err = run("doctor")
    assert code == 1 and "keyword index stale" in err and "chunks have no vector" in err
    code, out, _ = run("doctor", "--repair", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"], report["problems"]
    assert len(report["repaired"]) == 2
    assert (report["vectors"], report["keyword_entries"]) == (2, 2)
    code, out, _ = run("ask", "What is the capital of Zorbia?", "--json")
    assert code == 0 and not json.loads(out)["refused"]


def test_doctor_on_a_lost_manifest_says_so_and_fails(store: Path) -> None:
    (store / "manifest.sqlite3").write_bytes(b"")
    code, _, err = run("doctor", "--repair")
    assert code == 1 and "the manifest is empty" in err


def test_reading_commands_work_on_a_read_only_store(store: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, whom file modes do not stop: the store is made read-only for qa by
    # the check qa itself makes (os.access), and SQLite's mode=ro then refuses any write.
    monkeypatch.setattr(vectorstore.index.os, "access", lambda path, mode: False)
    before = (store / "manifest.sqlite3").read_bytes()
    code, out, err = run("stats", "--json")
    assert code == 0, err
    assert json.loads(out)["documents"] == 2
    code, out, _ = run("docs", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 2
    code, out, _ = run("search", "capital of Borduria", "--json")
    assert code == 0 and "Marvel City" in json.loads(out)[0]["text"]
    assert (store / "manifest.sqlite3").read_bytes() == before


def test_a_read_only_manifest_refuses_writes_and_migrations(store: Path) -> None:
    manifest = Manifest(store / "manifest.sqlite3", read_only=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        manifest.delete_document(manifest.documents()[0].doc_id)
    manifest.close()
    db = sqlite3.connect(store / "manifest.sqlite3")
    with db:
        db.execute("UPDATE meta SET value='1' WHERE name='schema'")
    db.close()
    with pytest.raises(StoreError, match="read-only store at schema 1"):
        Manifest(store / "manifest.sqlite3", read_only=True)


def test_a_store_path_that_cannot_be_created_gives_one_line(qa_env: dict[str, str],
                                                            tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a folder")
    for command in (["stats"], ["ingest", str(blocker)], ["doctor"]):
        code, _, err = run("--store", str(blocker / "store"), *command)
        assert code == 1, command
        assert "cannot create the store folder" in err and "Traceback" not in err
