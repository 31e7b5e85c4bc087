"""Graceful shutdown: SIGTERM to `ivig-cds serve` while hook calls are in flight; they must still answer.

    python bench/shutdown_check.py

Starts the service (2 workers) and the bench FHIR server with a 1 s delay per read, starts 4 no-prefetch
hook calls (each takes about 2 s: two waves of reads), sends SIGTERM to the serve process 0.5 s later,
then checks: every in-flight call answered 200 with its card, a new connection is refused once the
listener is closed, and the process exits 0 within gunicorn's graceful_timeout (20 s).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from procs import http_json  # noqa: E402
from run import build_bodies  # noqa: E402
from stack import StackOptions, running_stack  # noqa: E402
from tokens import SERVICE_PATH, bench_client, sign_token  # noqa: E402

IN_FLIGHT = 4


def process_state(pid: int) -> str:
    """Return the /proc state letter of `pid` ('' when gone); 'Z' is exited but not yet reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def main() -> int:
    """Run the check; print what happened; exit non-zero on any failure."""
    workdir = Path(tempfile.mkdtemp(prefix="ivig-cds-shutdown-"))
    failures: list[str] = []
    client = bench_client(workdir / "keys", "ES384")
    options = StackOptions(
        algorithms=["ES384"], fhir=[("fhir-1s", 1000.0, 0.0)], fhir_concurrency=4, echo=False, floors=False
    )
    with running_stack(workdir, {"ES384": client}, options) as stack:
        srv = stack.services["sqlite"]
        body = json.loads(build_bodies(stack)["card-fhir@fhir-1s"].read_text())
        url = srv.url + SERVICE_PATH
        answers: list[tuple[int, Any, float]] = []

        def call() -> None:
            started = time.monotonic()
            status, answer = http_json(url, body, sign_token(client))
            answers.append((status, answer, time.monotonic() - started))

        threads = [threading.Thread(target=call) for _ in range(IN_FLIGHT)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        sent_at = time.monotonic()
        os.kill(srv.pid, signal.SIGTERM)
        time.sleep(0.5)
        try:
            urllib.request.urlopen(f"{srv.url}/healthz", timeout=2)
            failures.append("a new connection was still accepted 0.5 s after SIGTERM")
        except (urllib.error.URLError, OSError):
            print("shutdown: new connections refused after SIGTERM", file=sys.stderr)
        for t in threads:
            t.join(timeout=30)
        while process_state(srv.pid) not in ("", "Z") and time.monotonic() - sent_at < 30:
            time.sleep(0.1)
        exited_after = time.monotonic() - sent_at
        for status, answer, took in answers:
            cards = len(answer.get("cards", [])) if isinstance(answer, dict) else -1
            print(
                f"shutdown: in-flight call answered {status} with {cards} card(s) after {took:.2f} s",
                file=sys.stderr,
            )
            if status != 200 or cards != 1:
                failures.append(f"in-flight call answered {status}: {json.dumps(answer)[:200]}")
        if len(answers) != IN_FLIGHT:
            failures.append(f"only {len(answers)} of {IN_FLIGHT} in-flight calls answered")
        state = process_state(srv.pid)
        print(
            f"shutdown: serve process {'exited' if state in ('', 'Z') else 'still running'} "
            f"{exited_after:.2f} s after SIGTERM",
            file=sys.stderr,
        )
        if state not in ("", "Z"):
            failures.append("serve did not exit within 30 s")
    for failure in failures:
        print(f"shutdown: FAILED: {failure}", file=sys.stderr)
    print("shutdown: graceful" if not failures else "shutdown: NOT graceful")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
