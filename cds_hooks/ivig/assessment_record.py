"""The Assessment record (what was decided and why) and its machine-readable form (card extension, CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cds_hooks.ivig.anatomy import AffectedNerves, nerve_side_label
from cds_hooks.ivig.block import ConductionBlock, StudyVerdict
from cds_hooks.ivig.course import Course
from cds_hooks.ivig.criteria import Criterion
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.facts import Evidence
from cds_hooks.ivig.outcome import Outcome
from cds_hooks.ivig.response import ResponseReview
from cds_hooks.models import JSON


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
    row: str | None = None
    course: Course | None = None
    affected: AffectedNerves | None = None
    cautions: tuple[str, ...] = ()
    history: tuple[Evidence, ...] = ()
    ultrasound_done: bool = False

    def criterion(self, cid: CriterionId) -> Criterion | None:
        """Return the criterion with id `cid`, if evaluated."""
        return next((c for c in self.criteria if c.id == cid), None)

    @property
    def not_documented(self) -> tuple[CriterionId, ...]:
        """Return the ids of criteria whose status is unknown."""
        return tuple(c.id for c in self.criteria if c.status == "unknown")

    def to_json(self) -> JSON:
        """Return the machine-readable assessment (the card extension and the CLI's JSON)."""
        return assessment_json(self)


def _study_json(study: StudyVerdict) -> JSON:
    """Return one study's verdict with its segments."""
    out: JSON = {"level": study.level, "computed": study.computed}
    if study.study.report is not None:
        out["report"] = study.study.report.to_json()
    if study.reported is not None:
        out["reported"] = study.reported
    segments = []
    for v in study.segments:
        seg: JSON = {"reference": v.segment.evidence.reference, "segment": v.segment.evidence.value}
        seg.update({"status": v.status, "reason": v.reason})
        if v.gap:
            seg["gap"] = v.gap
        if v.area_reduction is not None:
            seg["areaReduction"] = v.area_reduction
        if v.duration_increase is not None:
            seg["durationIncrease"] = v.duration_increase
        segments.append(seg)
    if segments:
        out["segments"] = segments
    return out


def conduction_json(block: ConductionBlock) -> JSON:
    """Return the machine-readable conduction block: level, reason, strength, contested, per study."""
    out: JSON = {"status": block.status, "strong": block.strong, "disagreement": block.disagreement}
    if block.reason is not None:
        out["reason"] = block.reason
        out["reasonDetail"] = block.adequacy.detail
    if block.adequacy.to_study:
        out["toStudy"] = [nerve_side_label(p) for p in block.adequacy.to_study]
    if block.erb_only:
        out["erbPointOnly"] = True
    if block.amplitude_based:
        out["amplitudeBased"] = True
    if block.contested:
        out["contested"] = list(block.contested)
    if block.studies:
        out["studies"] = [_study_json(s) for s in block.studies]
    if block.preliminary:
        out["preliminaryReports"] = [e.to_json() for e in block.preliminary]
    return out


def assessment_json(assessment: Assessment) -> JSON:
    """Return the machine-readable assessment: outcome and row, criteria, CB, cautions, rules version."""
    out: JSON = {
        "outcome": assessment.outcome,
        "row": assessment.row,
        "rulesVersion": assessment.rules_version,
        "asOf": assessment.as_of.isoformat(),
        "silence": assessment.silence,
        "orders": list(assessment.order_ids),
        "criteria": [c.to_json() for c in assessment.criteria],
        "notDocumented": [c.value for c in assessment.not_documented],
        "cautions": list(assessment.cautions),
    }
    if assessment.conduction_block is not None and assessment.criteria:
        out["conductionBlock"] = conduction_json(assessment.conduction_block)
    if assessment.response is not None:
        out["responseReview"] = assessment.response.to_json()
    if assessment.history:
        out["ivigHistory"] = [e.to_json() for e in assessment.history]
    return {k: v for k, v in out.items() if v is not None and v != []}
