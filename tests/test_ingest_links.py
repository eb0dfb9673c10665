"""Symlinks in a folder ingest (issue 10, item 3): a link leaving the folder is skipped, a
dangling link or a loop is one error, and the rest of the folder still loads."""

from __future__ import annotations

from pathlib import Path

from qa.errors import LoadError
from qa.ingest.load import iter_documents
from qa.records import Document


def _load(*paths: Path) -> tuple[list[Document], list[LoadError]]:
    items = list(iter_documents(list(paths)))
    return ([i for i in items if isinstance(i, Document)],
            [i for i in items if isinstance(i, LoadError)])


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "a.txt").write_text("Alpha stays stored.\n")
    return folder


def test_a_link_to_a_file_outside_the_folder_is_skipped(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    outside = tmp_path / "secret.txt"
    outside.write_text("Not part of the folder.\n")
    (folder / "b.txt").symlink_to(outside)
    (folder / "c.txt").symlink_to("/etc/passwd")
    docs, errors = _load(folder)
    assert [d.key for d in docs] == [str((folder / "a.txt").resolve())]
    assert len(errors) == 2
    assert all("links outside the folder" in e.reason for e in errors)
    assert {Path(e.path).name for e in errors} == {"b.txt", "c.txt"}
    assert all("ingest the target itself" in e.fix for e in errors)


def test_a_dangling_link_is_one_error_and_the_rest_loads(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "gone.txt").symlink_to(folder / "missing.txt")
    docs, errors = _load(folder)
    assert [Path(d.key).name for d in docs] == ["a.txt"]
    [error] = errors
    assert Path(error.path).name == "gone.txt" and "dangling" in error.reason


def test_a_link_loop_is_one_error_and_the_rest_loads(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "x.txt").symlink_to(folder / "y.txt")
    (folder / "y.txt").symlink_to(folder / "x.txt")
    docs, errors = _load(folder)
    assert [Path(d.key).name for d in docs] == ["a.txt"]
    assert sorted(Path(e.path).name for e in errors) == ["x.txt", "y.txt"]
    assert all("loop" in e.reason for e in errors)


def test_a_link_inside_the_folder_loads_its_target_once(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "sub").mkdir()
    (folder / "sub" / "again.txt").symlink_to(folder / "a.txt")
    docs, errors = _load(folder)
    assert not errors
    assert [Path(d.key).name for d in docs] == ["a.txt"]


def test_a_link_named_on_the_command_line_is_followed(tmp_path: Path) -> None:
    outside = tmp_path / "target.txt"
    outside.write_text("The user asked for this one.\n")
    link = tmp_path / "link.txt"
    link.symlink_to(outside)
    docs, errors = _load(link)
    assert not errors and [d.key for d in docs] == [str(outside)]


def test_a_dangling_link_named_on_the_command_line_is_one_error(tmp_path: Path) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "nowhere.txt")
    docs, errors = _load(link)
    assert not docs and len(errors) == 1 and "dangling" in errors[0].reason


def test_a_linked_folder_pointing_outside_is_not_entered(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "e.txt").write_text("Outside text.\n")
    (folder / "out").symlink_to(elsewhere, target_is_directory=True)
    docs, _ = _load(folder)
    assert [Path(d.key).name for d in docs] == ["a.txt"]
