"""Prefetch template rendering and the four prefetch states (CDS Hooks 2.0)."""

from __future__ import annotations

from typing import Any

import pytest

from cds_hooks.errors import InvalidRequest
from cds_hooks.prefetch import PrefetchState, classify_prefetch, render_template

CONTEXT = {"userId": "Practitioner/pr 1", "patientId": "p/1&x=y", "encounterId": "e1", "draftOrders": {}}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Patient/{{context.patientId}}", "Patient/p%2F1%26x%3Dy"),
        ("Encounter/{{ context.encounterId }}", "Encounter/e1"),
        ("Practitioner/{{userPractitionerId}}", "Practitioner/pr%201"),
        (
            "Observation?patient={{context.patientId}}&code=http://loinc.org|2157-6",
            "Observation?patient=p%2F1%26x%3Dy&code=http://loinc.org|2157-6",
        ),
        ("Condition?category=problem-list-item", "Condition?category=problem-list-item"),
    ],
)
def test_render(template: str, expected: str) -> None:
    assert render_template(template, CONTEXT) == expected


@pytest.mark.parametrize(
    "template",
    [
        "Bundle?x={{context.draftOrders}}",
        "X/{{context.missing}}",
        "X/{{userPatientId}}",
        "X/{{somethingElse}}",
    ],
)
def test_render_refuses_unusable_tokens(template: str) -> None:
    with pytest.raises(InvalidRequest):
        render_template(template, CONTEXT)


@pytest.mark.parametrize(
    ("prefetch", "state"),
    [
        (None, PrefetchState.FETCH),
        ({}, PrefetchState.FETCH),
        ({"k": None}, PrefetchState.NO_DATA),
        ({"k": {"resourceType": "Patient", "id": "1"}}, PrefetchState.PRESENT),
        ({"k": {"resourceType": "Bundle", "type": "searchset"}}, PrefetchState.PRESENT),
        ({"k": {"resourceType": "OperationOutcome", "issue": []}}, PrefetchState.FETCH),
        ({"k": "garbage"}, PrefetchState.FETCH),
        ({"k": {"no": "type"}}, PrefetchState.FETCH),
    ],
)
def test_classify(prefetch: Any, state: PrefetchState) -> None:
    assert classify_prefetch(prefetch, "k") is state
