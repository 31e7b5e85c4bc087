"""Scenario responses as the core builds them, and as each profile delivers them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from cds_hooks.chart import BundleChart
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.ivig.services import build_services
from cds_hooks.models import CdsResponse
from cds_hooks.parsing import parse_hook_request
from cds_hooks.profiles import ClientProfile, shape_response
from cds_hooks.registry import CdsService, Environment
from fixtures.library import FixtureScenario
from service.rules_loading import load_rules

JSON = dict[str, Any]
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def counter_uuid() -> Callable[[], str]:
    """Return a deterministic uuid factory."""
    state = {"n": 0}

    def new_uuid() -> str:
        state["n"] += 1
        return f"00000000-0000-4000-8000-{state['n']:012d}"

    return new_uuid


@cache
def rules() -> Rules:
    """Return the default rules (loaded once)."""
    return load_rules(None)


def service_for(hook: str) -> CdsService:
    """Return the product service registered on `hook`."""
    return next(s for s in build_services(rules()) if s.definition.hook == hook)


def core_response(scenario: FixtureScenario, body: JSON | None = None) -> CdsResponse:
    """Return the response the core builds for a scenario's hook call (the chart from its record)."""
    body = body or scenario.hook_request()
    service = service_for(body["hook"])
    request = parse_hook_request(body, body["hook"])
    chart = BundleChart(scenario.resources(), service.definition.prefetch)
    env = Environment(as_of=scenario.as_of, new_uuid=counter_uuid())
    return service.evaluate(request, chart, env)


def delivered(scenario: FixtureScenario, client: ClientProfile, body: JSON | None = None) -> JSON:
    """Return the wire body a client with this profile receives for the scenario."""
    response = core_response(scenario, body)
    new_uuid = counter_uuid()
    for _ in range(100):  # suggestion uuids of the split start after the core's
        new_uuid()
    return shape_response(response, client, new_uuid).to_json()


def normalise(body: JSON) -> JSON:
    """Return the body with every uuid replaced by its order of first appearance."""
    text = json.dumps(body, sort_keys=True)
    seen: dict[str, str] = {}
    result: JSON = json.loads(
        _UUID.sub(lambda m: seen.setdefault(m.group(0), f"<uuid-{len(seen) + 1}>"), text)
    )
    return result


def as_of(scenario: FixtureScenario) -> date:
    """Return the scenario's evaluation date."""
    return scenario.as_of
