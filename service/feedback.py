"""CDS Hooks feedback: validated, stored idempotently, answered 200."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from cds_hooks.parsing import parse_feedback
from service.auth import verify_client
from service.logs import log
from service.request_body import parse_json_body
from service.runtime import runtime

bp = Blueprint("feedback", __name__)


@bp.post("/cds-services/<service_id>/feedback")
def receive_feedback(service_id: str) -> Response:
    """Store the feedback about cards of one service."""
    rt = runtime()
    client = verify_client(rt.config, rt.store)
    rt.registry.get(service_id)
    items = parse_feedback(parse_json_body())
    issuer, tenant = (client.issuer, client.tenant) if client else (None, None)
    new = rt.store.save_feedback(service_id, items, client=(issuer, tenant))
    log.info(
        "feedback stored",
        extra={
            "event": "feedback",
            "service": service_id,
            "status": 200,
            "iss": client.issuer if client else None,
        },
    )
    return jsonify({"received": len(items), "new": new})
