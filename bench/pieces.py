"""What each piece of the service costs above the conforming floor, measured by switching it off.

    python bench/pieces.py [--calls 1000] [--alg RS384]

In-process (Flask test client, no HTTP), CPU time of the process, the collector frozen after start-up as
in the workers. For each hook call of the benchmark (no-card, card: full prefetch) it measures the
floor, the service, and the service with one piece replaced by a no-op (or, for the decision, by its
precomputed answer, so the response is still shaped and encoded); a piece's cost is what switching it
off saves. The variants take turns call by call, because this machine's speed drifts by a third from
minute to minute, and each cost is a mean over `--calls` calls. The audit records' batched write (the
writer thread's work) is priced apart, per record. What is left (service - floor - the pieces) is the
rest of our request path: Flask routing and request objects, the hook request parse, the call trace,
building the audit record, the response's shaping and JSON.

A measurement tool, not a test: the replacements here would be wrong in the service.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cds_hooks.ivig.queries import build_prefetch
from flask import Flask
from service.app import create_app
from service.rules_loading import load_rules

from floor_app import FloorConfig, create_floor_app
from scenarios import BENCH_SCENARIOS, build_body
from tokens import AUDIENCE_BASE, SERVICE_PATH, BenchClient, TokenPool, bench_client

Patch = Callable[[Flask, contextlib.ExitStack], None]


@dataclass(frozen=True)
class Piece:
    """One piece of the service's request path, and how to switch it off for a measurement."""

    name: str
    switch_off: Patch


def _replace(stack: contextlib.ExitStack, owner: Any, name: str, value: Any) -> None:
    """Set `owner.name` to `value` until the stack closes."""
    original = getattr(owner, name)
    setattr(owner, name, value)
    stack.callback(setattr, owner, name, original)


def _no_shape_check(_app: Flask, stack: contextlib.ExitStack) -> None:
    import service.request_body as request_body

    _replace(stack, request_body, "fits_json_limits", lambda *_a, **_k: True)


def _no_log_line(_app: Flask, stack: contextlib.ExitStack) -> None:
    import service.hooks as hooks

    _replace(stack, hooks, "log_hook_call", lambda *_a, **_k: None)


def _no_flask_hooks(app: Flask, stack: contextlib.ExitStack) -> None:
    for funcs in (app.before_request_funcs, app.after_request_funcs):
        saved = dict(funcs)
        funcs.clear()
        stack.callback(funcs.update, saved)


def _precomputed_decision(answers: dict[str, Any]) -> Patch:
    """Return a patch that answers `decide` with the response it gave for the same body."""

    def patch(_app: Flask, stack: contextlib.ExitStack) -> None:
        import service.hooks as hooks

        _replace(stack, hooks, "decide", lambda *_a, **_k: answers["response"])

    return patch


def _record_decision(answers: dict[str, Any]) -> Patch:
    """Return a patch that remembers the response `decide` gives (run once, before measuring)."""

    def patch(_app: Flask, stack: contextlib.ExitStack) -> None:
        import service.hooks as hooks

        real = hooks.decide

        def remember(*args: Any, **kwargs: Any) -> Any:
            answers["response"] = real(*args, **kwargs)
            return answers["response"]

        _replace(stack, hooks, "decide", remember)

    return patch


def service_app(client: BenchClient, workdir: Path) -> Flask:
    """Return the service with auth on, trusting the bench client."""
    trusted = [{"issuer": client.issuer, "jwks_file": str(client.jwks_path)}]
    service = {"data_dir": str(workdir / "service"), "public_base_url": AUDIENCE_BASE, "log_level": "INFO"}
    config = {
        "service": service,
        "auth": {"clients": trusted},
        "store": {"pseudonym_secret": uuid.uuid4().hex},
    }
    return create_app(config)


class Caller:
    """Posts one body with fresh tokens to an app and measures the process CPU of each call."""

    def __init__(self, body: bytes, tokens: Iterator[str]) -> None:
        self._body = body
        self._tokens = tokens

    def cpu_ms(self, app: Flask) -> float:
        """Return the process CPU milliseconds of one call (which must answer 200)."""
        client = app.test_client()
        started = time.process_time()
        response = client.post(
            SERVICE_PATH,
            data=self._body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {next(self._tokens)}"},
        )
        used = time.process_time() - started
        if response.status_code != 200:
            raise RuntimeError(f"answered {response.status_code}: {response.data[:200]!r}")
        return used * 1000


@contextlib.contextmanager
def switched_off(app: Flask, patches: list[Patch]) -> Iterator[None]:
    """Apply `patches` to the app for the block."""
    with contextlib.ExitStack() as stack:
        for patch in patches:
            patch(app, stack)
        yield


