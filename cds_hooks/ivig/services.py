"""The CDS services this product offers: ivig-order-select, ivig-order-sign and ivig-patient-view."""

from __future__ import annotations

from dataclasses import dataclass, field

from cds_hooks.chart import Chart
from cds_hooks.errors import HookMismatch
from cds_hooks.ivig.patient_view import PatientViewService
from cds_hooks.ivig.pipeline import evaluate_hook
from cds_hooks.ivig.queries import build_prefetch
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.models import CdsResponse, HookRequest, ServiceDefinition
from cds_hooks.registry import CdsService, Environment

HOOK_VERSION = "1.0"  # order-select, order-sign and patient-view in the CDS Hooks Library 1.0.1
SPEC_VERSION = "2.0.1"  # the CDS Hooks specification discovery announces by default
DRAFT_MEDICATIONS_KEY = "draftMedications"
# CDS Hooks 3.0 (ballot) FHIRPath prefetch token: the Medications the draft MedicationRequests reference.
DRAFT_MEDICATIONS_QUERY = (
    "Medication?_id={{context.draftOrders.entry.resource.ofType(MedicationRequest)"
    ".medicationReference.resolve().id}}"
)
DESCRIPTION = (
    "Advises on intravenous immunoglobulin (IVIg) orders for progressive lower motor neuron weakness: "
    "is it multifocal motor neuropathy with conduction block (EFNS2010), an MMN-like phenotype where a "
    "time-limited trial is reasonable, or one where IVIg rarely helps (SIMON2013)? Silent for IVIg "
    "orders with other indications."
)
USAGE = (
    "Send the IVIg MedicationRequest in context.draftOrders. The prefetch asks for the patient, conditions, "
    "examination and laboratory observations, NCS/EMG reports with their results and IVIg history; "
    "without prefetch the service reads them with fhirAuthorization."
)


@dataclass(frozen=True)
class IvigService:
    """An IVIg advice service bound to one hook."""

    rules: Rules
    service_id: str
    hook: str
    title: str
    spec_version: str = SPEC_VERSION
    _definition: ServiceDefinition = field(init=False, repr=False)

    def __post_init__(self) -> None:
        prefetch = build_prefetch(self.rules)
        if self.spec_version.startswith("3."):
            prefetch[DRAFT_MEDICATIONS_KEY] = DRAFT_MEDICATIONS_QUERY
        definition = ServiceDefinition(
            id=self.service_id,
            hook=self.hook,
            title=self.title,
            description=f"{DESCRIPTION} Rules version {self.rules.version}.",
            prefetch=prefetch,
            usage_requirements=USAGE,
            version=self.spec_version,
            hook_version=HOOK_VERSION,
        )
        object.__setattr__(self, "_definition", definition)

    @property
    def definition(self) -> ServiceDefinition:
        """Return the discovery entry, with the full prefetch templates."""
        return self._definition

    def evaluate(self, request: HookRequest, chart: Chart, env: Environment) -> CdsResponse:
        """Return the cards for one hook call (no card when out of scope)."""
        if request.hook != self.hook:
            raise HookMismatch(f"this service answers '{self.hook}', not '{request.hook}'", field="hook")
        return evaluate_hook(request.context, request.hook, chart, env, self.rules).response


def build_services(rules: Rules, spec_version: str = SPEC_VERSION) -> list[CdsService]:
    """Return the IVIg services (order-select, order-sign, patient-view) configured by `rules`.

    `spec_version` is the CDS Hooks version discovery announces; from "3.0.0" on, the order services
    also ask for the draft orders' Medications by a FHIRPath prefetch token.
    """
    select = "IVIg for LMN weakness: order-select advice"
    sign = "IVIg for LMN weakness: order-sign advice"
    return [
        IvigService(rules, "ivig-order-select", "order-select", select, spec_version),
        IvigService(rules, "ivig-order-sign", "order-sign", sign, spec_version),
        PatientViewService(rules, version=spec_version, hook_version=HOOK_VERSION),
    ]
