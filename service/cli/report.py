"""`ivig-cds report`: the governance report (self-contained HTML plus CSV), and `--check` for cron."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from service.cli.config import add_config_option
from service.cli.errors import CliError
from service.config import load_config
from service.store import Store


def add_query_options(parser: argparse.ArgumentParser) -> None:
    """Add the date range and the service, client and tenant filters."""
    parser.add_argument("--from", dest="start", metavar="DATE", help="first day (UTC, YYYY-MM-DD)")
    parser.add_argument("--to", dest="end", metavar="DATE", help="last day (UTC, YYYY-MM-DD)")
    parser.add_argument("--service", metavar="ID", help="only this service id")
    parser.add_argument("--client", metavar="ISSUER", help="only this client (JWT issuer)")
    parser.add_argument("--tenant", metavar="TENANT", help="only this tenant")
    add_config_option(parser)


def add_report_parser(commands: Any) -> None:
    """Add `ivig-cds report`."""
    report = commands.add_parser(
        "report",
        help="governance report: HTML (offline, A4) and CSV; --check exits 1 on an anomaly flag",
        description="Write the governance report over the store: calls, cards, feedback and override "
        "reasons, silent-mode review, repeat firing, latency and errors, with anomaly flags on top.",
    )
    add_query_options(report)
    report.add_argument("--out", default="ivig-cds-report.html", metavar="FILE", help="HTML file to write")
    report.add_argument("--csv", metavar="DIR", help="CSV directory (default: <out without .html>-csv)")
    report.add_argument("--window-days", type=int, default=28, help="control window in days (default 28)")
    report.add_argument("--sigma", type=float, default=3.0, help="control limits in standard deviations")
    report.add_argument(
        "--repeat-window-hours", type=int, default=72, help="repeat firing window in hours (default 72)"
    )
    report.add_argument("--show-comments", action="store_true", help="include free-text comments")
    report.add_argument("--check", action="store_true", help="exit 1 when an anomaly flag is raised")
    report.set_defaults(handler=_report)


def parse_day(value: str | None, option: str) -> date | None:
    """Return the day of an option, or raise CliError naming it."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option} must be a date YYYY-MM-DD, got {value!r}") from None


def build_query(args: argparse.Namespace) -> Any:
    """Return the ReportQuery of the command's options."""
    from service.governance.records import ReportQuery

    start, end = parse_day(args.start, "--from"), parse_day(args.end, "--to")
    if start and end and end < start:
        raise CliError("--to is before --from")
    return ReportQuery(start=start, end=end, service=args.service, issuer=args.client, tenant=args.tenant)


def _report(args: argparse.Namespace) -> int:
    """Write the report; return 1 under --check when a flag is raised."""
    from service.governance.render import render_html, save_csv
    from service.governance.report import ReportOptions, load_report

    if args.window_days < 1 or args.sigma <= 0 or args.repeat_window_hours < 1:
        raise CliError("--window-days, --sigma and --repeat-window-hours must be positive")
    options = ReportOptions(
        query=build_query(args),
        window_days=args.window_days,
        sigma=args.sigma,
        repeat_window_hours=args.repeat_window_hours,
        show_comments=args.show_comments,
    )
    store = Store(load_config(args.config).store_url())
    try:
        store.create_schema()
        report = load_report(store, options)
    finally:
        store.close()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report), encoding="utf-8")
    csv_dir = Path(args.csv) if args.csv else out.with_name(out.stem + "-csv")
    save_csv(report, csv_dir)
    flags = report.anomalies.flags
    print(f"report: {out} (CSV: {csv_dir}/)")
    print(f"anomaly flags: {len(flags)}; {report.anomalies.note}")
    for flag in flags:
        print(
            f"  {flag.day.isoformat()} {flag.measure} = {flag.value:g} (limits {flag.low:g} to {flag.high:g})"
        )
    return 1 if args.check and flags else 0
