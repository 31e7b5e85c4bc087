"""The adequate-study rule: when may conduction block be called absent? (docs/clinical-logic.md).

CB is absent only when at least `ncs.min_motor_nerves` nerve-and-side pairs have a usable segment,
the affected nerves are known, and every affected nerve has a usable segment. Otherwise the study
is inadequate, with the first reason that applies (a segment that could not have shown a block does
not show its absence; DONEDDU2024: thin studies miss blocks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cds_hooks.ivig.anatomy import AffectedNerves, NerveSide, nerve_side_label, side_matches
from cds_hooks.ivig.conduction import SegmentVerdict
from cds_hooks.ivig.rules_model import Rules

CbReason = Literal[
    "no study",
    "preliminary report",
    "no proximal stimulation",
    "area not reported",
    "distal CMAP too low",
    "affected nerves not documented",
    "insufficient study",
]


@dataclass(frozen=True)
class Adequacy:
    """Whether a study is adequate; if not, the reason, its wording and the nerves still to study."""

    adequate: bool
    reason: CbReason | None = None
    detail: str = ""
    to_study: tuple[NerveSide, ...] = ()
    unstudiable: tuple[str, ...] = ()


def _pairs(verdicts: Sequence[SegmentVerdict], usable_gaps: frozenset[str] = frozenset()) -> set[NerveSide]:
    """Return the nerve-and-side pairs with a usable segment (segments with `usable_gaps` counted too)."""
    return {
        (v.segment.nerve, v.segment.side)
        for v in verdicts
        if v.segment.nerve is not None and (v.usable or (v.gap is not None and v.gap in usable_gaps))
    }


def _unmet(pairs: set[NerveSide], affected: AffectedNerves) -> list[frozenset[NerveSide]]:
    """Return the requirements (one per weak muscle) that no usable pair answers."""
    return [req for req in affected.requirements if not any(side_matches(p, w) for p in pairs for w in req)]


def _is_adequate(pairs: set[NerveSide], affected: AffectedNerves, rules: Rules) -> bool:
    """Return whether usable `pairs` make an adequate study."""
    return (
        bool(affected.requirements)
        and len(pairs) >= rules.ncs.min_motor_nerves
        and not _unmet(pairs, affected)
    )


def evaluate_adequacy(verdicts: Sequence[SegmentVerdict], affected: AffectedNerves, rules: Rules) -> Adequacy:
    """Return whether the segments make an adequate study, else the first reason that applies."""
    counted = [v for v in verdicts if v.counted]
    if not verdicts:
        return Adequacy(False, "no study", "no motor nerve segment in the lookback")
    if counted and all(v.gap == "no-proximal" for v in counted):
        return Adequacy(False, "no proximal stimulation", "no segment with proximal stimulation")
    usable = _pairs(counted)
    if _is_adequate(usable, affected, rules):
        return Adequacy(True)
    if _is_adequate(_pairs(counted, frozenset({"no-area"})), affected, rules):
        detail = "CMAP amplitudes without areas (or durations): the study would be adequate with them"
        return Adequacy(False, "area not reported", detail)
    too_low = _too_low(counted, affected)
    if too_low:
        names = ", ".join(nerve_side_label(p) for p in too_low)
        detail = f"no segment of {names} has a distal CMAP that could show a block"
        return Adequacy(False, "distal CMAP too low", detail, tuple(too_low))
    if not affected.known:
        detail = "no MRC grade below normal and no abnormal EMG muscle: the affected nerves are not known"
        return Adequacy(False, "affected nerves not documented", detail)
    return _insufficient(usable, affected, rules)


def _too_low(counted: Sequence[SegmentVerdict], affected: AffectedNerves) -> list[NerveSide]:
    """Return the affected pairs studied whose every segment fails the distal amplitude condition."""
    wanted = sorted({w for req in affected.requirements for w in req}, key=nerve_side_label)
    low = []
    for pair in wanted:
        on_pair = [
            v
            for v in counted
            if v.segment.nerve is not None and side_matches((v.segment.nerve, v.segment.side), pair)
        ]
        if on_pair and all(v.gap == "low-distal" for v in on_pair):
            low.append(pair)
    return low


def _insufficient(usable: set[NerveSide], affected: AffectedNerves, rules: Rules) -> Adequacy:
    """Return the `insufficient study` reason naming what is still to study."""
    studied = ", ".join(sorted(nerve_side_label(p) for p in usable)) or "none"
    if not affected.requirements:
        muscles = tuple(f"{m.muscle} ({m.side})" if m.side else m.muscle for m in affected.unstudiable)
        detail = (
            f"weakness only in muscles whose nerves cannot be studied for CB ({', '.join(muscles)}): "
            "consider nerve ultrasound or review with a neuromuscular specialist"
        )
        return Adequacy(False, "insufficient study", detail, (), muscles)
    unmet = _unmet(usable, affected)
    if unmet:
        groups = [" or ".join(sorted(nerve_side_label(p) for p in req)) for req in unmet]
        detail = f"affected nerves still to study: {'; '.join(groups)} (usable segments: {studied})"
        to_study = tuple(sorted({p for req in unmet for p in req}, key=nerve_side_label))
        return Adequacy(False, "insufficient study", detail, to_study)
    need = rules.ncs.min_motor_nerves
    sides = sorted({p[1] for req in affected.requirements for p in req}, key=str)
    candidates = tuple(
        (n, s)
        for s in sides
        for n in rules.ncs.weak_nerves_to_study
        if not any(side_matches(p, (n, s)) for p in usable)
    )
    detail = f"{need} motor nerves with a usable segment needed, {len(usable)} studied ({studied})"
    return Adequacy(False, "insufficient study", detail, candidates)
