"""`ivig-cds feedback export`: stored clinician feedback as JSON lines, for governance review."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from service.cli.config import add_config_option
from service.cli.errors import CliError
from service.config import load_config
from service.store import Store


def add_feedback_parser(commands: Any) -> None:
    """Add `ivig-cds feedback export`."""
    feedback = commands.add_parser("feedback", help="governance review of clinician feedback")
    feedback_cmds = feedback.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    export = feedback_cmds.add_parser("export", help="print every feedback record as JSON lines")
    export.add_argument("--since", metavar="ISO-DATE", help="only records received on or after this date")
    add_config_option(export)
    export.set_defaults(handler=_feedback_export)


def _feedback_export(args: argparse.Namespace) -> int:
    """Print stored feedback as JSON lines."""
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            raise CliError(f"--since must be an ISO date, got {args.since!r}") from None
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
    config = load_config(args.config)
    store = Store(config.store_url())
    store.create_schema()
    for record in store.load_feedback(since):
        print(json.dumps(record, sort_keys=False))
    return 0
