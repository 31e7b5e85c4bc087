"""patient-view over a FHIR server (pytest-httpserver), counting reads: other patients cost one query."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cds_hooks.chart import searchset
from cds_hooks.ivig.patient_view import ACTIVE_ORDERS_KEY, ACTIVE_ORDERS_QUERY
from fixtures.library import SCENARIOS as SCENARIO_DIR
from fixtures.library import load_scenario
from service.app import create_app
from tests.patient_view.support import activated, patient_view_request

JSON = dict[str, Any]
BASE = "/fhir/r4"
SCENARIO = load_scenario(SCENARIO_DIR / "babinski-present-against-mmn")
NO_RESULTS = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "information", "code": "informational", "details": {"text": "No results found."}}],
}
AUTH = {
    "access_token": "pv-token",
    "token_type": "Bearer",
    "expires_in": 300,
    "scope": "x",
    "subject": "ivig-cds",
}


def handler(resources: list[JSON], outcome_only: bool = False) -> Any:
    """Return a FHIR server over `resources`: reads, searches by type and status, `_include` of medication."""
    index = {f"{r['resourceType']}/{r['id']}": r for r in resources if r.get("id")}

    def handle(request: Request) -> Response:
        path = urlsplit(request.url).path.removeprefix(BASE).strip("/")
        if "/" in path:
            found = index.get(path)
            status = 200 if found else 404
            return Response(
                json.dumps(found or NO_RESULTS), status=status, content_type="application/fhir+json"
            )
        statuses = set(request.args.get("status", "").split(",")) - {""}
        matches = [
            r
            for r in resources
            if r["resourceType"] == path and (not statuses or r.get("status") in statuses)
        ]
        if path == "MedicationRequest" and outcome_only:
            matches = []
        body = searchset(matches)
        if ":medication" in request.args.get("_include", ""):
            refs = {m.get("medicationReference", {}).get("reference") for m in matches}
            body["entry"] += [
                {"resource": index[r], "search": {"mode": "include"}} for r in refs if r in index
            ]
        if not matches:
            body["entry"].append({"resource": NO_RESULTS, "search": {"mode": "outcome"}})
        return Response(json.dumps(body), content_type="application/fhir+json")

    return handle


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    config = {
        "service": {"data_dir": str(tmp_path), "as_of_date": SCENARIO.meta["asOf"]},
        "auth": {"required": False},
    }
    yield create_app(config)


def call(app: Flask, httpserver: HTTPServer, resources: list[JSON], **options: Any) -> tuple[JSON, list[str]]:
    """Return the answer of a patient-view call reading `resources` from the server, and the paths read."""
    outcome_only = options.pop("outcome_only", False)
    httpserver.expect_request(re.compile(rf"^{BASE}/.+"), method="GET").respond_with_handler(
        handler(resources, outcome_only)
    )
    body = patient_view_request(
        SCENARIO, fhirServer=httpserver.url_for(BASE), fhirAuthorization=AUTH, **options
    )
    response = app.test_client().post("/cds-services/ivig-patient-view", json=body)
    assert response.status_code == 200, response.json
    return response.json, [r.path.removeprefix(BASE) for r, _ in httpserver.log]


def without_active_orders() -> list[JSON]:
    return [
        r
        for r in SCENARIO.resources()
        if not (r["resourceType"] == "MedicationRequest" and r.get("status") == "active")
    ]


def test_discovery_lists_it_with_its_prefetch(app: Flask) -> None:
    services = {s["id"]: s for s in app.test_client().get("/cds-services").json["services"]}
    entry = services["ivig-patient-view"]
    assert entry["hook"] == "patient-view"
    assert entry["prefetch"] == {ACTIVE_ORDERS_KEY: ACTIVE_ORDERS_QUERY}
    assert entry["hookVersion"] == "1.0"


def test_no_active_order_costs_one_query(app: Flask, httpserver: HTTPServer) -> None:
    body, reads = call(app, httpserver, without_active_orders())
    assert body == {"cards": []}
    assert reads == ["/MedicationRequest"]
    ((request, _),) = httpserver.log
    assert request.args["status"] == "active" and request.args["patient"] == SCENARIO.patient_id
    assert request.headers["Authorization"] == "Bearer pv-token"


def test_an_outcome_entry_saying_no_results_is_not_an_order(app: Flask, httpserver: HTTPServer) -> None:
    body, reads = call(app, httpserver, activated(SCENARIO), outcome_only=True)
    assert body == {"cards": []}
    assert reads == ["/MedicationRequest"]


def test_another_active_medication_costs_one_query(app: Flask, httpserver: HTTPServer) -> None:
    medication = {
        "resourceType": "Medication",
        "id": "pv-metformin",
        "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "860975"}]},
    }
    order = {
        "resourceType": "MedicationRequest",
        "id": "pv-other",
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{SCENARIO.patient_id}"},
        "medicationReference": {"reference": "Medication/pv-metformin"},
    }
    body, reads = call(app, httpserver, [*without_active_orders(), medication, order])
    assert body == {"cards": []}
    assert reads == ["/MedicationRequest"]  # the Medication came with the search (_include)


def test_an_active_ivig_order_gets_the_order_sign_card(app: Flask, httpserver: HTTPServer) -> None:
    body, reads = call(app, httpserver, activated(SCENARIO))
    (card,) = body["cards"]
    assert card["source"]["topic"]["code"] == SCENARIO.expected_outcome == "against-mmn"
    assert "suggestions" not in card  # the cancel of a draft is not offered for an active order
    assert reads[0] == "/MedicationRequest"
    assert f"/Patient/{SCENARIO.patient_id}" in reads and "/Observation" in reads


@pytest.mark.parametrize("value", [None, searchset([])])
def test_prefetched_answer_costs_no_read(app: Flask, httpserver: HTTPServer, value: JSON | None) -> None:
    body, reads = call(app, httpserver, activated(SCENARIO), prefetch={ACTIVE_ORDERS_KEY: value})
    assert body == {"cards": []}
    assert reads == []


def test_prefetched_active_order_reads_the_rest(app: Flask, httpserver: HTTPServer) -> None:
    orders = [
        r for r in activated(SCENARIO) if r["resourceType"] == "MedicationRequest" and r["status"] == "active"
    ]
    body, reads = call(
        app, httpserver, activated(SCENARIO), prefetch={ACTIVE_ORDERS_KEY: searchset(copy.deepcopy(orders))}
    )
    assert [c["source"]["topic"]["code"] for c in body["cards"]] == ["against-mmn"]
    assert "/Observation" in reads
