"""The `ivig-cds` command line: serve, evaluate, feedback export, config show, token sign, store maintenance.

Every failure prints one line `ivig-cds: error: <reason>` to stderr and exits non-zero; never a trace.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from service.cli_errors import CliError
from service.config import ConfigError, load_config

Handler = Callable[[argparse.Namespace], int]


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="FILE", help="TOML configuration file (default: $IVIG_CDS_CONFIG)"
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="ivig-cds", description="CDS Hooks service advising on IVIg orders for progressive LMN weakness."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="run the service under gunicorn", description="Run the service."
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to bind (default 8080)")
    serve.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    serve.add_argument(
        "--dev",
        action="store_true",
        help="local development: client authentication off (logged as a warning)",
    )
    _add_config(serve)
    serve.set_defaults(handler=_serve)

    from service.cli_evaluate import add_evaluate_parser

    add_evaluate_parser(commands)

    feedback = commands.add_parser("feedback", help="governance review of clinician feedback")
    feedback_cmds = feedback.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    export = feedback_cmds.add_parser("export", help="print every feedback record as JSON lines")
    export.add_argument("--since", metavar="ISO-DATE", help="only records received on or after this date")
    _add_config(export)
    export.set_defaults(handler=_feedback_export)

    config = commands.add_parser("config", help="inspect the configuration")
    config_cmds = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    show = config_cmds.add_parser("show", help="print the effective configuration, secrets masked")
    _add_config(show)
    show.set_defaults(handler=_config_show)

    from service.cli_tools import add_store_parser, add_token_parser

    add_token_parser(commands)
    from service.cli_demo import add_demo_parser

    add_demo_parser(commands)
    add_store_parser(commands, _add_config)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (CliError, ConfigError) as exc:
        print(f"ivig-cds: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error worth a trace
        return 0


def _serve(args: argparse.Namespace) -> int:
    """Validate configuration, rules and store, then run gunicorn."""
    from service.app import create_app
    from service.server import GunicornServer, gunicorn_options

    if args.workers < 1:
        raise CliError("--workers must be at least 1")
    config = load_config(args.config)
    if args.dev:
        config = config.model_copy(update={"auth": config.auth.model_copy(update={"required": False})})
    _prepare_metrics_dir(config.service.data_dir)
    create_app(config)  # fail fast in the master: configuration, rules, store schema, pseudonym key
    options = gunicorn_options(args.host, args.port, args.workers, config.fhir.budget_seconds)
    print(f"ivig-cds: serving on http://{args.host}:{args.port} with {args.workers} workers", file=sys.stderr)
    GunicornServer(config, options).run()
    return 0


def _prepare_metrics_dir(data_dir: str) -> None:
    """Point prometheus-client's multiprocess mode at a fresh directory shared by the workers."""
    import os
    import shutil
    from pathlib import Path

    metrics_dir = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or Path(data_dir) / "metrics")
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)


def _feedback_export(args: argparse.Namespace) -> int:
    """Print stored feedback as JSON lines."""
    from service.store import Store

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            raise CliError(f"--since must be an ISO date, got {args.since!r}") from None
        if since.tzinfo is None:
            from datetime import UTC

            since = since.replace(tzinfo=UTC)
    config = load_config(args.config)
    store = Store(config.store_url())
    store.create_schema()
    for record in store.load_feedback(since):
        print(json.dumps(record, sort_keys=False))
    return 0


def _config_show(args: argparse.Namespace) -> int:
    """Print the effective configuration as JSON, secrets masked."""
    print(json.dumps(load_config(args.config).masked(), indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
