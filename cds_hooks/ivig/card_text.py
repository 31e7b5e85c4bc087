"""Card wording: summaries, reasons, evidence statements and the Markdown criteria table.

Evidence statements cite SIMON2013 and EFNS2010 without overstating them (SIMON2013 is Class IV,
n=31). The table shows resource type/id, date and value: never the patient's name.
"""

from __future__ import annotations

from cds_hooks.ivig.assessment import Assessment
from cds_hooks.ivig.criteria import Criterion
from cds_hooks.ivig.criterion_ids import EXCLUSIONS, TRIAD, CriterionId

OUTCOME_DISPLAY = {
    "supported": "IVIg supported",
    "trial-reasonable": "Time-limited IVIg trial reasonable",
    "not-supported": "IVIg not supported",
    "against-mmn": "Features argue against MMN",
    "incomplete": "Assessment incomplete",
    "responding": "Responding to IVIg",
    "not-responding": "Not responding to IVIg",
    "response-unknown": "IVIg response unknown",
}
SUMMARIES = {
    "supported": "IVIg supported: MMN with motor conduction block; IVIg 2 g/kg is first-line (EFNS2010)",
    "trial-reasonable": "Time-limited IVIg trial reasonable: MMN-like, no conduction block; measure response",
    "not-supported": "IVIg not supported: no conduction block and responder features missing (SIMON2013)",
    "against-mmn": "Features argue against MMN: IVIg not supported; consider ALS/PMA and mimics",
    "incomplete": "IVIg assessment incomplete: data missing to judge MMN vs MMN-like weakness",
    "responding": "Responding to IVIg: MRC sum score improved by at least the MCID",
    "not-responding": "Not responding to IVIg: no objective MRC sum improvement; consider stopping",
    "response-unknown": "IVIg response unknown: record baseline and follow-up MRC sum scores",
}
SIMON = (
    "SIMON2013 (Simon et al., Neurology 2013; Class IV, n=31): in progressive, asymmetric, pure LMN limb "
    "weakness without conduction block, IVIg 2 g/kg for at least 3 months improved strength in only 3/31 "
    "(10%). Every responder had distal upper-limb onset, EMG changes confined to clinically weak muscles "
    "and normal CK, but 31% of non-responders with distal upper-limb onset had the same three features "
    "(necessary, not sufficient). Other cohorts report different response rates."
)
EFNS = (
    "EFNS2010 (EFNS/PNS MMN guideline, first revision): definite or probable motor conduction block "
    "supports MMN; IVIg 2 g/kg is first-line treatment of MMN (Level A)."
)
MIMICS = {
    CriterionId.X_UMN: "ALS or primary lateral sclerosis; cervical myelopathy",
    CriterionId.X_BULBAR: "ALS or bulbar-onset motor neuron disease; myasthenia gravis",
    CriterionId.X_SENSORY: "CIDP or another sensorimotor neuropathy (e.g. Lewis-Sumner syndrome)",
    CriterionId.X_RESP: "ALS; myasthenia gravis; myopathy",
    CriterionId.X_SYMMETRIC: "progressive muscular atrophy, spinal muscular atrophy, myopathy",
    CriterionId.X_ALS: "established ALS",
}
STATUS_WORD = {"met": "met", "not-met": "not met", "unknown": "unknown"}


def build_reason(assessment: Assessment) -> str:
    """Return the one-paragraph reason for the outcome."""
    outcome = assessment.outcome or ""
    if outcome == "against-mmn":
        met = [c for c in assessment.criteria if c.id in EXCLUSIONS and c.status == "met"]
        named = "; ".join(f"{c.title.lower()} ({c.id})" for c in met)
        mimics = "; ".join(MIMICS[c.id] for c in met)
        return (
            f"Documented {named} argue against MMN, so IVIg is not supported (EFNS2010 exclusion criteria). "
            f"Consider ALS and progressive muscular atrophy (PMA) and the relevant mimics: {mimics}."
        )
    if outcome == "supported":
        return (
            "Motor conduction block meets the EFNS2010 criteria: MMN is likely and IVIg 2 g/kg is first-line."
        )
    if outcome == "trial-reasonable":
        return (
            "No conduction block, but the phenotype is MMN-like (responder triad met or supportive "
            "criteria). "
            "If IVIg is given, make it a time-limited trial with objective measures (MRC sum score, grip "
            "strength) before treatment and at 3 months; responders were few even among patients like this."
        )
    if outcome == "not-supported":
        missing = [c.title.lower() for c in assessment.criteria if c.id in TRIAD and c.status == "not-met"]
        return (
            "No motor conduction block and the SIMON2013 responder triad is not met (missing: "
            f"{'; '.join(missing)}): about 90% of such patients do not respond to IVIg. Consider cancelling."
        )
    return _other_reason(assessment)


