"""The `ivig-cds` command line: one module per command, wired into one parser here.

Every failure prints one line `ivig-cds: error: <reason>` to stderr and exits non-zero; never a trace.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version

from service.cli.config import add_config_parser
from service.cli.demo import add_demo_parser
from service.cli.errors import CliError
from service.cli.evaluate import add_evaluate_parser
from service.cli.feedback import add_feedback_parser
from service.cli.metrics import add_metrics_parser
from service.cli.report import add_report_parser
from service.cli.serve import add_serve_parser
from service.cli.store import add_store_parser
from service.cli.token import add_token_parser
from service.config import ConfigError

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="ivig-cds", description="CDS Hooks service advising on IVIg orders for progressive LMN weakness."
    )
    parser.add_argument("--version", action="version", version=f"ivig-cds {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_serve_parser(commands)
    add_evaluate_parser(commands)
    add_feedback_parser(commands)
    add_config_parser(commands)
    add_token_parser(commands)
    add_demo_parser(commands)
    add_store_parser(commands)
    add_report_parser(commands)
    add_metrics_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return int(handler(args))
    except (CliError, ConfigError) as exc:
        print(f"ivig-cds: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error worth a trace
        return 0


def _version() -> str:
    """Return the installed distribution's version."""
    try:
        return version("ivig-cds")
    except PackageNotFoundError:  # pragma: no cover - running from a tree that was never installed
        return "unknown"
