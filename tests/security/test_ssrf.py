"""Server-side request forgery: fhirServer allow-list, internal addresses, redirects, paging, size, deadline.

Real HTTP servers (pytest-httpserver) stand in for the EHR's FHIR server and for the attacker's target;
the target must receive nothing.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from service.app import create_app
from tests.security.conftest import (
    PUBLIC_BASE,
    bearer,
    claims_for,
    demo_client,
    secure_config,
    services,
    sign,
)
from tests.service.conftest import PATIENT_ID, TOKEN, base_config, sign_request

SERVICE = "/cds-services/test-order-sign"
PATIENT = {"resourceType": "Patient", "id": PATIENT_ID}


@pytest.fixture
def target() -> Iterator[HTTPServer]:
    """The server an attacker wants the service to reach: it must never be contacted."""
    server = HTTPServer()
    server.expect_request("/", method="GET").respond_with_data("nothing")
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def hook_call(fhir_server: str, **extra: Any) -> dict[str, Any]:
    auth = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "x",
    }
    return sign_request(fhirServer=fhir_server, fhirAuthorization=auth, **extra)


def client_for(tmp_path: Path, fhir_servers: list[str], **sections: dict[str, Any]) -> FlaskClient:
    config = secure_config(tmp_path, demo_client(fhir_servers=fhir_servers), **sections)
    return create_app(config, services=services()).test_client()


def call(client: FlaskClient, body: dict[str, Any]) -> Any:
    return client.post(SERVICE, json=body, headers=bearer(sign(claims_for(PUBLIC_BASE + SERVICE))))


def test_fhir_server_off_the_clients_list_is_refused_without_a_connection(
    tmp_path: Path, httpserver: HTTPServer, target: HTTPServer
) -> None:
    client = client_for(tmp_path, [httpserver.url_for("/r4")])
    response = call(client, hook_call(target.url_for("/r4")))
    assert response.status_code == 403
    assert response.json["issue"][0]["details"]["coding"][0]["code"] == "fhir-server-not-allowed"
    assert target.log == [] and httpserver.log == []


def test_allowed_fhir_server_receives_the_access_token_and_nothing_else_does(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """The control: the listed server is read, with the access token, never with the client's JWT."""
    httpserver.expect_request(f"/r4/Patient/{PATIENT_ID}").respond_with_json(PATIENT)
    httpserver.expect_request("/r4/Condition").respond_with_json(
        {"resourceType": "Bundle", "type": "searchset"}
    )
    client = client_for(tmp_path, [httpserver.url_for("/r4")])
    response = call(client, hook_call(httpserver.url_for("/r4")))
    assert response.status_code == 200, response.json
    assert len(httpserver.log) == 2
    assert {req.headers.get("Authorization") for req, _ in httpserver.log} == {f"Bearer {TOKEN}"}


