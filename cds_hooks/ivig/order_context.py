"""The order-hook context (order-select, order-sign) parsed once: the IVIg logic never reads wire keys."""

from __future__ import annotations

from dataclasses import dataclass

from cds_hooks.chart import bundle_resources
from cds_hooks.ivig.fhir_read import reference_of, relative_reference
from cds_hooks.models import JSON

ORDER_SELECT = "order-select"


@dataclass(frozen=True)
class OrderContext:
    """What an order hook tells the IVIg service: the patient, the draft orders and the selection."""

    hook: str
    patient_id: str
    user_id: str | None
    draft_orders: tuple[JSON, ...]
    selections: tuple[str, ...] = ()

    def orders_in_question(self) -> tuple[JSON, ...]:
        """Return the draft orders the hook is about (order-select: only the selected ones)."""
        if self.hook != ORDER_SELECT:
            return self.draft_orders
        selected = set(self.selections)
        return tuple(o for o in self.draft_orders if reference_of(o) in selected)


def parse_order_context(context: JSON, hook: str) -> OrderContext:
    """Return the OrderContext of a hook's `context` (already checked by the request parser)."""
    user = context.get("userId")
    selections = context.get("selections") or []
    return OrderContext(
        hook=hook,
        patient_id=str(context.get("patientId", "")),
        user_id=user if isinstance(user, str) else None,
        draft_orders=tuple(bundle_resources(context.get("draftOrders"))),
        selections=tuple(relative_reference(s) for s in selections if isinstance(s, str)),
    )
