"""The version-2 facts read from FHIR (docs/clinical-logic.md): withdrawn reports, report dates, preliminary
NCS, several studies, ultrasound, grip strength, anti-GM1/GalC, administrations against requests."""

from __future__ import annotations

from typing import Any

from cds_hooks.chart import BundleChart
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.extract import extract_facts
from cds_hooks.ivig.offline import assess
from cds_hooks.ivig.queries import PREFETCH_KEYS, build_prefetch
from cds_hooks.ivig.record import Record, read_record
from fixtures.fhir_builders import AS_OF, PATIENT, ivig_order, laterality, local, observation, patient, sct
from fixtures.study_builders import (
    administration,
    antibody,
    diagnostic_report,
    grip_strength,
    motor_segment,
    nerve_area,
)
from tests.ivig.support import default_rules

RULES = default_rules()
ORDER = ivig_order(reason=sct("230591002"))


def motor(oid, nerve, distal, proximal, area, when="2026-05-01"):
    return motor_segment(oid, nerve, distal, proximal, area=area, when=when)


def report(rid, code, results, status="final", when="2026-05-01", conclusion=()):
    return diagnostic_report(rid, code, results, status=status, when=when, conclusion=conclusion)


BLOCKED = motor("seg-block", "median", "wrist", "elbow", (20.0, 7.0))
NORMAL = motor("seg-ulnar", "ulnar", "wrist", "below-elbow", (20.0, 19.0))
WEAK = [
    observation("mrc-fdi", local("mrc-grade"), bodySite=local("first-dorsal-interosseous"), valueInteger=3),
    observation("mrc-apb", local("mrc-grade"), bodySite=local("abductor-pollicis-brevis"), valueInteger=4),
]
for _grade in WEAK:
    _grade["component"] = [laterality("left")]


def facts_of(resources: list[dict[str, Any]]):
    chart = BundleChart([patient(), *resources], build_prefetch(RULES))
    record: Record = read_record(chart, PREFETCH_KEYS, PATIENT, AS_OF)
    return extract_facts(record, RULES)


def cb(resources: list[dict[str, Any]]):
    assessment = assess([patient(), *WEAK, *resources], ORDER, AS_OF, RULES)
    return assessment.conduction_block, assessment.criterion(CriterionId.CB)


def test_a_withdrawn_report_withdraws_its_results():
    block, _ = cb(
        [
            BLOCKED,
            NORMAL,
            report("ncs", "nerve-conduction-study", ["seg-block", "seg-ulnar"], status="entered-in-error"),
        ]
    )
    assert block.status == "unknown" and block.reason == "no study"


def test_a_result_also_listed_by_a_counted_report_still_counts():
    withdrawn = report("old", "nerve-conduction-study", ["seg-block"], status="entered-in-error")
    final = report("new", "nerve-conduction-study", ["seg-block", "seg-ulnar"])
    block, _ = cb([BLOCKED, NORMAL, withdrawn, final])
    assert block.status == "definite"


def test_a_segment_without_a_date_takes_its_report_date():
    old = report("ncs", "nerve-conduction-study", ["seg-block", "seg-ulnar"], when="2024-01-01")  # > 730 days
    undated = [
        motor("seg-block", "median", "wrist", "elbow", (20.0, 7.0), when=None),
        motor("seg-ulnar", "ulnar", "wrist", "below-elbow", (20.0, 19.0), when=None),
    ]
    block, _ = cb([*undated, old])
    assert block.status == "unknown"
    recent = report("ncs", "nerve-conduction-study", ["seg-block", "seg-ulnar"], when="2026-03-01")
    block, criterion = cb([*undated, recent])
    assert block.status == "definite" and any(
        e.date and e.date.isoformat() == "2026-03-01" for e in criterion.evidence
    )


