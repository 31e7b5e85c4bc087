"""CORS for browser-based CDS clients (e.g. the CDS Hooks sandbox): configured origins only.

Preflight (OPTIONS) requests are answered here, before any JWT check. An allowed origin is echoed
back; `"*"` in the configuration answers `Access-Control-Allow-Origin: *` (never an echo of whatever
came, and never with credentials). The opaque origin `null` is never allowed. No cookies are used, so
`Access-Control-Allow-Credentials` is never sent.
"""

from __future__ import annotations

from flask import Flask, Response, request

from service.runtime import runtime

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


def allowed_origin(origin: str, allowed: list[str]) -> str | None:
    """Return the value of Access-Control-Allow-Origin for `origin`, or None when it is not allowed."""
    if origin == "null" or not origin:
        return None
    configured = {entry.rstrip("/").lower() for entry in allowed}
    if origin.lower() in configured:
        return origin
    if "*" in configured:
        return "*"
    return None


def _with_cors(response: Response) -> Response:
    """Return `response` with CORS headers when the request's Origin is allowed."""
    if "Vary" in response.headers:
        response.vary.add("Origin")  # merged into what is there (parsing it costs more than the rest)
    else:
        response.headers["Vary"] = "Origin"
    origin = request.headers.get("Origin")
    if origin is None:
        return response
    value = allowed_origin(origin, runtime().config.cors.allowed_origins)
    if value is None:
        return response
    response.headers["Access-Control-Allow-Origin"] = value
    response.headers["Access-Control-Allow-Headers"] = _ALLOWED_HEADERS
    response.headers["Access-Control-Allow-Methods"] = _ALLOWED_METHODS
    response.headers["Access-Control-Max-Age"] = "600"
    return response
