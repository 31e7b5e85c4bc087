"""The lint finds each CDS Hooks 2.0 violation by rule, and passes a well-formed body."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from cds_hooks.profiles import GENERIC, build_client_profile, lint_response, lint_spec

JSON = dict[str, Any]
CARD_UUID = "5b7f8a4e-2c1d-4e6f-9a0b-1c2d3e4f5a6b"
SUGGESTION_UUID = "8c9d0e1f-2a3b-4c5d-8e6f-7a8b9c0d1e2f"


def good_body() -> JSON:
    return {
        "cards": [
            {
                "uuid": CARD_UUID,
                "summary": "IVIg not supported",
                "indicator": "warning",
                "source": {"label": "ivig-cds", "topic": {"system": "urn:x", "code": "NotSupported"}},
                "suggestions": [
                    {
                        "label": "Cancel the IVIg order",
                        "uuid": SUGGESTION_UUID,
                        "actions": [
                            {"type": "delete", "description": "Cancel", "resourceId": "MedicationRequest/1"}
                        ],
                    }
                ],
                "selectionBehavior": "any",
                "overrideReasons": [{"system": "urn:x", "code": "r1", "display": "Reason"}],
                "links": [{"label": "SIMON2013", "url": "https://doi.org/10.1212/x", "type": "absolute"}],
            }
        ]
    }


def card(body: JSON) -> JSON:
    found: JSON = body["cards"][0]
    return found


BREAKS: dict[str, tuple[Callable[[JSON], None], str]] = {
    "null value": (lambda b: card(b).update(detail=None), "no-empty-values"),
    "empty list": (lambda b: card(b).update(links=[]), "no-empty-values"),
    "empty string in resource": (
        lambda b: card(b)["suggestions"][0]["actions"][0].update(description=""),
        "no-empty-values",
    ),
    "summary too long": (lambda b: card(b).update(summary="x" * 140), "summary-length"),
    "summary missing": (lambda b: card(b).pop("summary"), "summary-required"),
    "indicator": (lambda b: card(b).update(indicator="hard-stop"), "indicator-value"),
    "source missing": (lambda b: card(b).pop("source"), "source-required"),
    "source label": (lambda b: card(b)["source"].pop("label"), "source-label"),
    "card uuid": (lambda b: card(b).update(uuid="card-1"), "uuid-format"),
    "suggestion uuid missing": (lambda b: card(b)["suggestions"][0].pop("uuid"), "uuid-required"),
    "uuid reused": (lambda b: card(b)["suggestions"][0].update(uuid=CARD_UUID), "uuid-unique"),
    "selection missing": (lambda b: card(b).pop("selectionBehavior"), "selection-required"),
    "selection value": (lambda b: card(b).update(selectionBehavior="all"), "selection-value"),
    "action type": (lambda b: card(b)["suggestions"][0]["actions"][0].update(type="remove"), "action-type"),
    "delete target": (
        lambda b: card(b)["suggestions"][0]["actions"][0].update(resourceId="1"),
        "delete-target",
    ),
    "create without resource": (
        lambda b: card(b)["suggestions"][0]["actions"][0].update(type="create"),
        "action-resource",
    ),
    "override reason display": (lambda b: card(b)["overrideReasons"][0].pop("display"), "coding"),
    "relative link": (lambda b: card(b)["links"][0].update(url="/doi"), "absolute-url"),
    "link type": (lambda b: card(b)["links"][0].update(type="web"), "link-type"),
    "appContext on absolute link": (lambda b: card(b)["links"][0].update(appContext="x"), "app-context"),
    "links not an array": (lambda b: card(b).update(links={"a": 1}), "array"),
}


def test_a_well_formed_body_passes() -> None:
    assert lint_spec(good_body()) == []
    assert lint_spec({"cards": []}) == []


@pytest.mark.parametrize("name", list(BREAKS))
def test_each_violation_is_found(name: str) -> None:
    body = copy.deepcopy(good_body())
    breaker, rule = BREAKS[name]
    breaker(body)
    rules = {issue.rule for issue in lint_spec(body)}
    assert rule in rules, rules


def test_at_most_one_with_two_recommended() -> None:
    body = good_body()
    extra = {**card(body)["suggestions"][0], "uuid": "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"}
    card(body)["suggestions"] = [
        {**card(body)["suggestions"][0], "isRecommended": True},
        {**extra, "isRecommended": True},
    ]
    card(body)["selectionBehavior"] = "at-most-one"
    assert "at-most-one" in {i.rule for i in lint_spec(body)}


def test_not_a_response() -> None:
    assert [i.rule for i in lint_spec([])] == ["cards-required"]
    assert [i.rule for i in lint_spec({"cards": None})] == ["cards-required"]


def test_epic_rules() -> None:
    epic = build_client_profile("epic")
    body = good_body()
    assert lint_response(body, epic) == []
    card(body)["selectionBehavior"] = "at-most-one"
    card(body)["source"]["topic"]["code"] = "not-supported"
    action = card(body)["suggestions"][0]["actions"][0]
    card(body)["suggestions"][0]["actions"] = [action, {**action, "resourceId": "MedicationRequest/2"}]
    card(body)["links"].append({"label": "app", "url": "https://app.example.org/launch", "type": "smart"})
    rules = {i.rule for i in lint_response(body, epic)}
    assert rules == {"epic-selection", "epic-topic", "epic-one-action", "epic-link-allowlist"}
    listed = build_client_profile("epic", ("https://app.example.org",))
    assert "epic-link-allowlist" not in {i.rule for i in lint_response(body, listed)}
    assert lint_response(body, GENERIC) == []


def test_oracle_rules() -> None:
    oracle = build_client_profile("oracle", ("https://doi.org",))
    body = good_body()
    assert lint_response(body, oracle, "patient-view") == []
    card(body)["links"].append(
        {"label": "app", "url": "https://doi.org/app", "type": "smart", "appContext": "ctx"}
    )
    card(body)["links"].append(
        {"label": "other", "url": "https://doi.organisation.example/x", "type": "absolute"}
    )
    rules = [i.rule for i in lint_response(body, oracle, "order-sign")]
    assert sorted(rules) == ["oracle-app-context", "oracle-hook", "oracle-link-allowlist"]
