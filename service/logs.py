"""Structured logs: JSON lines with a fixed allow-list of fields, so no identifier, body or token slips in.

The message is the call's literal text: `%`-arguments are interpolated only when every one is an integer
(gunicorn's "Worker exiting (pid: %s)"), never otherwise (its "Error handling request %s" would carry
the URL and its query), and exception info and stack traces are dropped.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.store import AuditRecord

# The only fields a log line may carry besides time, level, logger and message.
ALLOWED_FIELDS = (
    "event",
    "service",
    "hook_instance",
    "outcome",
    "status",
    "duration_ms",
    "iss",
    "reason",
    "error",
    "fhir_reads",
    "fhir_failures",
    "from_prefetch",
    "rules_version",
    "method",
    "path",
)


# How `json.dumps` writes a value of each plain type (anything else: the line goes through json.dumps).
_SCALARS: dict[type, Callable[[Any], str]] = {
    str: encode_basestring_ascii,
    int: int.__repr__,
    bool: lambda value: "true" if value else "false",
    type(None): lambda _: "null",
}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object with only the allow-listed fields."""

    def __init__(self) -> None:
        super().__init__()
        self._second: tuple[float, str] = (math.nan, "")  # the last whole second and its ISO text

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON line for `record` (the text `json.dumps(line, default=str)` gives)."""
        line = {
            "ts": self._timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "msg": message_text(record),
        }
        for name in ALLOWED_FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        return _dumps_flat(line) or json.dumps(line, default=str)

    def _timestamp(self, created: float) -> str:
        """Return `datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")`, the date and
        time of day formatted once per second."""
        fraction, whole = math.modf(created)
        micros = round(fraction * 1e6)  # datetime's own rounding: half to even, carried into the second
        if micros >= 1_000_000:
            whole, micros = whole + 1, micros - 1_000_000
        second, text = self._second
        if second != whole:
            text = datetime.fromtimestamp(whole, UTC).isoformat(timespec="seconds")[:-6]
            self._second = (whole, text)
        return f"{text}.{micros // 1000:03d}+00:00"


def _dumps_flat(line: dict[str, Any]) -> str | None:
    """Return `json.dumps(line)` for a map of plain scalars written directly, or None for any other value."""
    parts = []
    for name, value in line.items():
        encode = _SCALARS.get(type(value))
        if encode is None:
            return None
        parts.append(f'"{name}": {encode(value)}')
    return "{" + ", ".join(parts) + "}"


def message_text(record: logging.LogRecord) -> str:
    """Return a record's message: interpolated when it has no arguments or only integer ones (pids, exit
    codes, counts), else its literal text, so that no string argument (a URL, a header) reaches a line."""
    args = record.args
    if not args or (isinstance(args, tuple) and all(type(a) is int for a in args)):
        try:
            return record.getMessage()
        except (TypeError, ValueError):
            return str(record.msg)
    return str(record.msg)


def configure_logging(level: str) -> None:
    """Send the service's logs to stderr as JSON lines at `level`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("ivig_cds", "gunicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False


log = logging.getLogger("ivig_cds")


def log_hook_call(record: AuditRecord, *, fhir_reads: int, fhir_failures: int, from_prefetch: int) -> None:
    """Write one hook call's log line: the audit record's allow-listed fields and the FHIR read counts."""
    log.info(
        "hook call",
        extra={
            "event": "hook-call",
            "service": record.service_id,
            "hook_instance": record.hook_instance,
            "status": record.status,
            "outcome": record.outcome,
            "duration_ms": record.duration_ms,
            "iss": record.client_issuer,
            "fhir_reads": fhir_reads,
            "fhir_failures": fhir_failures,
            "from_prefetch": from_prefetch,
        },
    )
