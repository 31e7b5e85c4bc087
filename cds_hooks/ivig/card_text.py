"""Card wording: summaries and reasons per outcome row (docs/clinical-logic.md).

Evidence statements cite SIMON2013 beside BURRELL2011 without overstating either (SIMON2013 is
Class IV, n=31; BURRELL2011 used other entry criteria and clinical judgement of response).
"""

from __future__ import annotations

from types import MappingProxyType

from cds_hooks.ivig.assessment import Assessment
from cds_hooks.ivig.criterion_ids import EXCLUSIONS, SUPPORTIVE, TRIAD, CriterionId

STATUS_WORD = MappingProxyType({"met": "met", "not-met": "not met", "unknown": "unknown"})
OUTCOME_DISPLAY = MappingProxyType(
    {
        "supported": "IVIg supported",
        "trial-reasonable": "Time-limited IVIg trial reasonable",
        "specialist-review": "Review with a neuromuscular specialist",
        "not-supported": "IVIg not supported",
        "against-mmn": "Features argue against MMN",
        "incomplete": "Assessment incomplete",
        "responding": "Responding to IVIg",
        "not-responding": "Not responding to IVIg",
        "maintenance-review": "IVIg maintenance review",
        "response-unknown": "IVIg response unknown",
    }
)
SUMMARIES = MappingProxyType(
    {
        "5": "IVIg supported: MMN with definite motor conduction block; IVIg 2 g/kg is first line (EFNS2010)",
        "6": (
            "IVIg supported: conduction block (weaker evidence) with weakness in two nerve "
            "territories (EFNS2010)"
        ),
        "1": "Features argue against MMN: IVIg not supported; consider ALS/PMA and mimics",
        "2": (
            "Review with a neuromuscular specialist: an exclusion finding is documented; "
            "cancelling not advised"
        ),
        "6a": (
            "Specialist review: weak conduction block evidence in one nerve territory (possible MMN at most)"
        ),
        "7": "IVIg assessment incomplete: conduction block cannot be judged yet",
        "8": (
            "Time-limited IVIg trial reasonable: MMN-like without conduction block; measure "
            "response at 12 weeks"
        ),
        "9": "Specialist review: no conduction block and weakness in one nerve territory; consider mimics",
        "10": (
            "Specialist review: no conduction block, responder features missing, but a finding suggests MMN"
        ),
        "10a": "Specialist review: a coded 'no conduction block' is contradicted by the measurements",
        "11": (
            "IVIg not supported: adequate study without conduction block; responder features "
            "missing (SIMON2013)"
        ),
        "12": "IVIg assessment incomplete: no conduction block; data missing to judge the MMN-like phenotype",
    }
)
RESPONSE_SUMMARIES = MappingProxyType(
    {
        "responding": "Responding to IVIg: an objective measure improved by at least its MCID",
        "not-responding": (
            "Not responding to IVIg after an adequate course: no objective improvement; consider stopping"
        ),
        "specialist-review": (
            "Specialist review: objective decline on IVIg; re-examine for UMN and bulbar signs"
        ),
        "maintenance-review": (
            "IVIg maintenance: strength stable; consider a dose review with a neuromuscular specialist"
        ),
        "response-unknown": (
            "IVIg response unknown: record MRC sum score and grip strength at baseline and follow-up"
        ),
    }
)
EVIDENCE = (
    "SIMON2013 (Neurology 2013; Class IV, n=31): without conduction block, IVIg helped 3 of 31 patients "
    "with progressive pure LMN weakness; every responder had distal upper-limb onset, EMG changes confined "
    "to weak muscles and normal CK, but so did 31% of non-responders with distal upper-limb weakness "
    "(necessary, not sufficient). BURRELL2011 (PLoS One 2011): in 42 LMN patients not meeting MMN criteria, "
    "31 responded (other entry criteria; response judged clinically): response rates outside the MMN "
    "criteria differ widely between cohorts. EFNS2010: IVIg 2 g/kg is first-line treatment of MMN "
    "(Level A) when disability is sufficiently severe."
)
MIMICS = MappingProxyType(
    {
        CriterionId.X_UMN: "ALS or primary lateral sclerosis; cervical myelopathy",
        CriterionId.X_BULBAR: "ALS or bulbar-onset motor neuron disease; myasthenia gravis",
        CriterionId.X_SENSORY: (
            "multifocal CIDP (Lewis-Sumner), which IVIg also treats; another sensorimotor neuropathy"
        ),
        CriterionId.X_RESP: "ALS; myasthenia gravis; myopathy",
        CriterionId.X_SYMMETRIC: "progressive muscular atrophy, spinal muscular atrophy, myopathy",
        CriterionId.X_ALS: "established ALS",
    }
)
REVIEW_DIFFERENTIAL = MappingProxyType(
    {
        CriterionId.X_UMN: "ALS or cervical myelopathy (UMN signs)",
        CriterionId.X_BULBAR: (
            "twelfth-nerve palsy is reported in MMN (isolated tongue sign); bulbar-onset MND"
        ),
        CriterionId.X_SENSORY: "multifocal CIDP (Lewis-Sumner), which IVIg also treats",
        CriterionId.X_RESP: "ALS, myasthenia gravis or myopathy (respiratory involvement)",
        CriterionId.X_SYMMETRIC: "a symmetric motor neuronopathy or myopathy",
        CriterionId.X_ALS: "established ALS",
    }
)
CB_REASONS = MappingProxyType(
    {
        "no study": "No nerve conduction study (NCS) in the lookback: conduction block cannot be judged.",
        "preliminary report": (
            "Only a preliminary NCS report is on record: await the final report (nothing to order)."
        ),
        "no proximal stimulation": "The NCS has no proximal stimulation, so it could not show a block.",
        "area not reported": (
            "CMAP amplitudes are reported without areas (as in 17% of MMN studies, DONEDDU2024): ask the "
            "laboratory for CMAP areas and durations, or a coded conclusion."
        ),
        "distal CMAP too low": (
            "The distal CMAP is too low to show a block on an affected nerve: record from another muscle, "
            "or consider nerve ultrasound."
        ),
        "affected nerves not documented": (
            "Without MRC grades (or abnormal EMG muscles) the affected nerves are unknown, so "
            "no study can be "
            "judged adequate: record MRC grades of the weak muscles."
        ),
        "insufficient study": (
            "The study is not adequate to exclude a block (thin studies miss blocks, DONEDDU2024)."
        ),
    }
)


