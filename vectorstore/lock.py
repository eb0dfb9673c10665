"""One writer at a time: an advisory lock on a file, held while a command writes.

`fcntl.flock` rather than a pid file: the kernel drops the lock when its holder's file is
closed, however the process ends (SIGKILL, a crash), so a stale lock never blocks and there is
nothing to clean up. The file also holds the holder's pid and command line, for the one line a
second writer gets; each new holder rewrites it. The file is never deleted: unlinking a lock
file races with a process that has just opened it (both would then "hold" different files).
Readers take no lock: SQLite and Chroma let them read while one process writes.

`hold` is the whole public surface; any folder a command writes (the store, a feed cache) can
use it with its own lock file. Re-entrant within a process: a nested `hold` of the same file is
free, so an ingest that heals, or a briefing saved inside a command that already holds the
store, does not wait for itself.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from qa.errors import StoreLocked
from qa.masking import mask_urls_in

POLL_SECONDS = 0.1  # how often a waiting writer tries again (flock has no timeout of its own)

_held: dict[Path, tuple[IO[str], int]] = {}  # lock file -> (open file, nesting depth)
_guard = threading.Lock()

Holder = dict[str, object]  # {"pid": int, "command": str, "since": ISO time}


@contextmanager
def hold(path: Path, *, what: str, wait: float | None = 0.0,
         on_wait: Callable[[StoreLocked], None] | None = None) -> Iterator[None]:
    """Hold the write lock `path` (created if missing) for the `with` block.

    `wait`: 0 fails at once, None waits as long as it takes, a number waits that many seconds.
    When the lock is taken, raises `StoreLocked` naming the holder (`what` says what is locked,
    e.g. "the store /x"); with a wait, `on_wait` is called once with that error first.
    """
    key = path.resolve()
    with _guard:
        if key in _held:
            handle, depth = _held[key]
            _held[key] = (handle, depth + 1)
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            _release(key)
        return
    handle = _acquire(key, what, wait, on_wait)
    with _guard:
        _held[key] = (handle, 1)
    try:
        yield
    finally:
        _release(key)


def holder(path: Path) -> Holder:
    """Who holds (or last held) the lock, as written in the file; {} when unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _acquire(path: Path, what: str, wait: float | None,
             on_wait: Callable[[StoreLocked], None] | None) -> IO[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    # "a+": open without truncating, so a waiting writer never erases the holder's line
    handle = open(path, "a+", encoding="utf-8")  # kept open while held
    deadline = None if wait is None else time.monotonic() + wait
    told = False
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                locked = _locked_error(path, what, wait)
                if deadline is not None and time.monotonic() >= deadline:
                    raise locked from None
                if on_wait and not told:
                    on_wait(locked)
                    told = True
                time.sleep(POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "command": _command(),
                                 "since": datetime.now(UTC).isoformat(timespec="seconds")}))
        handle.flush()
        return handle
    except BaseException:
        handle.close()
        raise


def _release(key: Path) -> None:
    with _guard:
        handle, depth = _held[key]
        if depth > 1:
            _held[key] = (handle, depth - 1)
            return
        del _held[key]
    try:
        handle.seek(0)
        handle.truncate()  # nobody holds it now: no holder line to show
    finally:
        handle.close()  # closing drops the flock


def _locked_error(path: Path, what: str, wait: float | None) -> StoreLocked:
    info = holder(path)
    pid, command, since = info.get("pid"), info.get("command"), info.get("since")
    who = f"process {pid} ({command})" if pid else "another process"
    when = f" since {since}" if since else ""
    waited = f" (waited {wait:g} s)" if wait else ""
    return StoreLocked(f"{what} is being written by {who}{when}{waited}",
                       fix="let it finish, or run the command again with --wait", holder=info)


def _command() -> str:
    """This process's command line as a user typed it (`qa ingest docs/`), secrets masked."""
    args = [Path(sys.argv[0]).name if sys.argv else "python", *sys.argv[1:]]
    if args[0] == "__main__.py":  # `python -m qa`
        args[0] = "qa"
    return mask_urls_in(" ".join(args))[:300]
