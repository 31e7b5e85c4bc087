"""Real-world data through the hooks: the HL7 R4 examples and five Synthea patients, loaded into a real
FHIR server and read over the wire, and the HL7 examples sent as prefetch. None of their orders is an
IVIg order for LMN weakness, so every answer is 200 with no card; an IVIg order for LMN weakness added
to a real record gets a card. The FHIR reads of every call are measured and reported at the end.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from cds_hooks.chart import answer_queries
from fixtures.library import OUTCOMES, FixtureScenario
from tests.e2e.cds_service import CdsService
from tests.e2e.fhir_server import FhirServer
from tests.e2e.realworld import WireMeter, load_hl7_examples, synthea_as_put, synthea_files

pytestmark = pytest.mark.e2e

JSON = dict[str, Any]
HOOKS = {"order-sign": "ivig-order-sign", "order-select": "ivig-order-select"}
HL7 = load_hl7_examples()
HL7_ORDERS = [r for r in HL7 if r["resourceType"] == "MedicationRequest"]
READS_REPORT: list[JSON] = []  # printed by conftest.pytest_terminal_summary


def patient_of(order: JSON) -> str:
    """Return the id of the order's subject."""
    return str(order["subject"]["reference"]).rsplit("/", 1)[-1]


def hook_body(hook: str, order: JSON, patient_id: str) -> JSON:
    """Return a hook request with one order in draftOrders (selected, for order-select)."""
    context: JSON = {
        "userId": "Practitioner/e2e",
        "patientId": patient_id,
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": order}]},
    }
    if hook == "order-select":
        context["selections"] = [f"MedicationRequest/{order['id']}"]
    return {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}


def over_fhir(body: JSON, fhir_server: FhirServer) -> JSON:
    """Return the body with fhirServer and fhirAuthorization (every read goes over the wire)."""
    return fhir_server.hook_access(body)


def measured_call(cds: CdsService, fhir_server: FhirServer, hook: str, body: JSON, label: str) -> JSON:
    """Call the hook, assert a 200, record the call's FHIR reads; return the answer."""
    meter = WireMeter(fhir_server)
    meter.start()
    response = cds.post(f"/cds-services/{HOOKS[hook]}", body)
    wire = meter.stop()
    assert response.status_code == 200, f"{label}: {response.status_code} {response.text[:2000]}"
    logged = cds.hook_calls().get(body["hookInstance"], {})
    assert all(status in (200, 404) for status in wire.statuses), f"{label}: {wire.gets} {wire.statuses}"
    READS_REPORT.append(
        {
            "call": label,
            "hook": hook,
            "queries": logged.get("fhir_reads"),
            "http_gets": len(wire.gets),
            "resources": wire.resources,
            "cards": len(response.json()["cards"]),
        }
    )
    answer: JSON = response.json()
    return answer


def ivig_order_for(patient_id: str, scenarios: list[FixtureScenario]) -> JSON:
    """Return a draft IVIg order for LMN weakness (from the scenario library) for another patient."""
    source = next(s for s in scenarios if s.name == "order-select-ivig-selected")
    ivig = next(
        e["resource"]
        for e in source.draft_orders["entry"]
        if "J06BA02" in json.dumps(e["resource"].get("medicationCodeableConcept"))
    )
    order = json.loads(json.dumps(ivig))
    order["id"] = f"e2e-ivig-{patient_id}"[:64]
    order["subject"] = {"reference": f"Patient/{patient_id}"}
    return order


@pytest.fixture(scope="module")
def hl7_loaded(fhir_server: FhirServer) -> list[JSON]:
    """The HL7 examples, stored in the FHIR server."""
    assert HL7_ORDERS, "fixtures/hl7-examples holds no MedicationRequest"
    fhir_server.put_all(HL7)
    return HL7


@pytest.fixture(scope="module")
def synthea_loaded(fhir_server: FhirServer) -> list[list[JSON]]:
    """The Synthea patients' resources (one list per patient), stored in the FHIR server."""
    patients = []
    with fhir_server.session() as session:
        for path in synthea_files():
            bundle = json.loads(path.read_text(encoding="utf-8"))
            response = session.post(
                fhir_server.base_url,
                data=json.dumps(synthea_as_put(bundle)),
                headers={"Content-Type": "application/fhir+json"},
                timeout=120,
            )
            assert response.status_code == 200, f"{path.name}: {response.text[:2000]}"
            patients.append([e["resource"] for e in bundle["entry"]])
    return patients


