"""Benchmark: `ivig-cds serve` against a bare Flask app, both under gunicorn, driven by wrk.

    python bench/run.py                      # the full run (about 5 minutes), prints a Markdown table
    python bench/run.py --results bench/RESULTS.md   # also rewrites the generated part of RESULTS.md
    python bench/run.py --duration 5 --concurrency 8  # quicker

Needs `wrk` (Debian: `apt-get install -y wrk`; installed here when missing and apt-get is usable) and the
project installed in the running Python (`pip install -e .`). Nothing is measured until one call of every
scenario has answered with the expected status and card count, and every wrk run counts non-2xx answers
(a run with any is reported as FAILED, never as a throughput).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from report import Measurement, render_report, write_results  # noqa: E402
from scenarios import BENCH_SCENARIOS, BenchScenario, build_body, load_meta  # noqa: E402
from tokens import ISSUER, generate_key, sign_token, write_tokens  # noqa: E402

HOST = "127.0.0.1"
SERVICE_ID = "ivig-order-sign"
WRK_THREADS = 2
WARMUP_SECONDS = 2
TARGETS = ("bare", "service")


@dataclass
class Servers:
    """The running servers and what the load generator needs to reach them."""

    bare_url: str
    service_url: str
    fhir_base: str
    key_path: Path
    workdir: Path
    service_pid: int = 0


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


def write_config(workdir: Path, port: int, fhir_base: str, jwks: Path, max_concurrency: int) -> Path:
    """Write the service's TOML configuration: auth on, the bench client, SQLite under `workdir`."""
    as_of = load_meta("definite-cb-median-forearm")["asOf"]
    path = workdir / "ivig-cds.toml"
    path.write_text(f"""\
[service]
public_base_url = "http://{HOST}:{port}"
data_dir = "{workdir / "data"}"
as_of_date = "{as_of}"   # the scenarios' decision date, so the expected card comes back

[auth]
required = true

[[auth.clients]]
issuer = "{ISSUER}"
jwks_file = "{jwks}"
fhir_servers = ["{fhir_base}"]

[fhir]
max_concurrency = {max_concurrency}

[store]
pseudonym_secret = "bench-pseudonym-secret-0123456789abcdef"
""")
    return path


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until GET `url` answers 200 (raise when the process died or time ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready in {timeout} s")


@contextmanager
def started(cmd: list[str], log: Path, ready_url: str, env: dict[str, str] | None = None) -> Iterator[int]:
    """Run a server process for the block (SIGTERM, then SIGKILL after 10 s); yield its pid."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        wait_http(ready_url, proc=proc)
        yield proc.pid
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def servers(workdir: Path, workers: int, max_concurrency: int, delay_ms: float) -> Iterator[Servers]:
    """Start the bench FHIR server, the bare app and `ivig-cds serve`; stop them after the block."""
    fhir_port, bare_port, service_port = free_port(), free_port(), free_port()
    fhir_base = f"http://{HOST}:{fhir_port}/fhir"
    key_path, jwks = generate_key(workdir)
    config = write_config(workdir, service_port, fhir_base, jwks, max_concurrency)
    py = sys.executable
    fhir_cmd = [
        py,
        str(BENCH / "fhir_server.py"),
        "--scenario",
        "definite-cb-median-forearm",
        "--port",
        str(fhir_port),
        "--delay-ms",
        str(delay_ms),
    ]
    bare_cmd = [
        py,
        "-m",
        "gunicorn",
        "--chdir",
        str(BENCH),
        "-b",
        f"{HOST}:{bare_port}",
        "-w",
        str(workers),
        "-k",
        "gthread",
        "--threads",
        "4",
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
        "bare_app:create_app()",
    ]
    service_cmd = [
        py,
        "-m",
        "service.cli",
        "serve",
        "--config",
        str(config),
        "--host",
        HOST,
        "--port",
        str(service_port),
        "--workers",
        str(workers),
    ]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("IVIG_CDS_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    with (
        started(fhir_cmd, workdir / "fhir.log", f"{fhir_base}/_stats"),
        started_bare(bare_cmd, workdir, bare_port),
        started(service_cmd, workdir / "service.log", f"http://{HOST}:{service_port}/readyz", env=env) as pid,
    ):
        yield Servers(
            f"http://{HOST}:{bare_port}", f"http://{HOST}:{service_port}", fhir_base, key_path, workdir, pid
        )


@contextmanager
def started_bare(cmd: list[str], workdir: Path, port: int) -> Iterator[int]:
    """Run the bare app (it has no GET route: ready once it answers 405 on the hook path)."""
    with (workdir / "bare.log").open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("bare app did not start (see bare.log)")
            try:
                urllib.request.urlopen(f"http://{HOST}:{port}/cds-services/x", timeout=2)
            except urllib.error.HTTPError:
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def http_json(url: str, body: dict[str, Any] | None, token: str | None) -> tuple[int, Any]:
    """Return (status, decoded JSON body) of one GET (body None) or POST."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def discovery_templates(srv: Servers) -> dict[str, str]:
    """Return the prefetch templates of the benchmarked service, from its discovery document."""
    url = f"{srv.service_url}/cds-services"
    status, document = http_json(url, None, sign_token(srv.key_path, url))
    if status != 200:
        raise RuntimeError(f"discovery answered {status}")
    entry = next(s for s in document["services"] if s["id"] == SERVICE_ID)
    return dict(entry["prefetch"])


def fhir_reads(srv: Servers) -> int:
    """Return how many reads the bench FHIR server has served."""
    return int(http_json(f"{srv.fhir_base}/_stats", None, None)[1]["reads"])


def validate(srv: Servers, scenario: BenchScenario, body: dict[str, Any]) -> None:
    """Call the service and the bare app once; raise unless status and card count are as expected."""
    url = f"{srv.service_url}/cds-services/{SERVICE_ID}"
    reads_before = fhir_reads(srv)
    status, answer = http_json(url, body, sign_token(srv.key_path, url))
    cards = answer.get("cards") if isinstance(answer, dict) else None
    if status != 200 or not isinstance(cards, list) or len(cards) != scenario.expected_cards:
        raise RuntimeError(f"{scenario.key}: service answered {status} with {answer!r:.300}")
    reads = fhir_reads(srv) - reads_before
    if scenario.prefetch == (reads != 0):
        raise RuntimeError(
            f"{scenario.key}: {reads} FHIR reads (expected {'none' if scenario.prefetch else 'some'})"
        )
    bare_status, bare_answer = http_json(f"{srv.bare_url}/cds-services/{SERVICE_ID}", body, None)
    if bare_status != 200 or bare_answer != {"cards": []}:
        raise RuntimeError(f"bare app answered {bare_status}")
    summary = cards[0]["summary"] if cards else "(no card)"
    print(
        f"bench: {scenario.key}: 200, {len(cards)} card(s), {reads} FHIR reads: {summary[:80]}",
        file=sys.stderr,
    )


def run_wrk(wrk: str, url: str, tokens: Path, body: Path, connections: int, seconds: int) -> dict[str, Any]:
    """Run wrk once; return its BENCH_JSON summary."""
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


def measure_pair(
    wrk: str, srv: Servers, scenario: BenchScenario, body: Path, connections: int, seconds: int, rounds: int
) -> list[Measurement]:
    """Measure the bare app and the service on one scenario, alternating in `rounds` (drift hits both).

    Each target is warmed up first; every service run gets freshly signed tokens (one per request).
    """
    urls = {
        t: f"{srv.bare_url if t == 'bare' else srv.service_url}/cds-services/{SERVICE_ID}" for t in TARGETS
    }
    rates = {}
    for target, url in urls.items():
        warm = run_wrk(
            wrk,
            url,
            write_tokens(srv.key_path, url, 4000, srv.workdir / "warm.txt"),
            body,
            connections,
            WARMUP_SECONDS,
        )
        rates[target] = warm["requests"] / max(warm["duration_us"] / 1e6, 0.1)
    share = max(1, seconds // rounds)
    runs: dict[str, list[dict[str, Any]]] = {t: [] for t in TARGETS}
    for _ in range(rounds):
        for target, url in urls.items():
            count = 2000 if target == "bare" else int(rates[target] * share * 1.6) + 2000
            result = run_wrk(
                wrk,
                url,
                write_tokens(srv.key_path, url, count, srv.workdir / "tokens.txt"),
                body,
                connections,
                share,
            )
            if target == "bare":
                result["reused_tokens"] = 0  # the bare app ignores the header: reuse is harmless there
            runs[target].append(result)
    return [Measurement.from_runs(t, scenario.key, connections, runs[t]) for t in TARGETS]


def main() -> int:
    """Run the benchmark; print the report; optionally write it into RESULTS.md."""
    parser = argparse.ArgumentParser(description="ivig-cds serve vs. a bare Flask app, under wrk")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured wrk run (default 10)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32], help="wrk connections")
    parser.add_argument("--rounds", type=int, default=2, help="bare/service alternations sharing --duration")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of both apps (default 2)")
    parser.add_argument(
        "--fhir-concurrency", type=int, default=8, help="service fhir.max_concurrency (default 8)"
    )
    parser.add_argument("--fhir-delay-ms", type=float, default=5.0, help="bench FHIR server delay per read")
    parser.add_argument(
        "--scenario",
        nargs="+",
        choices=[s.key for s in BENCH_SCENARIOS],
        default=[s.key for s in BENCH_SCENARIOS],
    )
    parser.add_argument("--results", type=Path, help="rewrite the generated section of this Markdown file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, config)")
    args = parser.parse_args()
    wrk = ensure_wrk()
    chosen = [s for s in BENCH_SCENARIOS if s.key in args.scenario]
    workdir = Path(tempfile.mkdtemp(prefix="ivig-cds-bench-"))
    started_at = dt.datetime.now(dt.UTC)
    try:
        with servers(workdir, args.workers, args.fhir_concurrency, args.fhir_delay_ms) as srv:
            templates = discovery_templates(srv)
            bodies = {}
            for scenario in chosen:
                body = build_body(scenario, templates, srv.fhir_base)
                validate(srv, scenario, body)
                bodies[scenario.key] = workdir / f"body-{scenario.key}.json"
                bodies[scenario.key].write_text(json.dumps(body))
            results = []
            for connections in args.concurrency:
                for scenario in chosen:
                    body = bodies[scenario.key]
                    for m in measure_pair(wrk, srv, scenario, body, connections, args.duration, args.rounds):
                        print(f"bench: {m.one_line()}", file=sys.stderr)
                        results.append(m)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"bench: kept {workdir}", file=sys.stderr)
    report = render_report(results, chosen, machine_description(args, started_at))
    print(report)
    if args.results:
        write_results(args.results, report)
    return 0 if all(m.ok for m in results) else 1


def machine_description(args: argparse.Namespace, started_at: dt.datetime) -> dict[str, str]:
    """Return what the report says about the machine and the run."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split(
        "\n"
    )[0]
    return {
        "date": started_at.strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "wrk": wrk_version.split(" Copyright")[0].strip() or "wrk",
        "workers": str(args.workers),
        "duration": (
            f"{args.duration} s per target and scenario in {args.rounds} alternating rounds, after a "
            f"{WARMUP_SECONDS} s warm-up; {WRK_THREADS} wrk threads"
        ),
        "fhir": f"max_concurrency {args.fhir_concurrency}, FHIR server delay {args.fhir_delay_ms:g} ms/read",
    }


if __name__ == "__main__":
    sys.exit(main())
