"""CPU per call, in-process, single-threaded: echo, the conforming floor and the service (Flask test client).

    python bench/inprocess.py [--calls N] [--alg RS384 ES384]

Prints CPU milliseconds per call (process time, so other load on the machine matters less than for wall
time) for the no-card and card scenarios: the part of the wrk numbers that belongs to the apps
themselves, without HTTP, gunicorn or wrk. The floor and the service verify a freshly signed token per
call and write its jti to their own SQLite replay cache. The garbage collector is frozen after start-up
in both, as gunicorn's `post_worker_init` does for the service (`service.server`).
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
import uuid
from pathlib import Path

from cds_hooks.ivig.queries import build_prefetch
from flask import Flask
from service.app import create_app
from service.rules_loading import load_rules

from floor_app import FloorConfig, create_echo_app, create_floor_app
from scenarios import BENCH_SCENARIOS, build_body
from tokens import AUDIENCE_BASE, SERVICE_PATH, BenchClient, TokenPool, bench_client


def service_app(clients: list[BenchClient], workdir: Path) -> Flask:
    """Return the service with auth on, trusting the bench clients."""
    trusted = [{"issuer": c.issuer, "jwks_file": str(c.jwks_path)} for c in clients]
    service = {"data_dir": str(workdir / "service"), "public_base_url": AUDIENCE_BASE, "log_level": "INFO"}
    return create_app(
        {"service": service, "auth": {"clients": trusted}, "store": {"pseudonym_secret": uuid.uuid4().hex}}
    )


def cpu_ms_per_call(app: Flask, body: bytes, signed: list[str]) -> float:
    """Return the mean process CPU time per call in milliseconds (every call must answer 200)."""
    client = app.test_client()
    warm, signed = signed[: len(signed) // 10], signed[len(signed) // 10 :]
    for token in warm:  # first calls of an app fill caches: not measured
        client.post(
            SERVICE_PATH,
            data=body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
    gc.collect()
    gc.freeze()
    started = time.process_time()
    for token in signed:
        response = client.post(
            SERVICE_PATH,
            data=body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.status_code
    used = time.process_time() - started
    gc.unfreeze()
    return used / len(signed) * 1000


def main() -> None:
    """Print CPU milliseconds per call and the ratios to the floor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--alg", nargs="+", default=["RS384", "ES384"], choices=["RS384", "ES384"])
    parser.add_argument(
        "--token-cache", type=Path, default=Path(tempfile.gettempdir()) / "ivig-cds-bench-tokens"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ivig-cds-inprocess-"))
    templates = build_prefetch(load_rules(None))
    clients = {alg: bench_client(args.token_cache, alg) for alg in args.alg}
    pools = {alg: TokenPool(c, min_valid_seconds=300).load() for alg, c in clients.items()}
    service = service_app(list(clients.values()), workdir)
    echo = create_echo_app()
    for alg, client in clients.items():
        floor = create_floor_app(
            FloorConfig(
                client.issuer,
                AUDIENCE_BASE,
                str(client.jwks_path),
                alg,
                f"sqlite:///{workdir}/floor-{alg}.sqlite3",
            )
        )
        for scenario in (s for s in BENCH_SCENARIOS if s.prefetch):
            body = json.dumps(build_body(scenario, templates, "")).encode()
            n = args.calls
            times = {}
            for name, app in (("echo", echo), ("floor", floor), ("service", service)):
                tokens = pools[alg].write_slice(name, n, workdir / "t.txt").read_text().split()
                times[name] = cpu_ms_per_call(app, body, tokens)
            extra = times["service"] - times["floor"]
            print(
                f"{alg} {scenario.key:8} echo {times['echo']:.3f} ms  floor {times['floor']:.3f} ms  "
                f"service {times['service']:.3f} ms  (above the floor {extra:.3f} ms)"
            )


if __name__ == "__main__":
    main()
