"""`ivig-cds serve` with another worker model, to choose one from measurements (bench only).

    python bench/serve_variant.py --config ivig-cds.toml --port 8090 --workers 2 --threads 16
    python bench/serve_variant.py --config ivig-cds.toml --port 8090 --workers 4 --worker-class sync
    python bench/serve_variant.py --config ivig-cds.toml --port 8090 --switch-interval-ms 1

Everything else is what `ivig-cds serve` does (same configuration, metrics directory and gunicorn
settings from `service.server.gunicorn_options`); only the worker class, thread count
(and, when asked, the GIL switch interval) change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main() -> int:
    """Serve the service with the given worker model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", choices=["gthread", "sync"], default="gthread")
    parser.add_argument(
        "--switch-interval-ms",
        type=float,
        help="sys.setswitchinterval in each worker (Python's default 5 ms)",
    )
    args = parser.parse_args()
    from service.cli.serve import _prepare_metrics_dir
    from service.config import load_config

    config = load_config(str(args.config))
    _prepare_metrics_dir(config.service.data_dir)
    from service.app import create_app
    from service.server import GunicornServer, gunicorn_options

    create_app(config)
    options = gunicorn_options(args.host, args.port, args.workers, config.fhir.budget_seconds)
    if args.worker_class == "sync":  # else serve's own gthread class (drains on SIGTERM)
        options["worker_class"], options["threads"] = "sync", 1
    else:
        options["threads"] = args.threads
    if args.switch_interval_ms is not None:
        freeze, interval = options["post_worker_init"], args.switch_interval_ms / 1000

        def post_worker_init(worker: object) -> None:
            freeze(worker)
            sys.setswitchinterval(interval)

        options["post_worker_init"] = post_worker_init
    GunicornServer(config, options).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
