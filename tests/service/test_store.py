"""The store on SQLite and PostgreSQL: idempotent feedback, audit, shared JWT replay cache."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cds_hooks.models import Coding, Feedback, OverrideReasonFeedback
from service.store import AuditRecord, Store


@pytest.fixture
def open_store(store_url: str) -> Iterator[Callable[[], Store]]:
    opened: list[Store] = []

    def factory() -> Store:
        store = Store(store_url)
        store.create_schema()
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


def feedback(ts: str = "2026-11-25T10:00:00Z") -> Feedback:
    return Feedback(
        card="card-1",
        outcome="overridden",
        outcome_timestamp=ts,
        override_reason=OverrideReasonFeedback(
            reason=Coding("urn:x", "specialist-recommendation", "Specialist"), user_comment="c"
        ),
    )


def test_feedback_is_idempotent_and_exported(open_store: Callable[[], Store]) -> None:
    store = open_store()
    assert (
        store.save_feedback("ivig-order-sign", [feedback(), feedback(), feedback("2026-11-25T11:00:00Z")])
        == 2
    )
    assert store.save_feedback("ivig-order-sign", [feedback()]) == 0
    records = list(store.load_feedback())
    assert [r["outcomeTimestamp"] for r in records] == ["2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z"]
    assert records[0]["overrideReason"] == {
        "system": "urn:x",
        "code": "specialist-recommendation",
        "display": "Specialist",
        "userComment": "c",
    }
    assert list(store.load_feedback(datetime.now(UTC) + timedelta(days=1))) == []


def test_audit_round_trip(open_store: Callable[[], Store]) -> None:
    store = open_store()
    store.save_audit(
        AuditRecord(
            "ivig-order-sign", "h-1", 200, "supported", ["u1", "u2"], "2026.11.0", 12, "ab12", "https://ehr"
        )
    )
    (row,) = store.load_audit()
    assert (
        row["card_uuids"] == ["u1", "u2"]
        and row["outcome"] == "supported"
        and row["patient_pseudonym"] == "ab12"
    )


def test_jti_replay_is_refused_across_store_instances(open_store: Callable[[], Store]) -> None:
    first, second = open_store(), open_store()
    expires = datetime.now(UTC) + timedelta(minutes=5)
    assert first.save_jti_once("https://ehr", "jti-1", expires) is True
    assert second.save_jti_once("https://ehr", "jti-1", expires) is False
    assert second.save_jti_once("https://other-ehr", "jti-1", expires) is True


def test_expired_jti_is_purged(open_store: Callable[[], Store]) -> None:
    store = open_store()
    store.save_jti_once("https://ehr", "old", datetime.now(UTC) - timedelta(seconds=1))
    assert store.purge_expired_jti() == 1
    assert store.save_jti_once("https://ehr", "old", datetime.now(UTC) + timedelta(minutes=1)) is True


def test_ping_and_schema_creation_are_repeatable(open_store: Callable[[], Store]) -> None:
    store = open_store()
    store.create_schema()
    assert store.ping() is True


def test_workers_starting_together_on_an_empty_store_all_come_up(store_url: str) -> None:
    # Every gunicorn worker creates the schema as it starts. On an empty PostgreSQL database the
    # workers' CREATE TABLEs race; the loser used to fail with IntegrityError, and gunicorn then shut
    # the whole server down ("Worker failed to boot").
    import threading

    stores = [Store(store_url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    failures: list[BaseException] = []

    def start(store: Store) -> None:
        barrier.wait()
        try:
            store.create_schema()
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        assert all(s.ping() for s in stores)
    finally:
        for store in stores:
            store.close()


def test_audit_trail_writes_in_batches_off_the_request_path(open_store: Callable[[], Store]) -> None:
    from service.audit import AuditTrail

    store = open_store()
    trail = AuditTrail(store, interval=60.0)
    for i in range(3):
        trail.record(AuditRecord("ivig-order-sign", f"h-{i}", 200, "no-card", [], "v", 1, "p", None))
    assert trail.flush() == 3
    assert [row["hook_instance"] for row in store.load_audit()] == ["h-0", "h-1", "h-2"]
    assert trail.flush() == 0


def test_audit_batch_refused_by_the_store_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from service.audit import AuditTrail

    caplog.set_level("ERROR", logger="ivig_cds")
    logging.getLogger("ivig_cds").addHandler(caplog.handler)  # the service logger does not propagate

    store = Store(f"sqlite:///{tmp_path / 'no-schema.sqlite3'}")  # no tables: every insert fails
    trail = AuditTrail(store, interval=60.0)
    trail.record(AuditRecord("ivig-order-sign", "h-1", 200, "no-card", [], "v", 1, "p", None))
    assert trail.flush() == 0
    logging.getLogger("ivig_cds").removeHandler(caplog.handler)
    assert any(getattr(r, "event", None) == "audit-error" for r in caplog.records)
    store.close()
