"""The report written out: one self-contained HTML file (inline CSS and SVG, prints on A4) and CSV files."""

from __future__ import annotations

import csv
import html
from pathlib import Path

from service.governance.report import Report
from service.governance.tables import Cell, Table

# Nothing may load from anywhere: the file must open offline and make no request.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
@page { size: A4; margin: 14mm; }
body { font: 10pt/1.35 system-ui, sans-serif; color: #222; max-width: 190mm; margin: 0 auto; }
h1 { font-size: 16pt; margin-bottom: 0; } h2 { font-size: 13pt; border-bottom: 1px solid #ccc; }
h3 { font-size: 10.5pt; margin: 10px 0 4px; } .meta { color: #555; }
table { border-collapse: collapse; margin: 4px 0 10px; font-size: 8.5pt; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; } th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
.flags { border: 2px solid #d62728; padding: 6px 10px; background: #fff5f5; }
.flags.ok { border-color: #2ca02c; background: #f5fff5; }
figure.plot { margin: 6px 0; break-inside: avoid; } figure.plot svg { width: 100%; height: auto; }
section { break-before: page; } section:first-of-type { break-before: auto; }
.scroll { max-height: none; }
"""


def _cell(value: Cell) -> str:
    """Return one table cell's text."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def render_table(table: Table) -> str:
    """Return a table as HTML (escaped)."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in table.rows
    )
    if not table.rows:
        body = f'<tr><td colspan="{len(table.columns)}">no data</td></tr>'
    return (
        f'<h3>{html.escape(table.title)}</h3><table data-table="{html.escape(table.name)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def render_flags(report: Report) -> str:
    """Return the anomaly box that heads the report."""
    result = report.anomalies
    note = f"<p>{html.escape(result.note)}</p>"
    if not result.flags:
        return f'<div id="anomalies" class="flags ok"><h2>Anomaly flags: none</h2>{note}</div>'
    items = "".join(
        f"<li><b>{f.day.isoformat()}</b>: {html.escape(f.measure)} = {f.value:g} "
        f"(expected {f.expected:g}, control limits {f.low:g} to {f.high:g})</li>"
        for f in result.flags
    )
    return (
        f'<div id="anomalies" class="flags"><h2>Anomaly flags: {len(result.flags)}</h2>'
        f"{note}<ul>{items}</ul></div>"
    )


def _filters(report: Report) -> str:
    """Return the report's scope line."""
    q = report.options.query
    parts = [f"{report.start.isoformat()} to {report.end.isoformat()} (UTC days)"]
    for label, value in (("service", q.service), ("client", q.issuer), ("tenant", q.tenant)):
        parts.append(f"{label}: {value or 'all'}")
    return " &middot; ".join(html.escape(p) for p in parts)


def render_html(report: Report) -> str:
    """Return the whole report as one self-contained HTML document."""
    sections = []
    for section in report.sections:
        figures = "".join(f'<figure class="plot">{svg}</figure>' for svg in section.plots)
        notes = "".join(f"<p><b>{html.escape(n)}</b></p>" for n in section.notes)
        tables = "".join(render_table(t) for t in section.tables)
        title = html.escape(section.title)
        sections.append(f'<section id="{section.id}"><h2>{title}</h2>{notes}{figures}{tables}</section>')
    comments = ""
    if report.comments:
        items = "".join(f"<li>{html.escape(c)}</li>" for c in report.comments)
        comments = (
            f'<section id="comments"><h2>Free-text comments (shown on request)</h2><ul>{items}</ul></section>'
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>ivig-cds governance report</title><style>{CSS}</style></head><body>"
        f'<h1>ivig-cds governance report</h1><p class="meta">{_filters(report)}<br>'
        f"generated {report.generated_at.strftime('%Y-%m-%d %H:%M UTC')}; no patient identifier, name or "
        "free-text comment appears unless comments were asked for; patients are short one-way labels.</p>"
        f"{render_flags(report)}{''.join(sections)}{comments}</body></html>"
    )


def save_csv(report: Report, directory: Path) -> list[Path]:
    """Write every table of the report as `<name>.csv` in the directory; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table in [*report.tables(), _flags_table(report)]:
        path = directory / f"{table.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.columns)
            writer.writerows([_cell(v) if isinstance(v, float) else v for v in row] for row in table.rows)
        written.append(path)
    return written


def _flags_table(report: Report) -> Table:
    """Return the anomaly flags as a table."""
    rows = tuple(
        (f.day.isoformat(), f.measure, f.value, f.expected, f.low, f.high) for f in report.anomalies.flags
    )
    return Table(
        "anomaly_flags", "Anomaly flags", ("day", "measure", "value", "expected", "low", "high"), rows
    )