@pytest.mark.parametrize("hook", sorted(HOOKS))
@pytest.mark.parametrize("order", HL7_ORDERS, ids=[o["id"] for o in HL7_ORDERS])
def test_hl7_example_orders_over_fhir_give_no_card(
    order: JSON, hook: str, hl7_loaded: list[JSON], cds: CdsService, fhir_server: FhirServer
) -> None:
    body = over_fhir(hook_body(hook, order, patient_of(order)), fhir_server)
    answer = measured_call(cds, fhir_server, hook, body, f"hl7 {order['id']}")
    assert answer == {"cards": []}


def stored_orders(fhir_server: FhirServer, patients: list[list[JSON]]) -> list[JSON]:
    """Return the Synthea MedicationRequests as the FHIR server holds them (references as `Type/id`)."""
    orders = []
    with fhir_server.session() as session:
        for resources in patients:
            patient_id = next(r["id"] for r in resources if r["resourceType"] == "Patient")
            url = f"{fhir_server.base_url}/MedicationRequest?patient={patient_id}&_count=100"
            bundle = session.get(url, timeout=30).json()
            orders += [e["resource"] for e in bundle.get("entry", [])]
    return orders


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_synthea_orders_over_fhir_give_no_card(
    hook: str, synthea_loaded: list[list[JSON]], cds: CdsService, fhir_server: FhirServer
) -> None:
    orders = stored_orders(fhir_server, synthea_loaded)
    assert orders, "the Synthea patients hold no MedicationRequest"
    for order in orders:
        body = over_fhir(hook_body(hook, order, patient_of(order)), fhir_server)
        answer = measured_call(cds, fhir_server, hook, body, f"synthea {order['id'][:8]}")
        assert answer == {"cards": []}, order["id"]


def test_ivig_order_on_synthea_records_reads_the_real_chart(
    synthea_loaded: list[list[JSON]],
    scenarios: list[FixtureScenario],
    cds: CdsService,
    fhir_server: FhirServer,
) -> None:
    for resources in synthea_loaded:
        patient_id = next(r["id"] for r in resources if r["resourceType"] == "Patient")
        order = ivig_order_for(patient_id, scenarios)
        body = over_fhir(hook_body("order-sign", order, patient_id), fhir_server)
        answer = measured_call(cds, fhir_server, "order-sign", body, f"synthea ivig {patient_id[:8]}")
        assert len(answer["cards"]) == 1, answer
        assert answer["cards"][0]["source"]["topic"]["code"] in OUTCOMES


def prefetch_of(resources: list[JSON], patient_id: str, templates: dict[str, str]) -> JSON:
    """Return a prefetch that answers each template with every resource of its type (as a lax EHR would)."""
    return answer_queries(resources, templates, patient_id)


@pytest.fixture(scope="module")
def templates(cds: CdsService) -> dict[str, dict[str, str]]:
    """Prefetch templates by service id, from discovery."""
    return {s["id"]: s["prefetch"] for s in cds.get("/cds-services").json()["services"]}


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_hl7_examples_as_prefetch(
    hook: str, templates: dict[str, dict[str, str]], scenarios: list[FixtureScenario], cds: CdsService
) -> None:
    orders = [*HL7_ORDERS, ivig_order_for("example", scenarios), ivig_order_for("pat1", scenarios)]
    for order in orders:
        patient_id = patient_of(order)
        body = hook_body(hook, order, patient_id)
        body["prefetch"] = prefetch_of(HL7, patient_id, templates[HOOKS[hook]])
        response = cds.post(f"/cds-services/{HOOKS[hook]}", body)
        assert response.status_code == 200, f"{order['id']}: {response.status_code} {response.text[:2000]}"
        cards = response.json()["cards"]
        if order["id"].startswith("e2e-ivig-"):
            assert len(cards) == 1 and cards[0]["source"]["topic"]["code"] in OUTCOMES, cards
        else:
            assert cards == [], order["id"]
