"""Readiness of the store for the writes a hook call needs: a real write, cheap and bounded in time.

`SELECT 1` answers on a read-only or locked database, where every authenticated call then fails (its
JWT replay record cannot be written). The probe writes what a call writes: it deletes this probe's
expired rows from the replay table and inserts one, already expired, in one committed transaction,
with the database's lock wait cut to `timeout` seconds (SQLite busy_timeout; PostgreSQL lock_timeout and
statement_timeout). Results are kept for `CACHE_SECONDS`, so a flood of /readyz costs at most one write
a second per worker.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert, text
from sqlalchemy.exc import SQLAlchemyError

from service.store import SQLITE_BUSY_TIMEOUT_MS, Store
from service.store_schema import jti_table

PROBE_ISSUER = "urn:ivig-cds:readiness-probe"  # never a client's issuer (those are URLs)
PROBE_TIMEOUT_SECONDS = 1.0
CACHE_SECONDS = 1.0

_cache: dict[int, tuple[float, bool]] = {}
_cache_lock = threading.Lock()


def check_store_writable(store: Store, timeout: float = PROBE_TIMEOUT_SECONDS) -> bool:
    """Return True when the store committed a probe write within `timeout` (cached CACHE_SECONDS)."""
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(id(store))
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
    result = _probe(store, timeout)
    with _cache_lock:
        _cache[id(store)] = (time.monotonic(), result)
    return result


def _probe(store: Store, timeout: float) -> bool:
    """Return True when one probe write commits within `timeout`."""
    sqlite = store.engine.dialect.name == "sqlite"
    millis = int(timeout * 1000)
    try:
        with store.engine.connect() as conn:
            try:
                if sqlite:
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={millis}")
                else:
                    conn.execute(text(f"SET LOCAL lock_timeout = '{millis}ms'"))
                    conn.execute(text(f"SET LOCAL statement_timeout = '{millis}ms'"))
                _write_probe_row(conn)
                conn.commit()
            finally:
                conn.rollback()
                if sqlite:
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                    conn.commit()
        return True
    except SQLAlchemyError:
        return False


def _write_probe_row(conn: Connection) -> None:
    """Replace this probe's expired rows in the replay table by one new (already expired) row."""
    now = datetime.now(UTC)
    conn.execute(delete(jti_table).where(jti_table.c.issuer == PROBE_ISSUER, jti_table.c.expires_at <= now))
    conn.execute(insert(jti_table).values(issuer=PROBE_ISSUER, jti=str(uuid.uuid4()), expires_at=now))
