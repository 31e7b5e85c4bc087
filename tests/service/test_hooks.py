"""The hook pipeline over HTTP: discovery, errors, and prefetch-or-fetch against a real HTTP FHIR server."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from service.app import create_app
from tests.service.conftest import (
    PATIENT_ID,
    TOKEN,
    ChartCountingService,
    base_config,
    draft_orders,
    medication_request,
    sign_request,
)

PATIENT = {"resourceType": "Patient", "id": PATIENT_ID}


def condition(cid: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": f"Patient/{PATIENT_ID}"}}


def searchset(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def with_server(httpserver: HTTPServer, **extra: Any) -> dict[str, Any]:
    auth = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "cds",
    }
    return sign_request(fhirServer=httpserver.url_for("/r4"), fhirAuthorization=auth, **extra)


def summary(response: Any) -> str:
    assert response.status_code == 200, response.json
    return str(response.json["cards"][0]["summary"])


def serve_chart(httpserver: HTTPServer, conditions: list[dict[str, Any]] | None = None) -> None:
    httpserver.expect_request(f"/r4/Patient/{PATIENT_ID}").respond_with_json(PATIENT)
    httpserver.expect_request("/r4/Condition", query_string={"patient": PATIENT_ID}).respond_with_json(
        searchset(*(conditions or []))
    )


def test_discovery_lists_registered_services_by_id(client: FlaskClient) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    services = {s["id"]: s for s in response.json["services"]}
    assert set(services) == {"test-order-sign", "test-order-select"}
    assert services["test-order-select"]["hook"] == "order-select"
    assert list(services["test-order-sign"]["prefetch"]) == ["patient", "conditions"]


def test_lean_discovery_asks_for_no_prefetch(tmp_path: Path) -> None:
    app = create_app(base_config(tmp_path, hooks={"prefetch": "lean"}), services=[ChartCountingService()])
    (entry,) = app.test_client().get("/cds-services").json["services"]
    assert entry["id"] == "test-order-sign" and "prefetch" not in entry


def test_full_prefetch_needs_no_fhir_server(client: FlaskClient, httpserver: HTTPServer) -> None:
    body = with_server(httpserver, prefetch={"patient": PATIENT, "conditions": searchset(condition("c1"))})
    assert summary(client.post("/cds-services/test-order-sign", json=body)) == "patient=1 conditions=1"
    assert httpserver.log == []


def test_null_prefetch_means_no_data_and_is_not_fetched(client: FlaskClient, httpserver: HTTPServer) -> None:
    body = with_server(httpserver, prefetch={"patient": PATIENT, "conditions": None})
    assert summary(client.post("/cds-services/test-order-sign", json=body)) == "patient=1 conditions=none"
    assert httpserver.log == []


def test_missing_prefetch_is_read_with_the_bearer_token(client: FlaskClient, httpserver: HTTPServer) -> None:
    serve_chart(httpserver, [condition("c1"), condition("c2")])
    body = with_server(httpserver, prefetch={"patient": PATIENT})
    assert summary(client.post("/cds-services/test-order-sign", json=body)) == "patient=1 conditions=2"
    ((request, _),) = httpserver.log
    assert request.path == "/r4/Condition"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_operation_outcome_in_prefetch_is_read_from_server(
    client: FlaskClient, httpserver: HTTPServer
) -> None:
    serve_chart(httpserver, [condition("c1")])
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}
    body = with_server(httpserver, prefetch={"patient": PATIENT, "conditions": outcome})
    assert summary(client.post("/cds-services/test-order-sign", json=body)) == "patient=1 conditions=1"
    assert len(httpserver.log) == 1


def test_no_prefetch_reads_everything(client: FlaskClient, httpserver: HTTPServer) -> None:
    serve_chart(httpserver, [condition("c1")])
    assert (
        summary(client.post("/cds-services/test-order-sign", json=with_server(httpserver)))
        == "patient=1 conditions=1"
    )
    assert sorted(r.path for r, _ in httpserver.log) == ["/r4/Condition", f"/r4/Patient/{PATIENT_ID}"]


def paged_conditions(httpserver: HTTPServer, pages: int, origin: str | None = None) -> None:
    for page in range(1, pages + 1):
        nxt = None
        if page < pages:
            nxt = f"{origin or httpserver.url_for('/r4')}/Condition?page={page + 1}"
        query = {"patient": PATIENT_ID} if page == 1 else {"page": str(page)}
        httpserver.expect_request("/r4/Condition", query_string=query).respond_with_json(
            searchset(condition(f"c{page}"), next_url=nxt)
        )


def test_paging_is_followed(client: FlaskClient, httpserver: HTTPServer) -> None:
    paged_conditions(httpserver, 3)
    body = with_server(httpserver, prefetch={"patient": PATIENT})
    assert summary(client.post("/cds-services/test-order-sign", json=body)) == "patient=1 conditions=3"


def test_paging_stops_at_the_page_cap(client: FlaskClient, httpserver: HTTPServer) -> None:
    paged_conditions(httpserver, 5)  # max_pages = 3 in the test configuration
    body = with_server(httpserver, prefetch={"patient": PATIENT})
    assert summary(client.post("/cds-services/test-order-sign", json=body)) == "patient=1 conditions=3"
    assert len(httpserver.log) == 3


def test_paging_to_another_origin_is_refused(client: FlaskClient, httpserver: HTTPServer) -> None:
    paged_conditions(httpserver, 2, origin="http://127.0.0.2:9/r4")
    body = with_server(httpserver, prefetch={"patient": PATIENT})
    assert (
        summary(client.post("/cds-services/test-order-sign", json=body)) == "patient=1 conditions=unavailable"
    )


def slow(_: Request) -> Response:
    time.sleep(1.5)
    return Response(json.dumps(searchset()), content_type="application/fhir+json")


@pytest.mark.parametrize(
    "failure",
    [
        lambda server: server.expect_request("/r4/Condition").respond_with_handler(slow),
        lambda server: server.expect_request("/r4/Condition").respond_with_data("boom", status=500),
        lambda server: server.expect_request("/r4/Condition").respond_with_data("<html>not json</html>"),
        lambda server: server.expect_request("/r4/Condition").respond_with_json({"just": "json"}),
        lambda server: server.expect_request("/r4/Condition").respond_with_data(
            "", status=302, headers={"Location": "http://127.0.0.1:9/x"}
        ),
    ],
    ids=["slow", "500", "garbage", "not-a-resource", "redirect"],
)
def test_failing_server_degrades_that_read(client: FlaskClient, httpserver: HTTPServer, failure: Any) -> None:
    failure(httpserver)
    body = with_server(httpserver, prefetch={"patient": PATIENT})
    assert (
        summary(client.post("/cds-services/test-order-sign", json=body)) == "patient=1 conditions=unavailable"
    )


def test_server_down_with_nothing_in_prefetch_is_412(client: FlaskClient) -> None:
    body = sign_request(fhirServer="http://127.0.0.1:9/r4")
    response = client.post("/cds-services/test-order-sign", json=body)
    assert response.status_code == 412
    assert response.json["issue"][0]["details"]["coding"][0]["code"] == "data-unavailable"


def test_412_without_fhir_server_when_prefetch_is_missing(client: FlaskClient) -> None:
    response = client.post("/cds-services/test-order-sign", json=sign_request(prefetch={"patient": PATIENT}))
    assert response.status_code == 412
    assert "conditions" in response.json["issue"][0]["details"]["text"]


def test_no_412_when_data_was_obtainable_but_absent(client: FlaskClient, httpserver: HTTPServer) -> None:
    serve_chart(httpserver, [])
    assert (
        summary(client.post("/cds-services/test-order-sign", json=with_server(httpserver)))
        == "patient=1 conditions=0"
    )


def test_order_no_service_cares_about_costs_no_read(client: FlaskClient, httpserver: HTTPServer) -> None:
    body = with_server(httpserver)
    body["context"]["draftOrders"] = draft_orders({"resourceType": "ServiceRequest", "id": "sr1"})
    response = client.post("/cds-services/test-order-sign", json=body)
    assert response.status_code == 200 and response.json == {"cards": []}
    assert httpserver.log == []


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": "{", "content_type": "application/json"}, 400, "invalid-request"),
        ({"data": "[]", "content_type": "application/json"}, 400, "invalid-request"),
        ({"data": "{}", "content_type": "text/plain"}, 415, "unsupported-media-type"),
        ({"data": "x" * 2_000_001, "content_type": "application/json"}, 413, "too-large"),
        ({"data": "[" * 5000 + "]" * 5000, "content_type": "application/json"}, 400, "invalid-request"),
        ({"json": sign_request(hook="order-select")}, 400, "hook-mismatch"),
    ],
    ids=["syntax", "not-object", "content-type", "too-large", "too-deep", "hook-mismatch"],
)
def test_bad_requests_are_clear_4xx(
    client: FlaskClient, kwargs: dict[str, Any], status: int, code: str
) -> None:
    response = client.post("/cds-services/test-order-sign", **kwargs)
    assert response.status_code == status
    assert response.json["resourceType"] == "OperationOutcome"
    assert response.json["issue"][0]["details"]["coding"][0]["code"] == code
    assert "Traceback" not in response.get_data(as_text=True)


def test_unknown_service_is_404_json(client: FlaskClient) -> None:
    response = client.post("/cds-services/no-such-service", json=sign_request())
    assert response.status_code == 404
    assert response.json["issue"][0]["details"]["coding"][0]["code"] == "unknown-service"


def test_wrong_method_is_json(client: FlaskClient) -> None:
    response = client.get("/cds-services/test-order-sign")
    assert response.status_code == 405 and response.json["resourceType"] == "OperationOutcome"


def test_hook_call_leaves_a_pseudonymous_audit_record(client: FlaskClient) -> None:
    body = sign_request(prefetch={"patient": PATIENT, "conditions": None})
    card_uuid = client.post("/cds-services/test-order-sign", json=body).json["cards"][0]["uuid"]
    runtime = client.application.extensions["ivig_cds"]
    assert runtime.audit.flush() == 1  # written off the request path, in batches
    (record,) = runtime.store.load_audit()
    assert record["service_id"] == "test-order-sign"
    assert record["hook_instance"] == body["hookInstance"]
    assert record["outcome"] == "counted" and record["status"] == 200
    assert record["card_uuids"] == [card_uuid]
    assert record["patient_pseudonym"] and PATIENT_ID not in json.dumps(record, default=str)


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.json["checks"] == {"store": True, "storeWrites": True, "services": True}
    assert ready.status_code == 200


def test_medication_request_draft_helper_is_a_medication_request() -> None:
    assert medication_request()["resourceType"] == "MedicationRequest"


def test_metrics_count_requests_and_outcomes(client: FlaskClient) -> None:
    body = sign_request(prefetch={"patient": PATIENT, "conditions": None})
    client.post("/cds-services/test-order-sign", json=body)
    client.post("/cds-services/made-up-id", json=body)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'ivig_cds_outcomes_total{outcome="counted",service="test-order-sign"}' in text
    assert 'route="/cds-services/<service_id>",service="test-order-sign",status="200"' in text
    assert 'service="unknown",status="404"' in text
    assert "made-up-id" not in text


def test_paging_to_a_sibling_path_is_refused(client: FlaskClient, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/r4/Condition", query_string={"patient": PATIENT_ID}).respond_with_json(
        searchset(condition("c1"), next_url=httpserver.url_for("/r4evil/Condition?page=2"))
    )
    body = with_server(httpserver, prefetch={"patient": PATIENT})
    assert (
        summary(client.post("/cds-services/test-order-sign", json=body)) == "patient=1 conditions=unavailable"
    )
    assert [r.path for r, _ in httpserver.log] == ["/r4/Condition"]


def test_cookies_set_by_a_fhir_server_are_not_sent_back(client: FlaskClient, httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/r4/Patient/{PATIENT_ID}").respond_with_json(
        PATIENT, headers={"Set-Cookie": "session=abc; Path=/"}
    )
    httpserver.expect_request("/r4/Condition").respond_with_json(searchset())
    for _ in range(2):
        client.post(
            "/cds-services/test-order-sign", json=with_server(httpserver, prefetch={"conditions": None})
        )
    assert all("Cookie" not in request.headers for request, _ in httpserver.log)
