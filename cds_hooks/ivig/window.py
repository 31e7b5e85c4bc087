"""Which dated records a decision may use: not after `as_of`, and within a lookback window."""

from __future__ import annotations

from datetime import date, timedelta

from cds_hooks.ivig.facts import Evidence
from cds_hooks.ivig.fhir_read import codings, reference_of, resource_date
from cds_hooks.models import JSON


def in_window(day: date | None, as_of: date, lookback_days: int | None) -> bool:
    """Return whether a date may count: undated, or within lookback days up to `as_of` inclusive."""
    if day is None:
        return True
    if day > as_of:
        return False
    return lookback_days is None or day >= as_of - timedelta(days=lookback_days)


def evidence_of(resource: JSON, value: str, day: date | None = None) -> Evidence:
    """Return the Evidence of a resource with the value read from it."""
    return Evidence(reference_of(resource), day if day is not None else resource_date(resource), value)


def code_text(concept: object) -> str:
    """Return the codes of a CodeableConcept joined for evidence display (never its free text)."""
    return ", ".join(c.code for c in codings(concept)) or "(no code)"
