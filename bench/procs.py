"""Processes of the benchmark: free ports, readiness, servers run for a block, wrk runs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
BENCH = Path(__file__).resolve().parent
WRK_THREADS = 2


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def ensure_wrk() -> str:
    """Return the path of wrk, installing the Debian package when it is missing and apt-get can."""
    found = shutil.which("wrk")
    if found:
        return found
    print("bench: wrk not found; trying `apt-get install -y wrk`", file=sys.stderr)
    apt = ["apt-get", "install", "-y", "wrk"]
    if os.geteuid() != 0:
        apt = ["sudo", "-n", *apt]
    subprocess.run(apt, check=False, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        sys.exit("bench: wrk is required (Debian/Ubuntu: apt-get install -y wrk)")
    return found


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Wait until `url` answers any HTTP status (raise when the process died or time ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready in {timeout} s")


@contextmanager
def started(cmd: list[str], log: Path, ready_url: str, env: dict[str, str] | None = None) -> Iterator[int]:
    """Run a server process (own session) for the block: SIGTERM, then SIGKILL after 10 s; yield its pid."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        wait_ready(ready_url, proc)
        yield proc.pid
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def http_json(url: str, body: Any, token: str | None) -> tuple[int, Any]:
    """Return (status, decoded JSON body) of one GET (body None) or POST."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw[:1] in (b"{", b"[") else raw.decode()
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def http_text(url: str) -> str:
    """Return the body of a GET as text."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def run_wrk(wrk: str, url: str, tokens: Path, body: Path, connections: int, seconds: int) -> dict[str, Any]:
    """Run wrk once (each request its own token from `tokens`); return its BENCH_JSON summary."""
    cmd = [
        wrk,
        f"-t{WRK_THREADS}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "wrk.lua"),
        url,
        "--",
        str(tokens),
        str(body),
        str(WRK_THREADS),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    return result
