"""Discovery and the hook call: a straight line of named steps; the view only orchestrates."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify

from cds_hooks.errors import CdsError
from cds_hooks.models import CdsResponse, HookRequest
from cds_hooks.profiles import shape_response
from cds_hooks.requests_parsing import parse_hook_request
from cds_hooks.service_api import CdsService, Environment
from service.app import Runtime, runtime
from service.auth import ClientIdentity, verify_client
from service.chart_source import ReadStats, RequestChart
from service.client_profiles import client_profile_of
from service.fhir_client import Deadline, FhirClient
from service.logs import log
from service.metrics import OUTCOMES
from service.request_body import parse_json_body
from service.ssrf import check_fhir_server
from service.store import AuditRecord

bp = Blueprint("hooks", __name__)


@bp.get("/cds-services")
def discovery() -> Response:
    """Answer CDS Hooks discovery, generated from the registry."""
    rt = runtime()
    verify_client(rt.config, rt.store)
    return jsonify(rt.registry.discovery(rt.config.hooks.prefetch))


@bp.post("/cds-services/<service_id>")
def call_service(service_id: str) -> Response:
    """Answer one hook call: verify, find, validate, resolve data, decide, respond, audit."""
    started = time.perf_counter()
    rt = runtime()
    client = verify_client(rt.config, rt.store)
    service = rt.registry.get(service_id)
    body = parse_json_body()
    hook_request = parse_hook_request(body, service.definition.hook)
    stats = ReadStats()
    try:
        response = decide(rt, service, hook_request, client, stats)
    except CdsError as exc:
        _audit(rt, service_id, hook_request, client, started, stats, status=_status_of(exc), response=None)
        raise
    _audit(rt, service_id, hook_request, client, started, stats, status=200, response=response)
    delivered = shape_response(response, client_profile_of(rt.config, client), lambda: str(uuid.uuid4()))
    return jsonify(delivered.to_json())


def decide(
    rt: Runtime,
    service: CdsService,
    hook_request: HookRequest,
    client: ClientIdentity | None,
    stats: ReadStats,
) -> CdsResponse:
    """Return the service's response, reading the chart through prefetch or the FHIR server."""
    chart = RequestChart(
        hook_request,
        rt.registry.queries(service.definition.id),
        _fhir_client(rt, hook_request, client),
        Deadline.after(rt.config.fhir.budget_seconds),
        rt.executor(),
        stats,
    )
    as_of = rt.config.service.as_of_date or datetime.now(UTC).date()
    env = Environment(as_of=as_of, new_uuid=lambda: str(uuid.uuid4()))
    return service.evaluate(hook_request, chart, env)


def _fhir_client(rt: Runtime, hook_request: HookRequest, client: ClientIdentity | None) -> FhirClient | None:
    """Return a client for the request's FHIR server once it is allowed, or None when none was given."""
    if hook_request.fhir_server is None:
        return None
    check_fhir_server(hook_request.fhir_server, client, rt.config)
    auth = hook_request.fhir_authorization
    return FhirClient(
        hook_request.fhir_server,
        auth.access_token if auth else None,
        timeout=rt.config.fhir.timeout_seconds,
        max_pages=rt.config.fhir.max_pages,
        max_bytes=rt.config.fhir.max_response_bytes,
    )


def _status_of(exc: CdsError) -> int:
    """Return the HTTP status an error of the core maps to (for the audit record)."""
    from service.errors import core_error_response

    return core_error_response(exc).status_code


def _audit(
    rt: Runtime,
    service_id: str,
    hook_request: HookRequest,
    client: ClientIdentity | None,
    started: float,
    stats: ReadStats,
    *,
    status: int,
    response: CdsResponse | None,
) -> None:
    """Write the call's audit record and log line (pseudonymised patient, no token, no body)."""
    duration_ms = int((time.perf_counter() - started) * 1000)
    cards = response.cards if response else ()
    outcome = _outcome_code(response)
    record = AuditRecord(
        service_id=service_id,
        hook_instance=hook_request.hook_instance,
        status=status,
        outcome=outcome,
        card_uuids=[c.uuid for c in cards if c.uuid],
        rules_version=rt.rules_version,
        duration_ms=duration_ms,
        patient_pseudonym=rt.pseudonym(hook_request.patient_id),
        client_issuer=client.issuer if client else None,
    )
    rt.audit.record(record)
    if outcome is not None:
        OUTCOMES.labels(service_id, outcome).inc()
    extra: dict[str, Any] = {
        "event": "hook-call",
        "service": service_id,
        "hook_instance": hook_request.hook_instance,
        "status": status,
        "outcome": outcome,
        "duration_ms": duration_ms,
        "iss": record.client_issuer,
        "fhir_reads": stats.reads,
        "fhir_failures": len(stats.failures),
        "from_prefetch": stats.from_prefetch,
    }
    log.info("hook call", extra=extra)


def _outcome_code(response: CdsResponse | None) -> str | None:
    """Return the outcome code of the response's first card ('no-card' for an empty answer)."""
    if response is None:
        return None
    for card in response.cards:
        if card.source.topic is not None:
            return card.source.topic.code
    return "no-card" if not response.cards else "card"
