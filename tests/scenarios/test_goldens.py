"""Every library scenario yields its golden cards through `evaluate`, the hooks with prefetch, and the
hooks reading a FHIR server (pytest-httpserver serving the scenario's record).

Set IVIG_CDS_UPDATE_GOLDENS=1 to rewrite the golden files from the prefetch path (then review the diff).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pytest_httpserver import HTTPServer

from fixtures.library import FixtureScenario, load_scenarios
from service.app import create_app
from service.cli import main
from tests.scenarios.support import (
    FHIR_BASE_PATH,
    fhir_handler,
    full_prefetch,
    golden_path,
    normalise,
    selected_order,
)

SCENARIOS = load_scenarios()
IDS = [s.name for s in SCENARIOS]
UPDATE = os.environ.get("IVIG_CDS_UPDATE_GOLDENS") == "1"
SERVICE_FOR_HOOK = {"order-select": "ivig-order-select", "order-sign": "ivig-order-sign"}
(AS_OF,) = {s.meta["asOf"] for s in SCENARIOS}
OUT_OF_SCOPE_BY_ORDER = {
    "cidp-indication-no-card",
    "itp-indication-no-card",
    "non-ivig-order-no-card",
    "order-select-non-ivig-selected-no-card",
    "subcutaneous-ig-no-card",
}
OUT_OF_SCOPE_BY_PROBLEM_LIST = {"no-lmn-indication-no-card", "resolved-lmn-condition-no-card"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    data = tmp_path_factory.mktemp("data")
    yield create_app({"service": {"data_dir": str(data), "as_of_date": AS_OF}, "auth": {"required": False}})


def discovery_templates(app: Flask, service_id: str) -> dict[str, str]:
    services = app.test_client().get("/cds-services").json["services"]
    templates: dict[str, str] = next(s["prefetch"] for s in services if s["id"] == service_id)
    return templates


def call(app: Flask, scenario: FixtureScenario, **extra: Any) -> dict[str, Any]:
    service_id = SERVICE_FOR_HOOK[scenario.meta["hook"]]
    response = app.test_client().post(
        f"/cds-services/{service_id}", json={**scenario.hook_request(), **extra}
    )
    assert response.status_code == 200, response.json
    body: dict[str, Any] = response.json
    return body


def golden(scenario: FixtureScenario) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(golden_path(scenario).read_text())
    return data


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_hook_with_full_prefetch(app: Flask, scenario: FixtureScenario) -> None:
    templates = discovery_templates(app, SERVICE_FOR_HOOK[scenario.meta["hook"]])
    actual = normalise(call(app, scenario, prefetch=full_prefetch(scenario, templates)))
    if UPDATE:
        golden_path(scenario).write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
    assert actual == golden(scenario)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_golden_carries_the_expected_outcome(scenario: FixtureScenario) -> None:
    cards = golden(scenario)["cards"]
    outcomes = [card["source"]["topic"]["code"] for card in cards]
    assert outcomes == ([scenario.expected_outcome] if scenario.expected_outcome else [])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_hook_reading_the_fhir_server(app: Flask, scenario: FixtureScenario, httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"{FHIR_BASE_PATH}/", method="GET").respond_with_data("", status=404)
    httpserver.expect_request(_any_path(), method="GET").respond_with_handler(fhir_handler(scenario))
    auth = {
        "access_token": "scenario-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "ivig-cds",
    }
    actual = normalise(
        call(app, scenario, fhirServer=httpserver.url_for(FHIR_BASE_PATH), fhirAuthorization=auth)
    )
    assert actual == golden(scenario)
    reads = [r.path.removeprefix(FHIR_BASE_PATH) for r, _ in httpserver.log]
    if scenario.name in OUT_OF_SCOPE_BY_ORDER:
        assert reads == []  # the draft order alone settles it: no FHIR read at all
    elif scenario.name in OUT_OF_SCOPE_BY_PROBLEM_LIST:
        assert reads == ["/Condition"]  # only the problem list, to look for an LMN indication
    else:
        assert "/Observation" in reads and f"/Patient/{scenario.patient_id}" in reads


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_evaluate_command(
    scenario: FixtureScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    order = tmp_path / "order.json"
    order.write_text(json.dumps(selected_order(scenario)))
    record = Path(golden_path(scenario)).parent / "record.json"
    status = main(["evaluate", str(record), "--order", str(order), "--as-of", AS_OF, "--format", "cards"])
    assert status == 0
    assert normalise(json.loads(capsys.readouterr().out)) == golden(scenario)


def _any_path() -> Any:
    import re

    return re.compile(rf"^{FHIR_BASE_PATH}/.+")
