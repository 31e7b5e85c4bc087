"""Every call leaves a trace (refusals audited with a reason code only), and silent mode answers no card
while the audit (and so the report) keeps the card it would have shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.app import create_app
from service.governance.records import ReportQuery, load_calls
from service.governance.report import ReportOptions, load_report
from service.runtime import Runtime
from tests.security.conftest import (
    ISSUER,
    PUBLIC_BASE,
    bearer,
    captured_logs,
    claims_for,
    demo_client,
    secure_config,
    services,
    sign,
)
from tests.service.conftest import PATIENT_ID, TOKEN, sign_request

HOOK = "/cds-services/test-order-sign"
PREFETCHED = {"patient": {"resourceType": "Patient", "id": PATIENT_ID}, "conditions": None}


def make_app(tmp_path: Path, **client: Any) -> Flask:
    return create_app(secure_config(tmp_path, demo_client(**client)), services=services())


def token(path: str = HOOK, tenant: str | None = None) -> dict[str, str]:
    return bearer(sign(claims_for(PUBLIC_BASE + path, tenant=tenant)))


def audit_rows(app: Flask) -> list[dict[str, Any]]:
    rt: Runtime = app.extensions["ivig_cds"]
    rt.audit.flush()
    return rt.store.load_audit()


@pytest.fixture
def secure(tmp_path: Path) -> FlaskClient:
    return make_app(tmp_path).test_client()


REFUSALS = [
    ("no token", lambda: {}, sign_request(prefetch=PREFETCHED), 401, "auth-no-bearer-token"),
    (
        "fhirServer off the allow-list",
        token,
        sign_request(fhirServer="https://elsewhere.example.org/r4", fhirAuthorization={
            "access_token": TOKEN, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read",
            "subject": "cds"}),
        403,
        "fhir-server-not-allowed",
    ),
    ("invalid request", token, sign_request(context={"patientId": PATIENT_ID}), 400, None),
    ("no data and no fhirServer", token, sign_request(), 412, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "headers", "body", "status", "reason"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_a_refused_call_is_audited_and_logged_with_a_reason_code(
    secure: FlaskClient, name: str, headers: Any, body: dict[str, Any], status: int, reason: str | None
) -> None:
    with captured_logs() as logs:
        answer = secure.post(HOOK, json=body, headers=headers())
    assert answer.status_code == status
    (row,) = audit_rows(secure.application)
    assert row["status"] == status and row["reason"]
    if reason is not None:
        assert row["reason"] == reason
    assert row["hook_instance"] == body["hookInstance"] or status == 401
    traced = [
        r
        for r in logs.records()
        if r.get("status") == status and r.get("event") in ("hook-refused", "hook-call")
    ]
    assert traced and all(r.get("reason") or r["event"] == "hook-call" for r in traced)
    everything = json.dumps(row, default=str) + "\n".join(logs.lines)
    assert PATIENT_ID not in everything and TOKEN not in everything
    assert "eyJ" not in everything  # no JWT


def test_a_body_over_the_limit_is_audited_as_413(tmp_path: Path) -> None:
    config = secure_config(tmp_path, service={"public_base_url": PUBLIC_BASE, "max_body_bytes": 2000})
    client = create_app(config, services=services()).test_client()
    body = sign_request(prefetch=PREFETCHED, padding="x" * 5000)
    assert client.post(HOOK, json=body, headers=token()).status_code == 413
    (row,) = audit_rows(client.application)
    assert (row["status"], row["reason"]) == (413, "too-large")


def test_a_silent_client_gets_no_card_yet_the_report_shows_it(tmp_path: Path) -> None:
    app = make_app(tmp_path, silent=True, tenant="north")
    client = app.test_client()
    answer = client.post(HOOK, json=sign_request(prefetch=PREFETCHED), headers=token(tenant="north"))
    assert answer.status_code == 200 and answer.json == {"cards": []}
    rt: Runtime = app.extensions["ivig_cds"]
    rt.audit.flush()
    (call,) = load_calls(rt.store, ReportQuery())
    assert call.silent and call.outcome == "counted" and len(call.cards) == 1
    assert (call.issuer, call.tenant) == (ISSUER, "north")
    built = load_report(rt.store, ReportOptions())
    review = next(s for s in built.sections if s.id == "review")
    fired = next(t for t in review.tables if t.name == "would_have_fired")
    assert fired.rows == (("counted", 1),)


@pytest.mark.parametrize(
    "hooks", [{"silent": True}, {"silent_tenants": ["north"]}], ids=["global", "per tenant"]
)
def test_silent_mode_globally_or_per_tenant(tmp_path: Path, hooks: dict[str, Any]) -> None:
    config = secure_config(tmp_path, demo_client(tenant="north"), hooks=hooks)
    client = create_app(config, services=services()).test_client()
    answer = client.post(HOOK, json=sign_request(prefetch=PREFETCHED), headers=token(tenant="north"))
    assert answer.json == {"cards": []}
    (row,) = audit_rows(client.application)
    assert row["silent"] and row["outcome"] == "counted" and len(row["card_uuids"]) == 1


def test_a_live_client_gets_its_card(secure: FlaskClient) -> None:
    answer = secure.post(HOOK, json=sign_request(prefetch=PREFETCHED), headers=token())
    assert len(answer.json["cards"]) == 1
    (row,) = audit_rows(secure.application)
    assert not row["silent"] and json.loads(row["cards_detail"])[0]["outcome"] == "counted"


def test_silent_mode_is_off_unless_configured(tmp_path: Path) -> None:
    config = secure_config(tmp_path, demo_client(tenant="south"), hooks={"silent_tenants": ["north"]})
    client = create_app(config, services=services()).test_client()
    answer = client.post(HOOK, json=sign_request(prefetch=PREFETCHED), headers=token(tenant="south"))
    assert len(answer.json["cards"]) == 1
