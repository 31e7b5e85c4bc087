"""One SQLite writer at a time across every process and thread of a host, queued without sleeping.

SQLite lets one connection write at a time. A writer that finds the database locked by another process
waits in SQLite's busy handler, which sleeps 1, 2, 5, 10 ... 100 ms between retries; with two gunicorn
workers writing on every hook call, one worker could keep the lock nearly all the time while the
other's writer slept in ever longer steps, and with it every thread of that worker queued behind it
(2-process replay-cache inserts: p99 100-400 ms, measured). So our own writers queue here instead: a
thread lock per process, then an exclusive `flock` on a file beside the database, on which a waiting
process sleeps in the kernel and wakes as soon as the holder lets go. Writers of other programs (the
`sqlite3` shell, a backup) still meet SQLite's own lock and busy timeout, as before.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WriteLock:
    """A process-and-host-wide writer lock for one SQLite database file (threads only for `:memory:`)."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the block."""
        with self._thread_lock:
            fd = self._descriptor()
            if fd is None:
                yield
                return
            fcntl.flock(fd, fcntl.LOCK_EX)  # releases the GIL while it waits
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close this process's lock file descriptor (taken again on the next write)."""
        with self._thread_lock:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd, self._pid = None, None

    def _descriptor(self) -> int | None:
        """Return this process's descriptor of the lock file (opened again after a fork: flock locks an
        open file description, which a forked child would otherwise share with its parent)."""
        if self._path is None:
            return None
        if self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd


def sqlite_file_path(database: str | None) -> Path | None:
    """Return the file of a SQLite database, also when named by a `file:` URI (None for in-memory)."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    if database.startswith("file:"):
        return Path(database.removeprefix("file:").split("?", 1)[0])
    return Path(database)


def sqlite_lock_path(database: str | None) -> Path | None:
    """Return the lock file beside a SQLite database file (None for an in-memory database)."""
    path = sqlite_file_path(database)
    return None if path is None else path.with_name(path.name + ".write-lock")