def _other_reason(assessment: Assessment) -> str:
    """Return the reason for incomplete and response-review outcomes."""
    outcome = assessment.outcome
    review = assessment.response
    if outcome == "incomplete":
        cb = assessment.criterion(CriterionId.CB)
        if cb is not None and cb.status == "unknown":
            return (
                "Conduction block cannot be assessed without a nerve conduction study with proximal "
                "stimulation."
            )
        unknown = [c.title.lower() for c in assessment.criteria if c.id in TRIAD and c.status == "unknown"]
        return f"No conduction block; the responder triad cannot be judged without: {'; '.join(unknown)}."
    if review is not None and review.change is not None:
        verdict = "at or above" if outcome == "responding" else "below"
        return (
            f"MRC sum score changed by {review.change:+g} points since the first IVIg dose, {verdict} the "
            "minimal clinically important difference (MCID-MMN). Continuation should follow objective "
            "response (SIMON2013, EFNS2010)."
        )
    return "A baseline MRC sum score (before the first dose) and a follow-up at 3 months are needed."


def _cell(text: str) -> str:
    """Return text safe for a Markdown table cell (no pipes, no raw HTML)."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _evidence_cell(criterion: Criterion) -> str:
    """Return the evidence of a criterion as 'Type/id (date): value' items."""
    items = [
        f"{e.reference} ({e.date.isoformat() if e.date else 'undated'}): {e.value}"
        for e in criterion.evidence
    ]
    if criterion.note:
        items.append(criterion.note)
    return _cell("; ".join(items) or "not documented")


def build_criteria_table(assessment: Assessment) -> str:
    """Return the Markdown table of every criterion with its status and evidence."""
    rows = ["| Criterion | Status | Evidence |", "|---|---|---|"]
    for c in assessment.criteria:
        rows.append(f"| {c.id} {_cell(c.title)} | {STATUS_WORD[c.status]} | {_evidence_cell(c)} |")
    return "\n".join(rows)


def build_detail(assessment: Assessment) -> str:
    """Return the card's Markdown detail: reason, criteria table, not documented, evidence statement."""
    outcome = assessment.outcome or ""
    parts = [
        f"**{OUTCOME_DISPLAY.get(outcome, outcome)}** (`{outcome}`). {build_reason(assessment)}",
        build_criteria_table(assessment),
    ]
    block = assessment.conduction_block
    if block is not None and block.disagreement:
        parts.append(
            f"**Conduction block:** the neurophysiologist's coded conclusion ({block.reported}) is used; "
            f"it disagrees with the computation from the segment data ({block.computed})."
        )
    unknown = [f"{c.id} ({c.title})" for c in assessment.criteria if c.status == "unknown"]
    if unknown:
        parts.append("**Not documented:** " + "; ".join(unknown) + ".")
    statement = EFNS if outcome == "supported" else f"{SIMON} {EFNS}"
    parts.append(f"**Evidence:** {statement}")
    parts.append(f"Rules version {assessment.rules_version}; assessed as of {assessment.as_of.isoformat()}.")
    return "\n\n".join(parts)


def build_criteria_table_text(assessment: Assessment) -> str:
    """Return a plain-text criteria table (for the `evaluate --format text` command)."""
    lines = [
        f"Outcome: {assessment.outcome or 'no card'}"
        + (f" ({assessment.silence})" if assessment.silence else ""),
        f"Rules version: {assessment.rules_version}; as of {assessment.as_of.isoformat()}",
    ]
    width = max((len(c.id) for c in assessment.criteria), default=0)
    for c in assessment.criteria:
        evidence = ", ".join(e.reference for e in c.evidence) or "-"
        lines.append(
            f"{c.id:<{width}}  {STATUS_WORD[c.status]:<8}  {evidence}" + (f"  [{c.note}]" if c.note else "")
        )
    if assessment.response is not None:
        lines.append(f"Response review: {assessment.response.status} (change {assessment.response.change})")
    return "\n".join(lines)
