"""Structured logs: JSON lines with a fixed allow-list of fields, so no identifier, body or token slips in.

The message is the call's literal text: `%`-arguments are never interpolated (gunicorn's
"Error handling request %s" would otherwise carry the URL and its query), and exception info and
stack traces are dropped.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

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


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object with only the allow-listed fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON line for `record`."""
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage() if not record.args else record.msg,
        }
        for name in ALLOWED_FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        return json.dumps(line, default=str)


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
