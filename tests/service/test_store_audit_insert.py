"""Audit batches on SQLite reach the driver exactly as SQLAlchemy Core's executemany sends them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

import service.store as store_module
from service.store import AuditRecord, Store, audit_table

_TEXT = st.none() | st.text(max_size=8)
_NUMBER = st.none() | st.integers(-(2**40), 2**40)
_FLAG = st.none() | st.booleans()
_WHEN = st.none() | st.datetimes(
    min_value=datetime(2000, 1, 1), timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))])
)
_DETAIL = st.none() | st.lists(
    st.dictionaries(st.text(max_size=3), st.text(max_size=3) | st.none(), max_size=2)
)
records = st.builds(
    AuditRecord,
    service_id=st.text(max_size=8),
    hook_instance=st.text(max_size=8),
    status=st.integers(100, 599),
    outcome=_TEXT,
    card_uuids=st.lists(st.text(max_size=4), max_size=2),
    rules_version=_TEXT,
    duration_ms=st.integers(0, 10**6),
    patient_pseudonym=_TEXT,
    client_issuer=_TEXT,
    hook=_TEXT,
    tenant=_TEXT,
    silent=_FLAG,
    reason=_TEXT,
    fhir_reads=_NUMBER,
    fhir_failures=_NUMBER,
    from_prefetch=_NUMBER,
    token_used=_FLAG,
    cards_detail=_DETAIL,
    criteria=st.none() | st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    created_at=_WHEN,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("audit-insert") / "store.sqlite3"
    opened = Store(f"sqlite:///{path}")
    opened.create_schema()
    yield opened
    opened.close()


def _sent(store: Store, write: Any) -> list[tuple[str, Any, bool]]:
    """Return the (statement, parameters, executemany) triples `write()` hands the driver."""
    sent: list[tuple[str, Any, bool]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        sent.append((statement, parameters, many))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        write()
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    return sent


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(records, min_size=1, max_size=4))
def test_same_statement_and_parameters_as_core(store: Store, batch: list[AuditRecord]) -> None:
    now = datetime.now(UTC)
    rows = [store_module._audit_row(record, now) for record in batch]

    def core() -> None:
        with store.engine.begin() as conn:
            conn.execute(store_module._INSERT_AUDIT, rows)

    def prepared() -> None:
        assert store._audit_insert is not None
        with store.engine.begin() as conn:
            store._audit_insert.execute(conn, rows)

    assert _sent(store, prepared) == _sent(store, core)


def test_stored_rows_read_back_as_written(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    store.create_schema()
    when = datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=UTC)
    written = [
        AuditRecord("svc", "h-1", 200, "no-card", [], None, 3, "p", "iss", silent=False, created_at=when),
        AuditRecord("svc", "h-2", 401, None, ["u1", "u2"], "r1", 0, None, None, token_used=True, reason="x"),
    ]
    store.save_audit_batch(written)
    rows = store.load_audit()
    store.close()
    assert [(r["hook_instance"], r["card_uuids"], r["silent"], r["token_used"]) for r in rows] == [
        ("h-1", [], False, None),
        ("h-2", ["u1", "u2"], None, True),
    ]
    assert rows[0]["created_at"].replace(tzinfo=UTC) == when
    assert {c.key for c in audit_table.c} - {"id"} == set(rows[0]) - {"id"}
