"""The assessment: criteria, conduction block, IVIg course, response review and the outcome.

The outcome table (`outcome`) is applied in order; the first row that applies wins. `outcome` None
means the service stays silent (`silence` says why: not in scope, or the course began too recently
to review). `evaluate_assessment` is the API other services (patient-view) reuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from cds_hooks.ivig.anatomy import AffectedNerves, evaluate_affected_nerves
from cds_hooks.ivig.assessment_record import Assessment
from cds_hooks.ivig.block import ConductionBlock, evaluate_conduction_block

__all__ = ["Assessment", "evaluate_assessment", "evaluate_criteria", "out_of_scope"]
from cds_hooks.ivig.cautions import evaluate_cautions
from cds_hooks.ivig.cb_criterion import evaluate_cb
from cds_hooks.ivig.course import evaluate_current_course
from cds_hooks.ivig.criteria import Criterion
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.exclusions import evaluate_exclusions
from cds_hooks.ivig.facts import Facts
from cds_hooks.ivig.multifocal import evaluate_multifocal
from cds_hooks.ivig.outcome import evaluate_diagnosis_rows, evaluate_exclusion_rows
from cds_hooks.ivig.response import evaluate_response
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.ivig.supportive import (
    evaluate_csf,
    evaluate_gm1,
    evaluate_mri,
    evaluate_ultrasound,
    ultrasound_done,
)
from cds_hooks.ivig.triad import evaluate_ck, evaluate_emg, evaluate_onset


def evaluate_criteria(
    facts: Facts, rules: Rules
) -> tuple[tuple[Criterion, ...], ConductionBlock, AffectedNerves]:
    """Return every criterion (card order), the conduction block and the affected nerves it was judged on."""
    t = rules.thresholds
    affected = evaluate_affected_nerves(
        facts, rules.anatomy.muscle_nerves, rules.ncs.weak_nerves_to_study, t.mrc_normal_grade
    )
    block = evaluate_conduction_block(facts.studies, facts.preliminary_ncs, affected, rules)
    criteria = (
        *evaluate_exclusions(facts, block, rules),
        evaluate_multifocal(facts, rules),
        evaluate_cb(block),
        evaluate_onset(facts, rules),
        evaluate_emg(facts, rules),
        evaluate_ck(facts, rules),
        evaluate_gm1(facts, rules),
        evaluate_csf(facts, rules),
        evaluate_mri(facts, rules),
        evaluate_ultrasound(facts, rules),
    )
    return criteria, block, affected


def evaluate_assessment(facts: Facts, rules: Rules, as_of: date, order_ids: Sequence[str]) -> Assessment:
    """Return the assessment of an in-scope IVIg order: exclusions, then the response review, then CB."""
    criteria, block, affected = evaluate_criteria(facts, rules)
    course = evaluate_current_course(facts.administrations, as_of, rules)
    base = Assessment(
        None,
        rules.version,
        as_of,
        tuple(order_ids),
        criteria,
        block,
        course=course,
        affected=affected,
        history=facts.administrations + facts.ivig_requests,
        ultrasound_done=ultrasound_done(facts),
    )
    by_id = {c.id: c for c in criteria}
    decided = _decide(base, by_id, facts, rules)
    return replace(decided, cautions=evaluate_cautions(decided, facts, rules))


def _decide(base: Assessment, by_id: dict[CriterionId, Criterion], facts: Facts, rules: Rules) -> Assessment:
    """Return the assessment with the first outcome row that applies."""
    course, block = base.course, base.conduction_block
    excluded = evaluate_exclusion_rows(by_id, course is not None)
    if excluded is not None:
        return replace(base, outcome=excluded[0], row=excluded[1])
    if course is not None:
        elapsed = (base.as_of - course.start).days
        minimum = rules.thresholds.response_min_days
        if elapsed < minimum:
            silence = f"IVIg course began {elapsed} days ago; response review after {minimum}"
            return replace(base, row="3", silence=silence)
        review = evaluate_response(facts, course, base.as_of, rules)
        return replace(base, outcome=review.status, row="4", response=review)
    assert block is not None
    outcome, row = evaluate_diagnosis_rows(by_id, block, rules)
    return replace(base, outcome=outcome, row=row)


def out_of_scope(rules: Rules, as_of: date) -> Assessment:
    """Return the silent assessment of a call that is not in scope."""
    silence = "not in scope: no IVIg order for an LMN indication"
    return Assessment(None, rules.version, as_of, silence=silence, row="0")
