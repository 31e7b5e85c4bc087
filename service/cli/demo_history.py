"""`ivig-cds demo --history`: weeks of synthetic calls and feedback in the demo store, and a sample report.

The history ends the day before the demo's own calls and carries one injected malfunction (a code
mapping change that stops cards for its last days), so the report opens with anomaly flags and a
newcomer sees every section filled in one command. Seeded once per demo store.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.governance.render import render_html, save_csv
from service.governance.report import ReportOptions, load_report
from service.governance.synthetic import HistoryPlan, save_history
from service.store import Store

MARKER = "history-seeded"


def save_demo_history(store: Store, data_dir: Path, rules_version: str | None) -> Path:
    """Seed the demo store with synthetic history (once), write the sample report; return its path."""
    marker = data_dir / MARKER
    if not marker.exists():
        plan = HistoryPlan(end=datetime.now(UTC).date() - timedelta(days=1))
        if rules_version:
            plan = dataclasses.replace(plan, rules_version=rules_version)
        seeded = save_history(store, plan)
        marker.write_text(f"{seeded.calls} calls, {seeded.feedback} feedback items\n", encoding="utf-8")
    report = load_report(store, ReportOptions())
    out = data_dir / "report.html"
    out.write_text(render_html(report), encoding="utf-8")
    save_csv(report, data_dir / "report-csv")
    return out
