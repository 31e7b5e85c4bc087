"""The CB criterion shown on cards: the patient-level block, its evidence and reason (EFNS2010)."""

from __future__ import annotations

from cds_hooks.ivig.block import ConductionBlock, StudyVerdict
from cds_hooks.ivig.criteria import Criterion, Status, unique
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.facts import Evidence


def _study_evidence(study: StudyVerdict) -> list[Evidence]:
    """Return a study's report and the segments that decided its level."""
    blocked = [v.segment.evidence for v in study.segments if v.blocked]
    usable = [v.segment.evidence for v in study.segments if v.usable]
    report = [study.study.report] if study.study.report is not None else []
    return report + (blocked or usable)


def _all_evidence(study: StudyVerdict) -> list[Evidence]:
    """Return a study's report and every segment it holds."""
    report = [study.study.report] if study.study.report is not None else []
    return report + [v.segment.evidence for v in study.segments]


def _strength(block: ConductionBlock) -> str:
    """Return the wording of weak CB evidence, or ''."""
    if block.strong:
        return ""
    if block.erb_only:
        return " (only at Erb's point: weak evidence)"
    if block.amplitude_based:
        return " (amplitude-based, lower certainty: weak evidence)"
    return " (weak evidence)"


def evaluate_cb(block: ConductionBlock) -> Criterion:
    """Return CB: met for definite/probable, not met for absent, else unknown with its reason."""
    cid = CriterionId.CB
    studies = "; ".join(f"{s.label}: {s.level}" for s in block.studies)
    if block.status == "unknown":  # every segment read, so the card shows what the study lacked
        evidence = unique(e for s in block.studies for e in _all_evidence(s))
        evidence += block.preliminary
        note = f"{block.reason}: {block.adequacy.detail}" if block.adequacy.detail else str(block.reason)
        return Criterion(cid, "unknown", unique(evidence), note, block.status)
    status: Status = "met" if block.status in ("definite", "probable") else "not-met"
    deciding = (
        [s for s in block.studies if s.level == block.status] if status == "met" else list(block.studies)
    )
    evidence = unique(e for s in deciding for e in _study_evidence(s))
    if status == "met":
        note = f"{block.status} conduction block{_strength(block)}"
        if len(block.studies) > 1:
            note += f"; studies: {studies} (a block in one study is not erased by another)"
    else:
        note = f"no conduction block in an adequate study ({studies})"
    return Criterion(cid, status, evidence, note, block.status)
