"""The criterion record, three-valued (met / not met / unknown) with evidence, reason and source.

Shared evaluators: a coded value, and a finding group (any present -> met). Exclusions live in
`exclusions`, C-MULTIFOCAL in `multifocal`, the triad in `triad`, supportive criteria in `supportive`,
CB in `cb_criterion` (docs/clinical-logic.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from cds_hooks.ivig.criterion_ids import SOURCES, TITLES, CriterionId
from cds_hooks.ivig.facts import CodedFact, Evidence, Facts
from cds_hooks.ivig.rules_model import Codes
from cds_hooks.models import JSON

Status = Literal["met", "not-met", "unknown"]
Kind = Literal["hard", "soft"]


@dataclass(frozen=True)
class Criterion:
    """One criterion's status, the evidence that decided it, its reason, CB level and exclusion kind."""

    id: CriterionId
    status: Status
    evidence: tuple[Evidence, ...] = ()
    note: str | None = None
    level: str | None = None
    kind: Kind | None = None

    @property
    def title(self) -> str:
        """Return the criterion's human name."""
        return TITLES[self.id]

    @property
    def source(self) -> str:
        """Return the evidence ids the criterion rests on."""
        return SOURCES[self.id]

    def to_json(self) -> JSON:
        """Return the machine-readable form (empty parts omitted)."""
        out: JSON = {"id": self.id.value, "status": self.status, "source": self.source}
        if self.evidence:
            out["evidence"] = [e.to_json() for e in self.evidence]
        if self.note:
            out["reason"] = self.note
        if self.level:
            out["level"] = self.level
        if self.kind:
            out["kind"] = self.kind
        return out


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
    return Criterion(cid, "unknown", (), note or "not documented")


def holds(fact: CodedFact | None, codes: Codes) -> bool:
    """Return whether a coded fact holds any of `codes`."""
    return fact is not None and codes.holds_any(fact.codes)


def evaluate_coded(
    cid: CriterionId, fact: CodedFact | None, met: Codes, not_met: Codes | None, missing: str
) -> Criterion:
    """Return met/not-met from a coded value; `not_met` None means any other code is not met."""
    if fact is None:
        return Criterion(cid, "unknown", (), missing)
    if holds(fact, met):
        return Criterion(cid, "met", (fact.evidence,))
    if not_met is None or holds(fact, not_met):
        return Criterion(cid, "not-met", (fact.evidence,))
    return Criterion(cid, "unknown", (fact.evidence,), "value not recognised")


def unique(items: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Return evidence without duplicates, in order."""
    return tuple(dict.fromkeys(items))
