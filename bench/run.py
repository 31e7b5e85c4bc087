"""Benchmark: `ivig-cds serve` against the conforming floor (and a bare echo) under gunicorn, driven by wrk.

    python bench/run.py                               # the full run (about 6 minutes), a Markdown report
    python bench/run.py --results bench/RESULTS.md    # also rewrites the generated part of RESULTS.md
    python bench/run.py --quick                       # smoke run: every row once, 1 s each (about 1 min)

Rows, per configuration (algorithm RS384 or ES384 x store SQLite or PostgreSQL): the floor (`floor_app.py`:
parse, verify the JWT, record its jti in the service's replay cache), the service with a non-IVIg order
(no card) and with an in-scope IVIg order (a card), both with full prefetch; the echo app once, for
reference. They are measured at each concurrency in alternating rounds (floor, no-card, card, floor, ...)
so drift hits all of them; ratios are to the floor of the same configuration, concurrency and run.
Then the in-scope order without prefetch against bench FHIR servers (20 ms +/- 10 ms and 100 ms per
read), compared with the prefetch card row. Every request carries its own token (distinct jti).

Needs `wrk` (installed with apt-get when missing and possible), the project installed in the running
Python, and PostgreSQL's server binaries for the PostgreSQL rows (skipped, and said so, without them).
Nothing is measured until every app answered one call as expected (and each floor refused a replay);
a wrk run with any non-2xx answer, socket error or reused token is reported as FAILED, never as a rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from procs import WRK_THREADS, ensure_wrk, http_json, http_text, run_wrk  # noqa: E402
from report import Measurement, Results, render_report, write_results  # noqa: E402
from scenarios import BENCH_SCENARIOS, build_body  # noqa: E402
from stack import THREADS, App, Stack, StackOptions, postgres_available, running_stack  # noqa: E402
from tokens import ALGORITHMS, SERVICE_PATH, TokenPool, bench_client, sign_token  # noqa: E402

FHIR_BUDGET_SECONDS = 4.0  # the service's default fhir.budget_seconds
FHIR_SERVERS = (("FHIR 20 +/- 10 ms", 20.0, 10.0), ("FHIR 100 ms", 100.0, 0.0))
PRIMARY = "RS384/sqlite"
# --worker-models: the service under other gunicorn worker models (bench/serve_variant.py), RS384/SQLite
WORKER_MODELS = (
    ("gthread-2x4-switch-1ms", ("--switch-interval-ms", "1")),
    ("gthread-4x2", ("--workers", "4", "--threads", "2")),
    ("gthread-2x2", ("--threads", "2")),
    ("sync-4", ("--worker-class", "sync", "--workers", "4")),
)


@dataclass(frozen=True)
class Target:
    """One row to drive: which app, which body, whose tokens."""

    row: str
    app: App
    body: Path
    pool: TokenPool | None  # None: the echo app, which ignores the header

    @property
    def url(self) -> str:
        """Return the hook URL of the app."""
        return self.app.url + SERVICE_PATH


@dataclass
class Plan:
    """How long and how hard to drive each row."""

    wrk: str
    workdir: Path
    rounds: int
    seconds: int
    warmup: int
    rates: dict[str, float]


def wrk_once(plan: Plan, target: Target, connections: int, seconds: int) -> dict[str, Any]:
    """Run wrk on one target with enough fresh tokens; return its summary."""
    guess = plan.rates.get(target.app.name + target.row, 3000.0)
    count = int(guess * seconds * 2.5) + 500
    tokens = plan.workdir / "tokens.txt"
    if target.pool is None:
        tokens.write_text("unused\n" * 8)  # wrk.lua wants a token per thread; echo ignores them
    else:
        target.pool.write_slice(target.app.name, count, tokens)
    result = run_wrk(plan.wrk, target.url, tokens, target.body, connections, seconds)
    if target.pool is None:
        result["reused_tokens"] = 0
    else:  # tokens are dealt to wrk threads in turn: those past threads x most-sent were never sent
        target.pool.give_back(target.app.name, count, WRK_THREADS * result["max_sent_per_thread"])
    return result


def measure_group(plan: Plan, config: str, targets: list[Target], connections: int) -> list[Measurement]:
    """Measure targets at one concurrency in alternating rounds after a warm-up each; return one per row."""
    for target in targets:
        warm = wrk_once(plan, target, connections, plan.warmup)
        plan.rates[target.app.name + target.row] = warm["requests"] / max(warm["duration_us"] / 1e6, 0.1)
    runs: dict[str, list[dict[str, Any]]] = {t.row: [] for t in targets}
    for _ in range(plan.rounds):
        for target in targets:
            runs[target.row].append(wrk_once(plan, target, connections, plan.seconds))
    out = [Measurement.from_runs(config, t.row, connections, runs[t.row]) for t in targets]
    for m in out:
        print(f"bench: {m.one_line()}", file=sys.stderr)
    return out


def fhir_errors(app: App) -> int:
    """Return the service's count of failed FHIR reads (all workers, from /metrics)."""
    text = http_text(f"{app.url}/metrics")
    return int(
        sum(
            float(ln.rsplit(" ", 1)[1])
            for ln in text.splitlines()
            if ln.startswith("ivig_cds_fhir_read_errors_total{")
        )
    )


