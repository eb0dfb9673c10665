"""Walking the paths given to `qa ingest`: folders recursively, include/exclude globs, hidden
files skipped, a stable order, and one `LoadError` per path that cannot be read.

Symlinks: a folder ingest never follows a link out of the folder given (a `d/b.txt ->
/etc/passwd` would otherwise store a file nobody asked for); a dangling link or a loop is one
error. Linked folders are not entered (`os.walk` default). A link named on the command line is
followed: the user asked for that file.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Collection, Iterator, Sequence
from fnmatch import fnmatch
from pathlib import Path

from qa.errors import LoadError


def _matches(patterns: Sequence[str], rel: str, name: str) -> bool:
    return any(fnmatch(rel, p) or fnmatch(name, p) for p in patterns)


def _wanted(rel: str, name: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    if include and not _matches(include, rel, name):
        return False
    return not _matches(exclude, rel, name)


def expand(given: Path, include: Sequence[str], exclude: Sequence[str],
           suffixes: Collection[str]) -> Iterator[Path | LoadError]:
    """The loadable files `given` names: itself, or what a folder holds (see `walk`)."""
    if given.is_dir():
        yield from walk(given, include, exclude, suffixes)
        return
    if not given.exists():
        broken = link_error(given, None) if given.is_symlink() else None
        yield broken or LoadError(str(given), "no such file or folder", fix="check the path")
        return
    if not _wanted(str(given), given.name, include, exclude):
        return
    if given.suffix.lower() not in suffixes:
        kind = f"'{given.suffix}'" if given.suffix else "without a suffix"
        yield LoadError(str(given), f"unsupported file type {kind}",
                        fix=f"convert it to one of {', '.join(sorted(suffixes))}")
        return
    yield given


def walk(root: Path, include: Sequence[str], exclude: Sequence[str],
         suffixes: Collection[str]) -> Iterator[Path | LoadError]:
    """Files under `root` worth loading, sorted by their path relative to `root`."""
    found: list[tuple[str, Path | LoadError]] = []
    dir_excludes = [p.rstrip("/") for p in exclude]
    inside = Path(os.path.realpath(root))

    def unreadable(exc: OSError) -> None:
        where = str(exc.filename or root)
        found.append((os.path.relpath(where, root), os_error(where, exc)))

    for folder, dirnames, filenames in os.walk(root, onerror=unreadable):
        base = Path(folder)
        rel_dir = base.relative_to(root)
        dirnames[:] = sorted(
            d for d in dirnames
            if not d.startswith(".") and not _matches(dir_excludes, (rel_dir / d).as_posix(), d)
        )
        for name in filenames:
            rel = (rel_dir / name).as_posix()
            if name.startswith(".") or Path(name).suffix.lower() not in suffixes:
                continue
            if _wanted(rel, name, include, exclude):
                path = base / name
                found.append((rel, (link_error(path, inside) if path.is_symlink() else None)
                              or path))
    found.sort(key=lambda pair: pair[0])
    for _, item in found:
        yield item


def os_error(where: str, exc: OSError) -> LoadError:
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return LoadError(where, "permission denied",
                         fix="make it readable (chmod +r) or exclude it with --exclude")
    if isinstance(exc, FileNotFoundError):
        return LoadError(where, "no such file or folder", fix="check the path")
    return LoadError(where, f"cannot read ({exc.strerror or exc})",
                     fix="check the file, or exclude it with --exclude")


def link_error(link: Path, inside: Path | None) -> LoadError | None:
    """Why the symlink `link` is not loaded: dangling, a loop, or (when `inside` is the resolved
    folder being walked) pointing out of it; None when it may be followed."""
    try:
        target = Path(os.path.realpath(link, strict=True))
    except OSError as exc:  # realpath itself, not pathlib.resolve, which turns ELOOP into
        if exc.errno == errno.ELOOP:  # a RuntimeError
            return LoadError(str(link), "symlink loop", fix="fix or delete the link, or "
                             "exclude it with --exclude")
        if isinstance(exc, FileNotFoundError):
            return LoadError(str(link), f"dangling symlink (to {os.readlink(link)})",
                             fix="fix or delete the link, or exclude it with --exclude")
        return os_error(str(link), exc)
    if inside is not None and not target.is_relative_to(inside):
        return LoadError(str(link), f"links outside the folder (to {target}); not followed",
                         fix="ingest the target itself, e.g. `qa ingest TARGET`")
    return None
