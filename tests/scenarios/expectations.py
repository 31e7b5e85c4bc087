"""Compare a CDS Hooks response with a scenario's hand-written expectation (test support, not a test).

The expectation (fixtures/scenarios/<name>/scenario.json `expected`) is written from docs/clinical-logic.md:
outcome and row, the status of every criterion the scenario is about, the CB reason, and the suggestions.
It is checked against the engine's responses and against the golden file, so a golden cannot bless a
wrong answer.
"""

from __future__ import annotations

from typing import Any

from fixtures.library import FixtureScenario

JSON = dict[str, Any]
ASSESSMENT_KEY = "org.ivig-cds.assessment"


def suggestion_keys(card: JSON) -> list[str]:
    """Return the card's suggestions as `cancel` / `order:<code>`, sorted."""
    keys = []
    for suggestion in card.get("suggestions", []):
        for action in suggestion.get("actions", []):
            if action.get("type") == "delete":
                keys.append("cancel")
            else:
                codings = action.get("resource", {}).get("code", {}).get("coding", [{}])
                keys.append(f"order:{codings[0].get('code')}")
    return sorted(keys)


def expectation_problems(scenario: FixtureScenario, response: JSON) -> list[str]:
    """Return how `response` departs from the scenario's hand-written expectation (empty: it meets it)."""
    expected = scenario.meta["expected"]
    cards = response.get("cards", [])
    if expected["outcome"] is None:
        return [] if cards == [] else [f"expected no card, got {len(cards)}"]
    if len(cards) != 1:
        return [f"expected one card, got {len(cards)}"]
    card = cards[0]
    assessment: JSON = card.get("extension", {}).get(ASSESSMENT_KEY, {})
    problems = []
    got = {"topic": card["source"]["topic"]["code"], "extension": assessment.get("outcome")}
    if set(got.values()) != {expected["outcome"]}:
        problems.append(f"outcome {got} != {expected['outcome']}")
    if "row" in assessment and str(assessment["row"]) != expected["row"]:
        problems.append(f"row {assessment['row']} != {expected['row']}")
    problems += _criteria_problems(expected, assessment)
    if suggestion_keys(card) != expected["suggestions"]:
        problems.append(f"suggestions {suggestion_keys(card)} != {expected['suggestions']}")
    return problems


def _criteria_problems(expected: JSON, assessment: JSON) -> list[str]:
    """Return the criteria (and CB level and reason) whose status differs from the expectation."""
    statuses = {c["id"]: c["status"] for c in assessment.get("criteria", [])}
    block = assessment.get("conductionBlock", {})
    problems = []
    for criterion, status in expected["criteria"].items():
        if criterion == "SCOPE":
            continue  # in scope: a card (checked above); out of scope: no card
        got = block.get("status") if criterion == "CB" else statuses.get(criterion)
        if got != status:
            problems.append(f"{criterion} {got} != {status}")
    if "cbReason" in expected and block.get("reason") != expected["cbReason"]:
        problems.append(f"CB reason {block.get('reason')!r} != {expected['cbReason']!r}")
    return problems
