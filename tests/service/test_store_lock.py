"""SQLite writers of every process queue on one lock (a flock beside the database), not in SQLite's sleeps."""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.store import Store
from service.store_lock import WriteLock, sqlite_lock_path


def _hold_lock(path: str, holding: mp.synchronize.Event, release: mp.synchronize.Event) -> None:
    lock = WriteLock(Path(path))
    with lock.held():
        holding.set()
        release.wait(30)


def test_a_write_waits_while_another_process_holds_the_writer_lock(tmp_path: Path) -> None:
    database = tmp_path / "store.sqlite3"
    store = Store(f"sqlite:///{database}")
    store.create_schema()
    lock_path = sqlite_lock_path(str(database))
    assert lock_path is not None
    ctx = mp.get_context("spawn")
    holding, release = ctx.Event(), ctx.Event()
    other = ctx.Process(target=_hold_lock, args=(str(lock_path), holding, release))
    other.start()
    try:
        assert holding.wait(60)
        done = threading.Event()

        def write() -> None:
            store.save_jti_once("https://ehr", "j1", datetime.now(UTC) + timedelta(minutes=5))
            done.set()

        writer = threading.Thread(target=write)
        writer.start()
        # Only the lock holds it back (SQLite itself is not locked): it must still be waiting.
        assert not done.wait(0.5)
        release.set()
        writer.join(30)
        assert done.is_set()
    finally:
        release.set()
        other.join(30)
        store.close()


def test_each_process_opens_its_own_lock_file_descriptor(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path / "db.write-lock")
    with lock.held():
        pass
    first = lock._fd
    lock._pid = -1  # as after a fork: the inherited descriptor must not be reused
    with lock.held():
        pass
    assert lock._fd != first
    lock.close()
    assert first is not None
    os.close(first)


def test_in_memory_databases_have_no_lock_file() -> None:
    assert sqlite_lock_path(":memory:") is None
    assert sqlite_lock_path(None) is None
    assert sqlite_lock_path("/data/ivig.sqlite3") == Path("/data/ivig.sqlite3.write-lock")
