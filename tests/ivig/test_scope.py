"""Scope (docs/clinical-logic.md): which orders the service speaks about, and that silence reads nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pytest

from cds_hooks.chart import BundleChart, ChartValue
from cds_hooks.ivig.medication import ndc_product_key
from cds_hooks.ivig.queries import build_prefetch
from cds_hooks.ivig.services import build_services
from cds_hooks.models import HookRequest
from cds_hooks.registry import Environment
from fixtures.fhir_builders import (
    ATC,
    ICD10CM,
    NDC,
    PATIENT,
    RXNORM,
    cc,
    collection,
    condition,
    ivig_order,
    local,
    patient,
    sct,
)
from tests.ivig.support import default_rules

RULES = default_rules()
SERVICES = {s.definition.id: s for s in build_services(RULES)}
IV, SC = sct("47625008"), sct("34206005")


class CountingChart:
    """A fake Chart over a list of resources that counts every get/read."""

    def __init__(self, resources: list[dict[str, Any]]) -> None:
        self.inner = BundleChart(resources, build_prefetch(RULES))
        self.gets: list[list[str]] = []
        self.reads: list[list[str]] = []

    def get(self, keys: Sequence[str]) -> Mapping[str, ChartValue]:
        self.gets.append(list(keys))
        return self.inner.get(keys)

    def read(self, references: Sequence[str]) -> Mapping[str, ChartValue]:
        self.reads.append(list(references))
        return self.inner.read(references)


def call(
    orders: list[dict[str, Any]],
    record: list[dict[str, Any]],
    hook: str = "order-sign",
    selections: list[str] | None = None,
) -> tuple[int, CountingChart]:
    context: dict[str, Any] = {
        "userId": "Practitioner/1",
        "patientId": PATIENT,
        "draftOrders": collection(orders),
    }
    if selections is not None:
        context["selections"] = selections
    chart = CountingChart(record)
    request = HookRequest(hook=hook, hook_instance="x", context=context)
    service = SERVICES["ivig-order-select" if hook == "order-select" else "ivig-order-sign"]
    response = service.evaluate(request, chart, Environment(date(2026, 6, 1), lambda: "u"))
    return len(response.cards), chart


RECORD = [patient(), condition("mmn", sct("230591002"))]
NON_IVIG = {
    **ivig_order(reason=sct("230591002")),
    "medicationCodeableConcept": cc(ATC, "123"),
}


@pytest.mark.parametrize(
    "order",
    [
        NON_IVIG,
        ivig_order(reason=sct("230591002"), dosageInstruction=[{"route": SC}]),
        ivig_order(reason=cc(ICD10CM, "D69.3")),  # ITP
        {
            **ivig_order(reason=sct("230591002")),
            "category": {"text": "lenient object"},
            "resourceType": "ServiceRequest",
        },
        {**NON_IVIG, "reasonCode": [], "reasonReference": [{"reference": "Condition/elsewhere"}]},
    ],
)
def test_out_of_scope_makes_no_chart_reads(order):
    cards, chart = call([order], RECORD)
    assert cards == 0 and chart.gets == [] and chart.reads == []


@pytest.mark.parametrize(
    "order",
    [
        ivig_order(
            reason=sct("230591002"),
            dosageInstruction=[{"route": IV}],
            category={"text": "object, not a list"},
        ),
        ivig_order(reason=local("progressive-lmn-weakness")),
        ivig_order(medicationCodeableConcept=cc(NDC, "44206-0439-10"), reason=sct("230591002")),
        ivig_order(
            medicationCodeableConcept=cc(RXNORM, "1426680"),
            reason=sct("230591002"),
        ),
    ],
)
def test_in_scope_reads_once(order):
    cards, chart = call([order], RECORD)
    assert cards == 1 and len(chart.gets) == 1 and len(chart.reads) <= 1


def test_no_stated_reason_uses_problem_list():
    cards, chart = call([ivig_order()], RECORD)
    assert cards == 1 and chart.gets[0] == ["conditions"] and len(chart.gets) == 2
    cards, _ = call([ivig_order()], [patient(), condition("mmn", sct("230591002"), verification="refuted")])
    assert cards == 0


def test_referenced_medication_contained_draft_and_read():
    med = {"resourceType": "Medication", "id": "m1", "code": cc(ATC, "J06BA02")}
    contained = ivig_order(
        reason=sct("230591002"), contained=[{**med, "id": "c1"}], medicationReference={"reference": "#c1"}
    )
    contained.pop("medicationCodeableConcept")
    assert call([contained], RECORD)[0] == 1
    by_ref = ivig_order(reason=sct("230591002"), medicationReference={"reference": "Medication/m1"})
    by_ref.pop("medicationCodeableConcept")
    assert call([by_ref, med], RECORD)[0] == 1
    cards, chart = call([by_ref], [*RECORD, med])
    assert cards == 1 and chart.reads[0] == ["Medication/m1"]


def test_order_select_only_selected_orders():
    assert (
        call(
            [NON_IVIG, ivig_order("sel", reason=sct("230591002"))],
            RECORD,
            "order-select",
            ["MedicationRequest/sel"],
        )[0]
        == 1
    )
    cards, chart = call(
        [{**NON_IVIG, "id": "other"}, ivig_order("sel", reason=sct("230591002"))],
        RECORD,
        "order-select",
        ["MedicationRequest/other"],
    )
    assert cards == 0 and chart.gets == []


@pytest.mark.parametrize(
    ("ndc", "key"),
    [
        ("44206-0439-10", (44206, 439)),
        ("44206-439-10", (44206, 439)),
        ("00944-2700-02", (944, 2700)),
        ("44206043910", (44206, 439)),
        ("bad", None),
    ],
)
def test_ndc_product_key(ndc, key):
    assert ndc_product_key(ndc) == key


def test_prefetch_templates_follow_bindings():
    prefetch = SERVICES["ivig-order-sign"].definition.prefetch
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert "http://loinc.org%7C2157-6" in prefetch["observations"]
    assert "|" not in "".join(prefetch.values())
    site = default_rules("[observations]\nck = ['http://loinc.org|99999-9']\n")
    assert "99999-9" in build_services(site)[0].definition.prefetch["observations"]


def test_prefetch_templates_reach_every_version_2_fact():
    prefetch = SERVICES["ivig-order-sign"].definition.prefetch
    for code in (
        "grip-strength-vigorimeter",
        "anti-gm1-galc-igm",
        "anti-gm1-igm",
        "nerve-csa",
        "mrc-sum-score",
    ):
        assert f"lmn-assessment%7C{code}" in prefetch["observations"], code
    assert (
        "v2-0074%7CEN" in prefetch["reports"] and "v2-0074%7CRAD" in prefetch["reports"]
    )  # NCS, EMG, US, MRI
    assert "_include=DiagnosticReport:result" in prefetch["reports"]
    assert prefetch["ivigAdministrations"].startswith("MedicationAdministration?")
    assert "status=completed,in-progress" in prefetch["ivigAdministrations"]
