"""Prometheus metric objects: request counts and latency by service and status, outcomes, FHIR reads.

Definitions only, free of Flask, so the FHIR chart adapter and the hook pipeline can count without
importing the web layer; the `/metrics` endpoint and the per-request timing are in `service.metrics_routes`.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
STORE_UNAVAILABLE = Counter(
    "ivig_cds_store_unavailable_total", "Calls answered 503 because the store could not take a write"
)
