"""Control limits: a collapse in cards is flagged, steady days are not, short history flags nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from service.governance.anomaly import evaluate_anomalies
from service.governance.records import CallRecord, CardInfo

START = date(2026, 10, 1)


def call(day: date, n: int, *, in_scope: bool, status: int = 200) -> CallRecord:
    outcome = "supported" if in_scope else "no-card"
    cards = (CardInfo(f"{day}-{n}", outcome, "info"),) if in_scope else ()
    return CallRecord(
        at=datetime.combine(day, time(9), UTC) + timedelta(minutes=n),
        service_id="ivig-order-sign",
        status=status,
        outcome=outcome if status == 200 else None,
        cards=cards if status == 200 else (),
        rules_version="2.0.0",
        duration_ms=50,
        patient=f"p{n}",
        issuer=None,
    )


def history(days: int, per_day: dict[int, tuple[int, int, int]] | None = None) -> list[CallRecord]:
    """Return `days` days of calls; each day (in scope, out of scope, 412) defaults to (10, 10, 0)."""
    calls = []
    for offset in range(days):
        day = START + timedelta(days=offset)
        in_scope, out, failed = (per_day or {}).get(offset, (10 + offset % 3, 10 - offset % 2, 0))
        calls += [call(day, n, in_scope=True) for n in range(in_scope)]
        calls += [call(day, 100 + n, in_scope=False) for n in range(out)]
        calls += [call(day, 200 + n, in_scope=False, status=412) for n in range(failed)]
    return calls


def test_steady_history_raises_no_flag() -> None:
    calls = history(42)
    result = evaluate_anomalies(calls, START + timedelta(days=28), START + timedelta(days=41), window_days=28)
    assert result.judged_days == 14
    assert result.flags == ()


def test_cards_that_stop_are_flagged_on_the_day_they_stop() -> None:
    broken = {d: (0, 20, 0) for d in range(38, 42)}
    calls = history(42, broken)
    result = evaluate_anomalies(calls, START + timedelta(days=28), START + timedelta(days=41), window_days=28)
    flagged = {(f.day, f.measure) for f in result.flags}
    first_bad = START + timedelta(days=38)
    assert (first_bad, "card rate") in flagged
    assert (first_bad, "in-scope calls") in flagged
    assert min(f.day for f in result.flags) == first_bad


def test_a_burst_of_412_is_flagged() -> None:
    calls = history(35, {34: (10, 10, 8)})
    result = evaluate_anomalies(calls, START + timedelta(days=34), START + timedelta(days=34), window_days=28)
    assert [f.measure for f in result.flags] == ["412 rate"]


@pytest.mark.parametrize("days", [1, 10, 28])
def test_less_history_than_the_window_flags_nothing_and_says_so(days: int) -> None:
    broken = {days - 1: (0, 20, 15)}
    calls = history(days, broken)
    result = evaluate_anomalies(calls, START, START + timedelta(days=days - 1), window_days=28)
    assert result.flags == ()
    assert result.judged_days == 0
    assert "less history than the control window" in result.note


def test_no_calls_at_all_flags_nothing() -> None:
    result = evaluate_anomalies([], START, START, window_days=28)
    assert result.flags == ()
    assert "nothing to judge" in result.note
