"""Patient-level motor conduction block over every NCS study in the lookback (docs/clinical-logic.md).

Per study, a neurophysiologist's coded conclusion wins over the computation. A block found in any
study is not erased by another without one (EFNS2010: one nerve with definite or probable CB is
enough). Absent needs a coded `conduction-block-absent` or an adequate study; a coded absence that
the measurements contradict is `contested`, and no cancel may rest on it. CB found only at Erb's point,
only amplitude-based, or only probable is weak evidence (outcome rows 6, 6a).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cds_hooks.ivig.adequacy import Adequacy, CbReason, evaluate_adequacy
from cds_hooks.ivig.anatomy import AffectedNerves
from cds_hooks.ivig.conduction import SegmentVerdict, evaluate_segment
from cds_hooks.ivig.facts import Evidence, NcsStudy
from cds_hooks.ivig.rules_model import Rules

BlockLevel = Literal["definite", "probable", "absent", "unknown"]


@dataclass(frozen=True)
class StudyVerdict:
    """One study's segments, its computed level and its coded conclusion (which wins)."""

    study: NcsStudy
    segments: tuple[SegmentVerdict, ...]
    computed: BlockLevel
    reported: BlockLevel | None
    adequacy: Adequacy

    @property
    def level(self) -> BlockLevel:
        """Return the study's level: the coded conclusion, else the computation."""
        return self.reported if self.reported is not None else self.computed

    @property
    def label(self) -> str:
        """Return the study's name for card text."""
        report = self.study.report
        if report is None:
            return "segments without a report"
        return f"{report.reference} ({report.date.isoformat() if report.date else 'undated'})"

    @property
    def contradiction(self) -> str | None:
        """Return why the measurements contradict a coded absence, if they do."""
        if self.reported != "absent":
            return None
        if self.computed in ("definite", "probable"):
            return f"{self.label} is coded conduction-block-absent but its segments show {self.computed} CB"
        if not self.adequacy.adequate:
            why = self.adequacy.detail or str(self.adequacy.reason)
            return (
                f"{self.label} is coded conduction-block-absent but "
                "its segments are "
                f"not an adequate study ({why})"
            )
        return None


@dataclass(frozen=True)
class ConductionBlock:
    """CB for the patient: the level, why it is unknown, how strong the evidence is, and per study."""

    status: BlockLevel
    studies: tuple[StudyVerdict, ...]
    adequacy: Adequacy
    strong: bool = False
    erb_only: bool = False
    amplitude_based: bool = False
    preliminary: tuple[Evidence, ...] = ()

    @property
    def reason(self) -> CbReason | None:
        """Return the CB-unknown reason (None when CB is decided)."""
        return self.adequacy.reason if self.status == "unknown" else None

    @property
    def segments(self) -> tuple[SegmentVerdict, ...]:
        """Return every segment verdict of every study."""
        return tuple(v for s in self.studies for v in s.segments)

    @property
    def contested(self) -> tuple[str, ...]:
        """Return the contradictions of coded absences (only when CB is absent)."""
        if self.status != "absent":
            return ()
        return tuple(c for c in (s.contradiction for s in self.studies) if c)

    @property
    def disagreement(self) -> bool:
        """Return whether any coded conclusion differs from a decisive computation of its study."""
        return any(
            s.reported is not None and s.computed != "unknown" and s.computed != s.reported
            for s in self.studies
        )


def _reported(study: NcsStudy, rules: Rules) -> BlockLevel | None:
    """Return the CB level a neurophysiologist coded on the report, if any."""
    r = rules.reports
    for level, codes in (("definite", r.cb_definite), ("probable", r.cb_probable), ("absent", r.cb_absent)):
        if codes.holds_any(study.conclusion):
            return level  # type: ignore[return-value]
    return None


def _computed(verdicts: tuple[SegmentVerdict, ...], adequacy: Adequacy) -> BlockLevel:
    """Return the level the segments show."""
    statuses = {v.status for v in verdicts}
    if "definite" in statuses:
        return "definite"
    if "probable" in statuses:
        return "probable"
    return "absent" if adequacy.adequate else "unknown"


def evaluate_study(study: NcsStudy, affected: AffectedNerves, rules: Rules) -> StudyVerdict:
    """Return one study's verdict."""
    verdicts = tuple(evaluate_segment(s, rules) for s in study.segments)
    adequacy = evaluate_adequacy(verdicts, affected, rules)
    return StudyVerdict(study, verdicts, _computed(verdicts, adequacy), _reported(study, rules), adequacy)


def evaluate_conduction_block(
    studies: tuple[NcsStudy, ...], preliminary: tuple[Evidence, ...], affected: AffectedNerves, rules: Rules
) -> ConductionBlock:
    """Return patient-level CB: definite > probable (any study) > absent (coded or adequate) > unknown."""
    verdicts = tuple(evaluate_study(s, affected, rules) for s in studies)
    pooled = evaluate_adequacy(tuple(v for s in verdicts for v in s.segments), affected, rules)
    levels = {s.level for s in verdicts}
    if not verdicts:
        reason: CbReason = "preliminary report" if preliminary else "no study"
        detail = (
            "only a preliminary NCS report: await the final one" if preliminary else "no NCS in the lookback"
        )
        return ConductionBlock("unknown", (), Adequacy(False, reason, detail), preliminary=preliminary)
    level: BlockLevel
    for level in ("definite", "probable"):
        if level in levels:
            return _blocked(level, verdicts, pooled, rules, preliminary)
    if "absent" in levels or pooled.adequate:
        return ConductionBlock("absent", verdicts, Adequacy(True), preliminary=preliminary)
    return ConductionBlock("unknown", verdicts, pooled, preliminary=preliminary)


def _blocked(
    level: BlockLevel,
    verdicts: tuple[StudyVerdict, ...],
    pooled: Adequacy,
    rules: Rules,
    preliminary: tuple[Evidence, ...],
) -> ConductionBlock:
    """Return a definite or probable CB with the strength of its evidence."""
    coded = [s for s in verdicts if s.reported in ("definite", "probable")]
    computed = [v for s in verdicts if s.reported is None for v in s.segments if v.blocked]
    erb = rules.cb.erb_point_site
    strong = any(s.reported == "definite" for s in coded) or any(
        v.status == "definite" and v.segment.proximal_site != erb and not v.amplitude_based for v in computed
    )
    erb_only = not coded and bool(computed) and all(v.segment.proximal_site == erb for v in computed)
    amplitude = not coded and bool(computed) and all(v.amplitude_based for v in computed)
    return ConductionBlock(level, verdicts, pooled, strong, erb_only, amplitude, preliminary)
