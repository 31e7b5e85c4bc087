"""Card suggestions (docs/clinical-logic.md): a cancel only for against-mmn, not-supported and not-responding;
otherwise a draft ServiceRequest for each test that could change the advice, unless already documented."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from cds_hooks.ivig.anatomy import NerveSide
from cds_hooks.ivig.assessment import Assessment
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.rules_model import Codes, Rules
from cds_hooks.models import JSON, Action, Suggestion

CANCEL = frozenset({"against-mmn", "not-supported", "not-responding"})


@dataclass(frozen=True)
class Order:
    """A test to suggest: its codes, label and the optional ServiceRequest details."""

    codes: Codes
    label: str
    body_sites: tuple[NerveSide, ...] = ()
    extra: tuple[tuple[str, object], ...] = ()


def build_service_request(order: Order, patient_id: str, local_system: str) -> JSON:
    """Return a draft ServiceRequest proposing one test (valid FHIR R4)."""
    resource: JSON = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "code": {"coding": [{"system": c.system, "code": c.code} for c in order.codes], "text": order.label},
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    if order.body_sites:
        resource["bodySite"] = [
            {
                "coding": [{"system": local_system, "code": nerve}],
                "text": f"{nerve} nerve, {side or 'side not stated'}",
            }
            for nerve, side in order.body_sites
        ]
    resource.update(dict(order.extra))
    return resource


def _affected_sites(assessment: Assessment) -> tuple[NerveSide, ...]:
    """Return the affected nerves (any one per weak muscle named), for an NCS order."""
    affected = assessment.affected
    if affected is None:
        return ()
    return tuple(sorted({p for req in affected.requirements for p in req}, key=lambda p: (p[0], str(p[1]))))


def _cb_orders(assessment: Assessment, rules: Rules) -> list[Order]:
    """Return the order that answers the CB-unknown reason (none for a preliminary report)."""
    block, o = assessment.conduction_block, rules.orders
    if block is None:
        return []
    reason, adequacy = block.reason, block.adequacy
    reports = [s.study.report for s in block.studies if s.study.report is not None]
    if reason in ("no study", "no proximal stimulation"):
        return [
            Order(o.ncs, "NCS with proximal stimulation of the affected nerves", _affected_sites(assessment))
        ]
    if reason == "area not reported":
        support = (("supportingInfo", [{"reference": r.reference} for r in reports]),) if reports else ()
        return [
            Order(
                o.ncs_review_areas,
                "Review the NCS for CMAP areas and durations (or a coded conclusion)",
                (),
                support,
            )
        ]
    if reason == "distal CMAP too low":  # the card text also advises recording from another muscle
        return [Order(o.nerve_ultrasound, "Nerve ultrasound (distal CMAP too low to show a block)")]
    if reason == "affected nerves not documented":
        return [Order(o.mrc_grading, "MRC grading of the weak muscles")]
    if reason == "insufficient study" and not adequacy.to_study:
        return [Order(o.nerve_ultrasound, "Nerve ultrasound (weak nerves cannot be studied for CB)")]
    if reason == "insufficient study":
        return [Order(o.ncs, "NCS with proximal stimulation of the nerves still to study", adequacy.to_study)]
    return []


def _missing_orders(assessment: Assessment, rules: Rules) -> list[Order]:
    """Return orders for unknown criteria that a test answers (CK, anti-GM1, MRC grades)."""
    o, out = rules.orders, []
    wanted = (
        (CriterionId.T_CK, o.ck, "Creatine kinase"),
        (CriterionId.S_GM1, o.anti_gm1, "Anti-GM1 IgM antibodies"),
        (CriterionId.C_MULTIFOCAL, o.mrc_grading, "MRC grading of the weak muscles"),
    )
    for cid, codes, label in wanted:
        criterion = assessment.criterion(cid)
        if criterion is not None and criterion.status == "unknown":
            out.append(Order(codes, label))
    return out


def _orders(assessment: Assessment, rules: Rules) -> list[Order]:
    """Return the tests to suggest for the assessment's outcome row."""
    row, o = assessment.row, rules.orders
    if row == "7":
        return _cb_orders(assessment, rules)
    if row == "12":
        return _missing_orders(assessment, rules)
    if row == "11" and not assessment.ultrasound_done:
        return [Order(o.nerve_ultrasound, "Nerve ultrasound")]
    if row == "8":
        when = (assessment.as_of + timedelta(days=rules.thresholds.response_min_days)).isoformat()
        based = [{"reference": ref} for ref in assessment.order_ids]
        extra: tuple[tuple[str, object], ...] = (("occurrenceDateTime", when), ("basedOn", based))
        return [
            Order(
                o.response_review,
                "IVIg response review at 12 weeks (MRC sum score, grip strength)",
                (),
                extra,
            )
        ]
    review = assessment.response
    if (
        review is not None
        and review.status == "response-unknown"
        and not any(m.follow_up and m.baseline for m in review.measures)
    ):
        return [Order(o.mrc_grading, "MRC sum score and grip strength (baseline or follow-up)")]
    return []


def build_suggestions(
    assessment: Assessment, rules: Rules, new_uuid: Callable[[], str], patient_id: str
) -> tuple[Suggestion, ...]:
    """Return the card's suggestions: cancel where the outcome advises it, then the orders."""
    out: list[Suggestion] = []
    if assessment.outcome in CANCEL and assessment.order_ids:
        actions = tuple(
            Action("delete", "Cancel the draft IVIg order", resource_id=ref) for ref in assessment.order_ids
        )
        out.append(Suggestion("Cancel the IVIg order", new_uuid(), actions))
    for order in _unique(_orders(assessment, rules)):
        resource = build_service_request(order, patient_id, rules.local_system)
        out.append(
            Suggestion(
                f"Order: {order.label}", new_uuid(), (Action("create", order.label, resource=resource),)
            )
        )
    return tuple(out)


def _unique(orders: Sequence[Order]) -> list[Order]:
    """Return orders without repeating a code."""
    seen: set[Codes] = set()
    out = []
    for order in orders:
        if order.codes and order.codes not in seen:
            seen.add(order.codes)
            out.append(order)
    return out
