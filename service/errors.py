"""The one place where errors become HTTP statuses and OperationOutcome bodies (no traces, no PHI)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from cds_hooks.errors import CdsError, DataUnavailable, InvalidRequest, UnknownService
from service.logs import log
from service.metrics import STORE_UNAVAILABLE
from service.store import StoreUnavailable

ERROR_SYSTEM = "http://ivig-cds.org/fhir/CodeSystem/service-error"
STORE_RETRY_AFTER_SECONDS = 5  # a store that cannot take writes: when a client may try this replica again


class ServiceError(Exception):
    """An error of the service layer with its HTTP status, FHIR issue type and stable code."""

    def __init__(self, status: int, code: str, message: str, issue_type: str = "processing") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.issue_type = issue_type


class Unauthorized(ServiceError):
    """Authentication failed: a bare 401, the reason only in the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(401, "unauthorized", "authentication required", "login")
        self.reason = reason


class Forbidden(ServiceError):
    """An authenticated client asked for something it may not (e.g. a fhirServer off its list)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(403, code, message, "forbidden")


_CORE_STATUS: list[tuple[type[CdsError], int, str]] = [
    (UnknownService, 404, "not-found"),
    (DataUnavailable, 412, "incomplete"),
    (InvalidRequest, 400, "invalid"),
]


def operation_outcome(code: str, message: str, issue_type: str, field: str | None = None) -> dict[str, Any]:
    """Return a FHIR OperationOutcome carrying a stable error code and a message."""
    issue: dict[str, Any] = {
        "severity": "error",
        "code": issue_type,
        "details": {"coding": [{"system": ERROR_SYSTEM, "code": code}], "text": message},
    }
    if field:
        issue["expression"] = [field]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def error_response(
    status: int, code: str, message: str, issue_type: str, field: str | None = None
) -> Response:
    """Return the JSON error response."""
    response = jsonify(operation_outcome(code, message, issue_type, field))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def core_error_response(exc: CdsError) -> Response:
    """Return the response for an error raised by the pure core."""
    for kind, status, issue_type in _CORE_STATUS:
        if isinstance(exc, kind):
            return error_response(status, exc.code, exc.message, issue_type, exc.field)
    return error_response(400, exc.code, exc.message, "processing", exc.field)


def store_unavailable_response(exc: StoreUnavailable) -> Response:
    """Return 503 + Retry-After for a call whose required store write could not be done (nothing kept)."""
    cause = type(exc.__cause__).__name__ if exc.__cause__ else "StoreUnavailable"
    log.error("store cannot take a write", extra={"event": "store-unavailable", "error": cause})
    STORE_UNAVAILABLE.inc()
    response = error_response(
        503, "store-unavailable", "the service cannot record this call now; retry later", "transient"
    )
    response.headers["Retry-After"] = str(STORE_RETRY_AFTER_SECONDS)
    return response


def register_error_handlers(app: Flask) -> None:
    """Register JSON handlers for every error, so no HTML page or stack trace ever leaves the service."""

    @app.errorhandler(CdsError)
    def _core(exc: CdsError) -> Response:
        return core_error_response(exc)

    @app.errorhandler(ServiceError)
    def _service(exc: ServiceError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.issue_type)

    @app.errorhandler(StoreUnavailable)
    def _store(exc: StoreUnavailable) -> Response:
        return store_unavailable_response(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = {413: "too-large", 404: "not-found", 405: "method-not-allowed"}.get(status, "http-error")
        issue = {413: "too-costly", 404: "not-found", 405: "not-supported"}.get(status, "processing")
        return error_response(status, code, exc.name, issue)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        app.logger.error("unexpected error", extra={"event": "error", "error": type(exc).__name__})
        return error_response(500, "internal-error", "internal error", "exception")
