"""Process-level faults for the suite: the gunicorn workers of a running service, raw connection probes,
and feedback bodies whose acknowledgement can be checked against the store afterwards.
"""

from __future__ import annotations

import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

FEEDBACK = "/cds-services/ivig-order-sign/feedback"


def worker_pids(master_pid: int) -> list[int]:
    """Return the pids of the gunicorn workers (children of the serve process)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def feedback_body() -> tuple[str, dict[str, Any]]:
    """Return (card uuid, feedback body) for one accepted card."""
    card = str(uuid.uuid4())
    item = {
        "card": card,
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": str(uuid.uuid4())}],
        "outcomeTimestamp": datetime.now(UTC).isoformat(),
    }
    return card, {"feedback": [item]}


def stored_cards(store_url: str) -> set[str]:
    """Return the card uuids of every feedback row in the store."""
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT card_uuid FROM feedback"))}
    finally:
        engine.dispose()


def probe_connection(port: int, timeout: float) -> str:
    """Open a new connection and GET /healthz: 'refused', 'answered <status>', 'reset' or 'timeout'."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return "timeout"
    with sock:
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            head = sock.recv(64)
        except (ConnectionResetError, BrokenPipeError):
            return "reset"
        except TimeoutError:
            return "timeout"
    if not head:
        return "reset"  # closed without an answer: the client cannot tell it from a reset
    return "answered " + head.split(b" ", 2)[1].decode()