def validate(stack: Stack, bodies: dict[str, Path]) -> None:
    """Call every app once; raise unless each answers as expected (and each floor refuses a replay)."""
    expected = {s.key: s.expected_cards for s in BENCH_SCENARIOS}
    for app in stack.services.values():
        for key, path in bodies.items():
            for alg, c in stack.clients.items():
                status, answer = http_json(
                    app.url + SERVICE_PATH, json.loads(path.read_text()), sign_token(c)
                )
                cards = answer.get("cards") if isinstance(answer, dict) else None
                want = expected[key.split("@")[0]]
                if status != 200 or not isinstance(cards, list) or len(cards) != want:
                    raise RuntimeError(f"{app.name} {key} {alg}: answered {status} with {answer!r:.300}")
        print(f"bench: {app.name}: every scenario answered as expected", file=sys.stderr)
    body = json.loads(bodies["card"].read_text())
    for (alg, _store), app in stack.floors.items():
        token = sign_token(stack.clients[alg])
        first = http_json(app.url + SERVICE_PATH, body, token)
        replay = http_json(app.url + SERVICE_PATH, body, token)
        if first != (200, {"cards": []}) or replay[0] != 401:
            raise RuntimeError(f"{app.name}: answered {first[0]}, then {replay[0]} to the replay")
    if stack.echo is not None and http_json(stack.echo.url + SERVICE_PATH, body, None) != (
        200,
        {"cards": []},
    ):
        raise RuntimeError("echo app did not answer")


def build_bodies(stack: Stack) -> dict[str, Path]:
    """Write the request bodies: no-card, card (full prefetch) and card-fhir@<label> per FHIR server."""
    from cds_hooks.ivig.queries import build_prefetch
    from service.rules_loading import load_rules

    templates = build_prefetch(load_rules(None))
    scenarios = {s.key: s for s in BENCH_SCENARIOS}
    bodies = {}
    for key in ("no-card", "card"):
        bodies[key] = stack.workdir / f"body-{key}.json"
        bodies[key].write_text(json.dumps(build_body(scenarios[key], templates, "")))
    for i, fhir in enumerate(stack.fhir):
        key = f"card-fhir@{fhir.label}"
        bodies[key] = stack.workdir / f"body-fhir-{i}.json"
        bodies[key].write_text(json.dumps(build_body(scenarios["card-fhir"], templates, fhir.base)))
    return bodies


def measure_all(args: argparse.Namespace, plan: Plan, stack: Stack, pools: dict[str, TokenPool]) -> Results:
    """Run every group of the plan; return the results."""
    bodies = build_bodies(stack)
    validate(stack, bodies)
    measured: list[Measurement] = []
    for name in args.worker_models or ():
        service = stack.services[name]
        targets = [Target("floor", stack.floors[("RS384", "sqlite")], bodies["card"], pools["RS384"])]
        targets += [Target(row, service, bodies[row], pools["RS384"]) for row in ("no-card", "card")]
        for c in args.concurrency:
            measured += measure_group(plan, f"{PRIMARY} {name}", targets, c)
        measured += measure_fhir(args, plan, stack, pools, service, f"{PRIMARY} {name}")
    for config in args.configs:
        alg, store = config.split("/")
        if store not in stack.services:
            continue
        service = stack.services[store]
        targets = [Target("floor", stack.floors[(alg, store)], bodies["card"], pools[alg])]
        targets += [Target(row, service, bodies[row], pools[alg]) for row in ("no-card", "card")]
        if config == PRIMARY and stack.echo is not None:
            targets.insert(0, Target("echo", stack.echo, bodies["card"], None))
        for c in args.concurrency:
            measured += measure_group(plan, config, targets, c)
    if PRIMARY in args.configs:
        measured += measure_fhir(args, plan, stack, pools, stack.services["sqlite"], PRIMARY)
    return Results(measured)


def measure_fhir(
    args: argparse.Namespace, plan: Plan, stack: Stack, pools: dict[str, TokenPool], service: App, config: str
) -> list[Measurement]:
    """Measure the no-prefetch call against each bench FHIR server; count the service's failed reads."""
    out = []
    for i, fhir in enumerate(stack.fhir):
        target = Target("card-fhir", service, stack.workdir / f"body-fhir-{i}.json", pools["RS384"])
        for c in args.fhir_connections:
            before = fhir_errors(service)
            (m,) = measure_group(plan, f"{fhir.label}|{fhir.delay_ms:g}|{config}", [target], c)
            out.append(Measurement(**{**m.__dict__, "fhir_errors": fhir_errors(service) - before}))
    return out


