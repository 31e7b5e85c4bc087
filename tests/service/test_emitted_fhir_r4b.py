"""Every FHIR resource the service emits is valid FHIR R4B (fhir.resources models), for every scenario of the
library: the resources of card suggestions (ServiceRequests to create), the references of delete actions,
and every reference of the assessment extension (the evidence behind each criterion, the orders assessed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fixtures.library import FixtureScenario, load_scenarios
from service.fhir_validation import InvalidResource, validate_reference, validate_resource
from tests.service.library_calls import build_hook_response

JSON = dict[str, Any]
LIBRARY = load_scenarios()
REFERENCE_KEYS = {"reference", "orders", "references"}


def extract_references(node: Any, key: str | None = None) -> Iterator[str]:
    """Yield every string held under a reference-valued key of the assessment, at any depth."""
    if isinstance(node, dict):
        for child_key, child in node.items():
            yield from extract_references(child, child_key)
    elif isinstance(node, list):
        for child in node:
            yield from extract_references(child, key)
    elif isinstance(node, str) and key in REFERENCE_KEYS:
        yield node


def emitted(response: JSON) -> tuple[list[JSON], list[str]]:
    """Return (resources, references) a response emits."""
    resources: list[JSON] = []
    references: list[str] = []
    for card in response["cards"]:
        for suggestion in card.get("suggestions", []):
            for action in suggestion.get("actions", []):
                if "resource" in action:
                    resources.append(action["resource"])
                if "resourceId" in action:
                    ids = action["resourceId"]
                    references.extend(ids if isinstance(ids, list) else [ids])
        references.extend(extract_references(card.get("extension", {}).get("org.ivig-cds.assessment", {})))
    return resources, references


@pytest.mark.parametrize("scenario", LIBRARY, ids=[s.name for s in LIBRARY])
def test_every_emitted_resource_and_reference_is_valid_r4b(scenario: FixtureScenario) -> None:
    resources, references = emitted(build_hook_response(scenario))
    for resource in resources:
        validate_resource(resource)
    for reference in references:
        validate_reference(reference)


def test_the_library_emits_enough_to_check() -> None:
    """Not a vacuous pass: the library's answers carry ServiceRequests, deletes and evidence references."""
    kinds: dict[str, int] = {}
    references = 0
    for scenario in LIBRARY:
        resources, refs = emitted(build_hook_response(scenario))
        for resource in resources:
            kinds[resource["resourceType"]] = kinds.get(resource["resourceType"], 0) + 1
        references += len(refs)
    assert kinds.get("ServiceRequest", 0) >= 10
    assert references >= 500


@pytest.mark.parametrize(
    "resource",
    [
        {"resourceType": "ServiceRequest", "status": "draft", "intent": "proposal"},  # subject is required
        {
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": 3,
            "subject": {"reference": "Patient/p"},
        },
        {"resourceType": "ServiceRequest", "intent": "proposal", "subject": {"reference": "Patient/p"}},
    ],
)
def test_the_validator_refuses_an_invalid_service_request(resource: JSON) -> None:
    with pytest.raises(InvalidResource):
        validate_resource(resource)


@pytest.mark.parametrize(
    "reference", ["Observation", "Observation/", "Obs ervation/x", "Nope/x", "Observation/a b"]
)
def test_the_validator_refuses_an_invalid_reference(reference: str) -> None:
    with pytest.raises(InvalidResource):
        validate_reference(reference)
