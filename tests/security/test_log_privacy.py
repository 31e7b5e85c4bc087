"""No patient identifier, name, resource body, access token or JWT in any log line (in-process run).

Every logger is captured: the service's at DEBUG (stricter than production), everything else at the
WARNING level Python emits without configuration. The server's own output is scanned in
test_server_e2e.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from service.app import create_app
from tests.security.conftest import (
    PUBLIC_BASE,
    LineCapture,
    bearer,
    captured_logs,
    claims_for,
    demo_client,
    secure_config,
    services,
    sign,
)
from tests.service.conftest import draft_orders, medication_request, sign_request

PATIENT_ID = "pt-zx81-privacy"
NAME = "Quixotina"
FAMILY = "Zebrowski-Privacy"
MRN = "MRN-55501-PRIV"
ACCESS_TOKEN = "fhir-token-very-secret-0xdeadbeef"
PATIENT = {
    "resourceType": "Patient",
    "id": PATIENT_ID,
    "identifier": [{"system": "urn:mrn", "value": MRN}],
    "name": [{"given": [NAME], "family": FAMILY}],
    "birthDate": "1961-07-23",
}
SERVICE = "/cds-services/test-order-sign"


@pytest.fixture
def everything_logged() -> Iterator[LineCapture]:
    """Capture the root logger at WARNING (what any library would print) besides the service's lines."""
    capture = LineCapture()
    capture.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        yield capture
    finally:
        root.removeHandler(capture)


def request_for(fhir_base: str, **extra: Any) -> dict[str, Any]:
    order = medication_request()
    order["subject"] = {"reference": f"Patient/{PATIENT_ID}", "display": f"{NAME} {FAMILY}"}
    body = sign_request(
        fhirServer=fhir_base,
        fhirAuthorization={
            "access_token": ACCESS_TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cds",
            "patient": PATIENT_ID,
        },
        **extra,
    )
    body["context"]["patientId"] = PATIENT_ID
    body["context"]["draftOrders"] = draft_orders(order)
    return body


def test_no_patient_data_or_token_in_any_log_line(
    tmp_path: Path, httpserver: HTTPServer, everything_logged: LineCapture
) -> None:
    calls = {"n": 0}

    def chart(request: Request) -> Response:
        calls["n"] += 1
        if request.path.endswith(f"Patient/{PATIENT_ID}"):
            return Response(json.dumps(PATIENT), content_type="application/fhir+json")
        # An error page quoting the patient, then garbage: the failure paths must not log them either.
        if calls["n"] % 2:
            return Response(f"error for {NAME} {FAMILY} {MRN}", status=500)
        return Response(f"<html>{NAME}</html>", content_type="application/fhir+json")

    httpserver.expect_request(f"/r4/Patient/{PATIENT_ID}").respond_with_handler(chart)
    httpserver.expect_request("/r4/Condition").respond_with_handler(chart)
    base = httpserver.url_for("/r4")
    app = create_app(secure_config(tmp_path, demo_client(fhir_servers=[base])), services=services())
    client = app.test_client()
    jwts: list[str] = []
    with captured_logs() as service_log:
        for _ in range(3):
            jwts.append(sign(claims_for(PUBLIC_BASE + SERVICE)))
            response = client.post(SERVICE, json=request_for(base), headers=bearer(jwts[-1]))
            assert response.status_code == 200  # the Patient read succeeds: a degraded card, not a 412
            assert response.json["cards"][0]["summary"] == "patient=1 conditions=unavailable"
            client.post(SERVICE, json=request_for(base), headers=bearer(jwts[-1]))  # replay: refused, logged
        prefetched = request_for(base, prefetch={"patient": PATIENT, "conditions": None})
        jwts.append(sign(claims_for(PUBLIC_BASE + SERVICE)))
        assert client.post(SERVICE, json=prefetched, headers=bearer(jwts[-1])).status_code == 200
        bad = request_for(base)
        bad["context"]["selections"] = [f"{NAME}/{MRN}"]
        bad["hookInstance"] = f"{PATIENT_ID}"
        jwts.append(sign(claims_for(PUBLIC_BASE + SERVICE)))
        assert client.post(SERVICE, json=bad, headers=bearer(jwts[-1])).status_code == 400
        jwts.append(sign(claims_for(PUBLIC_BASE + SERVICE + "/feedback")))
        feedback = {"feedback": [{"card": PATIENT_ID, "outcome": "overridden", "outcomeTimestamp": MRN}]}
        client.post(SERVICE + "/feedback", json=feedback, headers=bearer(jwts[-1]))
        off_list = request_for("https://fhir.elsewhere.test/r4")
        jwts.append(sign(claims_for(PUBLIC_BASE + SERVICE)))
        assert client.post(SERVICE, json=off_list, headers=bearer(jwts[-1])).status_code == 403
    assert calls["n"] > 0, "the chart was read over HTTP"
    lines = service_log.lines + everything_logged.lines
    assert any('"event": "hook-call"' in line for line in lines)
    assert any('"event": "auth-failed"' in line for line in lines)
    secrets = {PATIENT_ID, NAME, FAMILY, MRN, "1961-07-23", ACCESS_TOKEN}
    secrets |= {part for token in jwts for part in token.split(".")}
    leaked = sorted({s for s in secrets for line in lines if s in line})
    assert leaked == []


def test_audit_pseudonymises_the_patient(tmp_path: Path) -> None:
    app = create_app(secure_config(tmp_path), services=services())
    client = app.test_client()
    body = request_for("https://fhir.demo-ehr.test/r4", prefetch={"patient": PATIENT, "conditions": None})
    body.pop("fhirServer")
    body.pop("fhirAuthorization")
    assert (
        client.post(SERVICE, json=body, headers=bearer(sign(claims_for(PUBLIC_BASE + SERVICE)))).status_code
        == 200
    )
    app.extensions["ivig_cds"].audit.flush()
    records = app.extensions["ivig_cds"].store.load_audit()
    assert len(records) == 1
    stored = json.dumps(records, default=str)
    assert PATIENT_ID not in stored and NAME not in stored
    pseudonym = records[0]["patient_pseudonym"]
    assert pseudonym and pseudonym == app.extensions["ivig_cds"].pseudonym(PATIENT_ID)
    other_config = secure_config(tmp_path / "other", store={"pseudonym_secret": "another-secret-" + "x" * 20})
    other = create_app(other_config, services=services())
    assert other.extensions["ivig_cds"].pseudonym(PATIENT_ID) != pseudonym  # keyed, not a plain hash


def test_start_up_fails_without_a_pseudonym_secret_when_auth_is_required(tmp_path: Path) -> None:
    from service.config import ConfigError

    config = secure_config(tmp_path)
    config["store"].pop("pseudonym_secret")
    with pytest.raises(ConfigError, match="pseudonym_secret"):
        create_app(config, services=services())
