"""Every library scenario yields its golden cards through `evaluate`, the hooks with prefetch, and the
hooks reading a FHIR server (pytest-httpserver serving the scenario's record); every golden meets the
scenario's hand-written expectation.

Regenerate the goldens with `pytest tests/scenarios --update-goldens` (CONTRIBUTING.md): a golden is only
written when the response meets the expectation, and the diff is read before it is committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pytest_httpserver import HTTPServer

from fixtures.library import FixtureScenario, load_scenarios
from service.app import create_app
from service.cli import main
from tests.scenarios.expectations import expectation_problems
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
    path = golden_path(scenario)
    if not path.exists():
        pytest.fail(f"{path} missing: run pytest tests/scenarios --update-goldens and review the diff")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.fixture(scope="module")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_hook_with_full_prefetch(app: Flask, scenario: FixtureScenario, update_goldens: bool) -> None:
    templates = discovery_templates(app, SERVICE_FOR_HOOK[scenario.meta["hook"]])
    actual = normalise(call(app, scenario, prefetch=full_prefetch(scenario, templates)))
    if update_goldens:
        problems = expectation_problems(scenario, actual)
        assert problems == [], "not written: the response does not meet the hand-written expectation"
        golden_path(scenario).write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
    assert actual == golden(scenario)


SIGN_SCENARIOS = [s for s in SCENARIOS if s.meta["hook"] == "order-sign"]


@pytest.mark.parametrize("scenario", SIGN_SCENARIOS, ids=[s.name for s in SIGN_SCENARIOS])
def test_order_select_of_every_draft_meets_the_same_expectation(
    app: Flask, scenario: FixtureScenario
) -> None:
    """The other hook: order-select naming every draft order gives the order-sign answer, with prefetch."""
    request = scenario.hook_request()
    request["hook"] = "order-select"
    request["context"]["selections"] = [f"{d['resourceType']}/{d['id']}" for d in scenario.drafts()]
    request["prefetch"] = full_prefetch(scenario, discovery_templates(app, "ivig-order-select"))
    response = app.test_client().post("/cds-services/ivig-order-select", json=request)
    assert response.status_code == 200, response.json
    assert expectation_problems(scenario, response.json) == []


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_golden_meets_the_hand_written_expectation(scenario: FixtureScenario) -> None:
    assert expectation_problems(scenario, golden(scenario)) == []


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
