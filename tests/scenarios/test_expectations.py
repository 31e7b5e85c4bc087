"""Every library scenario meets its hand-written expectation in the core pipeline (no Flask, no network).

The expectation comes from docs/clinical-logic.md, never from the engine; the golden files are checked
against the same expectation in test_goldens.py.
"""

from __future__ import annotations

import json
from datetime import date
from itertools import count
from typing import Any

import pytest

from cds_hooks.chart import BundleChart
from cds_hooks.ivig.pipeline import evaluate_hook
from cds_hooks.ivig.queries import build_prefetch
from cds_hooks.ivig.rules import parse_rules_text
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.registry import Environment
from fixtures.library import FixtureScenario, load_scenarios
from service.rules_loading import load_default_rules_text
from tests.scenarios.expectations import expectation_problems

RULES: Rules = parse_rules_text(load_default_rules_text())
SCENARIOS = load_scenarios()


def run_core(scenario: FixtureScenario, rules: Rules = RULES) -> dict[str, Any]:
    """Return the hook response (JSON) of the core pipeline for the scenario, reading its record."""
    request = scenario.hook_request()
    counter = count(1)
    env = Environment(scenario.as_of, lambda: f"00000000-0000-4000-8000-{next(counter):012d}")
    chart = BundleChart(scenario.resources(), build_prefetch(rules))
    result = evaluate_hook(request["context"], request["hook"], chart, env, rules)
    body: dict[str, Any] = result.response.to_json()
    return body


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_meets_its_expectation(scenario: FixtureScenario) -> None:
    assert expectation_problems(scenario, run_core(scenario)) == []


def walk(value: Any) -> list[Any]:
    """Return every node of a JSON document."""
    if isinstance(value, dict):
        return [value, *(x for v in value.values() for x in walk(v))]
    if isinstance(value, list):
        return [value, *(x for v in value for x in walk(v))]
    return [value]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_card_shape(scenario: FixtureScenario) -> None:
    for card in run_core(scenario)["cards"]:
        assert card["summary"] and len(card["summary"]) < 140
        assert all(v is not None and v not in ("", [], {}) for v in walk(card)), "no null/empty fields"
        assert RULES.version in card["detail"] and "<" not in card["detail"].replace("&lt;", "")
        assert card["extension"]["org.ivig-cds.assessment"]["rulesVersion"] == RULES.version
        assert len(card["overrideReasons"]) == 4 and all(r["display"] for r in card["overrideReasons"])


def test_patient_name_never_in_a_card() -> None:
    for scenario in SCENARIOS:
        names = [
            part
            for resource in scenario.resources()
            if resource["resourceType"] == "Patient"
            for name in resource.get("name", [])
            for part in [name.get("family"), *name.get("given", [])]
            if isinstance(part, str) and len(part) > 2 and not part.isupper()
        ]
        text = json.dumps(run_core(scenario))
        assert [n for n in names if n in text] == [], scenario.name


def test_an_expectation_can_fail() -> None:
    """The comparison catches a wrong outcome, a wrong criterion and a missing suggestion."""
    scenario = next(s for s in SCENARIOS if s.meta["expected"]["outcome"])
    response = run_core(scenario)
    card = response["cards"][0]
    wrong_outcome = json.loads(json.dumps(response))
    wrong_outcome["cards"][0]["source"]["topic"]["code"] = "supported-by-mistake"
    assert expectation_problems(scenario, wrong_outcome)
    wrong_suggestions = json.loads(json.dumps(response))
    wrong_suggestions["cards"][0]["suggestions"] = [*card.get("suggestions", []), _cancel()]
    assert expectation_problems(scenario, wrong_suggestions)
    assert expectation_problems(scenario, {"cards": []})


def _cancel() -> dict[str, Any]:
    return {"uuid": "x", "label": "x", "actions": [{"type": "delete", "resourceId": "MedicationRequest/x"}]}


def test_as_of_is_one_date() -> None:
    assert {s.as_of for s in SCENARIOS} == {date(2026, 6, 1)}
