"""Synthetic history for the demonstration and the tests: weeks of hook calls and feedback, one malfunction.

Two demo clients call the service: one live, one in silent (shadow) mode. Near the end a site rules
override changes a code mapping so that IVIg orders stop being recognised (the kind of fault that
silently stops an alert): in-scope calls and the card rate collapse, and the report must flag it.
Everything is drawn from a seeded random generator, so a seed gives the same history every time.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from cds_hooks.models import Coding, Feedback, OverrideReasonFeedback
from service.store import AuditRecord, Store

LIVE_CLIENT = "https://ehr-a.example.org"
SILENT_CLIENT = "https://ehr-b.example.org"
SERVICE = "ivig-order-sign"
LOCAL_SYSTEM = "http://ivig-cds.org/fhir/CodeSystem/lmn-assessment"
CRITERIA = (
    "X-UMN",
    "X-BULBAR",
    "X-SENSORY",
    "X-RESP",
    "X-SYMMETRIC",
    "X-ALS",
    "CB",
    "T-ONSET",
    "T-EMG",
    "T-CK",
)
OVERRIDE_CODES = (
    ("cb-documented-elsewhere", "Conduction block documented outside this record"),
    ("specialist-recommendation", "Neuromuscular specialist recommendation"),
    ("time-limited-trial-planned", "Time-limited trial with objective outcome measures planned"),
    ("patient-preference-informed", "Patient preference after informed discussion"),
)
# outcome -> (weight, indicator, suggestion labels)
OUTCOMES = {
    "trial-reasonable": (25, "info", ()),
    "supported": (20, "info", ()),
    "incomplete": (20, "info", ("Order nerve conduction study with proximal stimulation",)),
    "not-supported": (15, "warning", ("Cancel the IVIg order",)),
    "against-mmn": (10, "warning", ("Cancel the IVIg order",)),
    "responding": (5, "info", ()),
    "not-responding": (5, "warning", ("Cancel the IVIg order",)),
}


@dataclass(frozen=True)
class HistoryPlan:
    """What to seed: the last day, how many days, when the mapping change breaks scope, the seed."""

    end: date
    days: int = 42
    malfunction_days: int = 4  # the last N days run with the broken mapping (0: no malfunction)
    calls_per_day: int = 24
    seed: int = 13
    rules_version: str = "2026.11.0"

    @property
    def malfunction_start(self) -> date | None:
        """Return the first day of the malfunction, None without one."""
        return self.end - timedelta(days=self.malfunction_days - 1) if self.malfunction_days else None


@dataclass
class SeededHistory:
    """What was written, for the caller to print or check."""

    calls: int = 0
    feedback: int = 0
    malfunction_start: date | None = None


def _criteria(rng: random.Random, outcome: str) -> dict[str, str]:
    """Return plausible criterion statuses for an outcome (no evidence, statuses only)."""
    statuses = {
        cid: "not-met" if cid.startswith("X-") else rng.choice(("met", "not-met", "unknown"))
        for cid in CRITERIA
    }
    if outcome == "against-mmn":
        statuses["X-UMN"] = "met"
    if outcome == "supported":
        statuses["CB"] = "met"
    return statuses


def _card(rng: random.Random, outcome: str) -> dict[str, object]:
    """Return the audit's description of one card."""
    _, indicator, labels = OUTCOMES[outcome]
    suggestions = {str(uuid.UUID(int=rng.getrandbits(128))): label for label in labels}
    return {
        "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
        "outcome": outcome,
        "indicator": indicator,
        "suggestions": suggestions,
    }


def _status(rng: random.Random) -> tuple[int, str | None]:
    """Return the HTTP status and refusal reason of one synthetic call."""
    draw = rng.random()
    if draw < 0.02:
        return 412, "data-unavailable"
    if draw < 0.03:
        return 401, "authentication"
    if draw < 0.035:
        return 403, "fhir-server-not-allowed"
    return 200, None


