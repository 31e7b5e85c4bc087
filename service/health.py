"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from service.runtime import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Return 200 while the process serves requests."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Return 200 when the store answers and the services (with their rules) are loaded, else 503."""
    rt = runtime()
    checks = {"store": rt.store.ping(), "services": bool(rt.registry.ids())}
    body = {"status": "ready" if all(checks.values()) else "not-ready", "checks": checks}
    if rt.rules_version:
        body["rulesVersion"] = rt.rules_version
    response = jsonify(body)
    response.status_code = 200 if all(checks.values()) else 503
    return response
