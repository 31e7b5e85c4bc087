"""Response review of a patient on IVIg, course begun >= `response_min_days` ago (docs/clinical-logic.md).

Measures, like with like: the MRC sum score per instrument (its MCID per maximum, MCID) and grip
strength per side (kPa, PERINOMS2015). Baseline: latest on or before the first dose (within the
baseline window); follow-up: latest >= `response_min_days` after it. A decline is never read as
response; `not-responding` needs enough administrations and a follow-up soon after a dose (EFNS2010).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, TypeVar

from cds_hooks.ivig.course import Course
from cds_hooks.ivig.facts import Evidence, Facts, pick_latest
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.models import JSON

ResponseStatus = Literal[
    "responding", "not-responding", "response-unknown", "specialist-review", "maintenance-review"
]
Verdict = Literal["improved", "declined", "stable", "not judged", "incomplete"]
T = TypeVar("T")
DECLINE = (
    "objective decline on IVIg: re-examine for UMN and bulbar signs (ALS, another cause), review the dose; "
    "review with a neuromuscular specialist, no cancel advised"
)
MAINTENANCE = (
    "stable strength in the maintenance phase, which can be the aim of maintenance: consider a dose "
    "review or a supervised trial off IVIg with a neuromuscular specialist; stopping risks relapse, "
    "no cancel advised"
)


@dataclass(frozen=True)
class MeasureChange:
    """One measure at baseline and follow-up, and what its change means."""

    name: str
    baseline: Evidence | None
    follow_up: Evidence | None
    change: float | None
    mcid: float | None
    verdict: Verdict

    def to_json(self) -> JSON:
        """Return the machine-readable form."""
        out: JSON = {"measure": self.name, "verdict": self.verdict}
        for key, ev in (("baseline", self.baseline), ("followUp", self.follow_up)):
            if ev is not None:
                out[key] = ev.to_json()
        if self.change is not None:
            out["change"] = self.change
        if self.mcid is not None:
            out["mcid"] = self.mcid
        return out


@dataclass(frozen=True)
class ResponseReview:
    """The response review: its status, phase, the course and every measure."""

    status: ResponseStatus
    phase: Literal["initial", "maintenance"]
    course: Course
    measures: tuple[MeasureChange, ...]
    reason: str

    def to_json(self) -> JSON:
        """Return the machine-readable form."""
        return {
            "status": self.status,
            "phase": self.phase,
            "firstDose": self.course.first.to_json(),
            "administrations": len(self.course.administrations),
            "measures": [m.to_json() for m in self.measures],
            "reason": self.reason,
        }


def _windowed(items: Iterable[T], when: Callable[[T], date | None], lo: date, hi: date) -> T | None:
    """Return the latest item dated within [lo, hi]."""
    return pick_latest([i for i in items if (d := when(i)) is not None and lo <= d <= hi], when)


def _change(
    name: str,
    base: tuple[float | None, Evidence] | None,
    follow: tuple[float | None, Evidence] | None,
    mcid: float | None,
) -> MeasureChange:
    """Return the verdict of one measure from its baseline and follow-up values."""
    b_ev, f_ev = (base[1] if base else None), (follow[1] if follow else None)
    if base is None or follow is None:
        return MeasureChange(name, b_ev, f_ev, None, mcid, "incomplete")
    if base[0] is None or follow[0] is None or mcid is None:
        return MeasureChange(name, b_ev, f_ev, None, mcid, "not judged")
    change = round(follow[0] - base[0], 9)
    verdict: Verdict = "improved" if change >= mcid else "declined" if change <= -mcid else "stable"
    return MeasureChange(name, b_ev, f_ev, change, mcid, verdict)


def evaluate_measures(facts: Facts, course: Course, as_of: date, rules: Rules) -> tuple[MeasureChange, ...]:
    """Return every measure (MRC sum per instrument, grip per side) with baseline or follow-up."""
    t = rules.thresholds
    lo, start = course.start - timedelta(days=t.response_baseline_window_days), course.start
    follow_from = start + timedelta(days=t.response_min_days)
    out = []
    for instrument in dict.fromkeys(s.instrument for s in facts.sum_scores):
        scores = [s for s in facts.sum_scores if s.instrument == instrument]
        base = _windowed(scores, lambda s: s.evidence.date, lo, start)
        follow = _windowed(scores, lambda s: s.evidence.date, follow_from, as_of)
        maximum = instrument[2]
        mcid = rules.response.mrc_sum_mcid_by_max.get(f"{maximum:g}") if maximum is not None else None
        name = (
            f"MRC sum score (max {maximum:g})"
            if maximum is not None
            else "MRC sum score (maximum not stated)"
        )
        if base or follow:
            out.append(
                _change(
                    name,
                    (base.score, base.evidence) if base else None,
                    (follow.score, follow.evidence) if follow else None,
                    mcid,
                )
            )
    for side in dict.fromkeys(g.side for g in facts.grips):
        grips = [g for g in facts.grips if g.side == side]
        base_g = _windowed(grips, lambda g: g.evidence.date, lo, start)
        follow_g = _windowed(grips, lambda g: g.evidence.date, follow_from, as_of)
        if base_g or follow_g:
            pair = (
                (base_g.value, base_g.evidence) if base_g else None,
                (follow_g.value, follow_g.evidence) if follow_g else None,
            )
            out.append(_change(f"grip strength {side or '(side not stated)'}", *pair, t.grip_mcid_kpa))
    return tuple(out)


def _timely(course: Course, measures: Sequence[MeasureChange], rules: Rules) -> bool:
    """Return whether every judged follow-up was measured within the allowed days after a dose."""
    limit = rules.thresholds.response_followup_max_days_after_dose
    for m in measures:
        day = m.follow_up.date if m.follow_up else None
        doses = course.doses_until(day) if day else []
        if day is None or not doses or (day - doses[-1]).days > limit:
            return False
    return True


def evaluate_response(facts: Facts, course: Course, as_of: date, rules: Rules) -> ResponseReview:
    """Return the response review: decline, response, stability by phase, or unknown."""
    long_ago = (as_of - course.start).days >= rules.thresholds.maintenance_after_days
    phase: Literal["initial", "maintenance"] = "maintenance" if long_ago else "initial"
    measures = evaluate_measures(facts, course, as_of, rules)
    status, reason = _status(measures, phase, course, rules)
    return ResponseReview(status, phase, course, measures, reason)


def _status(
    measures: Sequence[MeasureChange], phase: str, course: Course, rules: Rules
) -> tuple[ResponseStatus, str]:
    """Return the review's status and reason."""
    t = rules.thresholds
    if any(m.verdict == "declined" for m in measures):
        return "specialist-review", DECLINE
    if any(m.verdict == "improved" for m in measures):
        return "responding", "a measure improved by at least its MCID, none declined"
    unjudged = any(m.verdict == "not judged" for m in measures)
    stable = [m for m in measures if m.verdict == "stable"]
    if not stable:
        if unjudged:
            return "response-unknown", "measured at both times, but in a form the rules cannot judge"
        return "response-unknown", "no measure at both baseline and follow-up"
    if phase == "maintenance":
        return "maintenance-review", MAINTENANCE
    last_follow = max(m.follow_up.date for m in stable if m.follow_up and m.follow_up.date)
    doses = len(course.doses_until(last_follow))
    if doses < t.response_min_courses:
        return (
            "response-unknown",
            f"{doses} administrations before the follow-up; {t.response_min_courses} needed",
        )
    if not _timely(course, stable, rules):
        days = t.response_followup_max_days_after_dose
        return "response-unknown", f"follow-up more than {days} days after a dose (the response may wane)"
    if unjudged:
        return "response-unknown", "a measure in a form the rules cannot judge was recorded"
    return "not-responding", "no measure changed by its MCID after an adequate initial course"
