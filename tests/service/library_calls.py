"""The product hook services answering a library scenario, the chart read from its record (as prefetch)."""

from __future__ import annotations

from typing import Any

from cds_hooks.chart import BundleChart
from cds_hooks.parsing import parse_hook_request
from cds_hooks.registry import Environment
from fixtures.library import FixtureScenario
from service.config import build_config
from service.rules_loading import load_product_services

JSON = dict[str, Any]
SERVICES, _ = load_product_services(build_config({"auth": {"required": False}}))


def build_hook_response(scenario: FixtureScenario) -> JSON:
    """Return the wire response of the scenario's hook call (uuids numbered from 1)."""
    service = next(s for s in SERVICES if s.definition.hook == scenario.meta["hook"])
    body = scenario.hook_request()
    chart = BundleChart(scenario.resources(), service.definition.prefetch)
    counter = iter(range(1, 10_000))
    env = Environment(as_of=scenario.as_of, new_uuid=lambda: f"00000000-0000-4000-8000-{next(counter):012d}")
    return service.evaluate(parse_hook_request(body, body["hook"]), chart, env).to_json()
