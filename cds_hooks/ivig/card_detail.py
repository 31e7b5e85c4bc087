"""The card's Markdown detail and the plain-text table: criteria rows with evidence, reason and source.

The table shows resource type/id, date and value: never the patient's name. No raw HTML.
"""

from __future__ import annotations

from types import MappingProxyType

from cds_hooks.ivig.assessment import Assessment
from cds_hooks.ivig.card_text import EVIDENCE, OUTCOME_DISPLAY, STATUS_WORD, build_reason
from cds_hooks.ivig.criteria import Criterion
from cds_hooks.ivig.criterion_ids import TITLES


def cell(text: str) -> str:
    """Return text safe for a Markdown table cell (no pipes, no raw HTML)."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


# The first cell of each criterion's row (id and title), made once at import.
_NAME_CELLS = MappingProxyType({cid: f"{cid.value} {cell(title)}" for cid, title in TITLES.items()})


def _evidence_cell(criterion: Criterion) -> str:
    """Return the evidence of a criterion as 'Type/id (date): value' items."""
    items = [
        f"{e.reference} ({e.date.isoformat() if e.date else 'undated'}): {e.value}"
        for e in criterion.evidence
    ]
    return cell("; ".join(items) or "none on record")


def build_criteria_table(assessment: Assessment) -> str:
    """Return the Markdown table of every criterion: status, evidence, reason and source."""
    rows = ["| Criterion | Status | Evidence | Reason | Source |", "|---|---|---|---|---|"]
    for c in assessment.criteria:
        status = (
            STATUS_WORD[c.status]
            + (f" ({c.kind})" if c.kind else "")
            + (f", {c.level}" if c.level and c.status != "unknown" else "")
        )
        rows.append(
            f"| {_NAME_CELLS[c.id]} | {status} | {_evidence_cell(c)} | {cell(c.note or '')} | {c.source} |"
        )
    return "\n".join(rows)


def build_detail(assessment: Assessment) -> str:
    """Return the card's Markdown detail: reason, criteria table, not documented, cautions, evidence."""
    outcome = assessment.outcome or ""
    parts = [
        (
            f"**{OUTCOME_DISPLAY.get(outcome, outcome)}** "
            f"(`{outcome}`, row "
            f"{assessment.row}). {cell(build_reason(assessment))}"
        ),
        build_criteria_table(assessment),
    ]
    unknown = [f"{c.id.value} ({c.title})" for c in assessment.criteria if c.status == "unknown"]
    if unknown:
        parts.append("**Not documented:** " + "; ".join(unknown) + ".")
    if assessment.cautions:
        parts.append("**Cautions:**\n" + "\n".join(f"- {cell(c)}" for c in assessment.cautions))
    parts.append(f"**Evidence:** {EVIDENCE}")
    parts.append(f"Rules version {assessment.rules_version}; assessed as of {assessment.as_of.isoformat()}.")
    return "\n\n".join(parts)
