"""A small threaded FHIR server for the benchmark: one scenario's record, a delay on every read.

    python bench/fhir_server.py --scenario definite-cb-median-forearm --port 8091 --delay-ms 20 --jitter-ms 10

Each read waits `delay` plus a uniform random jitter in [-jitter, +jitter] before it is answered.

Serves `GET /fhir/<Type>/<id>` and `GET /fhir/<Type>?<search>` (see fhir_data.py) over HTTP/1.1
keep-alive, one thread per connection; answers are serialised once per URL and cached, so the server
spends its time sleeping (the simulated EHR latency), not computing. `GET /fhir/_stats` returns the
number of reads served, so the benchmark can check the service really read from it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fhir_data import FhirData
from scenarios import load_record

BASE_PATH = "/fhir"


class FhirHandler(BaseHTTPRequestHandler):
    """Answers reads and searches from the server's FhirData after the configured delay."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # with delayed ACKs, Nagle would add up to 40 ms to a small answer
    server: FhirBenchServer

    def do_GET(self) -> None:
        """Answer one read."""
        if self.path == f"{BASE_PATH}/_stats":
            stats = {"reads": self.server.reads, "connections": self.server.connections}
            self._send(200, json.dumps(stats).encode())
            return
        time.sleep(self.server.read_delay())
        with self.server.lock:
            self.server.reads += 1
        if not self.path.startswith(BASE_PATH + "/"):
            self._send(404, b'{"resourceType":"OperationOutcome"}')
            return
        body = self.server.cached(self.path[len(BASE_PATH) + 1 :])
        self._send(404, b'{"resourceType":"OperationOutcome"}') if body is None else self._send(200, body)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(body)))
        self._headers_buffer.append(b"\r\n" + body)  # head and body in one write
        self.flush_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet."""


class FhirBenchServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer holding the data, the delay and a response cache."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], data: FhirData, delay: float, jitter: float = 0.0) -> None:
        super().__init__(address, FhirHandler)
        self.data = data
        self.delay = delay
        self.jitter = min(jitter, delay)
        self.reads = 0
        self.connections = 0
        self.lock = threading.Lock()
        self._cache: dict[str, bytes | None] = {}

    def process_request(self, request: Any, client_address: Any) -> None:
        """Count connections (to show the service reuses them), then serve one in a thread."""
        with self.lock:
            self.connections += 1
        super().process_request(request, client_address)

    def read_delay(self) -> float:
        """Return the seconds the next read waits: the delay, give or take the jitter."""
        return self.delay + random.uniform(-self.jitter, self.jitter)  # noqa: S311 (not cryptographic)

    def cached(self, relative: str) -> bytes | None:
        """Return the serialised answer for a relative URL (None: 404)."""
        if relative not in self._cache:
            answer = self.data.answer(relative)
            self._cache[relative] = None if answer is None else json.dumps(answer).encode()
        return self._cache[relative]


def main() -> int:
    """Run the server until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", required=True, help="directory name under fixtures/scenarios")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--delay-ms", type=float, default=5.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="uniform +/- jitter per read")
    args = parser.parse_args()
    server = FhirBenchServer(
        (args.host, args.port),
        FhirData(load_record(args.scenario)),
        args.delay_ms / 1000,
        args.jitter_ms / 1000,
    )
    print(f"bench FHIR server on http://{args.host}:{args.port}{BASE_PATH}", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