def test_only_a_preliminary_report_gives_its_reason():
    block, _ = cb(
        [
            BLOCKED,
            NORMAL,
            report("ncs", "nerve-conduction-study", ["seg-block", "seg-ulnar"], status="preliminary"),
        ]
    )
    assert block.reason == "preliminary report"


def test_several_reports_are_several_studies():
    early = report("early", "nerve-conduction-study", ["seg-block", "seg-ulnar"], when="2025-06-01")
    late = report("late", "nerve-conduction-study", ["seg-median2", "seg-ulnar2"], when="2026-05-01")
    later = [
        motor("seg-median2", "median", "wrist", "elbow", (20.0, 19.0)),
        motor("seg-ulnar2", "ulnar", "wrist", "below-elbow", (20.0, 19.0)),
    ]
    block, criterion = cb([BLOCKED, NORMAL, *later, early, late])
    assert block.status == "definite" and len(block.studies) == 2 and "not erased" in (criterion.note or "")


def test_ultrasound_measurements_and_reports():
    csa = nerve_area("us-median", "median", "forearm", 11.5)
    facts = facts_of([csa])
    assert [(a.nerve, a.side, a.site, a.area) for a in facts.nerve_areas] == [
        ("median", "left", "forearm", 11.5)
    ]
    us_report = report("us", "nerve-ultrasound", ["us-median"], conclusion=("nerve-enlargement-absent",))
    facts = facts_of([csa, us_report])
    assert facts.ultrasound_conclusion is not None and facts.ultrasound_reports
    assessment = assess([patient(), csa, us_report], ORDER, AS_OF, RULES)
    us = assessment.criterion(CriterionId.S_US)
    assert us.status == "not-met" and "disagree" in (us.note or "")


def test_grip_strength_in_kpa_and_other_units():
    grips = {
        g.side: g.value
        for g in facts_of(
            [grip_strength("g1", "right", 45.0), grip_strength("g2", "left", 30.0, unit="kg")]
        ).grips
    }
    assert grips == {"right": 45.0, "left": None}


def test_anti_gm1_galc_counts_for_s_gm1():
    galc, gm1 = antibody("galc", "anti-gm1-galc-igm", "POS"), antibody("gm1", "anti-gm1-igm", "NEG")
    assessment = assess([patient(), galc, gm1], ORDER, AS_OF, RULES)
    assert assessment.criterion(CriterionId.S_GM1).status == "met"
    old = antibody("gm1", "anti-gm1-igm", "NEG", when="2021-01-01")  # > 1825 days
    assessment = assess([patient(), old], ORDER, AS_OF, RULES)
    assert assessment.criterion(CriterionId.S_GM1).status == "unknown"


def test_courses_come_from_administrations_only():
    request = ivig_order("old-order", status="active", authoredOn="2026-01-01")
    facts = facts_of(
        [request, administration("a1", "2026-05-20"), administration("a2", "2026-05-25", status="not-done")]
    )
    assert [e.reference for e in facts.administrations] == ["MedicationAdministration/a1"]
    assert [e.reference for e in facts.ivig_requests] == ["MedicationRequest/old-order"]
    assessment = assess([patient(), request], ORDER, AS_OF, RULES)
    assert assessment.course is None
    recent = assess([patient(), administration("a1", "2026-05-20")], ORDER, AS_OF, RULES)
    assert recent.outcome is None and recent.row == "3"


def test_a_finding_in_a_report_conclusion_list_is_read():
    # FHIR's DiagnosticReport.conclusionCode is a list; a finding coded there must count (it once did not:
    # the list was read as one CodeableConcept, so a plexus MRI reported as hyperintense stayed unknown).
    mri = diagnostic_report("mri-plexus", "mri-brachial-plexus", [], category="RAD")
    mri["conclusionCode"] = [local("mri-brachial-plexus-t2-hyperintensity")]
    found = facts_of([mri]).findings["mri_plexus"]
    assert found.present is True
    assert found.evidence.reference == "DiagnosticReport/mri-plexus"
