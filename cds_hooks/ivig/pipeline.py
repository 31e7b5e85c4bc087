"""One hook call as a straight line: scope, read the record, extract facts, evaluate, build the card."""

from __future__ import annotations

from dataclasses import dataclass

from cds_hooks.chart import Chart
from cds_hooks.ivig.assessment import Assessment, evaluate_assessment, out_of_scope
from cds_hooks.ivig.cards import build_card
from cds_hooks.ivig.extract import extract_facts
from cds_hooks.ivig.fhir_read import reference_of
from cds_hooks.ivig.order_context import OrderContext, parse_order_context
from cds_hooks.ivig.queries import PREFETCH_KEYS
from cds_hooks.ivig.record import read_record
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.ivig.scope import evaluate_scope
from cds_hooks.models import JSON, CdsResponse
from cds_hooks.registry import Environment


@dataclass(frozen=True)
class HookResult:
    """The assessment behind a hook call and the response it gives."""

    assessment: Assessment
    response: CdsResponse


def evaluate_hook(context: JSON, hook: str, chart: Chart, env: Environment, rules: Rules) -> HookResult:
    """Return the assessment and cards of one order-select/order-sign call (wire-form context)."""
    return evaluate_order_hook(parse_order_context(context, hook), chart, env, rules)


def evaluate_order_hook(context: OrderContext, chart: Chart, env: Environment, rules: Rules) -> HookResult:
    """Return the assessment and cards of one parsed order-hook context."""
    scope = evaluate_scope(context, chart, rules)
    if not scope.orders:
        return HookResult(out_of_scope(rules, env.as_of), CdsResponse())
    patient_id = context.patient_id
    record = read_record(chart, PREFETCH_KEYS, patient_id, env.as_of, scope.prior)
    order_ids = tuple(reference_of(o) for o in scope.orders)
    facts = extract_facts(record, rules, order_ids)
    assessment = evaluate_assessment(facts, rules, env.as_of, order_ids)
    if assessment.outcome is None:
        return HookResult(assessment, CdsResponse())
    card = build_card(assessment, rules, env.new_uuid, patient_id)
    return HookResult(assessment, CdsResponse((card,)))
