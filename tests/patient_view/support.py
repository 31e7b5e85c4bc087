"""A library scenario seen from the chart: its assessed draft orders become the patient's active orders."""

from __future__ import annotations

import copy
from typing import Any

from fixtures.library import FixtureScenario

JSON = dict[str, Any]


def assessed_drafts(scenario: FixtureScenario) -> list[JSON]:
    """Return the draft orders the scenario's hook is about (order-select: the selected ones)."""
    drafts = [e["resource"] for e in scenario.draft_orders["entry"]]
    if scenario.meta["hook"] != "order-select":
        return drafts
    selected = set(scenario.meta["selections"])
    return [d for d in drafts if f"{d['resourceType']}/{d.get('id')}" in selected]


def activated(scenario: FixtureScenario) -> list[JSON]:
    """Return the record plus the assessed draft orders, now active (signed on the scenario's date)."""
    active = []
    for draft in assessed_drafts(scenario):
        order = copy.deepcopy(draft)
        if order.get("resourceType") == "MedicationRequest":
            order["status"] = "active"
            order["authoredOn"] = scenario.meta["asOf"]
        active.append(order)
    return [*scenario.resources(), *active]


def patient_view_request(scenario: FixtureScenario, **extra: Any) -> JSON:
    """Return a patient-view hook body for the scenario's patient."""
    context = {"userId": "Practitioner/fixture-practitioner", "patientId": scenario.patient_id}
    return {
        "hook": "patient-view",
        "hookInstance": "0b4c7a1e-6f0d-4b5e-9a77-3c2f1e0d9b8a",
        "context": context,
        **extra,
    }
