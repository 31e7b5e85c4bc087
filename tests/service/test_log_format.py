"""JsonFormatter writes, byte for byte, the line `json.dumps` of the allow-listed fields gives."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from service.logs import ALLOWED_FIELDS, JsonFormatter


def reference_line(record: logging.LogRecord) -> str:
    """Return the line as the formatter first wrote it (datetime and json.dumps on every call)."""
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


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.lists(st.integers() | st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(datetime(2026, 12, 1, tzinfo=UTC)),
)
# Instants in seconds, some a hair short of a whole second or of a millisecond (rounding and carries).
_OFFSETS = (0.0, 0.9999995, 0.9999996, 0.0005, 0.0009995, 0.4999995, 0.999)
_CREATED = st.floats(min_value=0, max_value=4e9) | st.builds(
    lambda second, offset: second + offset, st.integers(0, 4 * 10**9), st.sampled_from(_OFFSETS)
)


@settings(max_examples=500, deadline=None)
@given(
    fields=st.dictionaries(st.sampled_from([*ALLOWED_FIELDS, "patient", "token"]), _VALUES, max_size=6),
    created=_CREATED,
    message=st.text(max_size=20),
    with_args=st.booleans(),
)
def test_same_line_as_json_dumps(
    fields: dict[str, Any], created: float, message: str, with_args: bool
) -> None:
    record = logging.LogRecord(
        "ivig_cds", logging.INFO, __file__, 1, message, ("x",) if with_args else (), None
    )
    record.__dict__.update(fields)
    record.created = created
    formatter = JsonFormatter()
    assert formatter.format(record) == reference_line(record)
    record.created = created + 0.25  # the cached second, once more (and the next second)
    assert formatter.format(record) == reference_line(record)


def test_fields_outside_the_allow_list_are_dropped() -> None:
    record = logging.LogRecord("ivig_cds", logging.INFO, __file__, 1, "hook call %s", ("secret",), None)
    record.__dict__.update({"event": "hook-call", "patient": "Pat-1", "token": "eyJ"})
    line = JsonFormatter().format(record)
    assert json.loads(line) == {
        "ts": json.loads(line)["ts"],
        "level": "INFO",
        "logger": "ivig_cds",
        "msg": "hook call %s",
        "event": "hook-call",
    }


def test_integer_arguments_are_filled_in_and_others_never() -> None:
    # gunicorn logs "Worker exiting (pid: %s)" with the pid as an argument: without it the line says
    # nothing useful. A string argument (gunicorn's "Error handling request %s" passes the URL) is never
    # interpolated, so no URL or query string reaches a log line.
    def line(message: str, args: tuple[object, ...]) -> dict[str, Any]:
        record = logging.LogRecord("gunicorn.error", logging.INFO, __file__, 1, message, args, None)
        return dict(json.loads(JsonFormatter().format(record)))

    assert line("Worker exiting (pid: %s)", (4242,))["msg"] == "Worker exiting (pid: 4242)"
    assert line("Error handling request %s", ("/cds-services/x?patient=123",))["msg"] == (
        "Error handling request %s"
    )
    assert line("Worker %s exited with %s", (4242, True))["msg"] == "Worker %s exited with %s"
    assert line("broken %d %d", (1,))["msg"] == "broken %d %d"
