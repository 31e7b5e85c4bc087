"""Every scenario of the library through the real hooks over HTTP, with no prefetch: every read,
search, `_include`, page and reference goes over the wire to a real FHIR server.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from fixtures.library import FixtureScenario, load_scenarios
from tests.e2e.cds_service import CdsService
from tests.e2e.fhir_server import FhirServer
from tests.scenarios.expectations import expectation_problems

pytestmark = pytest.mark.e2e

SERVICE_OF_HOOK = {"order-select": "ivig-order-select", "order-sign": "ivig-order-sign"}
ASSESSMENT_KEY = "org.ivig-cds.assessment"
SCENARIOS = load_scenarios()


def hook_body(scenario: FixtureScenario, fhir_server: FhirServer) -> dict[str, Any]:
    """Return the scenario's hook request with fhirServer and fhirAuthorization and no prefetch."""
    body = scenario.hook_request(hook_instance=str(uuid.uuid4()))
    return fhir_server.hook_access(body, scenario.patient_id)


def outcome_of(response: dict[str, Any]) -> str | None:
    """Return the outcome code of the answer (the first card's source.topic.code), None without cards."""
    cards = response["cards"]
    if not cards:
        return None
    topic = cards[0]["source"].get("topic")
    return topic["code"] if topic else "card-without-topic"


def test_discovery_lists_both_services(cds: CdsService) -> None:
    response = cds.get("/cds-services")
    assert response.status_code == 200
    services = {s["id"]: s for s in response.json()["services"]}
    assert services["ivig-order-select"]["hook"] == "order-select"
    assert services["ivig-order-sign"]["hook"] == "order-sign"
    assert "observations" in services["ivig-order-sign"]["prefetch"]


def test_unsigned_call_is_refused(cds: CdsService) -> None:
    response = cds.session.get(cds.base_url + "/cds-services", timeout=30)
    assert response.status_code == 401


def test_library_is_loaded(fhir_server: FhirServer, scenarios: list[FixtureScenario]) -> None:
    patients = sorted({r["id"] for s in scenarios for r in s.resources() if r["resourceType"] == "Patient"})
    with fhir_server.session() as session:
        url = f"{fhir_server.base_url}/Patient"
        bundle = session.get(url, params={"_id": ",".join(patients), "_count": "1000"}, timeout=30).json()
    assert sorted(e["resource"]["id"] for e in bundle["entry"]) == patients


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_outcome_over_fhir(
    scenario: FixtureScenario, cds: CdsService, fhir_server: FhirServer
) -> None:
    body = hook_body(scenario, fhir_server)
    response = cds.post(f"/cds-services/{SERVICE_OF_HOOK[scenario.meta['hook']]}", body)
    assert response.status_code == 200, response.text[:2000]
    answer = response.json()
    assert expectation_problems(scenario, answer) == [], answer
    if scenario.expected_outcome is None:
        return
    assert answer["cards"][0]["extension"][ASSESSMENT_KEY]["asOf"] == scenario.meta["asOf"]
    call = cds.hook_calls().get(body["hookInstance"])
    assert call is not None and call["fhir_reads"] > 0 and call["from_prefetch"] == 0, call


def test_refused_token_degrades_to_412_not_500(cds: CdsService, fhir_server: FhirServer) -> None:
    scenario = next(s for s in SCENARIOS if s.expected_outcome == "supported")
    body = hook_body(scenario, fhir_server)
    body["fhirAuthorization"]["access_token"] = "not-the-token-the-fhir-server-accepts"
    response = cds.post(f"/cds-services/{SERVICE_OF_HOOK[scenario.meta['hook']]}", body)
    assert response.status_code == 412, response.text[:2000]
    assert response.json()["resourceType"] == "OperationOutcome"
    call = cds.hook_calls()[body["hookInstance"]]
    assert call["fhir_failures"] > 0
