"""Supportive criteria from facts: S-GM1 (anti-GM1, anti-GM1/GalC), S-CSF, S-MRI, S-US."""

from __future__ import annotations

import pytest

from cds_hooks.ivig.facts import Finding, LabResult
from cds_hooks.ivig.supportive import (
    evaluate_csf,
    evaluate_gm1,
    evaluate_mri,
    evaluate_ultrasound,
    ultrasound_done,
)
from tests.ivig.fact_builders import LOCAL, SCT, V3, area, coded, day, empty_facts, ev
from tests.ivig.support import default_rules

RULES = default_rules()
POS, NEG, OTHER = (V3, "POS"), (V3, "NEG"), (SCT, "123")


@pytest.mark.parametrize(
    ("gm1", "galc", "status"),
    [
        (None, None, "unknown"),
        (POS, None, "met"),
        (None, POS, "met"),
        (NEG, POS, "met"),
        (NEG, None, "not-met"),
        (None, NEG, "not-met"),
        (NEG, NEG, "not-met"),
        ((SCT, "10828004"), None, "met"),
        ((SCT, "260385009"), None, "not-met"),
        (OTHER, None, "unknown"),
        (NEG, OTHER, "unknown"),
    ],
)
def test_gm1(gm1, galc, status):
    facts = empty_facts(anti_gm1=coded(gm1) if gm1 else None, anti_gm1_galc=coded(galc) if galc else None)
    assert evaluate_gm1(facts, RULES).status == status


def lab(value, high=None, interpretation=()):
    return LabResult(value, high, frozenset((V3, c) for c in interpretation), ev())


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (None, "unknown"),
        (lab(None), "unknown"),
        (lab(0.75), "met"),
        (lab(0.45), "not-met"),
        (lab(0.46), "met"),
        (lab(1.0), "not-met"),  # >= 1 g/L points away from MMN
        (lab(1.2, interpretation=("H",)), "not-met"),
        (lab(0.40, high=0.35), "met"),
        (lab(0.50, interpretation=("N",)), "not-met"),
    ],
)
def test_csf(result, status):
    assert evaluate_csf(empty_facts(csf_protein=result), RULES).status == status


@pytest.mark.parametrize(
    ("present", "days_ago", "status"),
    [
        (None, 0, "unknown"),
        (True, 100, "met"),
        (False, 100, "not-met"),
        (True, 1826, "unknown"),
        (True, 1825, "met"),
    ],
)
def test_mri_within_the_supportive_lookback(present, days_ago, status):
    found = {} if present is None else {"mri_plexus": Finding("mri_plexus", present, ev(when=day(days_ago)))}
    assert evaluate_mri(empty_facts(findings=found), RULES).status == status


@pytest.mark.parametrize(
    ("areas", "conclusion", "status", "note"),
    [
        ((), None, "unknown", "no nerve ultrasound"),
        ((area("median", "forearm", 10.5),), None, "met", "above its threshold"),
        ((area("median", "forearm", 10.0),), None, "not-met", "at or below"),
        ((area("median", "upper-arm", 13.5),), None, "met", None),
        ((area("median", "upper-arm", 12.0),), None, "not-met", None),
        ((area("brachial-plexus-trunk", "supraclavicular", 8.1),), None, "met", None),
        ((area("brachial-plexus-trunk", None, 8.1),), None, "met", None),
        ((area("ulnar", "forearm", 20.0),), None, "unknown", "no measurement could be judged"),
        ((area("median", "forearm", None),), None, "unknown", None),
        ((area("ulnar", "forearm", 20.0), area("median", "forearm", 9.0)), None, "not-met", None),
        ((area("median", "forearm", 12.0),), "nerve-enlargement-absent", "not-met", "disagree"),
        ((area("median", "forearm", 8.0),), "nerve-enlargement-present", "met", "disagree"),
        ((), "nerve-enlargement-present", "met", None),
        ((), "nerve-enlargement-absent", "not-met", None),
    ],
)
def test_ultrasound(areas, conclusion, status, note):
    facts = empty_facts(
        nerve_areas=areas, ultrasound_conclusion=coded((LOCAL, conclusion)) if conclusion else None
    )
    found = evaluate_ultrasound(facts, RULES)
    assert found.status == status, found.note
    if note:
        assert note in (found.note or "")


def test_an_ultrasound_judged_neither_way_counts_as_done():
    facts = empty_facts(nerve_areas=(area("ulnar", "forearm", 20.0),))
    assert ultrasound_done(facts) and not ultrasound_done(empty_facts())
    assert ultrasound_done(empty_facts(ultrasound_reports=(ev("DiagnosticReport/us"),)))
