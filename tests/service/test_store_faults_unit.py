"""The store under faults, in process: a write it cannot take raises StoreUnavailable (so the call gets
503, never 500), and the readiness write probe fails, within its timeout, while the store is locked.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from cds_hooks.models import Feedback
from service.store import Store, StoreUnavailable
from service.store_probe import CACHE_SECONDS, check_store_writable

PROBE_TIMEOUT = 0.5


def _feedback() -> Feedback:
    return Feedback(card="c-1", outcome="overridden", outcome_timestamp="2026-06-01T10:00:00Z")


def test_read_only_sqlite_store_raises_store_unavailable(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite3"
    Store(f"sqlite:///{db}").create_schema()
    read_only = Store(f"sqlite:///file:{db}?mode=ro&uri=true")
    with pytest.raises(StoreUnavailable):
        read_only.save_jti_once("https://ehr.example.org", "jti-1", datetime.now(UTC) + timedelta(minutes=5))
    with pytest.raises(StoreUnavailable):
        read_only.save_feedback("svc", [_feedback()])
    assert read_only.ping() is True  # it still answers reads: readiness needs the write probe
    assert check_store_writable(read_only, PROBE_TIMEOUT) is False


def test_write_probe_follows_a_lock_held_elsewhere(store_url: str) -> None:
    store = Store(store_url)
    store.create_schema()
    assert check_store_writable(store, PROBE_TIMEOUT) is True
    other = create_engine(store_url)
    try:
        with other.connect() as conn:
            if other.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.execute(text("LOCK TABLE seen_jti IN ACCESS EXCLUSIVE MODE"))
            time.sleep(CACHE_SECONDS + 0.1)
            assert check_store_writable(store, PROBE_TIMEOUT) is False
            conn.rollback()
        time.sleep(CACHE_SECONDS + 0.1)
        assert check_store_writable(store, PROBE_TIMEOUT) is True
    finally:
        other.dispose()
        store.close()
