"""Scope (docs/clinical-logic.md): which draft orders are IVIg orders for an LMN indication.

Out-of-scope answers need no chart read when the draft orders show it (non-IVIg medication,
subcutaneous route, another stated indication). Only an IVIg order without a stated reason reads
the `conditions` key first. A referenced Medication not in the draft orders is read first (one
batch); reason Conditions are read (one batch) only for orders that turned out to be IVIg.
A reasonReference that cannot be resolved counts as no stated reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from cds_hooks.chart import Chart, ChartValue, bundle_resources
from cds_hooks.ivig.conditions import is_present
from cds_hooks.ivig.fhir_read import belongs_to, dicts, has_code, reference_target, relative_reference
from cds_hooks.ivig.medication import Resolver, is_ivig_order, is_subcutaneous, medication_reference
from cds_hooks.ivig.order_context import OrderContext
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.models import JSON

Indication = Literal["lmn", "other", "none"]
CONDITIONS_KEY = "conditions"


@dataclass(frozen=True)
class Scope:
    """The in-scope IVIg orders and the conditions read to decide it (if any)."""

    orders: tuple[JSON, ...]
    prior: Mapping[str, ChartValue]


def evaluate_scope(context: OrderContext, chart: Chart, rules: Rules) -> Scope:
    """Return the in-scope IVIg orders of a hook call (empty when the service stays silent)."""
    candidates = [o for o in context.orders_in_question() if o.get("resourceType") == "MedicationRequest"]
    resolved = _local_index(context.draft_orders)

    def resolve(ref: str, holder: JSON) -> JSON | None:
        if ref.startswith("#"):
            return next((c for c in dicts(holder.get("contained")) if c.get("id") == ref[1:]), None)
        return resolved.get(relative_reference(ref))

    _read_missing(chart, [_medication_reference(o) for o in candidates], resolved)
    ivig = [o for o in candidates if is_ivig_order(o, rules, resolve) and _route_in_scope(o, rules)]
    _read_missing(chart, [ref for o in ivig for ref in _reason_references(o)], resolved)
    stated = [(o, extract_indication(o, rules, resolve)) for o in ivig]
    in_scope = [o for o, ind in stated if ind == "lmn"]
    unstated = [o for o, ind in stated if ind == "none"]
    prior: dict[str, ChartValue] = {}
    if unstated:
        prior = dict(chart.get([CONDITIONS_KEY]))
        if _has_lmn_condition(prior.get(CONDITIONS_KEY), context.patient_id, rules):
            in_scope.extend(unstated)
    return Scope(tuple(o for o in ivig if any(o is s for s in in_scope)), prior)


def _read_missing(chart: Chart, references: Sequence[str | None], resolved: dict[str, JSON]) -> None:
    """Read, in one batch, the references neither contained nor already resolved (no read if none)."""
    missing = [r for r in dict.fromkeys(references) if r and r not in resolved]
    if missing:
        read = chart.read(missing)
        resolved.update({k: v for k, v in read.items() if isinstance(v, dict)})


def _local_index(drafts: Sequence[JSON]) -> dict[str, JSON]:
    """Return the draft-order resources by 'Type/id'."""
    return {f"{r.get('resourceType')}/{r.get('id')}": r for r in drafts if r.get("id")}


def _medication_reference(order: JSON) -> str | None:
    """Return the order's non-contained medication reference as 'Type/id', if any."""
    ref = medication_reference(order)
    return relative_reference(ref) if ref and not ref.startswith("#") else None


def _reason_references(order: JSON) -> list[str]:
    """Return the order's non-contained reasonReference targets as 'Type/id'."""
    refs = [reference_target(r) for r in dicts(order.get("reasonReference"))]
    return [relative_reference(r) for r in refs if r and not r.startswith("#")]


def _route_in_scope(order: JSON, rules: Rules) -> bool:
    """Return whether the route keeps the order in scope (subcutaneous only if configured)."""
    return rules.thresholds.subcutaneous_in_scope or not is_subcutaneous(order, rules)


def extract_indication(order: JSON, rules: Rules, resolve: Resolver) -> Indication:
    """Return 'lmn', 'other' or 'none' from reasonCode and resolvable reasonReference Conditions."""
    lmn = rules.indication.lmn
    reasons = [r for r in dicts(order.get("reasonCode")) if dicts(r.get("coding"))]
    for ref in dicts(order.get("reasonReference")):
        target = reference_target(ref)
        condition = resolve(target, order) if target else None
        if isinstance(condition, dict):
            reasons.append(condition.get("code") or {})
    if any(has_code(r, lmn) for r in reasons):
        return "lmn"
    return "other" if reasons else "none"


def _has_lmn_condition(value: ChartValue | None, patient_id: str, rules: Rules) -> bool:
    """Return whether the patient has an active, not refuted Condition in the LMN binding."""
    conditions = bundle_resources(value) if isinstance(value, dict) else []
    return any(
        c.get("resourceType") == "Condition"
        and belongs_to(c, patient_id)
        and has_code(c.get("code"), rules.indication.lmn)
        and is_present(c)
        for c in conditions
    )
