"""Offline evaluation of one patient's Bundle (the `ivig-cds evaluate` command), through the same pipeline.

The orders: the given draft-orders Bundle (as a hook's `draftOrders`) or MedicationRequest; else the
first MedicationRequest with status draft in the Bundle; else a synthesised draft IVIg order (first IVIg
medication code of the rules) with no stated reason, so the problem list decides scope. The hook is
order-sign (every draft order counts).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from cds_hooks.chart import BundleChart, bundle_resources
from cds_hooks.errors import InvalidRequest
from cds_hooks.ivig.assessment import Assessment
from cds_hooks.ivig.pipeline import HookResult, evaluate_hook
from cds_hooks.ivig.queries import build_prefetch
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.models import JSON
from cds_hooks.registry import Environment

SYNTHETIC_ORDER_ID = "ivig-cds-offline-order"


def _counter_uuid() -> Callable[[], str]:
    """Return a deterministic uuid factory (offline output is reproducible)."""
    state = {"n": 0}

    def new_uuid() -> str:
        state["n"] += 1
        return f"00000000-0000-4000-8000-{state['n']:012d}"

    return new_uuid


def build_offline_order(resources: list[JSON], patient_id: str, rules: Rules) -> JSON:
    """Return the draft MedicationRequest in the record, else a synthesised IVIg order without reason."""
    for resource in resources:
        if resource.get("resourceType") == "MedicationRequest" and resource.get("status") == "draft":
            return resource
    code = rules.medication.codes.first()
    return {
        "resourceType": "MedicationRequest",
        "id": SYNTHETIC_ORDER_ID,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient_id}"},
        "medicationCodeableConcept": {"coding": [{"system": code.system, "code": code.code}]},
    }


def build_offline_draft_orders(
    resources: list[JSON], patient_id: str, rules: Rules, order: JSON | None
) -> JSON:
    """Return the draftOrders Bundle: `order` when it is a Bundle of draft orders, else one order in one."""
    if order is not None and order.get("resourceType") == "Bundle":
        return order
    draft = order if order is not None else build_offline_order(resources, patient_id, rules)
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": draft}]}


def evaluate_bundle(
    bundle: JSON,
    rules: Rules,
    as_of: date,
    order: JSON | None = None,
    new_uuid: Callable[[], str] | None = None,
) -> HookResult:
    """Return the assessment and CDS Hooks response for a Bundle of one patient's record.

    `order` is a MedicationRequest or a Bundle of draft orders; None takes the record's draft order.
    """
    resources = bundle_resources(bundle)
    patients = [r for r in resources if r.get("resourceType") == "Patient" and isinstance(r.get("id"), str)]
    if not patients:
        raise InvalidRequest("the Bundle holds no Patient with an id", field="bundle")
    patient_id = str(patients[0]["id"])
    context: JSON = {
        "userId": "Practitioner/offline",
        "patientId": patient_id,
        "draftOrders": build_offline_draft_orders(resources, patient_id, rules, order),
    }
    chart = BundleChart(resources, build_prefetch(rules))
    env = Environment(as_of=as_of, new_uuid=new_uuid or _counter_uuid())
    return evaluate_hook(context, "order-sign", chart, env, rules)


def assess(record_resources: list[JSON], order: JSON | None, as_of: date, rules: Rules) -> Assessment:
    """Return the assessment for one patient's resources and an optional IVIg order."""
    bundle: JSON = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in record_resources],
    }
    return evaluate_bundle(bundle, rules, as_of, order).assessment
