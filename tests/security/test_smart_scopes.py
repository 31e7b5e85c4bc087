"""`fhirAuthorization.scope` (issue 12 item 4): SMART v1 and v2 syntax read; Epic's free text and any other
scope text tolerated: a call never gets a 4xx or 5xx because of what its scope says."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from service.app import create_app
from service.smart_scopes import evaluate_read_grant, extract_scope, extract_scope_grant
from tests.security.conftest import (
    PUBLIC_BASE,
    bearer,
    claims_for,
    demo_client,
    secure_config,
    services,
    sign,
)
from tests.service.conftest import sign_request

SERVICE = "/cds-services/test-order-sign"
EPIC_SCOPE = "Hospital-wide read access for the ivig-cds CDS service (Epic interconnect) - see 2024 agreement"


@pytest.mark.parametrize(
    ("token", "context", "resource_type", "permissions", "version"),
    [
        ("patient/Observation.read", "patient", "Observation", "rs", 1),
        ("user/*.*", "user", "*", "cruds", 1),
        ("system/Patient.write", "system", "Patient", "cud", 1),
        ("patient/Observation.rs", "patient", "Observation", "rs", 2),
        ("user/Condition.cruds", "user", "Condition", "cruds", 2),
        ("patient/*.r", "patient", "*", "r", 2),
        ("patient/Observation.rs?category=laboratory", "patient", "Observation", "rs", 2),
    ],
)
def test_smart_resource_scopes_are_read(
    token: str, context: str, resource_type: str, permissions: str, version: int
) -> None:
    scope = extract_scope(token)
    assert scope is not None
    assert (scope.context, scope.resource_type, scope.permissions, scope.version) == (
        context,
        resource_type,
        frozenset(permissions),
        version,
    )


@pytest.mark.parametrize(
    "token",
    [
        "launch",
        "openid",
        "fhirUser",
        "online_access",
        "patient/Observation.",
        "patient/Observation.sr",
        "clinic/Observation.read",
        "patient/Obs-ervation.read",
        "patient/Observation.readwrite",
        "*/*.*",
    ],
)
def test_other_tokens_are_not_resource_scopes(token: str) -> None:
    assert extract_scope(token) is None


def test_read_grant_per_resource_type() -> None:
    v1 = extract_scope_grant("launch openid patient/Observation.read patient/Condition.read")
    assert v1.syntax == "smart-v1" and v1.other == ("launch", "openid")
    assert evaluate_read_grant(v1, "Observation") is True
    assert evaluate_read_grant(v1, "MedicationRequest") is False
    v2 = extract_scope_grant("patient/*.rs")
    assert v2.syntax == "smart-v2" and evaluate_read_grant(v2, "MedicationRequest") is True
    writes_only = extract_scope_grant("patient/Observation.cu")
    assert evaluate_read_grant(writes_only, "Observation") is False
    mixed = extract_scope_grant("patient/Observation.read patient/Condition.rs")
    assert mixed.syntax == "smart-mixed"


@pytest.mark.parametrize("text", [EPIC_SCOPE, "", "   ", "ÿ\u202e\x00 ☃", "a" * 100_000, 42, None])
def test_free_text_gives_no_answer_rather_than_a_refusal(text: object) -> None:
    grant = extract_scope_grant(text)
    assert grant.syntax == "free-text"
    assert evaluate_read_grant(grant, "Observation") is None


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_any_scope_text_parses_without_error(text: str) -> None:
    grant = extract_scope_grant(text)
    assert len(grant.scopes) + len(grant.other) == len(text.split())


@pytest.mark.parametrize(
    "scope",
    [
        "patient/*.read",
        "patient/Observation.rs patient/Condition.rs patient/MedicationRequest.rs launch openid",
        EPIC_SCOPE,
        "",
        "Ω≈ç√∫ user/*.* \t\n",
    ],
)
def test_hook_call_succeeds_whatever_the_scope_text(
    tmp_path: Path, httpserver: HTTPServer, scope: str
) -> None:
    def empty_bundle(request: Request) -> Response:
        return Response(
            '{"resourceType": "Bundle", "type": "searchset", "entry": []}',
            200,
            content_type="application/fhir+json",
        )

    httpserver.expect_request("").respond_with_handler(empty_bundle)
    fhir = httpserver.url_for("/r4")
    config = secure_config(tmp_path, demo_client(fhir_servers=[fhir]), fhir={"allow_insecure_loopback": True})
    client = create_app(config, services=services()).test_client()
    auth = {
        "access_token": "t0k3n",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": scope,
        "subject": "x",
    }
    body = sign_request(fhirServer=fhir, fhirAuthorization=auth)
    response = client.post(SERVICE, json=body, headers=bearer(sign(claims_for(PUBLIC_BASE + SERVICE))))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
