"""Store faults on real SQLite files: made read-only (as the service's user sees them), or locked by
another process's write transaction.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def read_only_files(db: Path) -> Iterator[None]:
    """Make the SQLite database file and its write-ahead log read-only, restoring them on exit.

    As root, permission bits do not stop a write, so the files are made immutable (`chattr +i`, which
    also refuses writes through descriptors already open); without chattr support the test is skipped.
    The shared-memory index (`-shm`) stays writable: SQLite maps it, and an immutable mapping would
    crash the process instead of failing the write.
    """
    files = [p for p in (db, db.with_name(db.name + "-wal")) if p.exists()]
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in files}
        for path in files:
            path.chmod(0o444)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a file read-only")
    result = subprocess.run(["chattr", "+i", *map(str, files)], capture_output=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"chattr +i not supported here: {result.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, files)], check=False)


@contextmanager
def write_locked(db: Path) -> Iterator[None]:
    """Hold SQLite's write lock on `db` (BEGIN IMMEDIATE, as another process would) for the block."""
    conn = sqlite3.connect(db, timeout=5, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()
