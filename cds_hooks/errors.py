"""Errors of the pure core. `service.errors` maps each to an HTTP status and a stable code."""

from __future__ import annotations


class CdsError(Exception):
    """Base of every error the core raises on purpose."""

    code = "processing"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidRequest(CdsError):
    """The request body is malformed or lacks what its hook requires (HTTP 400)."""

    code = "invalid-request"


class HookMismatch(InvalidRequest):
    """The request names a hook other than the one the service is registered for (HTTP 400)."""

    code = "hook-mismatch"


class UnknownService(CdsError):
    """No service with that id is registered (HTTP 404)."""

    code = "unknown-service"


class DataUnavailable(CdsError):
    """Data the decision needs is neither in prefetch nor obtainable from the FHIR server (HTTP 412)."""

    code = "data-unavailable"


class InvalidFeedback(InvalidRequest):
    """A feedback body does not follow the spec (HTTP 400)."""

    code = "invalid-feedback"


class RulesConfigError(CdsError):
    """The rules configuration is invalid; `field` names the offending key path."""

    code = "invalid-rules"
