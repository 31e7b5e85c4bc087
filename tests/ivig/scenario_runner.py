"""Run a fixtures/scenarios/<name> directory through the hook pipeline (test support, not a test)."""

from __future__ import annotations

import json
from datetime import date
from itertools import count
from pathlib import Path
from typing import Any

from cds_hooks.chart import BundleChart, bundle_resources
from cds_hooks.ivig.pipeline import HookResult, evaluate_hook
from cds_hooks.ivig.queries import build_prefetch
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.registry import Environment

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"


def scenario_dirs() -> list[Path]:
    """Return the complete scenario directories."""
    if not SCENARIOS.is_dir():
        return []
    return sorted(
        d for d in SCENARIOS.iterdir() if (d / "scenario.json").is_file() and (d / "record.json").is_file()
    )


def run_scenario(path: Path, rules: Rules) -> tuple[dict[str, Any], HookResult]:
    """Return the scenario's description and the pipeline's result for it."""
    scenario = json.loads((path / "scenario.json").read_text())
    record = json.loads((path / "record.json").read_text())
    drafts = json.loads((path / "draft-orders.json").read_text())
    resources = bundle_resources(record)
    patient = next(r for r in resources if r.get("resourceType") == "Patient")
    context: dict[str, Any] = {"userId": "Practitioner/1", "patientId": patient["id"], "draftOrders": drafts}
    if scenario["hook"] == "order-select":
        context["selections"] = scenario.get("selections", [])
    counter = count(1)
    env = Environment(date.fromisoformat(scenario["asOf"]), lambda: f"uuid-{next(counter)}")
    chart = BundleChart(resources, build_prefetch(rules))
    return scenario, evaluate_hook(context, scenario["hook"], chart, env, rules)