def parse_args() -> argparse.Namespace:
    """Return the command line."""
    configs = [f"{a}/{s}" for s in ("sqlite", "postgresql") for a in ALGORITHMS]
    p = argparse.ArgumentParser(description="ivig-cds serve vs. the conforming floor, under wrk")
    p.add_argument("--quick", action="store_true", help="smoke run: 1 round of 1 s per row, c=8 only")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds per row (default 3)")
    p.add_argument("--seconds", type=int, default=3, help="seconds per row and round (default 3)")
    p.add_argument("--warmup", type=int, default=1, help="warm-up seconds per row and concurrency")
    p.add_argument("--concurrency", type=int, nargs="+", default=[8, 32], help="wrk connections")
    p.add_argument("--fhir-connections", type=int, nargs="+", default=[8, 32], help="for no-prefetch rows")
    p.add_argument("--configs", nargs="+", choices=configs, default=configs)
    p.add_argument("--no-fhir", action="store_true", help="skip the no-prefetch rows")
    p.add_argument(
        "--worker-models",
        nargs="*",
        choices=[name for name, _ in WORKER_MODELS],
        help="only RS384/SQLite, under gthread 2x4 (serve's) and these models (default: all)",
    )
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers of every app (default 2)")
    p.add_argument("--fhir-concurrency", type=int, default=24, help="service fhir.max_concurrency")
    p.add_argument("--token-cache", type=Path, default=Path(tempfile.gettempdir()) / "ivig-cds-bench-tokens")
    p.add_argument("--results", type=Path, help="rewrite the generated section of this Markdown file")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, config)")
    args = p.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.warmup = 1, 1, 1
        args.concurrency, args.fhir_connections = [8], [8]
    if args.worker_models is not None:
        args.configs = [PRIMARY]
        args.worker_models = args.worker_models or [name for name, _ in WORKER_MODELS]
    if not postgres_available():
        print("bench: PostgreSQL not installed: the PostgreSQL rows are skipped", file=sys.stderr)
        args.configs = [c for c in args.configs if not c.endswith("postgresql")]
    return args


def main() -> int:
    """Run the benchmark; print the report; optionally write it into RESULTS.md."""
    args = parse_args()
    wrk = ensure_wrk()
    algorithms = sorted({c.split("/")[0] for c in args.configs}, key=ALGORITHMS.index)
    stores = sorted({c.split("/")[1] for c in args.configs}, key=["sqlite", "postgresql"].index)
    clients = {alg: bench_client(args.token_cache, alg) for alg in algorithms}
    pools = {alg: TokenPool(c, min_valid_seconds=600).load() for alg, c in clients.items()}
    workdir = Path(tempfile.mkdtemp(prefix="ivig-cds-bench-"))
    plan = Plan(wrk, workdir, args.rounds, args.seconds, args.warmup, {})
    options = StackOptions(
        stores=stores,
        algorithms=algorithms,
        fhir=() if args.no_fhir else FHIR_SERVERS,
        workers=args.workers,
        fhir_concurrency=args.fhir_concurrency,
        variants=[(n, a) for n, a in WORKER_MODELS if n in (args.worker_models or ())],
    )
    started_at = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()[0]
    try:
        with running_stack(workdir, clients, options) as stack:
            results = measure_all(args, plan, stack, pools)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"bench: kept {workdir}", file=sys.stderr)
    minutes = (dt.datetime.now(dt.UTC) - started_at).total_seconds() / 60
    report = render_report(
        results, machine_description(args, started_at, load_before, minutes), FHIR_BUDGET_SECONDS
    )
    print(report)
    if args.results:
        write_results(args.results, report)
    return 0 if all(m.ok for m in results.all) else 1


def machine_description(
    args: argparse.Namespace, started_at: dt.datetime, load_before: float, minutes: float
) -> dict[str, str]:
    """Return what the report says about the machine and the run."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout
    return {
        "date": started_at.strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "wrk": out.split("\n")[0].split(" Copyright")[0].strip() or "wrk",
        "load": f"load average {load_before:.1f} at the start, run took {minutes:.1f} min",
        "workers": str(args.workers),
        "threads": str(THREADS),
        "duration": (
            f"{args.rounds} alternating rounds of {args.seconds} s per row after a {args.warmup} s warm-up"
            f"{' (--quick)' if args.quick else ''}"
        ),
        "fhir": f"fhir.max_concurrency {args.fhir_concurrency}",
    }


if __name__ == "__main__":
    sys.exit(main())
