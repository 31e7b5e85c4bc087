"""Criteria of clinical-rules §3, each three-valued (met / not-met / unknown) with its evidence.

Exclusions: EFNS2010 clinical exclusion criteria and SIMON2013 entry criteria. Triad: SIMON2013.
Supportive: EFNS2010. A finding group is met when any finding is present, not met when none is
present and at least one is documented absent, else unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from cds_hooks.ivig.conduction import ConductionBlock
from cds_hooks.ivig.criterion_ids import TITLES, CriterionId
from cds_hooks.ivig.facts import CodedFact, Evidence, Facts
from cds_hooks.ivig.rules_model import Codes, Rules
from cds_hooks.models import JSON

Status = Literal["met", "not-met", "unknown"]

UMN_SIGNS = ("babinski", "clonus", "spasticity", "hoffmann")
BULBAR_SIGNS = ("dysarthria", "dysphagia", "tongue_fasciculations", "tongue_atrophy")


@dataclass(frozen=True)
class Criterion:
    """One criterion's status, the evidence that decided it and an optional note."""

    id: CriterionId
    status: Status
    evidence: tuple[Evidence, ...] = ()
    note: str | None = None
    level: str | None = None

    @property
    def title(self) -> str:
        """Return the criterion's human name."""
        return TITLES[self.id]

    def to_json(self) -> JSON:
        """Return the machine-readable form (note omitted when absent)."""
        out: JSON = {"id": self.id, "status": self.status}
        if self.evidence:
            out["evidence"] = [e.to_json() for e in self.evidence]
        if self.note:
            out["note"] = self.note
        if self.level:
            out["level"] = self.level
        return out


def _in(fact: CodedFact | None, codes: Codes) -> bool:
    """Return whether a coded fact holds any of `codes`."""
    return fact is not None and codes.holds_any(fact.codes)


def evaluate_finding_group(
    cid: CriterionId, names: Sequence[str], facts: Facts, note: str | None = None
) -> Criterion:
    """Return a finding-group criterion: any present -> met; else any absent -> not met; else unknown."""
    documented = [facts.findings[n] for n in names if n in facts.findings]
    present = [f.evidence for f in documented if f.present]
    if present:
        return Criterion(cid, "met", tuple(present), note)
    if documented:
        return Criterion(cid, "not-met", tuple(f.evidence for f in documented), note)
    return Criterion(cid, "unknown", (), note)


def evaluate_umn(facts: Facts, rules: Rules) -> Criterion:
    """Return X-UMN; hyperreflexia alone is a caution unless configured to exclude (EFNS2010)."""
    names = UMN_SIGNS + (("hyperreflexia",) if rules.thresholds.hyperreflexia_excludes else ())
    hyper = facts.findings.get("hyperreflexia")
    note = None
    if hyper is not None and hyper.present and not rules.thresholds.hyperreflexia_excludes:
        note = "Caution: hyperreflexia documented; brisk reflexes alone are compatible with MMN (EFNS2010)"
    return evaluate_finding_group(CriterionId.X_UMN, names, facts, note)


def evaluate_sensory(facts: Facts, block: ConductionBlock, rules: Rules) -> Criterion:
    """Return X-SENSORY: objective deficit, or abnormal sensory conduction in a segment with CB."""
    base = evaluate_finding_group(CriterionId.X_SENSORY, ("objective_sensory_deficit",), facts)
    cb_nerves = {
        (v.segment.nerve, v.segment.side) for v in block.segments if v.status in ("definite", "probable")
    }
    abnormal = [
        s.evidence
        for s in facts.sensory_segments
        if s.abnormal
        and any(s.nerve == n and (s.side is None or side is None or s.side == side) for n, side in cb_nerves)
    ]
    conclusion = facts.ncs_sensory_conclusion
    if conclusion is not None and block.status in ("definite", "probable"):
        if _in(conclusion, rules.reports.sensory_abnormal):
            abnormal.append(conclusion.evidence)
    if abnormal and base.status != "met":
        return Criterion(
            CriterionId.X_SENSORY, "met", tuple(abnormal), "abnormal sensory conduction in a segment with CB"
        )
    return base


def evaluate_coded(
    cid: CriterionId, fact: CodedFact | None, met: Codes, not_met: Codes | None, missing: str
) -> Criterion:
    """Return met/not-met from a coded value; `not_met` None means any other code is not met."""
    if fact is None:
        return Criterion(cid, "unknown", (), missing)
    if _in(fact, met):
        return Criterion(cid, "met", (fact.evidence,))
    if not_met is None or _in(fact, not_met):
        return Criterion(cid, "not-met", (fact.evidence,))
    return Criterion(cid, "unknown", (fact.evidence,), "value not recognised")


def evaluate_als(facts: Facts) -> Criterion:
    """Return X-ALS: an active, confirmed ALS Condition; unknown only when conditions were unreadable."""
    if facts.als:
        return Criterion(CriterionId.X_ALS, "met", facts.als)
    if not facts.conditions_available:
        return Criterion(CriterionId.X_ALS, "unknown", (), "problem list could not be read")
    return Criterion(CriterionId.X_ALS, "not-met", (), "no active, confirmed ALS diagnosis on record")


def evaluate_cb(block: ConductionBlock) -> Criterion:
    """Return CB: met for definite/probable, not met for absent, else unknown."""
    decisive = [v.segment.evidence for v in block.segments if v.status in ("definite", "probable")]
    studied = [v.segment.evidence for v in block.segments if v.status != "entrapment"]
    evidence = _unique(([block.reported_evidence] if block.reported_evidence else []) + (decisive or studied))
    note = f"{block.status} conduction block"
    if block.disagreement:
        note += (
            f"; the coded NCS conclusion ({block.reported}) disagrees with the computation ({block.computed})"
        )
    if block.status == "unknown":
        note = "no NCS motor segment with proximal stimulation to judge"
        return Criterion(CriterionId.CB, "unknown", evidence, note, block.status)
    status: Status = "met" if block.status in ("definite", "probable") else "not-met"
    return Criterion(CriterionId.CB, status, evidence, note, block.status)


def _unique(items: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Return evidence without duplicates, in order."""
    return tuple(dict.fromkeys(items))
