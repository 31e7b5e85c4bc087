"""CORS (configured origins only, preflight without a JWT) and request limits (413, 415, JSON sanity)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from service.app import create_app
from service.request_body import MAX_DEPTH
from tests.security.conftest import PUBLIC_BASE, bearer, claims_for, secure_config, services, sign
from tests.service.conftest import base_config, sign_request

SANDBOX = "https://sandbox.cds-hooks.org"
SERVICE = "/cds-services/test-order-sign"


def preflight(client: FlaskClient, origin: str, path: str = SERVICE) -> object:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


@pytest.mark.parametrize("path", ["/cds-services", SERVICE, SERVICE + "/feedback"])
def test_preflight_from_a_configured_origin_is_answered_without_a_jwt(
    secure_client: FlaskClient, path: str
) -> None:
    response = preflight(secure_client, SANDBOX, path)
    assert response.status_code == 204  # type: ignore[attr-defined]
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["Access-Control-Allow-Origin"] == SANDBOX
    allowed = {h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in headers


@pytest.mark.parametrize(
    "origin",
    ["https://evil.test", "null", "https://sandbox.cds-hooks.org.evil.test", "http://sandbox.cds-hooks.org"],
)
def test_other_origins_get_no_cors_headers(secure_client: FlaskClient, origin: str) -> None:
    response = preflight(secure_client, origin)
    assert "Access-Control-Allow-Origin" not in response.headers  # type: ignore[attr-defined]
    token = sign(claims_for(PUBLIC_BASE + "/cds-services"))
    response = secure_client.get("/cds-services", headers={**bearer(token), "Origin": origin})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers.get("Vary", "")


def test_actual_request_from_a_configured_origin_gets_cors_headers(secure_client: FlaskClient) -> None:
    token = sign(claims_for(PUBLIC_BASE + "/cds-services"))
    response = secure_client.get("/cds-services", headers={**bearer(token), "Origin": SANDBOX})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SANDBOX
    refused = secure_client.get("/cds-services", headers={"Origin": SANDBOX})
    assert refused.status_code == 401  # the browser may read the 401, but the JWT is still required
    assert refused.headers["Access-Control-Allow-Origin"] == SANDBOX


def test_wildcard_is_answered_as_a_wildcard_never_an_echo(tmp_path: Path) -> None:
    config = base_config(tmp_path, cors={"allowed_origins": ["*"]})
    client = create_app(config, services=services()).test_client()
    response = preflight(client, "https://anyone.test")
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # type: ignore[attr-defined]
    assert "Access-Control-Allow-Origin" not in preflight(client, "null").headers  # type: ignore[attr-defined]


def test_no_origins_configured_means_no_cors(tmp_path: Path) -> None:
    client = create_app(base_config(tmp_path), services=services()).test_client()
    assert "Access-Control-Allow-Origin" not in preflight(client, SANDBOX).headers  # type: ignore[attr-defined]


@pytest.fixture
def dev_client(tmp_path: Path) -> FlaskClient:
    config = base_config(tmp_path, service={"max_body_bytes": 20_000})
    return create_app(config, services=services()).test_client()


def code_of(response: object) -> str:
    return str(response.json["issue"][0]["details"]["coding"][0]["code"])  # type: ignore[attr-defined]


def test_body_over_the_limit_is_413(dev_client: FlaskClient) -> None:
    body = b'{"hook": "order-sign", "pad": "' + b"x" * 30_000 + b'"}'
    response = dev_client.post(SERVICE, data=body, content_type="application/json")
    assert response.status_code == 413
    assert code_of(response) == "too-large"


def test_body_over_the_limit_is_413_for_feedback_too(dev_client: FlaskClient) -> None:
    response = dev_client.post(
        SERVICE + "/feedback", data=b"[" + b"1," * 20_000 + b"1]", content_type="application/json"
    )
    assert response.status_code == 413


def test_authenticated_oversized_body_is_413(tmp_path: Path) -> None:
    config = secure_config(tmp_path, service={"max_body_bytes": 20_000, "public_base_url": PUBLIC_BASE})
    client = create_app(config, services=services()).test_client()
    token = sign(claims_for(PUBLIC_BASE + SERVICE))
    body = b'{"pad": "' + b"x" * 30_000 + b'"}'
    response = client.post(SERVICE, data=body, content_type="application/json", headers=bearer(token))
    assert response.status_code == 413


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_wrong_content_type_is_415(dev_client: FlaskClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = dev_client.post(SERVICE, data=b'{"hook": "order-sign"}', headers=headers)
    assert response.status_code == 415


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/fhir+json"]
)
def test_json_content_types_are_accepted(dev_client: FlaskClient, content_type: str) -> None:
    import json

    response = dev_client.post(
        SERVICE, data=json.dumps(sign_request()), headers={"Content-Type": content_type}
    )
    # Accepted and parsed: the call reaches the data step, where no prefetch and no fhirServer is 412.
    assert response.status_code == 412
    assert response.json["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b"[" * 100_000,  # the parser's own recursion limit
        b'{"a": ' * 5000 + b"1" + b"}" * 5000,
        b"[" + b"0," * 300_000 + b"0]",
        b'{"hook": NaN}',
        b'{"hook": Infinity}',
        b'{"hook": "\xff\xfe"}',
        b"1" * 5000,  # beyond Python's int digit limit
        b"",
        b"\x00",
    ],
)
def test_hostile_json_is_a_400(tmp_path: Path, body: bytes) -> None:
    client = create_app(base_config(tmp_path), services=services()).test_client()
    response = client.post(SERVICE, data=body, content_type="application/json")
    assert response.status_code == 400, response.json
    assert response.json["resourceType"] == "OperationOutcome"


def test_chunked_body_cut_off_at_the_limit_is_413_not_a_truncated_success(dev_client: FlaskClient) -> None:
    """Werkzeug hands back only the first max_body_bytes of a stream without a Content-Length (as gunicorn
    delivers chunked bodies): a valid request padded past the limit must not be served from its prefix."""
    import io
    import json

    body = json.dumps(sign_request()).encode() + b" " * 30_000
    response = dev_client.post(
        SERVICE,
        input_stream=io.BytesIO(body),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"},
    )
    assert response.status_code == 413
    small = json.dumps(sign_request()).encode()
    response = dev_client.post(
        SERVICE,
        input_stream=io.BytesIO(small),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"},
    )
    assert response.status_code == 412  # read whole and parsed; then no prefetch and no fhirServer
