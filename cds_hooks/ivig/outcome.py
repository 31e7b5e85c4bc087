"""The outcome table (docs/clinical-logic.md): the first row that applies wins.

Rows 1-2 (exclusions) come before the response review (rows 3-4); rows 5-12 decide for a patient
not on IVIg. The safety principle: a cancel (against-mmn, not-supported, not-responding) only when
the record positively shows what it rests on; thin, conflicting or weak data give `incomplete` or
`specialist-review`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from cds_hooks.ivig.block import ConductionBlock
from cds_hooks.ivig.criteria import Criterion
from cds_hooks.ivig.criterion_ids import EXCLUSIONS, SUPPORTIVE, TRIAD, CriterionId
from cds_hooks.ivig.rules_model import Rules

Outcome = Literal[
    "against-mmn",
    "supported",
    "incomplete",
    "trial-reasonable",
    "specialist-review",
    "not-supported",
    "responding",
    "not-responding",
    "maintenance-review",
    "response-unknown",
]
Decision = tuple[Outcome, str]


def evaluate_exclusion_rows(criteria: Mapping[CriterionId, Criterion], on_ivig: bool) -> Decision | None:
    """Return rows 1-2: a hard exclusion (not on IVIg) argues against MMN; any other asks for review."""
    met = [criteria[x] for x in EXCLUSIONS if criteria[x].status == "met"]
    if not on_ivig and any(c.kind == "hard" for c in met):
        return "against-mmn", "1"
    if met:
        return "specialist-review", "2"
    return None


def supportive_count(criteria: Mapping[CriterionId, Criterion]) -> int:
    """Return how many supportive criteria are met."""
    return sum(1 for s in SUPPORTIVE if criteria[s].status == "met")


def evaluate_diagnosis_rows(
    criteria: Mapping[CriterionId, Criterion], block: ConductionBlock, rules: Rules
) -> Decision:
    """Return rows 5-12 for a patient not on IVIg."""
    status = {cid: c.status for cid, c in criteria.items()}
    multifocal = status[CriterionId.C_MULTIFOCAL]
    if block.status in ("definite", "probable"):
        if block.status == "definite" and block.strong:
            return "supported", "5"
        return ("supported", "6") if multifocal == "met" else ("specialist-review", "6a")
    if block.status == "unknown":
        return "incomplete", "7"
    triad_met = all(status[t] == "met" for t in TRIAD)
    triad_failed = any(status[t] == "not-met" for t in TRIAD)
    exam_clear = status[CriterionId.X_UMN] == "not-met" and status[CriterionId.X_BULBAR] == "not-met"
    supportive = supportive_count(criteria)
    enough = rules.thresholds.supportive_for_possible_mmn
    if (triad_met and exam_clear and multifocal == "met") or supportive >= enough:
        return "trial-reasonable", "8"
    if triad_met and multifocal == "not-met":
        return "specialist-review", "9"
    if triad_failed and supportive >= 1:
        return "specialist-review", "10"
    if triad_failed and block.contested:
        return "specialist-review", "10a"
    if triad_failed and supportive == 0 and status[CriterionId.S_GM1] == "not-met" and exam_clear:
        return "not-supported", "11"
    return "incomplete", "12"
