"""Exclusions and C-MULTIFOCAL from facts (docs/clinical-logic.md): required-absent signs, hard and soft."""

from __future__ import annotations

import pytest

from cds_hooks.ivig.anatomy import AffectedNerves
from cds_hooks.ivig.block import evaluate_conduction_block
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.exclusions import evaluate_exclusions, hyperreflexia_caution
from cds_hooks.ivig.facts import SensorySegment
from cds_hooks.ivig.multifocal import evaluate_multifocal
from tests.ivig.fact_builders import BLOCK, coded, empty_facts, ev, findings, grades, seg, study
from tests.ivig.support import default_rules

RULES = default_rules()
CLEAR = {"babinski": False, "clonus": False, "dysarthria": False, "dysphagia": False}
NO_BLOCK = evaluate_conduction_block((), (), AffectedNerves((), (), "none"), RULES)


def exclusion(cid, facts, block=NO_BLOCK, rules=RULES):
    return next(c for c in evaluate_exclusions(facts, block, rules) if c.id == cid)


@pytest.mark.parametrize(
    ("signs", "cid", "status", "kind"),
    [
        ({}, CriterionId.X_UMN, "unknown", None),
        ({"babinski": False}, CriterionId.X_UMN, "unknown", None),  # clonus not documented absent
        ({"babinski": False, "clonus": False}, CriterionId.X_UMN, "not-met", None),
        ({"babinski": True}, CriterionId.X_UMN, "met", "hard"),
        ({"clonus": True}, CriterionId.X_UMN, "met", "hard"),
        ({"spasticity": True}, CriterionId.X_UMN, "met", "hard"),
        ({"hoffmann": True}, CriterionId.X_UMN, "met", "soft"),
        ({"hoffmann": True, "babinski": False, "clonus": False}, CriterionId.X_UMN, "met", "soft"),
        ({"hoffmann": True, "babinski": True}, CriterionId.X_UMN, "met", "hard"),
        ({"hyperreflexia": True}, CriterionId.X_UMN, "unknown", None),  # a caution, never counts
        ({"hyperreflexia": True, "babinski": False, "clonus": False}, CriterionId.X_UMN, "not-met", None),
        ({"dysarthria": False, "dysphagia": False}, CriterionId.X_BULBAR, "not-met", None),
        ({"dysarthria": False}, CriterionId.X_BULBAR, "unknown", None),
        ({"dysarthria": True}, CriterionId.X_BULBAR, "met", "hard"),
        ({"dysphagia": True}, CriterionId.X_BULBAR, "met", "hard"),
        ({"tongue_fasciculations": True}, CriterionId.X_BULBAR, "met", "soft"),
        ({"tongue_atrophy": True, "tongue_fasciculations": True}, CriterionId.X_BULBAR, "met", "soft"),
        ({"tongue_atrophy": True, "dysphagia": True}, CriterionId.X_BULBAR, "met", "hard"),
        ({"objective_sensory_deficit": True}, CriterionId.X_SENSORY, "met", "soft"),
        ({"objective_sensory_deficit": False}, CriterionId.X_SENSORY, "not-met", None),
        ({}, CriterionId.X_SENSORY, "unknown", None),
        ({"respiratory_involvement": True}, CriterionId.X_RESP, "met", "soft"),
        ({"respiratory_involvement": False}, CriterionId.X_RESP, "not-met", None),
    ],
)
def test_sign_exclusions(signs, cid, status, kind):
    found = exclusion(cid, empty_facts(findings=findings(**signs)))
    assert (found.status, found.kind) == (status, kind), found.note


def test_hyperreflexia_is_a_caution_unless_configured():
    facts = empty_facts(findings=findings(hyperreflexia=True))
    assert "compatible with MMN" in (hyperreflexia_caution(facts, RULES) or "")
    rules = default_rules("[thresholds]\nhyperreflexia_excludes = true\n")
    strict = exclusion(CriterionId.X_UMN, facts, rules=rules)
    assert (strict.status, strict.kind) == ("met", "hard") and hyperreflexia_caution(facts, rules) is None


@pytest.mark.parametrize(
    ("pattern", "status", "kind"),
    [
        ("symmetric", "met", "hard"),
        ("asymmetric", "not-met", None),
        (None, "unknown", None),
        ("other", "unknown", None),
    ],
)
def test_symmetric_onset(pattern, status, kind):
    facts = empty_facts(onset_pattern=coded((RULES.local_system, pattern)) if pattern else None)
    found = exclusion(CriterionId.X_SYMMETRIC, facts)
    assert (found.status, found.kind) == (status, kind)


def test_als_diagnosis_and_unreadable_problem_list():
    assert exclusion(CriterionId.X_ALS, empty_facts(als=(ev("Condition/als"),))).kind == "hard"
    assert exclusion(CriterionId.X_ALS, empty_facts()).status == "not-met"
    assert exclusion(CriterionId.X_ALS, empty_facts(conditions_available=False)).status == "unknown"


def _block_with_sensory(nerve: str, side: str, report_coded: tuple[str, ...] = ()):
    facts = empty_facts(grades=grades(("abductor-pollicis-brevis", "left", 3)))
    from cds_hooks.ivig.anatomy import evaluate_affected_nerves

    affected = evaluate_affected_nerves(
        facts, RULES.anatomy.muscle_nerves, RULES.ncs.weak_nerves_to_study, 5.0
    )
    block = evaluate_conduction_block(
        (study(seg("median", **BLOCK), coded=report_coded),), (), affected, RULES
    )
    sensory = (SensorySegment(nerve, side, True, ev()),) if nerve else ()  # type: ignore[arg-type]
    return empty_facts(sensory_segments=sensory, findings=findings(objective_sensory_deficit=False)), block


@pytest.mark.parametrize(
    ("nerve", "side", "report_coded", "status"),
    [
        ("median", "left", (), "met"),
        ("median", "right", (), "not-met"),
        ("ulnar", "left", (), "not-met"),
        (None, None, ("sensory-conduction-abnormal",), "met"),
        (None, None, ("sensory-conduction-normal",), "not-met"),
    ],
)
def test_sensory_conduction_beside_a_block(nerve, side, report_coded, status):
    facts, block = _block_with_sensory(nerve, side, report_coded)
    found = exclusion(CriterionId.X_SENSORY, facts, block)
    assert found.status == status
    if status == "met":
        assert found.kind == "soft"


@pytest.mark.parametrize(
    ("graded", "status"),
    [
        ((), "unknown"),
        ((("first-dorsal-interosseous", "left", 5),), "not-met"),
        ((("first-dorsal-interosseous", "left", 3),), "not-met"),
        ((("first-dorsal-interosseous", "left", 3), ("abductor-digiti-minimi", "left", 4)), "not-met"),
        ((("first-dorsal-interosseous", "left", 3), ("abductor-pollicis-brevis", "left", 4)), "met"),
        ((("flexor-digitorum-profundus", "left", 3), ("abductor-pollicis-brevis", "left", 4)), "not-met"),
        ((("flexor-digitorum-profundus", "left", 3), ("triceps", "left", 4)), "met"),
        ((("first-dorsal-interosseous", "left", 3), ("first-dorsal-interosseous", "right", 4)), "met"),
        ((("first-dorsal-interosseous", None, 3), ("first-dorsal-interosseous", "right", 4)), "not-met"),
        ((("first-dorsal-interosseous", "left", 3), ("quadriceps", "left", 4)), "met"),
        ((("unknown-muscle", "left", 3),), "unknown"),
    ],
)
def test_multifocal(graded, status):
    assert evaluate_multifocal(empty_facts(grades=grades(*graded)), RULES).status == status
