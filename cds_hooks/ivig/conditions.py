"""Condition status readers: is a Condition active, refuted, confirmed? (FHIR R4 Condition statuses).

The clinical and verification status value sets are FHIR-defined structure, not clinical bindings;
they are matched on code. A missing clinicalStatus counts as active (lenient, docs/clinical-logic.md).
"""

from __future__ import annotations

from cds_hooks.ivig.fhir_read import code_pairs
from cds_hooks.models import JSON

_ACTIVE = frozenset({"active", "recurrence", "relapse"})
_NOT_PRESENT_VERIFICATION = frozenset({"refuted", "entered-in-error"})


def _status_codes(condition: JSON, key: str) -> set[str]:
    """Return the codes of a Condition status CodeableConcept."""
    return {code for _, code in code_pairs(condition.get(key))}


def is_active(condition: JSON) -> bool:
    """Return whether the clinical status is active (or absent)."""
    codes = _status_codes(condition, "clinicalStatus")
    return not codes or bool(codes & _ACTIVE)


def is_refuted(condition: JSON) -> bool:
    """Return whether the verification status is refuted or entered-in-error."""
    return bool(_status_codes(condition, "verificationStatus") & _NOT_PRESENT_VERIFICATION)


def is_confirmed(condition: JSON) -> bool:
    """Return whether the verification status is confirmed."""
    return "confirmed" in _status_codes(condition, "verificationStatus")


def is_present(condition: JSON) -> bool:
    """Return whether a Condition asserts its code now: active and not refuted (docs/clinical-logic.md)."""
    return is_active(condition) and not is_refuted(condition)
