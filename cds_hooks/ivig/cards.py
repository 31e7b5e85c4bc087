"""Build the CDS Hooks card of an assessment (docs/clinical-logic.md). Pure: uuids come from the caller."""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

from cds_hooks.ivig.assessment import Assessment
from cds_hooks.ivig.card_detail import build_detail
from cds_hooks.ivig.card_text import OUTCOME_DISPLAY, build_summary
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.ivig.suggestions import build_suggestions
from cds_hooks.models import Card, Coding, Indicator, Link, OverrideReason, Source

EXTENSION_KEY = "org.ivig-cds.assessment"
WARNING = frozenset({"against-mmn", "not-supported", "not-responding", "specialist-review"})
LINKS = MappingProxyType(
    {
        "SIMON2013": Link(
            "SIMON2013: Is IVIg warranted in progressive LMN syndromes without CB? (Neurology 2013)",
            "https://doi.org/10.1212/01.wnl.0000437301.28441.7e",
        ),
        "EFNS2010": Link(
            "EFNS2010: EFNS/PNS guideline on multifocal motor neuropathy, first revision (JPNS 2010)",
            "https://doi.org/10.1111/j.1529-8027.2010.00290.x",
        ),
        "GOEDEE2017": Link(
            "GOEDEE2017: Diagnostic value of sonography in chronic inflammatory neuropathies "
            "(Neurology 2017)",
            "https://doi.org/10.1212/WNL.0000000000003483",
        ),
        "PERINOMS2015": Link(
            "PERINOMS2015: Outcome measures in MMN revisited (JPNS 2015)", "https://doi.org/10.1111/jns.12124"
        ),
        "DONEDDU2024": Link(
            "DONEDDU2024: Real-world nerve conduction studies in MMN (Eur J Neurol 2024)",
            "https://doi.org/10.1111/ene.16248",
        ),
    }
)


def _links(assessment: Assessment) -> tuple[Link, ...]:
    """Return SIMON2013 and EFNS2010, and the source of a criterion that decided the outcome."""
    keys = ["SIMON2013", "EFNS2010"]
    us = assessment.criterion(CriterionId.S_US)
    if us is not None and us.status == "met" and assessment.row in ("8", "10"):
        keys.append("GOEDEE2017")
    if assessment.row == "4":
        keys.append("PERINOMS2015")
    block = assessment.conduction_block
    if (
        assessment.row == "7"
        and block is not None
        and block.reason in ("area not reported", "insufficient study")
    ):
        keys.append("DONEDDU2024")
    return tuple(LINKS[k] for k in keys)


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
        summary=build_summary(assessment),
        indicator=indicator,
        source=Source(label=rules.cards.source_label, topic=topic),
        detail=build_detail(assessment),
        suggestions=suggestions,
        selection_behavior="any" if suggestions else None,
        override_reasons=tuple(
            OverrideReason(Coding(rules.local_system, r.code, r.display))
            for r in rules.cards.override_reasons
        ),
        links=_links(assessment),
        extension={EXTENSION_KEY: assessment.to_json()},
    )
