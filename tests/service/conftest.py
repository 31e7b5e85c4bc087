"""Fixtures for the service layer: an app with services defined here, not in the product."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cds_hooks.chart import Chart, Unavailable, bundle_resources
from cds_hooks.models import Card, CdsResponse, Coding, HookRequest, ServiceDefinition, Source
from cds_hooks.registry import Environment
from service.app import create_app

PATIENT_ID = "pat-7f3a"
TOKEN = "secret-access-token-9d2c"


class ChartCountingService:
    """A test service: for a MedicationRequest draft, reads its two queries and reports what it got."""

    def __init__(self, service_id: str = "test-order-sign", hook: str = "order-sign") -> None:
        self.definition = ServiceDefinition(
            id=service_id,
            hook=hook,
            title="Test service",
            description="Counts the chart it reads",
            prefetch={
                "patient": "Patient/{{context.patientId}}",
                "conditions": "Condition?patient={{context.patientId}}",
            },
        )

    def evaluate(self, request: HookRequest, chart: Chart, env: Environment) -> CdsResponse:
        orders = bundle_resources(request.context["draftOrders"])
        if not any(o.get("resourceType") == "MedicationRequest" for o in orders):
            return CdsResponse()
        data = chart.get(["patient", "conditions"])
        parts = []
        for key, value in data.items():
            if isinstance(value, Unavailable):
                parts.append(f"{key}=unavailable")
            elif value is None:
                parts.append(f"{key}=none")
            else:
                parts.append(f"{key}={len(bundle_resources(value))}")
        return CdsResponse(
            cards=(
                Card(
                    uuid=env.new_uuid(),
                    summary=" ".join(parts),
                    indicator="info",
                    source=Source(label="test", topic=Coding(system="urn:test", code="counted")),
                ),
            )
        )


def base_config(tmp_path: Path, **sections: dict[str, Any]) -> dict[str, Any]:
    """Return a development configuration with its data under tmp_path."""
    config: dict[str, Any] = {
        "service": {"data_dir": str(tmp_path / "data")},
        "auth": {"required": False},
        "fhir": {"timeout_seconds": 0.5, "budget_seconds": 1.0, "max_pages": 3},
    }
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    return config


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    yield create_app(
        base_config(tmp_path),
        services=[ChartCountingService(), ChartCountingService("test-order-select", "order-select")],
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def draft_orders(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def medication_request(rid: str = "mr1") -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "medicationCodeableConcept": {"text": "something"},
    }


def sign_request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "order-sign",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {
            "userId": "Practitioner/123",
            "patientId": PATIENT_ID,
            "draftOrders": draft_orders(medication_request()),
        },
    }
    body.update(overrides)
    return body
