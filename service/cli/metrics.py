"""`ivig-cds metrics export`: one CRDMetricData-shaped JSON line per audited hook call."""

from __future__ import annotations

import argparse
import json
from typing import Any

from service.cli.report import add_query_options, build_query
from service.config import load_config
from service.store import Store


def add_metrics_parser(commands: Any) -> None:
    """Add `ivig-cds metrics export`."""
    metrics = commands.add_parser(
        "metrics", help="per-call metric records (Da Vinci CRD CRDMetricData shape)"
    )
    actions = metrics.add_subparsers(dest="metrics_command", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="print one JSON line per audited hook call")
    add_query_options(export)
    export.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    """Print the metric records of the query as JSON lines."""
    from service.governance.crd_metrics import build_metric_records
    from service.governance.records import load_calls, load_feedback_records

    query = build_query(args)
    store = Store(load_config(args.config).store_url())
    try:
        store.create_schema()
        calls = load_calls(store, query)
        feedback = load_feedback_records(store, query)
    finally:
        store.close()
    for record in build_metric_records(calls, feedback):
        print(json.dumps(record))
    return 0
