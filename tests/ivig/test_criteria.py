"""Criteria from record resources: CK, findings, triad, EMG (docs/clinical-logic.md)."""

from __future__ import annotations

from typing import Any

import pytest

from cds_hooks.ivig.offline import assess
from fixtures.fhir_builders import (
    AS_OF,
    ck,
    condition,
    finding,
    ivig_order,
    laterality,
    local,
    observation,
    patient,
    sct,
)
from tests.ivig.support import default_rules

RULES = default_rules()


def status(resources: list[dict[str, Any]], cid: str, gender: str | None = "male") -> str:
    record = [patient(gender=gender), *resources]
    assessment = assess(record, ivig_order(reason=sct("230591002")), AS_OF, RULES)
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
        ([finding("h", sct("86854008"), True)], "X-UMN", "unknown"),  # hyperreflexia alone
        ([finding("h", sct("86854008"), True), finding("b", sct("246586009"), False)], "X-UMN", "unknown"),
        (
            [
                finding("h", sct("86854008"), True),
                finding("b", sct("246586009"), False),
                finding("c", sct("36649002"), False),
            ],
            "X-UMN",
            "not-met",
        ),
        ([finding("b", sct("246586009"), True)], "X-UMN", "met"),
        ([finding("b", local("hoffmann-sign"), True)], "X-UMN", "met"),
        ([condition("s", sct("221360009"))], "X-UMN", "met"),
        ([condition("s", sct("221360009"), verification="refuted")], "X-UMN", "unknown"),
        (
            [
                condition("s", sct("221360009"), verification="refuted"),
                finding("b", sct("246586009"), False),
                finding("c", sct("36649002"), False),
            ],
            "X-UMN",
            "not-met",
        ),
        (
            [
                condition("s", sct("221360009"), clinical="resolved"),
                finding("b", sct("246586009"), False),
                finding("c", sct("36649002"), False),
            ],
            "X-UMN",
            "not-met",
        ),
        (
            [
                finding("a", sct("246586009"), True, when="2026-01-01"),
                finding("b", sct("246586009"), False),
                finding("c", sct("36649002"), False),
            ],
            "X-UMN",
            "not-met",
        ),
        (
            [finding("a", sct("246586009"), False, when="2026-01-01"), finding("b", sct("246586009"), True)],
            "X-UMN",
            "met",
        ),
        (
            [observation("v", sct("8011004"), valueCodeableConcept=sct("52101004"))],
            "X-BULBAR",
            "met",
        ),
        (
            [observation("v", sct("8011004"), valueCodeableConcept=sct("2667000"))],
            "X-BULBAR",
            "unknown",
        ),
        (
            [
                observation("v", sct("8011004"), valueCodeableConcept=sct("2667000")),
                finding("d", sct("40739000"), False),
            ],
            "X-BULBAR",
            "not-met",
        ),
        ([finding("r", local("respiratory-involvement"), True)], "X-RESP", "met"),
        ([finding("s", local("objective-sensory-deficit"), False)], "X-SENSORY", "not-met"),
        (
            [observation("o", local("weakness-onset-pattern"), valueCodeableConcept=local("symmetric"))],
            "X-SYMMETRIC",
            "met",
        ),
        ([condition("als", sct("86044005"))], "X-ALS", "met"),
        ([condition("als", sct("86044005"), verification="provisional")], "X-ALS", "not-met"),
        ([], "X-ALS", "not-met"),
    ],
)
def test_findings(resources, cid, expected):
    assert status(resources, cid) == expected


def test_hyperreflexia_excludes_when_configured():
    rules = default_rules("[thresholds]\nhyperreflexia_excludes = true\n")
    record = [patient(), finding("h", sct("86854008"), True)]
    assessment = assess(record, ivig_order(reason=sct("230591002")), AS_OF, rules)
    assert assessment.criterion("X-UMN").status == "met"


def onset(code: str) -> dict[str, Any]:
    return observation("onset", local("weakness-onset-site"), valueCodeableConcept=local(code))


def mrc(muscle: str, side: str, grade: int) -> dict[str, Any]:
    return observation(
        f"mrc-{muscle}-{side}",
        local("mrc-grade"),
        bodySite=local(muscle),
        valueInteger=grade,
        component=[laterality(side)],
    )


def emg(muscle: str, side: str, found: str) -> dict[str, Any]:
    return observation(
        f"emg-{muscle}-{side}",
        local("emg-muscle-finding"),
        bodySite=local(muscle),
        valueCodeableConcept=local(found),
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