INTERNAL = [
    "http://169.254.169.254/latest/meta-data",
    "https://169.254.169.254/r4",
    "https://[fe80::1]/r4",
    "https://[::ffff:169.254.169.254]/r4",
    "https://10.0.0.5/r4",
    "https://192.168.1.10/r4",
    "https://172.16.0.1/r4",
    "https://[fd00::1]/r4",
    "https://0.0.0.0/r4",
    "https://2852039166/r4",  # 169.254.169.254 as one number
    "https://0xa9.0xfe.0xa9.0xfe/r4",
    "https://127.1/r4",
    "https://user:pw@fhir.demo-ehr.test/r4",
    "https://fhir.demo-ehr.test@169.254.169.254/r4",
    "https://fhir.demo-ehr.test:99999/r4",
    "ftp://fhir.demo-ehr.test/r4",
    "file:///etc/passwd",
    "https://[::1/r4",
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_and_malformed_addresses_are_refused_with_auth(tmp_path: Path, url: str) -> None:
    response = call(client_for(tmp_path, ["https://fhir.demo-ehr.test/r4"]), hook_call(url))
    assert 400 <= response.status_code < 500 and response.status_code != 401


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_and_malformed_addresses_are_refused_in_dev_mode(tmp_path: Path, url: str) -> None:
    client = create_app(base_config(tmp_path), services=services()).test_client()
    response = client.post(SERVICE, json=hook_call(url))
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("url", ["https://169.254.169.254/r4", "https://[fe80::1]/r4", "https://127.1/r4"])
def test_link_local_is_refused_even_when_allow_listed(tmp_path: Path, url: str) -> None:
    response = call(client_for(tmp_path, [url]), hook_call(url))
    assert response.status_code == 403


def test_plain_http_is_refused_except_loopback(tmp_path: Path) -> None:
    url = "http://fhir.demo-ehr.test/r4"
    response = call(client_for(tmp_path, [url]), hook_call(url))
    assert response.status_code == 403
    assert response.json["issue"][0]["details"]["coding"][0]["code"] == "fhir-server-insecure"


def test_dev_mode_refuses_names_resolving_to_private_addresses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: HTTPServer
) -> None:
    """DNS stands in for an attacker's name pointing at the internal network."""
    real = socket.getaddrinfo

    def fake(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "internal.attacker.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    client = create_app(base_config(tmp_path), services=services()).test_client()
    response = client.post(SERVICE, json=hook_call("https://internal.attacker.test/r4"))
    assert response.status_code == 403


def test_redirect_is_not_followed(tmp_path: Path, httpserver: HTTPServer, target: HTTPServer) -> None:
    elsewhere = target.url_for("/r4/Patient/" + PATIENT_ID)
    httpserver.expect_request(f"/r4/Patient/{PATIENT_ID}").respond_with_data(
        "", status=302, headers={"Location": elsewhere}
    )
    httpserver.expect_request("/r4/Condition").respond_with_data(
        "", status=307, headers={"Location": target.url_for("/r4/Condition")}
    )
    client = client_for(tmp_path, [httpserver.url_for("/r4")])
    response = call(client, hook_call(httpserver.url_for("/r4")))
    assert response.status_code == 412  # neither read followed its redirect: nothing obtainable
    assert len(httpserver.log) == 2
    assert target.log == []


@pytest.mark.parametrize(
    "next_url",
    [
        "{target}/r4/Condition?page=2",
        "{own_origin}@{target_hostport}/r4/Condition?page=2",
        "//{target_hostport}/r4/Condition?page=2",
    ],
)
def test_next_link_to_another_origin_is_not_followed(
    tmp_path: Path, httpserver: HTTPServer, target: HTTPServer, next_url: str
) -> None:
    target_url = target.url_for("").rstrip("/")
    link = next_url.format(
        target=target_url,
        own_origin=httpserver.url_for("").rstrip("/"),
        target_hostport=target_url.split("//", 1)[1],
    )
    page = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": {"resourceType": "Condition", "id": "c1"}}],
        "link": [{"relation": "next", "url": link}],
    }
    httpserver.expect_request(f"/r4/Patient/{PATIENT_ID}").respond_with_json(PATIENT)
    httpserver.expect_request("/r4/Condition").respond_with_json(page)
    client = client_for(tmp_path, [httpserver.url_for("/r4")])
    response = call(client, hook_call(httpserver.url_for("/r4")))
    assert response.status_code == 200, response.json
    assert "conditions=unavailable" in response.json["cards"][0]["summary"]
    assert target.log == []


def test_response_over_the_size_cap_is_cut_off(tmp_path: Path, httpserver: HTTPServer) -> None:
    big = {"resourceType": "Patient", "id": PATIENT_ID, "text": {"div": "x" * 50_000}}
    httpserver.expect_request(f"/r4/Patient/{PATIENT_ID}").respond_with_json(big)
    httpserver.expect_request("/r4/Condition").respond_with_json(
        {"resourceType": "Bundle", "type": "searchset"}
    )
    client = client_for(tmp_path, [httpserver.url_for("/r4")], fhir={"max_response_bytes": 10_000})
    response = call(client, hook_call(httpserver.url_for("/r4")))
    assert response.status_code == 200, response.json
    assert "patient=unavailable" in response.json["cards"][0]["summary"]
    assert "conditions=0" in response.json["cards"][0]["summary"]


def test_a_slow_drip_fhir_server_cannot_hold_the_call_past_its_budget(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """Each byte arrives well within the per-read timeout, so only the call's budget can end the read."""
    stop = threading.Event()

    def drip(_request: Request) -> Response:
        def body() -> Iterator[bytes]:
            yield b'{"resourceType": "Patient", "text": "'
            while not stop.wait(0.1):
                yield b"x"

        return Response(body(), content_type="application/fhir+json")

    httpserver.expect_request(f"/r4/Patient/{PATIENT_ID}").respond_with_handler(drip)
    httpserver.expect_request("/r4/Condition").respond_with_handler(drip)
    client = client_for(
        tmp_path, [httpserver.url_for("/r4")], fhir={"timeout_seconds": 0.5, "budget_seconds": 1.0}
    )
    result: list[Any] = []
    worker = threading.Thread(
        target=lambda: result.append(call(client, hook_call(httpserver.url_for("/r4"))))
    )
    try:
        worker.start()
        worker.join(timeout=60)  # a liveness bound, 60x the budget: without the budget the drip never ends
        assert not worker.is_alive(), "the hook call was held by the slow FHIR server"
    finally:
        stop.set()
        worker.join(timeout=10)
    assert result[0].status_code == 412
