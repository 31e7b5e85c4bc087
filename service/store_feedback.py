"""Feedback as the store keeps it: the row of one feedback item, and a stored row as plain data for export."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cds_hooks.models import Feedback


def feedback_row(service_id: str, item: Feedback) -> dict[str, Any]:
    """Return the table row for one feedback item."""
    reason = item.override_reason
    coding = reason.reason if reason else None
    return {
        "service_id": service_id,
        "card_uuid": item.card,
        "outcome": item.outcome,
        "accepted_suggestions": json.dumps(list(item.accepted_suggestions)),
        "override_system": coding.system if coding else None,
        "override_code": coding.code if coding else None,
        "override_display": coding.display if coding else None,
        "user_comment": reason.user_comment if reason else None,
        "override_reasons": _reasons_json(item),
        "outcome_timestamp": item.outcome_timestamp,
        "received_at": datetime.now(UTC),
    }


def _reasons_json(item: Feedback) -> str | None:
    """Return every override reason as JSON when there are several (one fits the single columns)."""
    if len(item.override_reasons) < 2:
        return None
    return json.dumps(
        [
            {
                "system": r.reason.system if r.reason else None,
                "code": r.reason.code if r.reason else None,
                "display": r.reason.display if r.reason else None,
                "userComment": r.user_comment,
            }
            for r in item.override_reasons
        ]
    )


def feedback_export(row: Any) -> dict[str, Any]:
    """Return one feedback row as the export's JSON object."""
    received = row["received_at"]
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    reason = {
        k: v
        for k, v in {
            "system": row["override_system"],
            "code": row["override_code"],
            "display": row["override_display"],
            "userComment": row["user_comment"],
        }.items()
        if v is not None
    }
    record = {
        "serviceId": row["service_id"],
        "card": row["card_uuid"],
        "outcome": row["outcome"],
        "acceptedSuggestions": json.loads(row["accepted_suggestions"]),
        "overrideReason": reason,
        "outcomeTimestamp": row["outcome_timestamp"],
        "receivedAt": received.isoformat(),
    }
    if not reason:
        del record["overrideReason"]
    return record
