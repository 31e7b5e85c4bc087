"""patient-view gives, for an active IVIg order, the card order-sign gave for it; silence otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from cds_hooks.chart import BundleChart
from cds_hooks.ivig.patient_view import ACTIVE_ORDERS_KEY, ACTIVE_ORDERS_QUERY, PatientViewService
from cds_hooks.models import CdsResponse
from cds_hooks.parsing import parse_hook_request
from cds_hooks.registry import Environment
from fixtures.library import FixtureScenario, load_scenarios
from tests.patient_view.support import activated, patient_view_request
from tests.profiles.support import core_response, counter_uuid, rules

SCENARIOS = load_scenarios()
IDS = [s.name for s in SCENARIOS]
EXTENSION = "org.ivig-cds.assessment"


class CountingChart(BundleChart):
    """A BundleChart that records which keys and references the decision asked for."""

    def __init__(self, resources: list[dict[str, Any]], queries: Any) -> None:
        super().__init__(resources, queries)
        self.keys: list[str] = []
        self.references: list[str] = []

    def get(self, keys: Any) -> Any:
        self.keys.extend(keys)
        return super().get(keys)

    def read(self, references: Any) -> Any:
        self.references.extend(references)
        return super().read(references)


def patient_view(
    scenario: FixtureScenario, resources: list[dict[str, Any]]
) -> tuple[CdsResponse, CountingChart]:
    service = PatientViewService(rules())
    chart = CountingChart(resources, service.queries)
    request = parse_hook_request(patient_view_request(scenario), "patient-view")
    return service.evaluate(request, chart, Environment(scenario.as_of, counter_uuid())), chart


def test_discovery_entry_asks_for_one_query() -> None:
    definition = PatientViewService(rules()).definition.to_json()
    assert definition["hook"] == "patient-view"
    assert definition["prefetch"] == {ACTIVE_ORDERS_KEY: ACTIVE_ORDERS_QUERY}
    assert (
        "status=active" in ACTIVE_ORDERS_QUERY
        and "_include=MedicationRequest:medication" in ACTIVE_ORDERS_QUERY
    )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_same_assessment_as_order_sign(scenario: FixtureScenario) -> None:
    response, _ = patient_view(scenario, activated(scenario))
    outcomes = [c.source.topic.code for c in response.cards if c.source.topic]
    assert outcomes == ([scenario.expected_outcome] if scenario.expected_outcome else [])
    at_order = core_response(scenario)
    assert len(response.cards) == len(at_order.cards)
    for seen, signed in zip(response.cards, at_order.cards, strict=True):
        if already_active(scenario):  # assessed too, so its own date is not the first dose: see below
            assert comparable(seen.extension[EXTENSION]) == comparable(signed.extension[EXTENSION])
        else:
            assert seen.extension[EXTENSION] == signed.extension[EXTENSION]
            assert seen.detail == signed.detail
        assert (seen.summary, seen.indicator) == (signed.summary, signed.indicator)
        kept = [s.label for s in signed.suggestions if all(a.type != "delete" for a in s.actions)]
        assert [s.label for s in seen.suggestions] == kept
        assert all(a.type != "delete" for s in seen.suggestions for a in s.actions)


def already_active(scenario: FixtureScenario) -> bool:
    """Return whether the record itself holds an active MedicationRequest (an order under way)."""
    return any(
        r["resourceType"] == "MedicationRequest" and r.get("status") == "active" for r in scenario.resources()
    )


def comparable(assessment: dict[str, Any]) -> dict[str, Any]:
    """Return the assessment without the orders assessed and the first-dose reference."""
    out = {k: v for k, v in assessment.items() if k != "orders"}
    if (
        "ivigHistory" in out
    ):  # the order under review is not its own history (v2 shows IVIg orders as history)
        out["ivigHistory"] = [
            e for e in out["ivigHistory"] if not e["reference"].startswith("MedicationRequest/")
        ]
    if "responseReview" in out:
        out["responseReview"] = {k: v for k, v in out["responseReview"].items() if k != "firstDose"}
    return out


def test_an_active_order_under_review_is_not_its_own_first_dose() -> None:
    """ivig-not-responding: the record's active order (2026-02-11) is reviewed; the first dose is the
    first administration (2026-02-13), and the outcome is the same as at order-sign."""
    scenario = next(s for s in SCENARIOS if s.name == "ivig-not-responding")
    (card,) = patient_view(scenario, activated(scenario))[0].cards
    review = card.extension[EXTENSION]
    assert review["outcome"] == "not-responding"
    assert review["responseReview"]["firstDose"]["reference"] == "MedicationAdministration/rspn-ivig-admin"
    assert "MedicationRequest/rspn-ivig-prior" in review["orders"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_without_an_active_order_one_query_and_no_card(scenario: FixtureScenario) -> None:
    resources = [
        r
        for r in scenario.resources()
        if not (r["resourceType"] == "MedicationRequest" and r.get("status") == "active")
    ]
    response, chart = patient_view(scenario, resources)
    assert response == CdsResponse()
    assert chart.keys == [ACTIVE_ORDERS_KEY]
    assert chart.references == []


def test_a_stopped_order_is_not_active() -> None:
    scenario = next(s for s in SCENARIOS if s.name == "babinski-present-against-mmn")
    resources = activated(scenario)
    resources[-1] = {**resources[-1], "status": "stopped"}
    response, chart = patient_view(scenario, resources)
    assert response == CdsResponse() and chart.keys == [ACTIVE_ORDERS_KEY]


def test_another_patients_active_order_is_not_theirs() -> None:
    scenario = next(s for s in SCENARIOS if s.name == "babinski-present-against-mmn")
    resources = activated(scenario)
    resources[-1] = {**resources[-1], "subject": {"reference": "Patient/someone-else"}}
    response, chart = patient_view(scenario, resources)
    assert response == CdsResponse() and chart.keys == [ACTIVE_ORDERS_KEY]
