"""The one upper-limit verdict of a lab result (T-CK, S-CSF): own range, else interpretation, else default."""

from __future__ import annotations

from dataclasses import dataclass

from cds_hooks.ivig.facts import LabResult
from cds_hooks.ivig.rules_model import Rules


@dataclass(frozen=True)
class UpperLimitVerdict:
    """Whether a value lies above its upper limit, the limit used (None: interpretation) and its basis."""

    above: bool
    limit: float | None
    basis: str


def evaluate_upper_limit(
    result: LabResult, default_limit: float, default_basis: str, rules: Rules
) -> UpperLimitVerdict | None:
    """Return the verdict against the result's `referenceRange.high`, else H/HH or N/L, else the default."""
    if result.value is None:
        return None
    if result.high is not None:
        return UpperLimitVerdict(result.value > result.high, result.high, "reference range")
    if rules.interpretation.high.holds_any(result.interpretation):
        return UpperLimitVerdict(True, None, "interpreted high")
    if rules.interpretation.normal.holds_any(result.interpretation):
        return UpperLimitVerdict(False, None, "interpreted normal")
    return UpperLimitVerdict(result.value > default_limit, default_limit, default_basis)
