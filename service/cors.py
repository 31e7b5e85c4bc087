"""CORS for browser-based CDS clients (e.g. the CDS Hooks sandbox): configured origins only.

Preflight (OPTIONS) requests are answered here, before any JWT check.
"""

from __future__ import annotations

from flask import Flask, Response, request

from service.app import runtime

_ALLOWED_HEADERS = "Authorization, Content-Type"
_ALLOWED_METHODS = "GET, POST, OPTIONS"


def init_cors(app: Flask) -> None:
    """Answer preflights and add CORS headers for allowed origins."""

    @app.before_request
    def _preflight() -> Response | None:
        if request.method != "OPTIONS":
            return None
        response = Response(status=204)
        return _with_cors(response)

    @app.after_request
    def _headers(response: Response) -> Response:
        return _with_cors(response)


def _with_cors(response: Response) -> Response:
    """Return `response` with CORS headers when the request's Origin is allowed."""
    origin = request.headers.get("Origin")
    if origin is None:
        return response
    allowed = runtime().config.cors.allowed_origins
    if origin in allowed or "*" in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = _ALLOWED_HEADERS
        response.headers["Access-Control-Allow-Methods"] = _ALLOWED_METHODS
        response.headers["Access-Control-Max-Age"] = "600"
        response.headers.add("Vary", "Origin")
    return response
