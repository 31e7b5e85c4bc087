"""A store created by v1 (no governance columns) keeps working: columns are added, old rows still read."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import MetaData, Table, UniqueConstraint, create_engine, inspect, text

from service.governance.records import ReportQuery, load_calls, load_feedback_records
from service.store import AuditRecord, Store, metadata

NEW_COLUMNS = {
    "audit": {"hook", "tenant", "silent", "reason", "fhir_reads", "fhir_failures", "from_prefetch"}
    | {"token_used", "cards_detail", "criteria"},
    "feedback": {"override_reasons", "client_issuer", "tenant"},
}
V1_ROWS = (
    """INSERT INTO audit (service_id, hook_instance, status, outcome, card_uuids, rules_version,
    duration_ms, patient_pseudonym, client_issuer, created_at) VALUES ('ivig-order-sign', 'h-1', 200,
    'supported', '["card-1"]', '2.0.0', 40, 'abc', 'https://ehr.example.org', '2026-11-02 10:00:00')""",
    """INSERT INTO feedback (service_id, card_uuid, outcome, accepted_suggestions, override_code,
    outcome_timestamp, received_at) VALUES ('ivig-order-sign', 'card-1', 'overridden', '[]',
    'specialist-recommendation', '2026-11-02T10:05:00Z', '2026-11-02 10:05:00')""",
)


def create_v1_store(url: str) -> None:
    """Create the tables as v1 did (without the governance columns) and one row of each."""
    v1 = MetaData()
    for table in metadata.sorted_tables:
        keep = [c._copy() for c in table.columns if c.name not in NEW_COLUMNS.get(table.name, set())]
        uniques = [
            UniqueConstraint(*[c.name for c in u.columns], name=u.name)
            for u in table.constraints
            if isinstance(u, UniqueConstraint)
        ]
        Table(table.name, v1, *keep, *uniques)
    engine = create_engine(url)
    try:
        v1.create_all(engine)
        with engine.begin() as conn:
            for statement in V1_ROWS:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def test_a_v1_store_is_upgraded_in_place_and_its_rows_still_read(store_url: str) -> None:
    create_v1_store(store_url)
    engine = create_engine(store_url)
    assert "silent" not in {c["name"] for c in inspect(engine).get_columns("audit")}
    engine.dispose()
    store = Store(store_url)
    try:
        store.create_schema()
        store.create_schema()  # a second start finds nothing to add
        columns = {c["name"] for c in inspect(store.engine).get_columns("audit")}
        assert {"silent", "tenant", "reason", "cards_detail", "criteria"} <= columns
        store.save_audit(
            AuditRecord("ivig-order-sign", "h-2", 403, None, [], "2.0.0", 3, None, None, reason="fhir-server")
        )
        calls = load_calls(store, ReportQuery())
        assert [(c.hook_instance, c.status, c.silent) for c in calls] == [
            ("h-1", 200, False),
            ("h-2", 403, False),
        ]
        assert calls[0].cards[0].uuid == "card-1" and calls[0].cards[0].outcome == "supported"
        assert calls[0].at == datetime(2026, 11, 2, 10, tzinfo=UTC)
        (item,) = load_feedback_records(store, ReportQuery(start=date(2026, 11, 1)))
        assert item.reasons == ((None, "specialist-recommendation", None),)
    finally:
        store.close()
