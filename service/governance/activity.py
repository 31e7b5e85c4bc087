"""Report figures about hook calls: volume by outcome, cards, scope, status, latency, FHIR reads."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from service.governance.records import CallRecord
from service.governance.tables import Cell, Table, build_table, ratio

STATUS_GROUPS = ("200", "401", "403", "412", "other 4xx", "5xx")


def days_between(start: date, end: date) -> list[date]:
    """Return every day from start to end inclusive."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def by_day(calls: Iterable[CallRecord]) -> dict[date, list[CallRecord]]:
    """Return the calls grouped by UTC day."""
    grouped: dict[date, list[CallRecord]] = defaultdict(list)
    for call in calls:
        grouped[call.day].append(call)
    return grouped


def status_group(status: int) -> str:
    """Return the report's status column for an HTTP status."""
    if str(status) in STATUS_GROUPS:
        return str(status)
    return "5xx" if status >= 500 else "other 4xx"


def build_calls_by_outcome(calls: Sequence[CallRecord], days: list[date]) -> Table:
    """Return hook calls per day by outcome (answered calls; refused calls appear as 'refused')."""
    grouped = by_day(calls)
    outcomes = sorted({c.outcome or "refused" for c in calls})
    rows: list[list[Cell]] = []
    for day in days:
        counts = Counter(c.outcome or "refused" for c in grouped.get(day, []))
        rows.append([day.isoformat(), *(counts[o] for o in outcomes)])
    return build_table("calls_by_outcome", "Hook calls per day by outcome", ("day", *outcomes), rows)


def build_scope(calls: Sequence[CallRecord], days: list[date]) -> Table:
    """Return per day: answered calls, in-scope calls, out-of-scope calls and the out-of-scope share."""
    grouped = by_day(calls)
    rows = []
    for day in days:
        answered = [c for c in grouped.get(day, []) if c.status == 200]
        in_scope = sum(1 for c in answered if c.in_scope)
        out = len(answered) - in_scope
        share = ratio(out, len(answered))
        rows.append((day.isoformat(), len(answered), in_scope, out, share, ratio(in_scope, len(answered))))
    columns = ("day", "answered", "in scope", "out of scope", "out-of-scope share", "card rate")
    return build_table("scope", "Calls in and out of scope", columns, rows)


def build_cards_by_indicator(calls: Sequence[CallRecord]) -> Table:
    """Return cards by indicator and outcome, shown and silent apart."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for call in calls:
        for card in call.cards:
            mode = "silent" if call.silent else "shown"
            counts[(card.indicator or "unknown", card.outcome or "unknown", mode)] += 1
    rows = [(ind, out, mode, n) for (ind, out, mode), n in sorted(counts.items())]
    return build_table(
        "cards_by_indicator", "Cards by indicator", ("indicator", "outcome", "mode", "cards"), list(rows)
    )


def build_status_counts(calls: Sequence[CallRecord], days: list[date]) -> Table:
    """Return calls per day by HTTP status group (401, 403, 412, other 4xx, 5xx)."""
    grouped = by_day(calls)
    rows: list[list[Cell]] = []
    for day in days:
        counts = Counter(status_group(c.status) for c in grouped.get(day, []))
        rows.append([day.isoformat(), *(counts[g] for g in STATUS_GROUPS)])
    return build_table("status_counts", "Calls per day by HTTP status", ("day", *STATUS_GROUPS), rows)


def build_refusal_reasons(calls: Sequence[CallRecord]) -> Table:
    """Return refused calls by status and reason code."""
    counts = Counter((c.status, c.reason or "unspecified") for c in calls if c.status != 200)
    rows = [(status, reason, n) for (status, reason), n in sorted(counts.items())]
    return build_table("refusals", "Refused calls by reason", ("status", "reason", "calls"), list(rows))


def percentile(values: Sequence[int], q: float) -> float | None:
    """Return the q-th percentile (0-100) by linear interpolation, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 1)


def build_latency(calls: Sequence[CallRecord], days: list[date]) -> Table:
    """Return per-day latency p50/p95/p99 (milliseconds) of answered calls."""
    grouped = by_day(calls)
    rows = []
    for day in days:
        durations = [c.duration_ms for c in grouped.get(day, []) if c.status == 200]
        rows.append((day.isoformat(), len(durations), *(percentile(durations, q) for q in (50, 95, 99))))
    return build_table("latency", "Latency per day (ms)", ("day", "calls", "p50", "p95", "p99"), rows)


def build_fhir_reads(calls: Sequence[CallRecord], days: list[date]) -> Table:
    """Return per day: FHIR reads, read failures, prefetch-served keys and the prefetch share."""
    grouped = by_day(calls)
    rows = []
    for day in days:
        today = grouped.get(day, [])
        reads = sum(c.fhir_reads for c in today)
        failures = sum(c.fhir_failures for c in today)
        prefetch = sum(c.from_prefetch for c in today)
        rows.append((day.isoformat(), reads, failures, prefetch, ratio(prefetch, prefetch + reads)))
    columns = ("day", "fhir reads", "fhir read failures", "from prefetch", "prefetch share")
    return build_table("fhir_reads", "FHIR reads: prefetch vs fetched, failures", columns, rows)


def build_rules_versions(calls: Sequence[CallRecord]) -> Table:
    """Return each rules version in force with its first and last day (in call order)."""
    spans: dict[str, list[date]] = {}
    for call in calls:
        if call.rules_version:
            spans.setdefault(call.rules_version, []).append(call.day)
    rows = [(v, min(d).isoformat(), max(d).isoformat(), len(d)) for v, d in spans.items()]
    rows.sort(key=lambda r: str(r[1]))
    return build_table(
        "rules_versions", "Rules version in force", ("rules version", "first day", "last day", "calls"), rows
    )


def version_changes(calls: Sequence[CallRecord]) -> list[tuple[date, str]]:
    """Return (day, new version) for every day the rules version changed (not the first one)."""
    changes: list[tuple[date, str]] = []
    current: str | None = None
    for call in sorted(calls, key=lambda c: c.at):
        if call.rules_version and call.rules_version != current:
            if current is not None:
                changes.append((call.day, call.rules_version))
            current = call.rules_version
    return changes