def build_summary(assessment: Assessment) -> str:
    """Return the card summary (under 140 characters) naming the outcome."""
    if assessment.row == "4" and assessment.outcome is not None:
        return RESPONSE_SUMMARIES[assessment.outcome]
    if assessment.row == "7" and assessment.conduction_block is not None:
        reason = assessment.conduction_block.reason
        return f"IVIg assessment incomplete: conduction block cannot be judged ({reason})"
    return SUMMARIES[assessment.row or "12"]


def _met(assessment: Assessment, ids: tuple[CriterionId, ...]) -> list[CriterionId]:
    """Return the ids among `ids` whose criterion is met."""
    return [c.id for c in assessment.criteria if c.id in ids and c.status == "met"]


def _titles(assessment: Assessment, ids: tuple[CriterionId, ...], status: str) -> str:
    """Return the titles of the criteria among `ids` with `status`."""
    return "; ".join(c.title.lower() for c in assessment.criteria if c.id in ids and c.status == status)


def build_reason(assessment: Assessment) -> str:
    """Return the one-paragraph reason for the outcome row."""
    row = assessment.row or ""
    if row == "1":
        met = [i for i in _met(assessment, EXCLUSIONS)]
        named = "; ".join(f"{i.value}" for i in met)
        mimics = "; ".join(MIMICS[i] for i in met)
        return (
            f"Documented findings ({named}) argue against MMN in a patient not on IVIg (EFNS2010 exclusions; "
            f"SIMON2013 entry criteria). Consider ALS and progressive muscular atrophy (PMA) and: {mimics}."
        )
    if row == "2":
        met = _met(assessment, EXCLUSIONS)
        differentials = "; ".join(REVIEW_DIFFERENTIAL[i] for i in met)
        on_ivig = (
            " in a patient on IVIg (new UMN or bulbar signs may mean ALS or another cause)"
            if assessment.course
            else ""
        )
        return (
            f"{', '.join(i.value for i in met)} met{on_ivig}: consider {differentials}. Review with a "
            "neuromuscular specialist; this finding alone does not justify cancelling IVIg."
        )
    if row in ("5", "6", "6a"):
        return _cb_reason(assessment)
    if row == "7" and assessment.conduction_block is not None:
        block = assessment.conduction_block
        plain = ("no study", "preliminary report", "no proximal stimulation")
        text = block.adequacy.detail
        detail = "" if block.reason in plain or not text else f" {text[0].upper()}{text[1:]}."
        return CB_REASONS[str(block.reason)] + detail
    if row == "4" and assessment.response is not None:
        return _response_reason(assessment)
    return _absent_reason(assessment)


