"""Build the CDS Hooks card of an assessment (clinical-rules §6). Pure: uuids come from the caller."""

from __future__ import annotations

from collections.abc import Callable

from cds_hooks.ivig.assessment import Assessment
from cds_hooks.ivig.card_text import OUTCOME_DISPLAY, SUMMARIES, build_detail
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.rules_model import Codes, Rules
from cds_hooks.models import JSON, Action, Card, Coding, Indicator, Link, OverrideReason, Source, Suggestion

EXTENSION_KEY = "org.ivig-cds.assessment"
ADVISE_AGAINST = frozenset({"against-mmn", "not-supported", "not-responding"})
WARNING = frozenset({"against-mmn", "not-supported", "not-responding"})
LINKS = (
    Link(
        "SIMON2013: Is IVIg warranted in progressive LMN syndromes without CB? (Neurology 2013)",
        "https://doi.org/10.1212/01.wnl.0000437301.28441.7e",
    ),
    Link(
        "EFNS2010: EFNS/PNS guideline on multifocal motor neuropathy, first revision (JPNS 2010)",
        "https://doi.org/10.1111/j.1529-8027.2010.00290.x",
    ),
)


def build_card(assessment: Assessment, rules: Rules, new_uuid: Callable[[], str], patient_id: str) -> Card:
    """Return the card for an assessment that has an outcome."""
    outcome = assessment.outcome
    if outcome is None:
        raise ValueError("a silent assessment has no card")
    indicator: Indicator = "warning" if outcome in WARNING else "info"
    topic = Coding(rules.local_system, outcome, OUTCOME_DISPLAY[outcome])
    suggestions = build_suggestions(assessment, rules, new_uuid, patient_id)
    return Card(
        uuid=new_uuid(),
        summary=SUMMARIES[outcome],
        indicator=indicator,
        source=Source(label=rules.cards.source_label, topic=topic),
        detail=build_detail(assessment),
        suggestions=suggestions,
        selection_behavior="at-most-one" if suggestions else None,
        override_reasons=tuple(
            OverrideReason(Coding(rules.local_system, r.code, r.display))
            for r in rules.cards.override_reasons
        ),
        links=LINKS,
        extension={EXTENSION_KEY: assessment.to_json()},
    )


def build_suggestions(
    assessment: Assessment, rules: Rules, new_uuid: Callable[[], str], patient_id: str
) -> tuple[Suggestion, ...]:
    """Return a cancel suggestion when advising against, or one order suggestion per missing test."""
    if assessment.outcome in ADVISE_AGAINST and assessment.order_ids:
        actions = tuple(
            Action("delete", "Cancel the draft IVIg order", resource_id=ref) for ref in assessment.order_ids
        )
        return (Suggestion("Cancel the IVIg order", new_uuid(), actions),)
    if assessment.outcome != "incomplete":
        return ()
    wanted = (
        (CriterionId.CB, rules.orders.ncs, "Order nerve conduction study with proximal stimulation"),
        (CriterionId.T_CK, rules.orders.ck, "Order creatine kinase"),
        (CriterionId.S_GM1, rules.orders.anti_gm1, "Order anti-GM1 IgM antibodies"),
    )
    suggestions = []
    for cid, codes, label in wanted:
        criterion = assessment.criterion(cid)
        if criterion is not None and criterion.status == "unknown" and codes:
            resource = build_service_request(codes, label, patient_id)
            action = Action("create", label, resource=resource)
            suggestions.append(Suggestion(label, new_uuid(), (action,)))
    return tuple(suggestions)


def build_service_request(codes: Codes, text: str, patient_id: str) -> JSON:
    """Return a draft ServiceRequest proposing one test."""
    return {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "code": {"coding": [{"system": c.system, "code": c.code} for c in codes], "text": text},
        "subject": {"reference": f"Patient/{patient_id}"},
    }
