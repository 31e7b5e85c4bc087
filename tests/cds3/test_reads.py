"""3.0-shaped data over a FHIR server (pytest-httpserver): outcome entries, Medications in draftOrders,
and the FHIRPath Medication prefetch filled, left out or failed."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cds_hooks.chart import searchset
from cds_hooks.ivig.services import DRAFT_MEDICATIONS_KEY
from fixtures.library import FixtureScenario, load_named, load_scenarios
from service.app import create_app
from tests.scenarios.support import FHIR_BASE_PATH, fhir_handler, full_prefetch, golden_path, normalise

JSON = dict[str, Any]
SCENARIO = load_named("babinski-present-against-mmn")
MEDICATION_REF = "Medication/epic-ivig-medication"
NO_RESULTS = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "information", "code": "informational"}],
}
AUTH = {"access_token": "t-3", "token_type": "Bearer", "expires_in": 300, "scope": "x", "subject": "ivig-cds"}
SERVICE = {"order-select": "ivig-order-select", "order-sign": "ivig-order-sign"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    config = {
        "service": {"data_dir": str(tmp_path), "as_of_date": SCENARIO.meta["asOf"]},
        "auth": {"required": False},
        "hooks": {"spec_version": "3.0.0"},
    }
    yield create_app(config)


def with_outcome_entries(handle: Any) -> Any:
    """Return the handler with an OperationOutcome entry (search.mode outcome) added to every searchset."""

    def wrapped(request: Request) -> Response:
        response: Response = handle(request)
        body = json.loads(response.get_data())
        if body.get("type") == "searchset":
            body.setdefault("entry", []).append({"resource": NO_RESULTS, "search": {"mode": "outcome"}})
            response.set_data(json.dumps(body))
        return response

    return wrapped


def serve(httpserver: HTTPServer, handle: Any) -> str:
    httpserver.expect_request(re.compile(rf"^{FHIR_BASE_PATH}/.+"), method="GET").respond_with_handler(handle)
    return httpserver.url_for(FHIR_BASE_PATH)


def golden(scenario: FixtureScenario) -> JSON:
    data: JSON = json.loads(golden_path(scenario).read_text())
    return data


def post(app: Flask, body: JSON) -> JSON:
    response = app.test_client().post(f"/cds-services/{SERVICE[body['hook']]}", json=body)
    assert response.status_code == 200, response.json
    result: JSON = response.json
    return result


@pytest.mark.parametrize("scenario", load_scenarios(), ids=lambda s: s.name)
def test_outcome_entries_in_searches_change_nothing(
    app: Flask, httpserver: HTTPServer, scenario: FixtureScenario
) -> None:
    base = serve(httpserver, with_outcome_entries(fhir_handler(scenario)))
    body = {**scenario.hook_request(), "fhirServer": base, "fhirAuthorization": AUTH}
    assert normalise(post(app, body)) == golden(scenario)


@pytest.mark.parametrize("scenario", load_scenarios(), ids=lambda s: s.name)
def test_outcome_entries_in_prefetch_change_nothing(app: Flask, scenario: FixtureScenario) -> None:
    prefetch = full_prefetch(scenario, templates(app, SERVICE[scenario.meta["hook"]]))
    for value in prefetch.values():
        if isinstance(value, dict) and value.get("type") == "searchset":
            value["entry"].append({"resource": NO_RESULTS, "search": {"mode": "outcome"}})
    assert normalise(post(app, {**scenario.hook_request(), "prefetch": prefetch})) == golden(scenario)


def templates(app: Flask, service_id: str) -> dict[str, str]:
    services = app.test_client().get("/cds-services").json["services"]
    found: dict[str, str] = next(s["prefetch"] for s in services if s["id"] == service_id)
    return found


def by_reference() -> tuple[JSON, JSON]:
    """Return the call with the draft order naming its medication by reference, and that Medication."""
    body = copy.deepcopy(SCENARIO.hook_request())
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    medication = {
        "resourceType": "Medication",
        "id": MEDICATION_REF.split("/")[1],
        "code": order.pop("medicationCodeableConcept"),
    }
    order["medicationReference"] = {"reference": MEDICATION_REF}
    return body, medication


def record_prefetch(app: Flask) -> JSON:
    prefetch = full_prefetch(SCENARIO, templates(app, "ivig-order-sign"))
    prefetch.pop(DRAFT_MEDICATIONS_KEY)
    return prefetch


def reads(httpserver: HTTPServer) -> list[str]:
    return [r.path.removeprefix(FHIR_BASE_PATH) for r, _ in httpserver.log]


def outcome(body: JSON) -> list[str]:
    return [c["source"]["topic"]["code"] for c in body["cards"]]


def test_a_medication_entry_of_draft_orders_resolves_the_reference(
    app: Flask, httpserver: HTTPServer
) -> None:
    body, medication = by_reference()
    body["context"]["draftOrders"]["entry"].append({"resource": medication})
    body.update(
        prefetch=record_prefetch(app),
        fhirServer=serve(httpserver, fhir_handler(SCENARIO)),
        fhirAuthorization=AUTH,
    )
    assert outcome(post(app, body)) == ["against-mmn"]
    assert reads(httpserver) == []


def test_the_fhirpath_prefetch_resolves_the_reference(app: Flask, httpserver: HTTPServer) -> None:
    body, medication = by_reference()
    prefetch = {**record_prefetch(app), DRAFT_MEDICATIONS_KEY: searchset([medication])}
    body.update(
        prefetch=prefetch, fhirServer=serve(httpserver, fhir_handler(SCENARIO)), fhirAuthorization=AUTH
    )
    assert outcome(post(app, body)) == ["against-mmn"]
    assert reads(httpserver) == []


@pytest.mark.parametrize("value", ["absent", NO_RESULTS], ids=["left-unfilled", "operation-outcome"])
def test_unfilled_fhirpath_prefetch_is_read_by_the_service(
    app: Flask, httpserver: HTTPServer, value: Any
) -> None:
    body, medication = by_reference()
    prefetch = record_prefetch(app)
    if value != "absent":
        prefetch[DRAFT_MEDICATIONS_KEY] = value

    def handle(request: Request) -> Response:
        if request.path.endswith(MEDICATION_REF):
            return Response(json.dumps(medication), content_type="application/fhir+json")
        return Response(json.dumps(NO_RESULTS), status=404)

    body.update(prefetch=prefetch, fhirServer=serve(httpserver, handle), fhirAuthorization=AUTH)
    assert outcome(post(app, body)) == ["against-mmn"]
    assert reads(httpserver) == [f"/{MEDICATION_REF}"]


def test_without_the_medication_anywhere_the_order_is_unresolved(app: Flask) -> None:
    body, _ = by_reference()
    body["prefetch"] = record_prefetch(app)
    assert post(app, body) == {"cards": []}  # not known to be IVIg: silent (no FHIR server to ask)
