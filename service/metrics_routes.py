"""The `/metrics` endpoint and the per-request count and latency (the metric objects are in service.metrics).

Under `ivig-cds serve` (several gunicorn workers) the metrics are aggregated across workers through
prometheus-client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, set by the serve command).
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from service.metrics import LATENCY, REQUESTS
from service.runtime import runtime

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    """Return the metrics in Prometheus text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped upstream
        data = generate_latest(registry)
    else:
        data = generate_latest()
    return Response(data, content_type=CONTENT_TYPE_LATEST)


def init_metrics(app: Flask) -> None:
    """Count and time every request, labelled by route and (known) service id."""

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    # The labelled children by (route, service, status): bounded, as the label values are.
    children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}

    @app.after_request
    def _record(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is None or request.path == "/metrics":
            return response
        rule = request.url_rule
        labels = (rule.rule if rule is not None else "unmatched", _service_label(), str(response.status_code))
        pair = children.get(labels)
        if pair is None:
            pair = children[labels] = (REQUESTS.labels(*labels), LATENCY.labels(*labels[:2]))
        pair[0].inc()
        pair[1].observe(time.perf_counter() - started)
        return response

    app.register_blueprint(bp)


def _service_label() -> str:
    """Return the request's service id when it is registered, else '-' (bounded label values)."""
    service_id = (request.view_args or {}).get("service_id")
    if service_id is None:
        return "-"
    return str(service_id) if service_id in runtime().registry.ids() else "unknown"
