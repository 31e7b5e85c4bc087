"""`ivig-cds serve`: validate configuration, rules and store, then run the service under gunicorn."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from service.cli.config import add_config_option
from service.cli.errors import CliError
from service.config import load_config


def add_serve_parser(commands: Any) -> None:
    """Add `ivig-cds serve`."""
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
    add_config_option(serve)
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    """Validate configuration, rules and store, then run gunicorn."""
    if args.workers < 1:
        raise CliError("--workers must be at least 1")
    config = load_config(args.config)
    if args.dev:
        config = config.model_copy(update={"auth": config.auth.model_copy(update={"required": False})})
    _prepare_metrics_dir(config.service.data_dir)
    # Imported only now: prometheus-client binds a metric object to PROMETHEUS_MULTIPROC_DIR when the
    # object is created, so the app (and with it service.metrics) must load after the directory is ready.
    from service.app import create_app
    from service.server import GunicornServer, gunicorn_options

    create_app(config)  # fail fast in the master: configuration, rules, store schema, pseudonym key
    options = gunicorn_options(args.host, args.port, args.workers, config.fhir.budget_seconds)
    print(f"ivig-cds: serving on http://{args.host}:{args.port} with {args.workers} workers", file=sys.stderr)
    GunicornServer(config, options).run()
    return 0


def _prepare_metrics_dir(data_dir: str) -> None:
    """Point prometheus-client's multiprocess mode at a fresh directory shared by the workers."""
    metrics_dir = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or Path(data_dir) / "metrics")
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
