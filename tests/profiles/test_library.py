"""Every library scenario, as each profile delivers it, passes the lint; a few are kept as golden cards.

The goldens (`fixtures/profiles/<scenario>.<profile>.json`, uuids normalised) are a record of reviewed
output; the expectations that prove the shaping are stated by hand below and in test_shape.py.
Rewrite them with `pytest tests/profiles --update-goldens` (then read the diff).
"""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from cds_hooks.chart import BundleChart
from cds_hooks.ivig.patient_view import PatientViewService
from cds_hooks.parsing import parse_hook_request
from cds_hooks.profiles import PROFILE_NAMES, build_client_profile, lint_response, shape_response
from cds_hooks.registry import Environment
from fixtures.library import FIXTURES, FixtureScenario, load_scenarios
from tests.patient_view.support import activated, patient_view_request
from tests.profiles.support import counter_uuid, delivered, normalise, rules

SCENARIOS = {s.name: s for s in load_scenarios()}
GOLDENS = FIXTURES / "profiles"
GOLDEN_SCENARIOS = ("babinski-present-against-mmn", "no-ncs-cb-unknown", "definite-cb-median-forearm")
TWO_ORDERS = "two-ivig-orders-against-mmn"
JSON = dict[str, Any]


def two_order_body() -> tuple[FixtureScenario, JSON]:
    """Return an against-mmn scenario whose call carries two draft IVIg orders."""
    scenario = SCENARIOS["babinski-present-against-mmn"]
    body = copy.deepcopy(scenario.hook_request())
    first = body["context"]["draftOrders"]["entry"][0]
    second = copy.deepcopy(first)
    second["resource"]["id"] = first["resource"]["id"] + "-second"
    body["context"]["draftOrders"]["entry"].append(second)
    return scenario, body


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_passes_the_lint(name: str, profile: str) -> None:
    scenario = SCENARIOS[name]
    client = build_client_profile(profile)
    body = delivered(scenario, client)
    assert [
        str(i) for i in lint_response(body, client, scenario.meta["hook"] if profile != "oracle" else None)
    ] == []


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_two_orders_pass_the_lint(profile: str) -> None:
    scenario, request = two_order_body()
    client = build_client_profile(profile)
    assert lint_response(delivered(scenario, client, request), client) == []


def golden_cases() -> list[tuple[str, str]]:
    names = [*GOLDEN_SCENARIOS, TWO_ORDERS]
    return [(n, p) for n in names for p in PROFILE_NAMES]


def body_of(name: str, profile: str) -> JSON:
    client = build_client_profile(profile, ("https://doi.org",) if profile == "oracle" else ())
    if name == TWO_ORDERS:
        scenario, request = two_order_body()
        return delivered(scenario, client, request)
    return delivered(SCENARIOS[name], client)


@pytest.mark.parametrize(("name", "profile"), golden_cases())
def test_golden_cards(name: str, profile: str, request: pytest.FixtureRequest) -> None:
    path = GOLDENS / f"{name}.{profile}.json"
    got = normalise(body_of(name, profile))
    if request.config.getoption("--update-goldens"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    assert got == json.loads(Path(path).read_text()), (
        f"{path.name} differs (pytest tests/profiles --update-goldens)"
    )


def test_two_orders_by_hand() -> None:
    """Generic keeps one cancel with two actions; Epic gets one per order, 'any', static topic code."""
    (generic,) = body_of(TWO_ORDERS, "generic")["cards"]
    (epic,) = body_of(TWO_ORDERS, "epic")["cards"]
    assert generic["source"]["topic"]["code"] == "against-mmn"
    assert [len(s["actions"]) for s in generic["suggestions"]] == [2]
    assert generic["selectionBehavior"] == "any"  # v2: the card's own selectionBehavior is "any"
    assert epic["source"]["topic"]["code"] == "AgainstMmn"
    assert epic["selectionBehavior"] == "any"
    targets = [[a["resourceId"] for a in s["actions"]] for s in epic["suggestions"]]
    assert [len(t) for t in targets] == [1, 1]
    assert sorted(t[0] for t in targets) == sorted(
        a["resourceId"] for a in generic["suggestions"][0]["actions"]
    )
    assert epic["extension"] == generic["extension"]
    assert epic["uuid"] == generic["uuid"]
    assert epic["suggestions"][0]["uuid"] == generic["suggestions"][0]["uuid"]


def test_oracle_by_hand() -> None:
    """Oracle keeps registered links only (here doi.org), and the card text is unchanged."""
    (generic,) = body_of("babinski-present-against-mmn", "generic")["cards"]
    (oracle,) = body_of("babinski-present-against-mmn", "oracle")["cards"]
    assert generic["links"] and all(link["url"].startswith("https://doi.org/") for link in generic["links"])
    assert oracle["links"] == generic["links"]
    unregistered = delivered(SCENARIOS["babinski-present-against-mmn"], build_client_profile("oracle"))
    assert "links" not in unregistered["cards"][0]
    assert oracle["detail"] == generic["detail"] == unregistered["cards"][0]["detail"]


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_patient_view_card_passes_the_lint(name: str, profile: str) -> None:
    """The same, for the patient-view card of the scenario's order once active (Oracle's hook included)."""
    scenario = SCENARIOS[name]
    service = PatientViewService(rules())
    chart = BundleChart(activated(scenario), service.queries)
    request = parse_hook_request(patient_view_request(scenario), "patient-view")
    response = service.evaluate(request, chart, Environment(scenario.as_of, counter_uuid()))
    client = build_client_profile(profile)
    body = shape_response(response, client, lambda: str(uuid.uuid4())).to_json()
    assert [str(i) for i in lint_response(body, client, "patient-view")] == []
