"""Response review for patients already on IVIg (clinical-rules §5; MCID-MMN, SIMON2013, EFNS2010)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from cds_hooks.ivig.facts import Evidence, SumScore, pick_latest
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.models import JSON

ResponseStatus = Literal["responding", "not-responding", "response-unknown"]


@dataclass(frozen=True)
class ResponseReview:
    """The MRC sum score change since the first IVIg dose."""

    status: ResponseStatus
    first_dose: Evidence
    baseline: SumScore | None
    follow_up: SumScore | None

    @property
    def change(self) -> float | None:
        """Return follow-up minus baseline, when both exist."""
        if self.baseline is None or self.follow_up is None:
            return None
        return self.follow_up.score - self.baseline.score

    def to_json(self) -> JSON:
        """Return the machine-readable form (missing measurements omitted)."""
        out: JSON = {"status": self.status, "firstDose": self.first_dose.to_json()}
        if self.baseline is not None:
            out["baseline"] = self.baseline.evidence.to_json()
        if self.follow_up is not None:
            out["followUp"] = self.follow_up.evidence.to_json()
        if self.change is not None:
            out["change"] = self.change
        return out


def first_exposure(exposures: Sequence[Evidence]) -> Evidence | None:
    """Return the earliest dated IVIg exposure."""
    dated = [e for e in exposures if e.date is not None]
    return min(dated, key=lambda e: (e.date, e.reference)) if dated else None


def days_since(first: Evidence, as_of: date) -> int:
    """Return the whole days between the first dose and `as_of`."""
    return (as_of - first.date).days if first.date else 0


def evaluate_response(first: Evidence, scores: Sequence[SumScore], rules: Rules) -> ResponseReview:
    """Return responding / not-responding / response-unknown from baseline and follow-up MRC sum scores."""
    t = rules.thresholds
    start = first.date
    if start is None:
        return ResponseReview("response-unknown", first, None, None)
    window_start = start - timedelta(days=t.response_baseline_window_days)
    follow_from = start + timedelta(days=t.response_min_days)
    baselines = [s for s in scores if s.evidence.date and window_start <= s.evidence.date <= start]
    baseline = pick_latest(baselines, lambda s: s.evidence.date)
    if baseline is None:
        return ResponseReview("response-unknown", first, None, None)
    follow_ups = [
        s
        for s in scores
        if s.evidence.date and s.evidence.date >= follow_from and s.instrument == baseline.instrument
    ]
    follow_up = pick_latest(follow_ups, lambda s: s.evidence.date)
    if follow_up is None:
        return ResponseReview("response-unknown", first, baseline, None)
    change = follow_up.score - baseline.score
    status: ResponseStatus = "responding" if change >= t.mrc_sum_mcid else "not-responding"
    return ResponseReview(status, first, baseline, follow_up)