def build_call(rng: random.Random, at: datetime, plan: HistoryPlan, patients: list[str]) -> AuditRecord:
    """Return one synthetic audit record."""
    broken = plan.malfunction_start is not None and at.date() >= plan.malfunction_start
    silent = rng.random() < 0.3
    status, reason = _status(rng)
    in_scope = status == 200 and rng.random() < (0.03 if broken else 0.55)
    outcome = (
        rng.choices(list(OUTCOMES), weights=[w for w, _, _ in OUTCOMES.values()])[0] if in_scope else None
    )
    cards = [_card(rng, outcome)] if outcome else []
    prefetched = rng.random() < 0.8
    return AuditRecord(
        service_id=SERVICE,
        hook_instance=str(uuid.UUID(int=rng.getrandbits(128))),
        status=status,
        outcome=outcome or ("no-card" if status == 200 else None),
        card_uuids=[str(c["uuid"]) for c in cards],
        rules_version=f"{plan.rules_version}+site-mapping-2" if broken else plan.rules_version,
        duration_ms=int(rng.lognormvariate(4.0 if prefetched else 5.0, 0.4)),
        patient_pseudonym=rng.choice(patients),
        client_issuer=SILENT_CLIENT if silent else LIVE_CLIENT,
        hook="order-sign",
        tenant="north" if silent else "south",
        silent=silent,
        reason=reason,
        fhir_reads=0 if prefetched or not in_scope else rng.randint(3, 6),
        fhir_failures=1 if not prefetched and in_scope and rng.random() < 0.05 else 0,
        from_prefetch=6 if prefetched and in_scope else 0,
        token_used=not prefetched,
        cards_detail=cards,
        criteria=_criteria(rng, outcome) if outcome else None,
        created_at=at,
    )


def build_feedback(rng: random.Random, record: AuditRecord) -> list[Feedback]:
    """Return the feedback a clinician sent about a shown card (often none)."""
    if record.silent or not record.cards_detail or rng.random() > 0.6:
        return []
    card = record.cards_detail[0]
    suggestions = dict(card["suggestions"])
    at = (record.created_at or datetime.now(UTC)) + timedelta(minutes=rng.randint(1, 90))
    stamp = at.isoformat().replace("+00:00", "Z")
    if suggestions and rng.random() < 0.35:
        return [Feedback(str(card["uuid"]), "accepted", stamp, accepted_suggestions=tuple(suggestions))]
    if not suggestions and rng.random() > 0.2:
        return []
    code, display = rng.choice(OVERRIDE_CODES)
    comment = "discussed with neuromuscular team" if rng.random() < 0.1 else None
    reason = OverrideReasonFeedback(Coding(LOCAL_SYSTEM, code, display), comment)
    return [
        Feedback(str(card["uuid"]), "overridden", stamp, override_reason=reason, override_reasons=(reason,))
    ]


def _received(record: AuditRecord) -> datetime:
    """Return when the feedback about a record's card arrived (after the call; EHRs batch it)."""
    return (record.created_at or datetime.now(UTC)) + timedelta(hours=2)


def save_history(store: Store, plan: HistoryPlan) -> SeededHistory:
    """Write the planned synthetic history into the store; return what was written."""
    rng = random.Random(plan.seed)  # noqa: S311 - synthetic data, not security
    patients = [f"{rng.getrandbits(128):032x}" for _ in range(150)]
    seeded = SeededHistory(malfunction_start=plan.malfunction_start)
    for offset in range(plan.days - 1, -1, -1):
        day = plan.end - timedelta(days=offset)
        count = sum(1 for _ in range(plan.calls_per_day * 2) if rng.random() < 0.5)
        start = datetime.combine(day, time(7, 0), UTC)
        records = [
            build_call(rng, start + timedelta(seconds=rng.randint(0, 12 * 3600)), plan, patients)
            for _ in range(count)
        ]
        store.save_audit_batch(records)
        seeded.calls += len(records)
        for record in records:
            items = build_feedback(rng, record)
            if items:
                seeded.feedback += store.save_feedback(
                    SERVICE,
                    items,
                    client=(record.client_issuer, record.tenant),
                    received_at=record.created_at,
                )
    return seeded
