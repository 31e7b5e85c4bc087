"""Which dated records a decision may use: not after `as_of`, and within a lookback window."""

from __future__ import annotations

from datetime import date, timedelta


def in_window(day: date | None, as_of: date, lookback_days: int | None) -> bool:
    """Return whether a date may count: undated, or within lookback days up to `as_of` inclusive."""
    if day is None:
        return True
    if day > as_of:
        return False
    return lookback_days is None or day >= as_of - timedelta(days=lookback_days)
