"""The governance report assembled: sections of figures (tables and plots) and the anomaly flags on top."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from service.governance import activity, engagement, plots, review
from service.governance.anomaly import AnomalyResult, evaluate_anomalies
from service.governance.records import (
    CallRecord,
    FeedbackRecord,
    ReportQuery,
    load_calls,
    load_feedback_records,
)
from service.governance.tables import Table
from service.store import Store


@dataclass(frozen=True)
class ReportOptions:
    """How the report is computed."""

    query: ReportQuery = field(default_factory=ReportQuery)
    window_days: int = 28
    sigma: float = 3.0
    repeat_window_hours: int = 72
    show_comments: bool = False


@dataclass(frozen=True)
class Section:
    """One report section: an id (HTML anchor), a title, plots (SVG text) and tables."""

    id: str
    title: str
    plots: tuple[str, ...]
    tables: tuple[Table, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """The whole report."""

    start: date
    end: date
    options: ReportOptions
    anomalies: AnomalyResult
    sections: tuple[Section, ...]
    comments: tuple[str, ...]
    generated_at: datetime

    def tables(self) -> list[Table]:
        """Return every table of every section."""
        return [t for s in self.sections for t in s.tables]


def _range(calls: list[CallRecord], query: ReportQuery, today: date) -> tuple[date, date]:
    """Return the report's first and last day: the query's, else the data's, else today."""
    days = [c.day for c in calls]
    start = query.start or (min(days) if days else today)
    end = query.end or (max(days) if days else today)
    return start, max(start, end)


def load_report(store: Store, options: ReportOptions, *, now: datetime | None = None) -> Report:
    """Return the report over the store for the options (history before the range feeds the limits)."""
    now = now or datetime.now(UTC)
    history = load_calls(store, options.query, history_days=options.window_days)
    start, end = _range(history, options.query, now.date())
    feedback = load_feedback_records(store, options.query, with_comments=options.show_comments)
    return build_report(history, feedback, start, end, options, now)


def build_report(
    history: list[CallRecord],
    feedback: list[FeedbackRecord],
    start: date,
    end: date,
    options: ReportOptions,
    now: datetime,
) -> Report:
    """Return the report from loaded records (`history` may start before `start`)."""
    calls = [c for c in history if start <= c.day <= end]
    anomalies = evaluate_anomalies(history, start, end, window_days=options.window_days, sigma=options.sigma)
    days = activity.days_between(start, end)
    changes = [(d, v) for d, v in activity.version_changes(history) if start <= d <= end]
    sections = (
        _activity_section(calls, days, changes, anomalies),
        _feedback_section(history, calls, feedback, changes),
        _review_section(calls, options),
        _operations_section(calls, days, changes),
    )
    comments = tuple(f.comment for f in feedback if f.comment) if options.show_comments else ()
    return Report(start, end, options, anomalies, sections, comments, now)


def _versions_note(changes: list[tuple[date, str]]) -> str:
    """Return a note naming the rules-version changes in the range (for plots without a time axis)."""
    if not changes:
        return "no rules-version change in this range"
    return "rules changed: " + ", ".join(f"{d.isoformat()} to {v}" for d, v in changes)


def _activity_section(
    calls: list[CallRecord], days: list[date], changes: list[tuple[date, str]], anomalies: AnomalyResult
) -> Section:
    """Return calls per day by outcome, scope, cards by indicator and the control charts."""
    by_outcome = activity.build_calls_by_outcome(calls, days)
    scope = activity.build_scope(calls, days)
    indicators = activity.build_cards_by_indicator(calls)
    labels = [f"{r[0]} / {r[1]} ({r[2]})" for r in indicators.rows]
    svgs = (
        plots.plot_stacked_days(by_outcome, "Hook calls per day by outcome", changes),
        plots.plot_control(scope, "in scope", anomalies, "in-scope calls", changes),
        plots.plot_control(scope, "card rate", anomalies, "card rate", changes),
        plots.plot_lines(scope, ["out-of-scope share"], "Share of calls out of scope", changes),
        plots.plot_bars(
            labels, [float(r[3] or 0) for r in indicators.rows], "Cards by indicator", _versions_note(changes)
        ),
    )
    return Section("activity", "Hook calls and cards", svgs, (by_outcome, scope, indicators))


def _feedback_section(
    history: list[CallRecord],
    calls: list[CallRecord],
    feedback: list[FeedbackRecord],
    changes: list[tuple[date, str]],
) -> Section:
    """Return feedback rates, override rate, reasons (and categories) and suggestions taken."""
    shown = engagement.extract_shown_cards(calls)
    rates = engagement.build_feedback_rates(shown, feedback)
    reasons, categories = engagement.build_override_reasons(feedback)
    suggestions = engagement.build_suggestions_taken(shown, feedback)
    quality = engagement.build_feedback_quality(history, feedback)
    override = engagement.evaluate_override_rate(shown, feedback)
    note = (
        f"Override rate over actionable cards shown: {override:.1%}" if override is not None
        else "No actionable card shown in this range: no override rate"
    )  # fmt: skip
    svgs = (
        plots.plot_bars(
            [str(r[0]) for r in categories.rows], [float(r[2] or 0) for r in categories.rows],
            "Override reasons by category", _versions_note(changes),
        ),
        plots.plot_bars(
            [f"{r[0]} ({r[1]})" for r in rates.rows], [float(r[7] or 0) for r in rates.rows],
            "Override rate per outcome", _versions_note(changes),
        ),
    )  # fmt: skip
    return Section("feedback", "Feedback", svgs, (rates, reasons, categories, suggestions, quality), (note,))


def _review_section(calls: list[CallRecord], options: ReportOptions) -> Section:
    """Return what silent mode would have shown, the silent assessments and repeat firing."""
    fired = review.build_would_have_fired(calls)
    silent = review.build_silent_assessments(calls)
    repeats = review.build_repeat_firing(calls, options.repeat_window_hours)
    svgs = (
        plots.plot_bars([str(r[0]) for r in fired.rows], [float(r[1] or 0) for r in fired.rows], fired.title),
    )
    return Section("review", "Silent mode and repeat firing", svgs, (fired, silent, repeats))


def _operations_section(
    calls: list[CallRecord], days: list[date], changes: list[tuple[date, str]]
) -> Section:
    """Return latency, status counts, refusals, FHIR reads and the rules versions in force."""
    latency = activity.build_latency(calls, days)
    statuses = activity.build_status_counts(calls, days)
    fhir = activity.build_fhir_reads(calls, days)
    svgs = (
        plots.plot_lines(latency, ["p50", "p95", "p99"], "Latency per day", changes, "ms"),
        plots.plot_stacked_days(statuses, "Calls per day by HTTP status", changes),
        plots.plot_lines(fhir, ["fhir read failures"], "FHIR read failures per day", changes),
        plots.plot_lines(fhir, ["prefetch share"], "Share of data from prefetch", changes),
    )
    tables = (
        latency,
        statuses,
        activity.build_refusal_reasons(calls),
        fhir,
        activity.build_rules_versions(calls),
    )
    return Section("operations", "Operations", svgs, tables)


def report_days(report: Report) -> int:
    """Return the number of days the report covers."""
    return (report.end - report.start + timedelta(days=1)).days
