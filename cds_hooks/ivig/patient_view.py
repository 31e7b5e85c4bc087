"""ivig-patient-view: the assessment of a patient's active IVIg orders when the chart is opened.

For clients without order hooks (Oracle Health) and for stewardship review. Discovery asks for one
cheap query, the patient's active MedicationRequests with their Medications (`_include`); a patient
without an active IVIg order for an LMN indication is decided from it alone. Only then is the rest of
the record read, and the active orders are assessed exactly as order-sign assesses a draft: the
pre-treatment assessment, or the response review once IVIg has been given (SIMON2013, EFNS2010).
The card offers no cancel action: an active order is stopped in the EHR's own workflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from cds_hooks.chart import Chart, bundle_resources
from cds_hooks.errors import HookMismatch
from cds_hooks.ivig.fhir_read import belongs_to
from cds_hooks.ivig.pipeline import evaluate_hook
from cds_hooks.ivig.queries import PATIENT, build_prefetch
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.models import JSON, Card, CdsResponse, HookRequest, ServiceDefinition
from cds_hooks.registry import Environment

ACTIVE_ORDERS_KEY = "activeMedicationRequests"
ACTIVE_ORDERS_QUERY = (
    f"MedicationRequest?patient={PATIENT}&status=active&_include=MedicationRequest:medication"
)
DESCRIPTION = (
    "When a patient's chart is opened: for an active intravenous immunoglobulin (IVIg) order for "
    "progressive lower motor neuron weakness, the same advice as at order signing (MMN with conduction "
    "block per EFNS2010, MMN-like phenotype, SIMON2013), or the response review once IVIg has been given. "
    "Silent for every other patient, decided from one query of the active MedicationRequests."
)
USAGE = (
    "The prefetch asks only for the patient's active MedicationRequests with their Medications. For a "
    "patient with an active IVIg order the service reads the rest of the record with fhirAuthorization."
)


@dataclass(frozen=True)
class PatientViewService:
    """The patient-view service over the IVIg rules."""

    rules: Rules
    version: str | None = None
    hook_version: str | None = None
    service_id: str = "ivig-patient-view"
    _definition: ServiceDefinition = field(init=False, repr=False)
    _queries: Mapping[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        definition = ServiceDefinition(
            id=self.service_id,
            hook="patient-view",
            title="IVIg for LMN weakness: review of active IVIg orders",
            description=f"{DESCRIPTION} Rules version {self.rules.version}.",
            prefetch={ACTIVE_ORDERS_KEY: ACTIVE_ORDERS_QUERY},
            usage_requirements=USAGE,
            version=self.version,
            hook_version=self.hook_version,
        )
        object.__setattr__(self, "_definition", definition)
        object.__setattr__(
            self, "_queries", {ACTIVE_ORDERS_KEY: ACTIVE_ORDERS_QUERY, **build_prefetch(self.rules)}
        )

    @property
    def definition(self) -> ServiceDefinition:
        """Return the discovery entry (one prefetch query)."""
        return self._definition

    @property
    def queries(self) -> Mapping[str, str]:
        """Return every query the service may read: the active orders, then what the rules read."""
        return self._queries

    def evaluate(self, request: HookRequest, chart: Chart, env: Environment) -> CdsResponse:
        """Return the card of the patient's active IVIg orders (no card, and no other read, without one)."""
        if request.hook != "patient-view":
            raise HookMismatch(f"this service answers 'patient-view', not '{request.hook}'", field="hook")
        patient_id = request.patient_id
        value = chart.get([ACTIVE_ORDERS_KEY])[ACTIVE_ORDERS_KEY]
        orders = extract_active_orders(value if isinstance(value, dict) else None, patient_id)
        if not orders:
            return CdsResponse()
        context: JSON = {
            "patientId": patient_id,
            "userId": request.context.get("userId"),
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": r} for r in orders],
            },
        }
        response = evaluate_hook(context, "order-sign", chart, env, self.rules).response
        return CdsResponse(tuple(build_review_card(card) for card in response.cards))


def extract_active_orders(bundle: JSON | None, patient_id: str) -> list[JSON]:
    """Return the patient's active MedicationRequests, followed by the Medications that came with them."""
    resources = bundle_resources(bundle)
    orders = [
        r
        for r in resources
        if r.get("resourceType") == "MedicationRequest"
        and r.get("status") == "active"
        and belongs_to(r, patient_id)
    ]
    if not orders:
        return []
    return orders + [r for r in resources if r.get("resourceType") == "Medication"]


def build_review_card(card: Card) -> Card:
    """Return the card without suggestions that would delete an active order."""
    kept = tuple(s for s in card.suggestions if not any(a.type == "delete" for a in s.actions))
    return replace(card, suggestions=kept, selection_behavior=card.selection_behavior if kept else None)
