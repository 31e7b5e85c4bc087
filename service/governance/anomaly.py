"""Anomaly flags: days whose call volume, card rate, 412 rate or error rate leave their control limits.

Limits come from the `window_days` calendar days before each day (a Shewhart chart): counts use the
window's mean and standard deviation (at least the Poisson sqrt(mean)); rates use a p-chart on the
day's own denominator, sqrt(p(1-p)/n), where p is the window's pooled rate (at least one event in the
window, so a rate that was always zero can still be judged). A day is judged only when the whole
window before it lies within the data; with less history nothing is flagged, and the report says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from service.governance.activity import by_day, days_between
from service.governance.records import CallRecord


@dataclass(frozen=True)
class DayCounts:
    """The numbers of one day that the control charts watch."""

    calls: int
    answered: int
    in_scope: int
    precondition_failed: int
    errors: int


@dataclass(frozen=True)
class Flag:
    """One measure on one day with its control limits (a flag when the value lies outside them)."""

    day: date
    measure: str
    value: float
    low: float
    high: float
    expected: float


@dataclass(frozen=True)
class Limits:
    """The control limits of one measure on one judged day."""

    day: date
    low: float
    high: float


@dataclass(frozen=True)
class AnomalyResult:
    """The flags of a report, the limits of every judged day, and how many days could be judged."""

    flags: tuple[Flag, ...]
    judged_days: int
    window_days: int
    note: str
    limits: dict[str, list[Limits]] = field(default_factory=dict)


def extract_day_counts(calls: Sequence[CallRecord]) -> DayCounts:
    """Return the watched counts of one day's calls."""
    return DayCounts(
        calls=len(calls),
        answered=sum(1 for c in calls if c.status == 200),
        in_scope=sum(1 for c in calls if c.in_scope),
        precondition_failed=sum(1 for c in calls if c.status == 412),
        errors=sum(1 for c in calls if c.status >= 400 and c.status != 412),
    )


# measure -> (numerator, denominator or None for a count)
MEASURES: dict[str, tuple[Callable[[DayCounts], int], Callable[[DayCounts], int] | None]] = {
    "in-scope calls": (lambda d: d.in_scope, None),
    "card rate": (lambda d: d.in_scope, lambda d: d.answered),
    "412 rate": (lambda d: d.precondition_failed, lambda d: d.calls),
    "error rate": (lambda d: d.errors, lambda d: d.calls),
}


def _count_limits(window: Sequence[int], sigma: float) -> tuple[float, float, float]:
    """Return (expected, low, high) of a count from the window's values."""
    mean = sum(window) / len(window)
    variance = sum((v - mean) ** 2 for v in window) / max(len(window) - 1, 1)
    spread = max(math.sqrt(variance), math.sqrt(mean), 1.0)
    return mean, max(mean - sigma * spread, 0.0), mean + sigma * spread


def _rate_limits(num: int, den: int, day_den: int, sigma: float) -> tuple[float, float, float]:
    """Return (expected, low, high) of a rate on a day with `day_den` trials (p-chart)."""
    p = max(num, 1) / den
    p = min(p, 1.0)
    spread = math.sqrt(p * (1 - p) / day_den) if p < 1 else 0.0
    return num / den, max(num / den - sigma * spread, 0.0), min(num / den + sigma * spread, 1.0)


def evaluate_limits(
    day: date, measure: str, today: DayCounts, window: list[DayCounts], sigma: float
) -> Flag | None:
    """Return the day's value of a measure with its limits from the window; None when it has no value."""
    numerator, denominator = MEASURES[measure]
    if denominator is None:
        value = float(numerator(today))
        expected, low, high = _count_limits([numerator(d) for d in window], sigma)
    else:
        day_den = denominator(today)
        window_den = sum(denominator(d) for d in window)
        if day_den == 0 or window_den == 0:
            return None
        value = numerator(today) / day_den
        expected, low, high = _rate_limits(sum(numerator(d) for d in window), window_den, day_den, sigma)
    return Flag(day, measure, round(value, 4), round(low, 4), round(high, 4), round(expected, 4))


def evaluate_anomalies(
    calls: Sequence[CallRecord], start: date, end: date, *, window_days: int = 28, sigma: float = 3.0
) -> AnomalyResult:
    """Return the flags of every day from start to end judged against its preceding window."""
    grouped = by_day(calls)
    if not grouped:
        return AnomalyResult((), 0, window_days, "no calls in the store for this range: nothing to judge")
    first = min(grouped)
    counts = {d: extract_day_counts(grouped.get(d, [])) for d in days_between(first, end)}
    flags: list[Flag] = []
    limits: dict[str, list[Limits]] = {m: [] for m in MEASURES}
    judged = 0
    for day in days_between(max(start, first + timedelta(days=window_days)), end):
        window = [counts[day - timedelta(days=n)] for n in range(window_days, 0, -1)]
        judged += 1
        for measure in MEASURES:
            judged_value = evaluate_limits(day, measure, counts[day], window, sigma)
            if judged_value is None:
                continue
            limits[measure].append(Limits(day, judged_value.low, judged_value.high))
            if not judged_value.low <= judged_value.value <= judged_value.high:
                flags.append(judged_value)
    if judged == 0:
        note = (
            f"less history than the control window ({window_days} days before the first reported day, "
            f"data starts {first.isoformat()}): no control limits, nothing flagged"
        )
    else:
        note = f"{judged} days judged against the {window_days} days before each ({sigma:g} sigma)"
    return AnomalyResult(tuple(flags), judged, window_days, note, limits)
