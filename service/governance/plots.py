"""The report's plots: matplotlib figures (no pyplot, no global state) rendered to inline SVG text.

Every time-series plot marks each rules-version change with a dashed vertical line, and anomaly
flags with red markers where they apply.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from service.governance.anomaly import AnomalyResult
from service.governance.tables import Cell, Table

WIDTH, HEIGHT = 7.0, 2.5  # inches: fits the width of an A4 page with margins
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def _figure() -> tuple[Figure, Axes]:
    """Return a new figure with one axes, sized for the report."""
    fig = Figure(figsize=(WIDTH, HEIGHT), layout="constrained")
    ax = fig.add_subplot()
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", alpha=0.3)
    return fig, ax


def render_svg(fig: Figure) -> str:
    """Return the figure as an inline <svg> element (no XML prologue, fonts as paths)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _days(table: Table) -> list[float]:
    """Return the table's 'day' column as matplotlib date numbers."""
    return [_x(date.fromisoformat(str(d))) for d in table.column("day")]


EPOCH = date(1970, 1, 1)
MAX_TICKS = 8


def _x(day: date) -> float:
    """Return a day as an x coordinate (days since 1970-01-01)."""
    return float((day - EPOCH).days)


def _date_axis(ax: Axes, xs: Sequence[float]) -> None:
    """Label the x axis with at most MAX_TICKS dates (YYYY-MM-DD)."""
    if not xs:
        return
    step = max(1, -(-len(xs) // MAX_TICKS))
    ticks = list(xs[::step])
    labels = [(EPOCH + timedelta(days=int(t))).isoformat() for t in ticks]
    ax.set_xticks(ticks, labels, fontsize=6, rotation=30, ha="right")


def _num(values: Sequence[Cell]) -> list[float]:
    """Return numbers for plotting (missing values as NaN)."""
    return [float(v) if isinstance(v, int | float) else float("nan") for v in values]


def _mark_versions(ax: Axes, changes: Sequence[tuple[date, str]]) -> None:
    """Draw each rules-version change as a labelled dashed line."""
    for day, version in changes:
        ax.axvline(_x(day), color="#555555", linestyle="--", linewidth=0.8)
        ax.annotate(
            f"rules {version}", (_x(day), 1.0), xycoords=("data", "axes fraction"),
            fontsize=6, rotation=90, va="top", ha="right", color="#555555",
        )  # fmt: skip


def plot_stacked_days(table: Table, title: str, changes: Sequence[tuple[date, str]]) -> str:
    """Return stacked daily bars of every non-day column of the table."""
    fig, ax = _figure()
    days = _days(table)
    bottom = [0.0] * len(days)
    for i, header in enumerate(h for h in table.columns if h != "day"):
        values = _num(table.column(header))
        ax.bar(days, values, bottom=bottom, label=header, color=PALETTE[i % len(PALETTE)], width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    _mark_versions(ax, changes)
    _date_axis(ax, days)
    return render_svg(fig)


def plot_lines(
    table: Table, headers: Sequence[str], title: str, changes: Sequence[tuple[date, str]], ylabel: str = ""
) -> str:
    """Return one line per named column against the day."""
    fig, ax = _figure()
    days = _days(table)
    for i, header in enumerate(headers):
        ax.plot(days, _num(table.column(header)), label=header, color=PALETTE[i], linewidth=1.2, marker=".")
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=7)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    _mark_versions(ax, changes)
    _date_axis(ax, days)
    return render_svg(fig)


def plot_control(
    table: Table, header: str, result: AnomalyResult, measure: str, changes: Sequence[tuple[date, str]]
) -> str:
    """Return a control chart: the daily series, its control limits (shaded) and flagged days in red."""
    fig, ax = _figure()
    days = _days(table)
    bands = result.limits.get(measure, [])
    if bands:
        xs = [_x(b.day) for b in bands]
        ax.fill_between(
            xs,
            [b.low for b in bands],
            [b.high for b in bands],
            color="#2ca02c",
            alpha=0.15,
            label="control limits",
        )
    flags = result.flags
    ax.plot(days, _num(table.column(header)), color=PALETTE[0], linewidth=1.2, marker=".", label=header)
    mine = [f for f in flags if f.measure == measure]
    if mine:
        ax.scatter(
            [_x(f.day) for f in mine], [f.value for f in mine], color="#d62728", zorder=3, label="flagged"
        )
    ax.set_title(f"Control chart: {measure}", fontsize=9)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    _mark_versions(ax, changes)
    _date_axis(ax, days)
    return render_svg(fig)


def plot_bars(labels: Sequence[str], values: Sequence[float], title: str, note: str = "") -> str:
    """Return horizontal bars of labelled values (categories, not time)."""
    fig, ax = _figure()
    positions = list(range(len(labels)))
    ax.barh(positions, list(values), color=PALETTE[0])
    ax.set_yticks(positions, list(labels), fontsize=7)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=9)
    if note:
        ax.text(1.0, -0.25, note, transform=ax.transAxes, fontsize=6, ha="right", color="#555555")
    return render_svg(fig)
