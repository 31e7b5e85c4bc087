"""What every hook call leaves behind beyond its answer: silent (shadow) mode, and a trace of refusals.

Silent mode (configuration `hooks.silent`, `hooks.silent_tenants`, `auth.clients[].silent`): the call
is evaluated in full and its cards are audited as if shown, but the answer is `{"cards": []}`.

A refused call (401, 403, 400, 404, 412, 413, 415) gets an audit row and a log line carrying a reason
code only: a stable code from the error, never its message text, a token, a JWT or a patient id.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.exceptions import HTTPException

from cds_hooks.errors import CdsError
from cds_hooks.models import Card, CdsResponse, HookRequest
from service.auth import ClientIdentity
from service.chart_source import ReadStats
from service.config import Config
from service.errors import ServiceError, Unauthorized
from service.logs import log
from service.runtime import Runtime
from service.store import AuditRecord

ASSESSMENT_EXTENSION = "org.ivig-cds.assessment"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SLUG = re.compile(r"[^a-z0-9]+")
REASON_LENGTH = 64


def evaluate_silent(config: Config, client: ClientIdentity | None) -> bool:
    """Return True when this call runs in silent mode (globally, for its tenant, or for its client)."""
    if config.hooks.silent:
        return True
    if client is None:
        return False
    if client.tenant is not None and client.tenant in config.hooks.silent_tenants:
        return True
    return any(entry.issuer == client.issuer and entry.silent for entry in config.auth.clients)


def _card_detail(card: Card) -> dict[str, Any]:
    """Return the audit's description of one card: uuid, outcome, indicator, suggestion labels."""
    topic = card.source.topic
    return {
        "uuid": card.uuid,
        "outcome": topic.code if topic else None,
        "indicator": card.indicator,
        "suggestions": {s.uuid: s.label for s in card.suggestions},
    }


def extract_criteria(response: CdsResponse | None) -> dict[str, str] | None:
    """Return criterion id -> status of the first card's assessment (statuses only, no evidence)."""
    for card in response.cards if response else ():
        assessment = card.extension.get(ASSESSMENT_EXTENSION)
        if isinstance(assessment, dict) and isinstance(assessment.get("criteria"), list):
            return {
                str(c["id"]): str(c["status"])
                for c in assessment["criteria"]
                if isinstance(c, dict) and "id" in c and "status" in c
            }
    return None


def build_call_detail(
    record: AuditRecord,
    *,
    hook_request: HookRequest | None,
    response: CdsResponse | None,
    client: ClientIdentity | None,
    stats: ReadStats | None,
    silent: bool,
) -> AuditRecord:
    """Return the audit record with the governance detail of the call added."""
    arrived = datetime.now(UTC) - timedelta(milliseconds=record.duration_ms)
    return dataclasses.replace(
        record,
        hook=hook_request.hook if hook_request else None,
        tenant=client.tenant if client else None,
        silent=silent,
        fhir_reads=stats.reads if stats else 0,
        fhir_failures=len(stats.failures) if stats else 0,
        from_prefetch=stats.from_prefetch if stats else 0,
        token_used=bool(hook_request and hook_request.fhir_authorization),
        cards_detail=[_card_detail(c) for c in response.cards] if response else [],
        criteria=extract_criteria(response),
        created_at=arrived,
    )


def extract_reason_code(exc: Exception) -> str:
    """Return the stable reason code of a refusal (from the error's code, never its message)."""
    if isinstance(exc, Unauthorized):
        # The reason's fixed part: "claim missing: exp" -> "claim-missing" (no token content).
        code = "auth-" + _SLUG.sub("-", exc.reason.split(":", 1)[0].lower()).strip("-")
    elif isinstance(exc, ServiceError | CdsError):
        code = exc.code
    elif isinstance(exc, HTTPException):
        code = {413: "too-large"}.get(exc.code or 0, f"http-{exc.code}")
    else:
        code = "internal-error"
    return code[:REASON_LENGTH]


def status_of(exc: Exception) -> int:
    """Return the HTTP status a refusal is answered with."""
    from service.errors import core_error_response

    if isinstance(exc, ServiceError):
        return exc.status
    if isinstance(exc, CdsError):
        return core_error_response(exc).status_code
    if isinstance(exc, HTTPException):
        return exc.code or 500
    return 500


@dataclass
class CallTrace:
    """What is known of a hook call so far, for the audit row should it be refused."""

    service_id: str
    started: float
    client: ClientIdentity | None = None
    hook_request: HookRequest | None = None
    hook_instance: str | None = None
    audited: bool = False

    def note_body(self, body: Any) -> None:
        """Remember the body's hookInstance when it is a UUID (a 400 still names its call; anything else,
        which could be anything at all, is not kept)."""
        value = body.get("hookInstance") if isinstance(body, dict) else None
        if isinstance(value, str) and _UUID.match(value):
            self.hook_instance = value


@contextmanager
def trace_refusals(rt: Runtime, service_id: str) -> Iterator[CallTrace]:
    """Yield the call's trace; a refusal raised inside is audited and logged (reason code), then re-raised."""
    trace = CallTrace(service_id=service_id, started=time.perf_counter())
    try:
        yield trace
    except (ServiceError, CdsError, HTTPException) as exc:
        if not trace.audited:
            save_refusal(rt, trace, exc)
        raise


def save_refusal(rt: Runtime, trace: CallTrace, exc: Exception) -> None:
    """Queue the audit row of a refused call and write its log line."""
    request = trace.hook_request
    known = trace.service_id in rt.registry.ids()
    record = AuditRecord(
        service_id=trace.service_id if known else "(unknown)",
        hook_instance=request.hook_instance if request else (trace.hook_instance or "-"),
        status=status_of(exc),
        outcome=None,
        card_uuids=[],
        rules_version=rt.rules_version,
        duration_ms=int((time.perf_counter() - trace.started) * 1000),
        patient_pseudonym=rt.pseudonym(request.patient_id) if request else None,
        client_issuer=trace.client.issuer if trace.client else None,
        reason=extract_reason_code(exc),
    )
    record = build_call_detail(
        record, hook_request=request, response=None, client=trace.client, stats=None, silent=False
    )
    rt.audit.record(record)
    extra = {
        "event": "hook-refused",
        "service": record.service_id,
        "hook_instance": record.hook_instance,
        "status": record.status,
        "reason": record.reason,
        "iss": record.client_issuer,
    }
    log.warning("hook call refused", extra=extra)
