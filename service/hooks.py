"""Discovery and the hook call: a straight line of named steps; the view only orchestrates."""

from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import UTC, datetime

import orjson
from flask import Blueprint, Response, current_app, jsonify
from flask.json.provider import DefaultJSONProvider

from cds_hooks.errors import CdsError
from cds_hooks.models import CdsResponse, HookRequest
from cds_hooks.parsing import parse_hook_request
from cds_hooks.profiles import shape_response
from cds_hooks.registry import CdsService, Environment
from service.audit import build_audit_record
from service.auth import ClientIdentity, verify_client
from service.call_trace import CallTrace, build_call_detail, evaluate_silent, trace_refusals
from service.chart_source import ReadStats, RequestChart
from service.client_profiles import client_profile_of
from service.errors import core_error_response
from service.fhir_client import Deadline, FhirClient
from service.logs import log_hook_call
from service.metrics import OUTCOMES
from service.request_body import parse_json_body
from service.runtime import Runtime, runtime
from service.ssrf import check_fhir_server

bp = Blueprint("hooks", __name__)


@bp.get("/cds-services")
def discovery() -> Response:
    """Answer CDS Hooks discovery, generated from the registry."""
    rt = runtime()
    verify_client(rt.config, rt.store)
    return jsonify(rt.registry.discovery(rt.config.hooks.prefetch))


@bp.post("/cds-services/<service_id>")
def call_service(service_id: str) -> Response:
    """Answer one hook call: verify, find, validate, resolve data, decide, audit, respond (or stay silent)."""
    rt = runtime()
    with trace_refusals(rt, service_id) as trace:
        trace.client = client = verify_client(rt.config, rt.store)
        service = rt.registry.get(service_id)
        body = parse_json_body()
        trace.note_body(body)
        trace.hook_request = hook_request = parse_hook_request(body, service.definition.hook)
        stats = ReadStats()
        silent = evaluate_silent(rt.config, client)
        try:
            response = decide(rt, service, hook_request, client, stats)
        except CdsError as exc:
            trace.audited = True
            _audit(rt, trace, stats, status=_status_of(exc), response=None, silent=silent, reason=exc.code)
            raise
        trace.audited = True
        _audit(rt, trace, stats, status=200, response=response, silent=silent)
    if silent:
        return answer_json(CdsResponse().to_json())
    delivered = shape_response(response, client_profile_of(rt.config, client), lambda: str(uuid.uuid4()))
    return answer_json(delivered.to_json())


# Types json.dumps leaves to Flask's `default` (orjson would write them itself): passed through to it.
_JSON_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def answer_json(data: object) -> Response:
    """Return the response `jsonify(data)` gives, its body written by orjson (by Flask when unsure).

    Same text for what a hook answers (keys in order, compact, ASCII, a final newline). Only a float
    nearer zero than 1e-4 is written in another notation (the same number), and NaN or an infinity as
    null (json.dumps wrote tokens no JSON parser takes). Anything orjson refuses, text beyond printable
    ASCII, and an indented (debug) or otherwise configured provider go to Flask's encoder.
    """
    provider = current_app.json
    if type(provider) is DefaultJSONProvider and provider.ensure_ascii and _compact(provider):
        option = _JSON_OPTIONS | (orjson.OPT_SORT_KEYS if provider.sort_keys else 0)
        try:
            body = orjson.dumps(data, default=provider.default, option=option)
        except TypeError:
            body = b""
        if body and body.isascii() and b"\x7f" not in body:  # json.dumps escapes DEL as well
            return current_app.response_class(body, mimetype=provider.mimetype)
    return jsonify(data)


def _compact(provider: DefaultJSONProvider) -> bool:
    """Return True when Flask writes this provider's responses without indentation."""
    return provider.compact is True or (provider.compact is None and not current_app.debug)


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
    return core_error_response(exc).status_code


def _audit(
    rt: Runtime,
    trace: CallTrace,
    stats: ReadStats,
    *,
    status: int,
    response: CdsResponse | None,
    silent: bool,
    reason: str | None = None,
) -> None:
    """Queue the call's audit record (with its governance detail), count its outcome, write its log line."""
    assert trace.hook_request is not None
    hook_request, client = trace.hook_request, trace.client
    record = build_audit_record(
        trace.service_id,
        hook_request,
        response,
        status=status,
        duration_ms=int((time.perf_counter() - trace.started) * 1000),
        rules_version=rt.rules_version,
        patient_pseudonym=rt.pseudonym(hook_request.patient_id),
        client_issuer=client.issuer if client else None,
    )
    record = build_call_detail(
        record, hook_request=hook_request, response=response, client=client, stats=stats, silent=silent
    )
    if reason is not None:
        record = dataclasses.replace(record, reason=reason)
    rt.audit.record(record)
    if record.outcome is not None:
        OUTCOMES.labels(trace.service_id, record.outcome).inc()
    log_hook_call(
        record,
        fhir_reads=stats.reads,
        fhir_failures=len(stats.failures),
        from_prefetch=stats.from_prefetch,
    )
