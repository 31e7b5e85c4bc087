"""Real servers as subprocesses for the end-to-end tests: free ports, readiness, guaranteed clean-up.

Each server runs in its own process group (`start_new_session=True`), so stopping it also stops the
workers it forked (gunicorn, uvicorn); its output goes to a log file the failing test can show.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def venv_script(name: str) -> str:
    """Return the path of a console script installed beside the running interpreter."""
    candidate = Path(sys.executable).parent / name
    if not candidate.exists():
        raise RuntimeError(
            f"console script {name!r} not found beside {sys.executable}; pip install -e '.[test]'"
        )
    return str(candidate)


@dataclass
class RunningProcess:
    """A started server: its process, base URL and log file."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log_text(self) -> str:
        """Return everything the process has written so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        """Return the last lines of the log, for failure messages."""
        return "\n".join(self.log_text().splitlines()[-lines:])


def _wait_ready(running: RunningProcess, probe_url: str) -> None:
    """Return once `probe_url` answers 200; raise with the log tail if the process dies or never answers."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RuntimeError(
                f"{running.name} exited with {running.process.returncode}:\n{running.log_tail()}"
            )
        try:
            if requests.get(probe_url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{running.name} did not become ready at {probe_url}:\n{running.log_tail()}")


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a process and everything in its process group: SIGTERM, then SIGKILL."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    try:  # children may outlive a leader that exited
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if process.poll() is None:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


@contextmanager
def running_server(
    name: str,
    argv: Sequence[str],
    *,
    url: str,
    probe_path: str,
    log_path: Path,
    cwd: Path,
    env: dict[str, str] | None = None,
) -> Iterator[RunningProcess]:
    """Start `argv` in its own process group, wait until `url + probe_path` answers, stop it on exit."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env: dict[str, Any] = {k: v for k, v in os.environ.items() if not k.startswith("IVIG_CDS_")}
    full_env.update(env or {})
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        running = RunningProcess(name, process, url, log_path)
        try:
            _wait_ready(running, url + probe_path)
            yield running
        finally:
            stop_process_group(process)
