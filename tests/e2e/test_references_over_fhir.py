"""Reference resolution over the wire: IVIg history whose medication is a `medicationReference`
(resolved through `_include=...:medication`), and a draft order whose medication is only a reference
(resolved by a read of `Medication/<id>`). The scenario library codes every medication inline, so
these records are derived here from `ivig-responding` with fresh ids.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from fixtures.library import FixtureScenario
from tests.e2e.cds_service import CdsService
from tests.e2e.fhir_server import FhirServer
from tests.e2e.test_scenarios_over_fhir import hook_body, outcome_of

pytestmark = pytest.mark.e2e

JSON = dict[str, Any]
BASE = "ivig-responding"
PREFIX = "e2ref-"
MEDICATION_ID = "e2ref-ivig-medication"
MISSING_MEDICATION_ID = "e2ref-medication-not-on-server"


def _renamed(scenario: FixtureScenario) -> FixtureScenario:
    """Return the scenario with every id (and reference) given the e2e prefix."""
    old_prefix = scenario.patient_id.split("-", 1)[0] + "-"

    def rename(document: JSON) -> JSON:
        renamed: JSON = json.loads(json.dumps(document).replace(f'"{old_prefix}', f'"{PREFIX}'))
        return json.loads(json.dumps(renamed).replace(f"/{old_prefix}", f"/{PREFIX}"))

    return FixtureScenario(
        PREFIX + scenario.name, rename(scenario.record), rename(scenario.draft_orders), rename(scenario.meta)
    )


def _by_reference(resource: JSON, medication_id: str) -> JSON:
    """Return the resource with its medicationCodeableConcept replaced by a reference."""
    out = {k: v for k, v in resource.items() if k != "medicationCodeableConcept"}
    out["medicationReference"] = {"reference": f"Medication/{medication_id}"}
    return out


@pytest.fixture(scope="module")
def referenced(scenarios: list[FixtureScenario], fhir_server: FhirServer) -> tuple[FixtureScenario, JSON]:
    """The derived scenario loaded into the FHIR server, and the IVIg Medication it references."""
    base = _renamed(next(s for s in scenarios if s.name == BASE))
    drafts = base.draft_orders["entry"]
    medication = {
        "resourceType": "Medication",
        "id": MEDICATION_ID,
        "code": drafts[0]["resource"]["medicationCodeableConcept"],
    }
    record = [
        _by_reference(r, MEDICATION_ID) if r["resourceType"] == "MedicationAdministration" else r
        for r in base.resources()
    ]
    assert any("medicationReference" in r for r in record), "the base scenario has no IVIg history"
    fhir_server.put_all([*record, medication])
    scenario = FixtureScenario(
        base.name,
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in record]},
        base.draft_orders,
        base.meta,
    )
    return scenario, medication


def _with_draft_medication(scenario: FixtureScenario, medication_id: str) -> FixtureScenario:
    """Return the scenario whose draft IVIg order names its medication by reference only."""
    drafts = json.loads(json.dumps(scenario.draft_orders))
    for entry in drafts["entry"]:
        entry["resource"] = _by_reference(entry["resource"], medication_id)
    return FixtureScenario(scenario.name, scenario.record, drafts, scenario.meta)


def test_history_by_medication_reference(
    referenced: tuple[FixtureScenario, JSON], cds: CdsService, fhir_server: FhirServer
) -> None:
    scenario, _ = referenced
    body = hook_body(scenario, fhir_server)
    response = cds.post("/cds-services/ivig-order-sign", body)
    assert response.status_code == 200, response.text[:2000]
    assert outcome_of(response.json()) == scenario.expected_outcome == "responding"


def test_draft_medication_read_from_the_server(
    referenced: tuple[FixtureScenario, JSON], cds: CdsService, fhir_server: FhirServer
) -> None:
    scenario = _with_draft_medication(referenced[0], MEDICATION_ID)
    body = hook_body(scenario, fhir_server)
    response = cds.post("/cds-services/ivig-order-sign", body)
    assert response.status_code == 200, response.text[:2000]
    assert outcome_of(response.json()) == "responding"


def test_draft_medication_not_on_the_server_is_not_ivig(
    referenced: tuple[FixtureScenario, JSON], cds: CdsService, fhir_server: FhirServer
) -> None:
    scenario = _with_draft_medication(referenced[0], MISSING_MEDICATION_ID)
    body = hook_body(scenario, fhir_server)
    body["hookInstance"] = str(uuid.uuid4())
    response = cds.post("/cds-services/ivig-order-sign", body)
    assert response.status_code == 200, response.text[:2000]
    assert response.json() == {"cards": []}
