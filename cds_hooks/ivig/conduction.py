"""Motor conduction block per segment and per patient (EFNS2010 electrodiagnostic criteria).

Ratios are rounded to 9 decimals before comparison so that "exactly 50%" and "exactly 30%" are
decided as written, not by floating-point noise. Every threshold comes from `Rules.thresholds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cds_hooks.ivig.facts import CodedFact, Evidence, MotorSegment
from cds_hooks.ivig.rules_model import Codes, Rules

SegmentStatus = Literal["definite", "probable", "none", "unknown", "entrapment"]
BlockStatus = Literal["definite", "probable", "absent", "unknown"]
_PRECISION = 9


@dataclass(frozen=True)
class SegmentVerdict:
    """The CB verdict of one segment, with the ratios that decided it."""

    segment: MotorSegment
    status: SegmentStatus
    reason: str
    area_reduction: float | None = None
    duration_increase: float | None = None


@dataclass(frozen=True)
class ConductionBlock:
    """Patient-level CB: the coded conclusion wins over the computation; disagreement is flagged."""

    status: BlockStatus
    computed: BlockStatus
    reported: BlockStatus | None
    reported_evidence: Evidence | None
    segments: tuple[SegmentVerdict, ...]

    @property
    def disagreement(self) -> bool:
        """Return whether the coded conclusion and a decisive computation differ."""
        return self.reported is not None and self.computed != "unknown" and self.computed != self.reported


def crosses_entrapment(segment: MotorSegment, rules: Rules) -> bool:
    """Return whether a segment crosses a common entrapment site (its own component overrides)."""
    if segment.entrapment_site is not None:
        return segment.entrapment_site
    lo_site, hi_site = segment.distal_site, segment.proximal_site
    if segment.nerve is None or lo_site is None or hi_site is None:
        return False
    rank = rules.anatomy.site_rank
    for zone in rules.anatomy.entrapment_segments:
        if zone.nerve != segment.nerve:
            continue
        if {lo_site, hi_site} == {zone.distal, zone.proximal}:
            return True
        if all(s in rank for s in (lo_site, hi_site, zone.distal, zone.proximal)):
            low, high = sorted((rank[lo_site], rank[hi_site]))
            if low <= rank[zone.distal] and high >= rank[zone.proximal]:
                return True
    return False


def is_long_segment(segment: MotorSegment, rules: Rules) -> bool:
    """Return whether a segment is a long segment of an upper-limb nerve (EFNS2010 probable CB)."""
    if segment.nerve not in rules.anatomy.upper_limb_nerves:
        return False
    pair = {segment.distal_site, segment.proximal_site}
    return any(pair == {p.distal, p.proximal} for p in rules.anatomy.long_segments)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    """Return numerator/denominator rounded, or None when either is missing or the denominator <= 0."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return round(numerator / denominator, _PRECISION)


def _areas(segment: MotorSegment, rules: Rules) -> tuple[float | None, float | None, str]:
    """Return (distal, proximal) areas, falling back to amplitudes only if configured."""
    if segment.area_distal is not None and segment.area_proximal is not None:
        return segment.area_distal, segment.area_proximal, ""
    if rules.thresholds.amplitude_for_area:
        return segment.amplitude_distal, segment.amplitude_proximal, " (amplitude used for area)"
    return None, None, ""


