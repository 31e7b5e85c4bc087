"""Criteria from record resources: CK, findings, triad, EMG (clinical-rules §3, contract §2-§6)."""

from __future__ import annotations

from typing import Any

import pytest

from cds_hooks.ivig.offline import assess
from tests.ivig.builders import (
    AS_OF,
    LOCAL,
    SNOMED,
    cc,
    ck,
    condition,
    default_rules,
    finding_obs,
    ivig_order,
    laterality,
    observation,
    patient,
)

RULES = default_rules()


def status(resources: list[dict[str, Any]], cid: str, gender: str | None = "male") -> str:
    record = [patient(gender), *resources]
    assessment = assess(record, ivig_order(reason="230591002"), AS_OF, RULES)
    criterion = assessment.criterion(cid)
    assert criterion is not None
    return criterion.status


@pytest.mark.parametrize(
    ("resources", "gender", "expected"),
    [
        ([], "male", "unknown"),
        ([ck("c", 300)], "male", "met"),
        ([ck("c", 300)], "female", "not-met"),
        ([ck("c", 192)], None, "met"),
        ([ck("c", 193)], None, "not-met"),
        ([ck("c", 400, high=500)], "female", "met"),
        ([ck("c", 250, high=200)], "male", "not-met"),
        ([ck("c", 999, interpretation="N")], "male", "met"),
        ([ck("c", 10, interpretation="H")], "male", "not-met"),
        ([ck("c", 5, unit="ukat/L")], "male", "met"),  # 300 U/L
        ([ck("c", 6, unit="ukat/L")], "female", "not-met"),  # 360 U/L
        ([ck("c", 100, unit="[IU]/L")], "male", "met"),
        ([ck("c", 100, unit="mg/dL")], "male", "unknown"),
        ([ck("c", 100, when="2025-05-01")], "male", "unknown"),  # outside 365 d
        ([ck("c", 100, status="entered-in-error")], "male", "unknown"),
        ([ck("c", 100, subject={"reference": "Patient/other"})], "male", "unknown"),
        ([ck("c", 100, subject={"reference": "https://ehr.example/fhir/Patient/p1"})], "male", "met"),
        ([ck("old", 900, when="2026-01-01"), ck("new", 100, when="2026-05-01")], "male", "met"),
        ([ck("dated", 900, when="2026-01-01"), ck("undated", 100, when="x")], "male", "not-met"),
    ],
)
def test_ck(resources, gender, expected):
    assert status(resources, "T-CK", gender) == expected


@pytest.mark.parametrize(
    ("resources", "cid", "expected"),
    [
        ([finding_obs("h", "86854008", True)], "X-UMN", "unknown"),  # hyperreflexia alone
        ([finding_obs("h", "86854008", True), finding_obs("b", "246586009", False)], "X-UMN", "unknown"),
        (
            [
                finding_obs("h", "86854008", True),
                finding_obs("b", "246586009", False),
                finding_obs("c", "36649002", False),
            ],
            "X-UMN",
            "not-met",
        ),
        ([finding_obs("b", "246586009", True)], "X-UMN", "met"),
        ([finding_obs("b", "hoffmann-sign", True, LOCAL)], "X-UMN", "met"),
        ([condition("s", "221360009")], "X-UMN", "met"),
        ([condition("s", "221360009", verification="refuted")], "X-UMN", "unknown"),
        (
            [
                condition("s", "221360009", verification="refuted"),
                finding_obs("b", "246586009", False),
                finding_obs("c", "36649002", False),
            ],
            "X-UMN",
            "not-met",
        ),
        (
            [
                condition("s", "221360009", clinical="resolved"),
                finding_obs("b", "246586009", False),
                finding_obs("c", "36649002", False),
            ],
            "X-UMN",
            "not-met",
        ),
        (
            [
                finding_obs("a", "246586009", True, when="2026-01-01"),
                finding_obs("b", "246586009", False),
                finding_obs("c", "36649002", False),
            ],
            "X-UMN",
            "not-met",
        ),
        (
            [finding_obs("a", "246586009", False, when="2026-01-01"), finding_obs("b", "246586009", True)],
            "X-UMN",
            "met",
        ),
        (
            [observation("v", "8011004", SNOMED, valueCodeableConcept=cc("52101004", SNOMED))],
            "X-BULBAR",
            "met",
        ),
        (
            [observation("v", "8011004", SNOMED, valueCodeableConcept=cc("2667000", SNOMED))],
            "X-BULBAR",
            "unknown",
        ),
        (
            [
                observation("v", "8011004", SNOMED, valueCodeableConcept=cc("2667000", SNOMED)),
                finding_obs("d", "40739000", False),
            ],
            "X-BULBAR",
            "not-met",
        ),
        ([finding_obs("r", "respiratory-involvement", True, LOCAL)], "X-RESP", "met"),
        ([finding_obs("s", "objective-sensory-deficit", False, LOCAL)], "X-SENSORY", "not-met"),
        (
            [observation("o", "weakness-onset-pattern", valueCodeableConcept=cc("symmetric"))],
            "X-SYMMETRIC",
            "met",
        ),
        ([condition("als", "86044005")], "X-ALS", "met"),
        ([condition("als", "86044005", verification="provisional")], "X-ALS", "not-met"),
        ([], "X-ALS", "not-met"),
    ],
)
def test_findings(resources, cid, expected):
    assert status(resources, cid) == expected


def test_hyperreflexia_excludes_when_configured():
    from tests.ivig.builders import default_rules

    rules = default_rules("[thresholds]\nhyperreflexia_excludes = true\n")
    record = [patient(), finding_obs("h", "86854008", True)]
    assessment = assess(record, ivig_order(reason="230591002"), AS_OF, rules)
    assert assessment.criterion("X-UMN").status == "met"


def onset(code: str) -> dict[str, Any]:
    return observation("onset", "weakness-onset-site", valueCodeableConcept=cc(code))


def mrc(muscle: str, side: str, grade: int) -> dict[str, Any]:
    return observation(
        f"mrc-{muscle}-{side}",
        "mrc-grade",
        bodySite=cc(muscle),
        valueInteger=grade,
        component=[laterality(side)],
    )


def emg(muscle: str, side: str, finding: str) -> dict[str, Any]:
    return observation(
        f"emg-{muscle}-{side}",
        "emg-muscle-finding",
        bodySite=cc(muscle),
        valueCodeableConcept=cc(finding),
        component=[laterality(side)],
    )


@pytest.mark.parametrize(
    ("resources", "cid", "expected"),
    [
        ([onset("distal-upper-limb")], "T-ONSET", "met"),
        ([onset("proximal-upper-limb")], "T-ONSET", "not-met"),
        ([], "T-ONSET", "unknown"),
        ([], "T-EMG", "unknown"),
        ([emg("biceps", "left", "emg-normal")], "T-EMG", "unknown"),
        ([emg("biceps", "left", "emg-neurogenic"), mrc("biceps", "left", 4)], "T-EMG", "met"),
        ([emg("biceps", "left", "emg-neurogenic"), mrc("biceps", "left", 5)], "T-EMG", "not-met"),
        ([emg("biceps", "left", "emg-neurogenic"), mrc("biceps", "right", 3)], "T-EMG", "unknown"),
        (
            [
                emg("biceps", "left", "emg-neurogenic"),
                mrc("biceps", "left", 3),
                emg("deltoid", "left", "emg-myopathic"),
                mrc("deltoid", "left", 5),
            ],
            "T-EMG",
            "not-met",
        ),
    ],
)
def test_triad(resources, cid, expected):
    assert status(resources, cid) == expected
