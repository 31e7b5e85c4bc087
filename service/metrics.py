"""Prometheus metrics: request counts and latency by service and status, outcomes, FHIR reads.

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

from service.app import runtime

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

REQUESTS = Counter(
    "ivig_cds_requests_total", "HTTP requests by route, service and status", ["route", "service", "status"]
)
LATENCY = Histogram(
    "ivig_cds_request_seconds",
    "HTTP request latency by route and service",
    ["route", "service"],
    buckets=_BUCKETS,
)
OUTCOMES = Counter(
    "ivig_cds_outcomes_total", "Hook answers by service and outcome code", ["service", "outcome"]
)
FHIR_READS = Histogram(
    "ivig_cds_fhir_read_seconds", "Latency of reads from the EHR's FHIR server", buckets=_BUCKETS
)
FHIR_ERRORS = Counter(
    "ivig_cds_fhir_read_errors_total", "Failed reads from the EHR's FHIR server by kind", ["kind"]
)

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    """Return the metrics in Prometheus text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        data = generate_latest(registry)
    else:
        data = generate_latest()
    return Response(data, content_type=CONTENT_TYPE_LATEST)


def init_metrics(app: Flask) -> None:
    """Count and time every request, labelled by route and (known) service id."""

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _record(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is None or request.path == "/metrics":
            return response
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        service = _service_label()
        REQUESTS.labels(route, service, str(response.status_code)).inc()
        LATENCY.labels(route, service).observe(time.perf_counter() - started)
        return response

    app.register_blueprint(bp)


def _service_label() -> str:
    """Return the request's service id when it is registered, else '-' (bounded label values)."""
    service_id = (request.view_args or {}).get("service_id")
    if service_id is None:
        return "-"
    return str(service_id) if service_id in runtime().registry.ids() else "unknown"
