"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from service.runtime import runtime
from service.store_probe import check_store_writable

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Return 200 while the process serves requests."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Return 200 when the store answers and takes a write and the services are loaded, else 503."""
    rt = runtime()
    checks = {
        "store": rt.store.ping(),
        "storeWrites": check_store_writable(rt.store),
        "services": bool(rt.registry.ids()),
    }
    body = {"status": "ready" if all(checks.values()) else "not-ready", "checks": checks}
    if rt.rules_version:
        body["rulesVersion"] = rt.rules_version
    response = jsonify(body)
    response.status_code = 200 if all(checks.values()) else 503
    return response
