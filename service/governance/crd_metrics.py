"""Per-call metric records in the shape of the Da Vinci CRD `CRDMetricData` logical model.

CRD defines what a site should record about every hook invocation so that implementations can be
compared across organisations; this service is the responding CDS service (CRD's "payer-src" side).
Mapping (documented in docs/governance.md): hookInstance, hookType, requestTime, responseTime and
httpResponse come from the audit row; `issue` carries the refusal reason code and FHIR read failures;
`tokenUsed` says whether fhirAuthorization was given; `resources` counts the data served from prefetch
and read from the FHIR server (resource types are not recorded); `response` lists each card with its
outcome and the engagement its feedback shows. No patient identifier is part of a record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from service.governance.engagement import evaluate_engagement, group_feedback
from service.governance.records import CallRecord, FeedbackRecord

SOURCE = "payer-src"  # CRD's code for the responding service (here: the CDS service, not a payer)


def _iso(value: Any) -> str:
    """Return an instant as ISO 8601 with Z."""
    return str(value.isoformat()).replace("+00:00", "Z")


def _issues(call: CallRecord) -> list[dict[str, str]]:
    """Return the call's issues: its refusal reason and any FHIR read failure."""
    issues = []
    if call.status != 200:
        issues.append({"code": call.reason or f"http-{call.status}", "severity": "error"})
    if call.fhir_failures:
        issues.append({"code": "fhir-read-failed", "severity": "warning", "count": str(call.fhir_failures)})
    return issues


def build_metric_record(
    call: CallRecord, feedback_by_card: dict[str, list[FeedbackRecord]]
) -> dict[str, Any]:
    """Return one call's CRDMetricData-shaped record."""
    engagement = {"accepted": "accepted", "overridden": "overridden", "none": "no-feedback"}
    return {
        "source": SOURCE,
        "hookInstance": call.hook_instance,
        "hookType": call.hook,
        "serviceId": call.service_id,
        "requestTime": _iso(call.at),
        "responseTime": _iso(call.at + timedelta(milliseconds=call.duration_ms)),
        "httpResponse": call.status,
        "issue": _issues(call),
        "tokenUsed": call.token_used,
        "resources": [
            {"prefetch": True, "count": call.from_prefetch},
            {"prefetch": False, "count": call.fhir_reads},
        ],
        "response": [
            {
                "card": card.uuid,
                "type": card.outcome,
                "indicator": card.indicator,
                "silent": call.silent,
                "engagement": "not-shown"
                if call.silent
                else engagement[evaluate_engagement(card.uuid, feedback_by_card)],
            }
            for card in call.cards
        ],
        "rulesVersion": call.rules_version,
        "client": call.issuer,
        "tenant": call.tenant,
    }


def build_metric_records(
    calls: Sequence[CallRecord], feedback: Sequence[FeedbackRecord]
) -> Iterator[dict[str, Any]]:
    """Yield the metric record of every call, oldest first."""
    grouped = group_feedback(feedback)
    for call in calls:
        yield build_metric_record(call, grouped)