def audit_write_ms(records: list[Any], workdir: Path, batch: int = 50, repeats: int = 21) -> float:
    """Return the median CPU milliseconds per record of writing `records` in batches, as the writer thread
    does (service.audit.AuditTrail: a batch every 0.2 s; 50 is a worker's 0.2 s at 250 calls/s)."""
    from service.store import Store

    store = Store(f"sqlite:///{workdir}/audit.sqlite3")
    store.create_schema()
    rows = (records * (batch // max(1, len(records)) + 1))[:batch]
    costs = []
    for _ in range(repeats):
        started = time.process_time()
        store.save_audit_batch(rows)
        costs.append((time.process_time() - started) / len(rows) * 1000)
    store.close()
    return statistics.median(costs)


def measure(scenario_key: str, client: BenchClient, pool: TokenPool, args: argparse.Namespace) -> None:
    """Print the floor, the service and each piece's cost for one benchmark scenario.

    Variants take turns call by call (floor, service, service less each piece, again), so the machine's
    drift hits them alike, and each variant's cost is its mean over `args.calls` calls. Audit records are
    kept in memory during the calls (the writer thread's batches would land on whichever call runs) and
    their batched write is priced separately, per record, then added to the service's cost.
    """
    workdir = Path(tempfile.mkdtemp(prefix="ivig-cds-pieces-"))
    scenario = next(s for s in BENCH_SCENARIOS if s.key == scenario_key)
    body = json.dumps(build_body(scenario, build_prefetch(load_rules(None)), "")).encode()
    answers: dict[str, Any] = {}
    pieces = [
        Piece("body limits check (depth, element count)", _no_shape_check),
        Piece("decision (scope, record, facts, criteria, card)", _precomputed_decision(answers)),
        Piece("log line", _no_log_line),
        Piece("Flask before/after hooks (metrics, CORS)", _no_flask_hooks),
    ]
    floor = create_floor_app(
        FloorConfig(
            client.issuer,
            AUDIENCE_BASE,
            str(client.jwks_path),
            client.alg,
            f"sqlite:///{workdir}/floor.sqlite3",
        )
    )
    service = service_app(client, workdir)
    count = args.calls * (len(pieces) + 2) + 200
    tokens = iter(pool.write_slice(f"pieces-{scenario_key}", count, workdir / "t").read_text().split())
    caller = Caller(body, tokens)
    kept: list[Any] = []
    with contextlib.ExitStack() as keep:
        _replace(keep, service.extensions["ivig_cds"].audit, "record", kept.append)
        with switched_off(service, [_record_decision(answers)]):
            for _ in range(100):  # warm-up, and the decision's own answer for this body
                caller.cpu_ms(service)
                caller.cpu_ms(floor)
        gc.collect()
        gc.freeze()
        variants: list[tuple[str, Flask, list[Patch]]] = [("floor", floor, []), ("service", service, [])]
        variants += [(piece.name, service, [piece.switch_off]) for piece in pieces]
        spent = dict.fromkeys([name for name, _, _ in variants], 0.0)
        for _ in range(args.calls):
            for name, app, patches in variants:
                with switched_off(app, patches):
                    spent[name] += caller.cpu_ms(app)
        gc.unfreeze()
    cost = {name: total / args.calls for name, total in spent.items()}
    audit = audit_write_ms(kept, workdir)
    service_ms = cost["service"] + audit
    above = service_ms - cost["floor"]
    print(
        f"\n{client.alg} {scenario_key}: floor {cost['floor']:.3f} ms, service {service_ms:.3f} ms "
        f"({service_ms / cost['floor']:.2f}x the floor; {above:.3f} ms above it)"
    )
    print("| piece | ms per call | share of the service's cost above the floor |")
    print("|---|---:|---:|")
    rest = above - audit
    print(f"| audit write (batched INSERT, priced in batches of 50) | {audit:.3f} | {audit / above:.0%} |")
    for piece in pieces:
        saved = cost["service"] - cost[piece.name]
        rest -= saved
        print(f"| {piece.name} | {saved:.3f} | {saved / above:.0%} |")
    print(f"| the rest of our request path | {rest:.3f} | {rest / above:.0%} |")


def main() -> None:
    """Measure both benchmark scenarios with full prefetch."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls per variant (they take turns)")
    parser.add_argument("--alg", default="RS384", choices=["RS384", "ES384"])
    parser.add_argument(
        "--token-cache", type=Path, default=Path(tempfile.gettempdir()) / "ivig-cds-bench-tokens"
    )
    args = parser.parse_args()
    client = bench_client(args.token_cache, args.alg)
    pool = TokenPool(client, min_valid_seconds=600).load()
    for key in ("no-card", "card"):
        measure(key, client, pool, args)


if __name__ == "__main__":
    sys.exit(main())
