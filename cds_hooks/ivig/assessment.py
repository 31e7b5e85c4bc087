"""The assessment: criteria, conduction block, response review and the outcome (clinical-rules §4).

The outcome table is applied in order; the first row that applies wins. `outcome` None means the
service stays silent (`silence` says why: not in scope, or IVIg started too recently to review).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from cds_hooks.ivig.conduction import ConductionBlock, evaluate_conduction_block
from cds_hooks.ivig.criteria import (
    BULBAR_SIGNS,
    Criterion,
    evaluate_als,
    evaluate_cb,
    evaluate_coded,
    evaluate_finding_group,
    evaluate_sensory,
    evaluate_umn,
)
from cds_hooks.ivig.criterion_ids import EXCLUSIONS, SUPPORTIVE, TRIAD, CriterionId
from cds_hooks.ivig.facts import Facts
from cds_hooks.ivig.response import ResponseReview, days_since, evaluate_response, first_exposure
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.ivig.supportive import evaluate_csf, evaluate_gm1, evaluate_mri
from cds_hooks.ivig.triad import evaluate_ck, evaluate_emg, evaluate_onset
from cds_hooks.models import JSON

Outcome = Literal[
    "against-mmn",
    "supported",
    "incomplete",
    "trial-reasonable",
    "not-supported",
    "responding",
    "not-responding",
    "response-unknown",
]


@dataclass(frozen=True)
class Assessment:
    """What the service decided for one patient and IVIg order, and why."""

    outcome: Outcome | None
    rules_version: str
    as_of: date
    order_ids: tuple[str, ...] = ()
    criteria: tuple[Criterion, ...] = ()
    conduction_block: ConductionBlock | None = None
    response: ResponseReview | None = None
    silence: str | None = None

    def criterion(self, cid: CriterionId) -> Criterion | None:
        """Return the criterion with id `cid`, if evaluated."""
        return next((c for c in self.criteria if c.id == cid), None)

    @property
    def not_documented(self) -> tuple[CriterionId, ...]:
        """Return the ids of criteria whose status is unknown."""
        return tuple(c.id for c in self.criteria if c.status == "unknown")

    def to_json(self) -> JSON:
        """Return the machine-readable assessment (the card extension and the CLI's JSON)."""
        out: JSON = {
            "outcome": self.outcome,
            "rulesVersion": self.rules_version,
            "asOf": self.as_of.isoformat(),
        }
        if self.silence:
            out["silence"] = self.silence
        if self.order_ids:
            out["orders"] = list(self.order_ids)
        if self.criteria:
            out["criteria"] = [c.to_json() for c in self.criteria]
            out["notDocumented"] = list(self.not_documented)
        if self.conduction_block is not None:
            out["conductionBlock"] = conduction_json(self.conduction_block)
        if self.response is not None:
            out["responseReview"] = self.response.to_json()
        return {k: v for k, v in out.items() if v is not None and v != []}


def conduction_json(block: ConductionBlock) -> JSON:
    """Return the machine-readable conduction-block details, one entry per segment."""
    out: JSON = {"status": block.status, "computed": block.computed, "disagreement": block.disagreement}
    if block.reported is not None:
        out["reported"] = block.reported
    if block.reported_evidence is not None:
        out["reportedEvidence"] = block.reported_evidence.to_json()
    segments = []
    for v in block.segments:
        seg: JSON = {"reference": v.segment.evidence.reference, "segment": v.segment.evidence.value}
        seg.update({"status": v.status, "reason": v.reason})
        if v.area_reduction is not None:
            seg["areaReduction"] = v.area_reduction
        if v.duration_increase is not None:
            seg["durationIncrease"] = v.duration_increase
        segments.append(seg)
    if segments:
        out["segments"] = segments
    return out


def evaluate_criteria(facts: Facts, rules: Rules) -> tuple[tuple[Criterion, ...], ConductionBlock]:
    """Return every criterion of clinical-rules §3 and the conduction block it rests on."""
    block = evaluate_conduction_block(facts.motor_segments, facts.ncs_cb_conclusion, rules)
    v = rules.values
    criteria = (
        evaluate_umn(facts, rules),
        evaluate_finding_group(CriterionId.X_BULBAR, BULBAR_SIGNS, facts),
        evaluate_sensory(facts, block, rules),
        evaluate_finding_group(CriterionId.X_RESP, ("respiratory_involvement",), facts),
        evaluate_coded(
            CriterionId.X_SYMMETRIC,
            facts.onset_pattern,
            v.symmetric_onset,
            v.asymmetric_onset,
            "not documented",
        ),
        evaluate_als(facts),
        evaluate_cb(block),
        evaluate_onset(facts, rules),
        evaluate_emg(facts, rules),
        evaluate_ck(facts, rules),
        evaluate_gm1(facts, rules),
        evaluate_csf(facts, rules),
        evaluate_mri(facts),
    )
    return criteria, block


def evaluate_outcome(criteria: Sequence[Criterion], rules: Rules) -> Outcome:
    """Return the outcome of rows 2-7 of the outcome table (first row that applies wins)."""
    status = {c.id: c.status for c in criteria}
    if any(status[x] == "met" for x in EXCLUSIONS):
        return "against-mmn"
    if status[CriterionId.CB] == "met":
        return "supported"
    if status[CriterionId.CB] == "unknown":
        return "incomplete"
    supportive = sum(1 for s in SUPPORTIVE if status[s] == "met")
    if all(status[t] == "met" for t in TRIAD) or supportive >= rules.thresholds.supportive_for_possible_mmn:
        return "trial-reasonable"
    if any(status[t] == "not-met" for t in TRIAD):
        return "not-supported"
    return "incomplete"


def evaluate_assessment(facts: Facts, rules: Rules, as_of: date, order_ids: Sequence[str]) -> Assessment:
    """Return the assessment of an in-scope IVIg order: response review first, else the criteria."""
    criteria, block = evaluate_criteria(facts, rules)
    base = Assessment(None, rules.version, as_of, tuple(order_ids), criteria, block)
    first = first_exposure(facts.exposures)
    if first is not None:
        elapsed = days_since(first, as_of)
        if elapsed < rules.thresholds.response_min_days:
            silence = (
                f"IVIg started {elapsed} days ago; response review after {rules.thresholds.response_min_days}"
            )
            return replace(base, silence=silence)
        review = evaluate_response(first, facts.sum_scores, rules)
        return replace(base, outcome=review.status, response=review)
    return replace(base, outcome=evaluate_outcome(criteria, rules))


def out_of_scope(rules: Rules, as_of: date) -> Assessment:
    """Return the silent assessment of a call that is not in scope."""
    return Assessment(None, rules.version, as_of, silence="not in scope: no IVIg order for an LMN indication")