def _cb_reason(assessment: Assessment) -> str:
    """Return the reason of rows 5, 6 and 6a."""
    if assessment.row == "5":
        return (
            "Definite motor conduction block (EFNS2010): multifocal motor neuropathy is likely and IVIg "
            "2 g/kg "
            "is first-line treatment when disability is sufficiently severe."
        )
    weaker = "probable CB, CB only at Erb's point, or amplitude-based CB"
    if assessment.row == "6":
        return (
            f"Conduction block with weaker evidence ({weaker}) and weakness in two or more nerve "
            "territories: IVIg supported (EFNS2010)."
        )
    return (
        f"Conduction block with weaker evidence ({weaker}) and weakness not shown in two nerve territories: "
        "EFNS2010 allows at most a possible MMN. Review with a neuromuscular specialist; no cancel advised."
    )


def _absent_reason(assessment: Assessment) -> str:
    """Return the reason of rows 8-12 (no conduction block)."""
    row = assessment.row
    missing = _titles(assessment, TRIAD, "not-met")
    if row == "8":
        return (
            "No conduction block, but the phenotype is MMN-like (responder triad met in two or more nerve "
            "territories, or two or more supportive findings). If IVIg is given, make it a time-limited "
            "trial "
            "with objective measures (MRC sum score, grip strength) before treatment and at 12 weeks; only "
            "10% of SIMON2013 patients responded and the triad was present in 31% of non-responders."
        )
    if row == "9":
        return (
            "No conduction block and the triad is met, but weakness is in one nerve territory: consider "
            "mimics (ulnar neuropathy, monomelic amyotrophy) with a specialist. No cancel advised."
        )
    if row == "10":
        found = _titles(assessment, SUPPORTIVE, "met")
        return (
            f"No conduction block and responder features missing ({missing}), but {found} suggests MMN: "
            "review with a specialist. No cancel advised."
        )
    if row == "10a":
        return (
            "No conduction block is coded, but the measurements on record contradict that conclusion: "
            "the advice cannot rest on it. Review the study with the neurophysiologist."
        )
    if row == "11":
        return (
            f"An adequate study shows no conduction block, and the SIMON2013 responder triad is not met "
            f"(missing: {missing}); no supportive finding, anti-GM1 negative, no UMN or bulbar signs. In "
            "SIMON2013 no patient lacking a triad feature responded; BURRELL2011 reports higher response "
            "outside the MMN criteria. Consider cancelling."
        )
    unknown = [c.id.value for c in assessment.criteria if c.status == "unknown"]
    return f"No conduction block; to decide, these are still needed: {', '.join(unknown) or 'none'}."


def _response_reason(assessment: Assessment) -> str:
    """Return the reason of a response review, measure by measure."""
    review = assessment.response
    assert review is not None
    parts = []
    for m in review.measures:
        change = f"{m.change:+g}" if m.change is not None else "not comparable"
        parts.append(f"{m.name}: {change} ({m.verdict})")
    measured = "; ".join(parts) or "no measurement"
    return (
        f"On IVIg since {review.course.start.isoformat()} ({len(review.course.administrations)} "
        f"administrations, {review.phase} phase): {review.reason}. Measures: {measured}. "
        "EFNS2010 ties continuation to objective "
        "response; in MMN the response can wane between doses (PERINOMS2015)."
    )


def build_criteria_table_text(assessment: Assessment) -> str:
    """Return a plain-text criteria table (for the `evaluate --format text` command)."""
    lines = [
        f"Outcome: {assessment.outcome or 'no card'} (row {assessment.row})"
        + (f" ({assessment.silence})" if assessment.silence else ""),
        f"Rules version: {assessment.rules_version}; as of {assessment.as_of.isoformat()}",
    ]
    width = max((len(c.id.value) for c in assessment.criteria), default=0)
    for c in assessment.criteria:
        evidence = ", ".join(e.reference for e in c.evidence) or "-"
        note = f"  [{c.note}]" if c.note else ""
        lines.append(f"{c.id.value:<{width}}  {STATUS_WORD[c.status]:<8}  {c.source:<12}  {evidence}{note}")
    lines += [f"Caution: {c}" for c in assessment.cautions]
    if assessment.response is not None:
        lines.append(f"Response review: {assessment.response.status} ({assessment.response.reason})")
    return "\n".join(lines)
