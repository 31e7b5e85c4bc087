"""`ivig-cds serve`: gunicorn, started in-process, one app per worker, settings documented in the README."""

from __future__ import annotations

import gc
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from service.auth import warm_key_sets
from service.config import Config
from service.gunicorn_worker import DrainingThreadWorker
from service.runtime import runtime


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """A gunicorn application whose workers each build the Flask app from a validated Config."""

    def __init__(self, config: Config, options: dict[str, Any]) -> None:
        self._config = config
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply the gunicorn settings."""
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """Return the app for a worker."""
        from service.app import create_app

        return create_app(self._config)


def gunicorn_options(host: str, port: int, workers: int, timeout: float) -> dict[str, Any]:
    """Return gunicorn settings: draining gthread workers, worker timeout above the FHIR budget."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": DrainingThreadWorker,
        "threads": 4,
        "timeout": max(30, int(timeout * 3)),
        "graceful_timeout": 20,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "max_requests": 10000,
        "max_requests_jitter": 1000,
        "child_exit": _child_exit,
        "post_worker_init": _start_worker,
    }


def _start_worker(worker: Any) -> None:
    """Prepare a new worker: start loading the clients' JWK Sets, then freeze what start-up built."""
    app: Flask = worker.wsgi
    with app.app_context():
        warm_key_sets(runtime().config)
    freeze_startup_objects(worker)


def freeze_startup_objects(_worker: Any) -> None:
    """Move everything the worker built at start (rules, models, app) out of the garbage collector's reach.

    A hook call's JSON body allocates thousands of containers, so the collector runs on nearly every
    call; without this, its full collections walk every object of the loaded app each time (about a
    sixth of a worker's CPU under load, profiled). Frozen objects are never freed, which is what they
    are meant for: they live as long as the worker.
    """
    gc.collect()
    gc.freeze()


def _child_exit(_server: Any, worker: Any) -> None:
    """Let prometheus-client drop a dead worker's live gauges (multiprocess mode)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]  # untyped upstream
