"""The report's input: audit and feedback rows read from the store, filtered, as plain typed records.

No patient identifier is ever read here: the audit holds a keyed pseudonym only, and free-text
comments are carried only when the caller asks for them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select

from service.store import Store
from service.store_schema import audit_table, feedback_table


@dataclass(frozen=True)
class ReportQuery:
    """Which calls a report covers: a date range (inclusive, UTC days) and optional filters."""

    start: date | None = None
    end: date | None = None
    service: str | None = None
    issuer: str | None = None
    tenant: str | None = None


@dataclass(frozen=True)
class CardInfo:
    """One card of one call, as the audit describes it."""

    uuid: str
    outcome: str | None
    indicator: str | None
    suggestions: dict[str, str] = field(default_factory=dict)  # suggestion uuid -> label

    @property
    def actionable(self) -> bool:
        """Return True when the card offered a suggestion to act on."""
        return bool(self.suggestions)


@dataclass(frozen=True)
class CallRecord:
    """One audited hook call."""

    at: datetime
    service_id: str
    status: int
    outcome: str | None
    cards: tuple[CardInfo, ...]
    rules_version: str | None
    duration_ms: int
    patient: str | None
    issuer: str | None
    tenant: str | None = None
    silent: bool = False
    reason: str | None = None
    fhir_reads: int = 0
    fhir_failures: int = 0
    from_prefetch: int = 0
    hook_instance: str = ""
    hook: str | None = None
    token_used: bool | None = None
    criteria: dict[str, str] = field(default_factory=dict)

    @property
    def day(self) -> date:
        """Return the UTC day of the call."""
        return self.at.date()

    @property
    def in_scope(self) -> bool:
        """Return True when the call was answered and its order was in scope (a card, shown or silent)."""
        return self.status == 200 and self.outcome not in (None, "no-card")


@dataclass(frozen=True)
class FeedbackRecord:
    """One stored feedback item (the comment only when asked for)."""

    service_id: str
    card: str
    outcome: str
    accepted: tuple[str, ...]
    reasons: tuple[tuple[str | None, str | None, str | None], ...]  # (system, code, display)
    has_comment: bool
    comment: str | None
    received_at: datetime
    issuer: str | None = None
    tenant: str | None = None


def _aware(value: datetime) -> datetime:
    """Return `value` with UTC attached when the database dropped the zone (SQLite)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _bounds(query: ReportQuery, history_days: int) -> tuple[datetime | None, datetime | None]:
    """Return the [from, to) instants of the query, `history_days` earlier at the start."""
    low = high = None
    if query.start is not None:
        low = datetime.combine(query.start - timedelta(days=history_days), time.min, UTC)
    if query.end is not None:
        high = datetime.combine(query.end + timedelta(days=1), time.min, UTC)
    return low, high


def _filtered(statement: Select[Any], table: Any, query: ReportQuery, column: str) -> Select[Any]:
    """Return the statement restricted by the query's service, client and tenant filters."""
    if query.service is not None:
        statement = statement.where(table.c.service_id == query.service)
    if query.issuer is not None:
        statement = statement.where(table.c.client_issuer == query.issuer)
    if query.tenant is not None:
        statement = statement.where(table.c.tenant == query.tenant)
    return statement.order_by(table.c[column], table.c.id)


def load_calls(store: Store, query: ReportQuery, *, history_days: int = 0) -> list[CallRecord]:
    """Return the audited calls of the query (plus `history_days` before its start), oldest first."""
    statement = select(audit_table)
    low, high = _bounds(query, history_days)
    if low is not None:
        statement = statement.where(audit_table.c.created_at >= low)
    if high is not None:
        statement = statement.where(audit_table.c.created_at < high)
    statement = _filtered(statement, audit_table, query, "created_at")
    with store.engine.connect() as conn:
        return [_call(row) for row in conn.execute(statement).mappings()]


def _call(row: Any) -> CallRecord:
    """Return the record of one audit row."""
    detail = json.loads(row["cards_detail"]) if row["cards_detail"] else None
    if detail is None:  # a v1 row: card uuids only
        detail = [{"uuid": u, "outcome": row["outcome"]} for u in json.loads(row["card_uuids"])]
    cards = tuple(
        CardInfo(
            uuid=str(d.get("uuid")),
            outcome=d.get("outcome"),
            indicator=d.get("indicator"),
            suggestions=dict(d.get("suggestions") or {}),
        )
        for d in detail
    )
    return CallRecord(
        at=_aware(row["created_at"]),
        service_id=row["service_id"],
        status=int(row["status"]),
        outcome=row["outcome"],
        cards=cards,
        rules_version=row["rules_version"],
        duration_ms=int(row["duration_ms"]),
        patient=row["patient_pseudonym"],
        issuer=row["client_issuer"],
        tenant=row["tenant"],
        silent=bool(row["silent"]),
        reason=row["reason"],
        fhir_reads=int(row["fhir_reads"] or 0),
        fhir_failures=int(row["fhir_failures"] or 0),
        from_prefetch=int(row["from_prefetch"] or 0),
        hook_instance=row["hook_instance"],
        hook=row["hook"],
        token_used=None if row["token_used"] is None else bool(row["token_used"]),
        criteria=dict(json.loads(row["criteria"])) if row["criteria"] else {},
    )


def load_feedback_records(
    store: Store, query: ReportQuery, *, with_comments: bool = False
) -> list[FeedbackRecord]:
    """Return the stored feedback the query covers (received in its range), oldest first."""
    statement = select(feedback_table)
    low, high = _bounds(query, 0)
    if low is not None:
        statement = statement.where(feedback_table.c.received_at >= low)
    if high is not None:
        statement = statement.where(feedback_table.c.received_at < high)
    statement = _filtered(statement, feedback_table, query, "received_at")
    with store.engine.connect() as conn:
        return [_feedback(row, with_comments) for row in conn.execute(statement).mappings()]


def _feedback(row: Any, with_comments: bool) -> FeedbackRecord:
    """Return the record of one feedback row."""
    if row["override_reasons"]:
        many = json.loads(row["override_reasons"])
        reasons = tuple((r.get("system"), r.get("code"), r.get("display")) for r in many if r.get("code"))
    elif row["override_code"]:
        reasons = ((row["override_system"], row["override_code"], row["override_display"]),)
    else:
        reasons = ()
    comment = row["user_comment"]
    return FeedbackRecord(
        service_id=row["service_id"],
        card=row["card_uuid"],
        outcome=row["outcome"],
        accepted=tuple(json.loads(row["accepted_suggestions"])),
        reasons=reasons,
        has_comment=bool(comment),
        comment=comment if with_comments else None,
        received_at=_aware(row["received_at"]),
        issuer=row["client_issuer"],
        tenant=row["tenant"],
    )
