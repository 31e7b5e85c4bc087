"""Motor conduction block of one segment (EFNS2010 electrodiagnostic criteria; docs/clinical-logic.md).

A segment is `definite`, `probable` or `none` (usable, no block), or cannot count: `excluded` (a nerve
of `cb.excluded_nerves`), `entrapment` (across an entrapment zone), or `unusable` with a gap saying
why it could not have shown a block (`no-proximal`, `no-area`, `low-distal`). Ratios are rounded to 9
decimals so that "exactly 50%" is decided as written. Every threshold comes from the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cds_hooks.ivig.facts import MotorSegment
from cds_hooks.ivig.rules_model import Rules

SegmentStatus = Literal["definite", "probable", "none", "unusable", "entrapment", "excluded"]
Gap = Literal["no-proximal", "no-area", "low-distal"]
_PRECISION = 9


@dataclass(frozen=True)
class SegmentVerdict:
    """The CB verdict of one segment, with the ratios that decided it."""

    segment: MotorSegment
    status: SegmentStatus
    reason: str
    gap: Gap | None = None
    area_reduction: float | None = None
    duration_increase: float | None = None
    amplitude_based: bool = False

    @property
    def blocked(self) -> bool:
        """Return whether the segment shows definite or probable CB."""
        return self.status in ("definite", "probable")

    @property
    def usable(self) -> bool:
        """Return whether the segment could have shown a block (so it may show its absence)."""
        return self.status in ("definite", "probable", "none")

    @property
    def counted(self) -> bool:
        """Return whether the segment counts at all (not an excluded nerve, not across an entrapment zone)."""
        return self.status not in ("excluded", "entrapment")


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


def distal_amplitude_ok(segment: MotorSegment, rules: Rules) -> bool | None:
    """Return the distal amplitude condition (> min mV and > fraction of LLN); None when not reported."""
    t = rules.thresholds
    amplitude = segment.amplitude_distal
    if amplitude is None:
        return None
    lln = segment.lln if segment.lln is not None else rules.anatomy.default_lln_mv.get(segment.nerve or "")
    if amplitude <= t.cb_min_distal_amplitude_mv:
        return False
    return lln is None or amplitude > round(t.cb_min_distal_amplitude_lln_fraction * lln, _PRECISION)


def evaluate_segment(segment: MotorSegment, rules: Rules) -> SegmentVerdict:
    """Return the CB verdict of one motor segment (EFNS2010 definite/probable CB)."""
    if segment.nerve in rules.cb.excluded_nerves:
        return SegmentVerdict(segment, "excluded", f"{segment.nerve} segments never count for CB (EFNS2010)")
    if crosses_entrapment(segment, rules):
        return SegmentVerdict(segment, "entrapment", "crosses a common entrapment site; never counts")
    if segment.nerve is None or segment.distal_site is None or segment.proximal_site is None:
        return SegmentVerdict(segment, "unusable", "nerve or stimulation sites not reported", "no-proximal")
    if segment.amplitude_proximal is None and segment.area_proximal is None:
        return SegmentVerdict(segment, "unusable", "no CMAP recorded at proximal stimulation", "no-proximal")
    amplitude = distal_amplitude_ok(segment, rules)
    if amplitude is None:
        return SegmentVerdict(segment, "unusable", "distal CMAP amplitude not reported", "no-area")
    if not amplitude:
        reason = f"distal CMAP amplitude {segment.amplitude_distal:g} mV too low to show a block"
        return SegmentVerdict(segment, "unusable", reason, "low-distal")
    return _evaluate_areas(segment, rules)


def _evaluate_areas(segment: MotorSegment, rules: Rules) -> SegmentVerdict:
    """Return the verdict of a segment with proximal stimulation and a distal CMAP that could show a block."""
    amplitude_based = segment.area_distal is None or segment.area_proximal is None
    if amplitude_based and not rules.thresholds.amplitude_for_area:
        return SegmentVerdict(segment, "unusable", "CMAP area not reported at both sites", "no-area")
    distal = segment.amplitude_distal if amplitude_based else segment.area_distal
    proximal = segment.amplitude_proximal if amplitude_based else segment.area_proximal
    ratio = _ratio(proximal, distal)
    if ratio is None:
        return SegmentVerdict(segment, "unusable", "CMAP area not reported at both sites", "no-area")
    reduction = round(1 - ratio, _PRECISION)
    dur_ratio = _ratio(segment.duration_proximal, segment.duration_distal)
    increase = None if dur_ratio is None else round(dur_ratio - 1, _PRECISION)
    status, reason = _area_verdict(reduction, increase, is_long_segment(segment, rules), rules)
    gap: Gap | None = "no-area" if status == "unusable" else None
    if status == "definite" and (amplitude_based or segment.nerve not in rules.cb.definite_nerves):
        status = "probable"
        reason += (
            "; amplitude-based, lower certainty: at most probable"
            if amplitude_based
            else f"; {segment.nerve} is not a definite-CB nerve: at most probable"
        )
    elif amplitude_based:
        reason += "; amplitude-based, lower certainty"
    return SegmentVerdict(segment, status, reason, gap, reduction, increase, amplitude_based)


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
    if increase is None:
        return "unusable", "CMAP duration not reported: the segment cannot show the absence of a block"
    if long_segment and reduction >= t.cb_probable_long_area_reduction:
        if increase <= limit:
            return "probable", "long upper-limb segment area reduction meets probable CB"
        return "none", "long-segment area reduction with duration increase above limit"
    return "none", "area reduction below the CB thresholds"