def evaluate_segment(segment: MotorSegment, rules: Rules) -> SegmentVerdict:
    """Return the CB verdict of one motor segment (EFNS2010 definite/probable CB)."""
    if crosses_entrapment(segment, rules):
        return SegmentVerdict(segment, "entrapment", "crosses a common entrapment site; never counts")
    if segment.entrapment_site is None and (segment.distal_site is None or segment.proximal_site is None):
        return SegmentVerdict(segment, "unknown", "stimulation sites not reported")
    distal, proximal, note = _areas(segment, rules)
    ratio = _ratio(proximal, distal)
    if ratio is None:
        return SegmentVerdict(segment, "unknown", "CMAP area not reported at both sites")
    reduction = round(1 - ratio, _PRECISION)
    dur_ratio = _ratio(segment.duration_proximal, segment.duration_distal)
    increase = None if dur_ratio is None else round(dur_ratio - 1, _PRECISION)
    status, reason = _area_verdict(reduction, increase, is_long_segment(segment, rules), rules)
    if status in ("definite", "probable"):
        status, reason = _amplitude_verdict(segment, status, reason, rules)
    return SegmentVerdict(segment, status, reason + note, reduction, increase)


def _area_verdict(
    reduction: float, increase: float | None, long_segment: bool, rules: Rules
) -> tuple[SegmentStatus, str]:
    """Return the verdict from area reduction and duration increase alone."""
    t = rules.thresholds
    limit = t.cb_duration_increase_limit
    if reduction >= t.cb_definite_area_reduction:
        if increase is None:
            return "probable", "area reduction meets the definite threshold; duration not reported"
        if increase <= limit:
            return "definite", "area reduction and duration increase meet definite CB"
        return "probable", "area reduction with temporal dispersion (duration increase above limit)"
    if long_segment and reduction >= t.cb_probable_long_area_reduction:
        if increase is None:
            return "unknown", "long-segment area reduction; duration not reported"
        if increase <= limit:
            return "probable", "long upper-limb segment area reduction meets probable CB"
        return "none", "long-segment area reduction with duration increase above limit"
    return "none", "area reduction below the CB thresholds"


def _amplitude_verdict(
    segment: MotorSegment, status: SegmentStatus, reason: str, rules: Rules
) -> tuple[SegmentStatus, str]:
    """Return the verdict after the distal amplitude condition (> min mV and > fraction of LLN)."""
    t = rules.thresholds
    amplitude = segment.amplitude_distal
    if amplitude is None:
        return "unknown", reason + "; distal CMAP amplitude not reported"
    lln = segment.lln if segment.lln is not None else rules.anatomy.default_lln_mv.get(segment.nerve or "")
    if amplitude <= t.cb_min_distal_amplitude_mv:
        return "none", f"distal CMAP amplitude {amplitude:g} mV too low"
    if lln is not None and amplitude <= round(t.cb_min_distal_amplitude_lln_fraction * lln, _PRECISION):
        return "none", f"distal CMAP amplitude {amplitude:g} mV not above the LLN fraction ({lln:g} mV LLN)"
    return status, reason


def evaluate_conduction_block(
    segments: Sequence[MotorSegment], conclusion: CodedFact | None, rules: Rules
) -> ConductionBlock:
    """Return patient-level CB: definite > probable > absent (a segment studied, none qualifies) > unknown."""
    verdicts = tuple(evaluate_segment(s, rules) for s in segments)
    statuses = {v.status for v in verdicts}
    computed: BlockStatus = "unknown"
    if "definite" in statuses:
        computed = "definite"
    elif "probable" in statuses:
        computed = "probable"
    elif "none" in statuses:
        computed = "absent"
    reported = _reported_status(conclusion, rules)
    status = reported if reported is not None else computed
    evidence = conclusion.evidence if reported is not None and conclusion else None
    return ConductionBlock(status, computed, reported, evidence, verdicts)


def _reported_status(conclusion: CodedFact | None, rules: Rules) -> BlockStatus | None:
    """Return the CB status a neurophysiologist coded on the NCS report, if any."""
    if conclusion is None:
        return None
    codes = conclusion.codes
    r = rules.reports
    options: tuple[tuple[BlockStatus, Codes], ...] = (
        ("definite", r.cb_definite),
        ("probable", r.cb_probable),
        ("absent", r.cb_absent),
    )
    for status, bound in options:
        if any((c.system, c.code) in codes for c in bound):
            return status
    return None
