"""The benchmark's three hook calls, built from the scenario library and the discovery templates.

1. `no-card`: a non-IVIg draft order (fixtures/scenarios/non-ivig-order-no-card), full prefetch.
2. `card`: an in-scope IVIg order (fixtures/scenarios/definite-cb-median-forearm), full prefetch.
3. `card-fhir`: the same order with no prefetch: the service reads the bench FHIR server.

Prefetch is built the way an EHR builds it: each discovery template rendered with the context, then
answered by the same search logic the bench FHIR server uses (fhir_data.py).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cds_hooks.prefetch import render_template

from fhir_data import FhirData

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the repository root: the scenario library is fixtures.library

from fixtures.library import load_named  # noqa: E402

HOOK_INSTANCE = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
FHIR_ACCESS_TOKEN = "bench-fhir-access-token"  # noqa: S105 (a fake token the bench FHIR server ignores)

JSON = dict[str, Any]


@dataclass(frozen=True)
class BenchScenario:
    """One benchmark scenario: which library scenario, with or without prefetch, and what must come back."""

    key: str
    title: str
    library_name: str
    prefetch: bool
    expected_cards: int


BENCH_SCENARIOS = (
    BenchScenario("no-card", "non-IVIg order, full prefetch", "non-ivig-order-no-card", True, 0),
    BenchScenario("card", "in-scope IVIg order, full prefetch", "definite-cb-median-forearm", True, 1),
    BenchScenario(
        "card-fhir",
        "in-scope IVIg order, no prefetch, FHIR +5 ms/read",
        "definite-cb-median-forearm",
        False,
        1,
    ),
)


def load_record(name: str) -> list[JSON]:
    """Return the resources of a library scenario's record."""
    return load_named(name).resources()


def load_meta(name: str) -> JSON:
    """Return a library scenario's scenario.json."""
    return load_named(name).meta


def build_context(name: str) -> JSON:
    """Return the hook context of a library scenario."""
    context: JSON = load_named(name).hook_request()["context"]
    context["userId"] = "Practitioner/bench-practitioner"
    return context


def build_prefetch(templates: Mapping[str, str], context: JSON, data: FhirData) -> JSON:
    """Return the prefetch an EHR would send: every template rendered and answered."""
    return {key: data.answer(render_template(template, context)) for key, template in templates.items()}


def build_body(scenario: BenchScenario, templates: Mapping[str, str], fhir_base: str) -> JSON:
    """Return the hook request body of a benchmark scenario."""
    meta = load_meta(scenario.library_name)
    context = build_context(scenario.library_name)
    body: JSON = {"hook": meta["hook"], "hookInstance": HOOK_INSTANCE, "context": context}
    if scenario.prefetch:
        body["prefetch"] = build_prefetch(templates, context, FhirData(load_record(scenario.library_name)))
    else:
        body["fhirServer"] = fhir_base
        body["fhirAuthorization"] = {
            "access_token": FHIR_ACCESS_TOKEN,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": "patient/*.read",
            "subject": "ivig-cds",
            "patient": context["patientId"],
        }
    return body
