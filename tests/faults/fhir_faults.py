"""A misbehaving FHIR server on loopback, for the fault-injection suite.

It speaks HTTP/1.1 over raw sockets (one thread per connection) so it can do what a well-behaved
framework will not: trickle a body one byte at a time, close in the middle of a body, answer garbage.
`mode` can be changed while it runs. In `ok` mode a Patient read returns the patient and every search
returns an empty searchset, which the service answers with a card (nothing on record).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

MODES = (
    "ok",
    "trickle",  # a valid answer, its body 1 byte every TRICKLE_INTERVAL seconds
    "header-trickle",  # the status line and headers 1 byte every TRICKLE_INTERVAL seconds
    "slow",  # a valid answer after `slow_seconds` (default SLOW_SECONDS)
    "status500",
    "garbage",  # 200 with a body that is not JSON
    "huge",  # 200 with a body far over the service's size cap, sent fast
    "redirect",  # 302 to another origin
    "midclose",  # Content-Length announced, half the body sent, connection closed
)
TRICKLE_INTERVAL = 0.25
SLOW_SECONDS = 30.0
HUGE_BYTES = 8_000_000


def _ok_body(path: str) -> bytes:
    """Return the `ok` answer for a read or search path under /fhir."""
    relative = path.split("/fhir/", 1)[-1]
    resource_path = relative.split("?", 1)[0]
    if "/" in resource_path:
        rtype, rid = resource_path.split("/", 1)
        if rtype == "Patient":
            return json.dumps({"resourceType": "Patient", "id": rid, "gender": "female"}).encode()
        return json.dumps({"resourceType": "OperationOutcome", "issue": []}).encode()
    return json.dumps({"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []}).encode()


@dataclass
class FaultyFhirServer:
    """A loopback FHIR server whose behaviour is `mode`; counts requests and connections still open."""

    mode: str = "ok"
    slow_seconds: float = SLOW_SECONDS
    redirect_to: str = "http://127.0.0.1:9/fhir/Patient/x"
    requests: int = 0
    open_connections: int = 0
    _listener: socket.socket = field(default_factory=socket.socket)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopped: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        """Return the FHIR base URL (`http://127.0.0.1:<port>/fhir`)."""
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/fhir"

    def start(self) -> None:
        """Listen on a free loopback port and serve in background threads."""
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def stop(self) -> None:
        """Stop accepting; open connections end when their threads next write."""
        self._stopped.set()
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            self.open_connections += 1
        try:
            conn.settimeout(60)
            reader = conn.makefile("rb")
            while not self._stopped.is_set():
                path = _read_request(reader)
                if path is None:
                    return
                with self._lock:
                    self.requests += 1
                if not self._answer(conn, path):
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self.open_connections -= 1
            conn.close()

    def _answer(self, conn: socket.socket, path: str) -> bool:
        """Answer one request in the current mode; return whether the connection stays open."""
        mode = self.mode
        if mode == "slow":
            self._stopped.wait(self.slow_seconds)
        if mode == "status500":
            conn.sendall(_head(500, 2) + b"{}")
        elif mode == "garbage":
            conn.sendall(_head(200, 26) + b"<html>not a resource</html"[:26])
        elif mode == "redirect":
            conn.sendall(
                f"HTTP/1.1 302 Found\r\nLocation: {self.redirect_to}\r\nContent-Length: 0\r\n\r\n".encode()
            )
        elif mode == "huge":
            conn.sendall(_head(200, HUGE_BYTES + 2) + b'["')
            chunk = b"x" * 65536
            for _ in range(HUGE_BYTES // len(chunk)):
                conn.sendall(chunk)
            return False
        elif mode == "midclose":
            body = _ok_body(path) + b" " * 2000
            conn.sendall(_head(200, len(body)) + body[: len(body) // 2])
            return False
        elif mode in ("trickle", "header-trickle"):
            body = _ok_body(path) + b" " * 60  # about 30 s at 4 bytes a second
            message = _head(200, len(body)) + body
            sent = 0
            if mode == "trickle":
                sent = len(_head(200, len(body)))
                conn.sendall(message[:sent])
            for i in range(sent, len(message)):
                conn.sendall(message[i : i + 1])
                time.sleep(TRICKLE_INTERVAL)
        else:
            body = _ok_body(path)
            conn.sendall(_head(200, len(body)) + body)
        return True


def _head(status: int, length: int) -> bytes:
    """Return a response head with a JSON content type and `length`."""
    reason = {200: "OK", 500: "Internal Server Error"}.get(status, "Status")
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/fhir+json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def _read_request(reader: socket.SocketIO | object) -> str | None:
    """Return the path of the next request on the connection (headers consumed), None at EOF."""
    line = reader.readline()  # type: ignore[attr-defined]
    if not line:
        return None
    parts = line.decode("latin-1").split()
    while True:
        header = reader.readline()  # type: ignore[attr-defined]
        if header in (b"\r\n", b"\n", b""):
            break
    return parts[1] if len(parts) > 1 else "/"


@contextmanager
def faulty_fhir_server(mode: str = "ok") -> Iterator[FaultyFhirServer]:
    """Run a FaultyFhirServer for the duration of the block."""
    assert mode in MODES
    server = FaultyFhirServer(mode=mode)
    server.start()
    try:
        yield server
    finally:
        server.stop()
