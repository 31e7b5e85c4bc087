"""The servers of one benchmark run: FHIR servers, the echo app, the floors and `ivig-cds serve`.

Each store ("sqlite", "postgresql") gets one service (trusting the RS384 and the ES384 bench client)
and one floor per algorithm; PostgreSQL is a throwaway cluster of this run (databases `floor` and
`service`), so every run starts with empty replay caches and a token pool can be reused across runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from procs import BENCH, HOST, free_port, started
from scenarios import load_meta
from tokens import AUDIENCE_BASE, BenchClient

ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from tests.pg_server import find_pg_bin, running_postgres  # noqa: E402

FHIR_SCENARIO = "definite-cb-median-forearm"
THREADS = 4  # gunicorn gthread threads per worker (service.server.gunicorn_options)


@dataclass(frozen=True)
class FhirServer:
    """A bench FHIR server: its base URL, mean delay and jitter per read (ms)."""

    label: str
    base: str
    delay_ms: float
    jitter_ms: float


@dataclass(frozen=True)
class App:
    """One running app under test."""

    name: str
    url: str
    pid: int


@dataclass
class Stack:
    """Everything one run measures."""

    workdir: Path
    clients: dict[str, BenchClient]
    fhir: list[FhirServer] = field(default_factory=list)
    echo: App | None = None
    floors: dict[tuple[str, str], App] = field(default_factory=dict)
    services: dict[str, App] = field(default_factory=dict)


@dataclass(frozen=True)
class StackOptions:
    """What to start."""

    stores: Sequence[str] = ("sqlite",)
    algorithms: Sequence[str] = ("RS384",)
    fhir: Sequence[tuple[str, float, float]] = (("fhir-20ms", 20.0, 10.0),)  # (label, delay, jitter)
    workers: int = 2
    fhir_concurrency: int = 24
    echo: bool = True
    floors: bool = True
    variants: Sequence[tuple[str, Sequence[str]]] = ()  # (name, bench/serve_variant.py args), SQLite only


def postgres_available() -> bool:
    """Return True when a throwaway PostgreSQL cluster can be started here."""
    return find_pg_bin() is not None


def _create_databases(url: str, names: Sequence[str]) -> dict[str, str]:
    """Create empty databases on a fresh cluster; return {name: SQLAlchemy URL}."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    base = url.rsplit("/", 1)[0]
    return {name: f"{base}/{name}" for name in names}


def write_service_config(
    path: Path,
    store_url: str,
    clients: Sequence[BenchClient],
    fhir: Sequence[FhirServer],
    options: StackOptions,
) -> Path:
    """Write the service's TOML configuration: auth on, the bench clients, the given store."""
    as_of = load_meta(FHIR_SCENARIO)["asOf"]
    servers = ", ".join(f'"{f.base}"' for f in fhir)
    blocks = "".join(
        f'\n[[auth.clients]]\nissuer = "{c.issuer}"\njwks_file = "{c.jwks_path}"\n'
        f"fhir_servers = [{servers}]\n"
        for c in clients
    )
    path.write_text(f"""\
[service]
public_base_url = "{AUDIENCE_BASE}"
data_dir = "{path.parent / "data"}"
as_of_date = "{as_of}"   # the scenarios' decision date, so the expected card comes back

[auth]
required = true
{blocks}
[fhir]
max_concurrency = {options.fhir_concurrency}

[store]
url = "{store_url}"
pseudonym_secret = "bench-pseudonym-secret-0123456789abcdef"
""")
    return path


def _service_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("IVIG_CDS_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }


@contextmanager
def running_stack(workdir: Path, clients: dict[str, BenchClient], options: StackOptions) -> Iterator[Stack]:
    """Start every server of `options`; stop them all after the block."""
    stack = Stack(workdir, clients)
    py = sys.executable
    with ExitStack() as exits:
        for label, delay, jitter in options.fhir:
            port = free_port()
            cmd = [py, str(BENCH / "fhir_server.py"), "--scenario", FHIR_SCENARIO, "--port", str(port)]
            cmd += ["--delay-ms", str(delay), "--jitter-ms", str(jitter)]
            base = f"http://{HOST}:{port}/fhir"
            exits.enter_context(started(cmd, workdir / f"fhir-{delay:g}ms.log", f"{base}/_stats"))
            stack.fhir.append(FhirServer(label, base, delay, jitter))
        store_urls = {}
        for store in options.stores:
            if store == "sqlite":
                store_urls[store] = {
                    n: f"sqlite:///{workdir / store / n}.sqlite3" for n in ("floor", "service")
                }
            else:
                store_urls[store] = _create_databases(
                    exits.enter_context(running_postgres()), ["floor", "service"]
                )
        if options.echo:
            stack.echo = _start_baseline(exits, workdir, "echo", ["--mode", "echo"], options.workers)
        for store in options.stores:
            (workdir / store).mkdir(exist_ok=True)
            if options.floors:
                for alg in options.algorithms:
                    config = _floor_config(
                        workdir / store / f"floor-{alg}.json", clients[alg], store_urls[store]["floor"]
                    )
                    name = f"floor-{alg}-{store}"
                    args = ["--mode", "floor", "--config", str(config)]
                    stack.floors[(alg, store)] = _start_baseline(exits, workdir, name, args, options.workers)
            chosen = [clients[a] for a in options.algorithms]
            config = write_service_config(
                workdir / store / "ivig-cds.toml", store_urls[store]["service"], chosen, stack.fhir, options
            )
            stack.services[store] = _start_service(
                exits, workdir, f"service-{store}", config, options.workers
            )
        for name, variant_args in options.variants:
            (workdir / name).mkdir()
            url = f"sqlite:///{workdir / name / 'service'}.sqlite3"
            chosen = [clients[a] for a in options.algorithms]
            config = write_service_config(workdir / name / "ivig-cds.toml", url, chosen, stack.fhir, options)
            cmd = [str(BENCH / "serve_variant.py"), "--config", str(config), *variant_args]
            stack.services[name] = _start_service(
                exits, workdir, f"service-{name}", config, options.workers, cmd
            )
        yield stack


def _floor_config(path: Path, client: BenchClient, store_url: str) -> Path:
    """Write a floor's JSON configuration."""
    import json

    path.write_text(
        json.dumps(
            {
                "issuer": client.issuer,
                "audience_base": AUDIENCE_BASE,
                "jwks_file": str(client.jwks_path),
                "alg": client.alg,
                "store_url": store_url,
            }
        )
    )
    return path


def _start_baseline(exits: ExitStack, workdir: Path, name: str, args: list[str], workers: int) -> App:
    """Start the echo app or a floor under the service's gunicorn settings."""
    port = free_port()
    cmd = [sys.executable, str(BENCH / "floor_app.py"), *args, "--host", HOST, "--port", str(port)]
    cmd += ["--workers", str(workers)]
    url = f"http://{HOST}:{port}"
    pid = exits.enter_context(
        started(cmd, workdir / f"{name}.log", f"{url}/cds-services/x", env=_service_env())
    )
    return App(name, url, pid)


def _start_service(
    exits: ExitStack, workdir: Path, name: str, config: Path, workers: int, variant: list[str] | None = None
) -> App:
    """Start `ivig-cds serve` with a configuration (or bench/serve_variant.py with its arguments)."""
    port = free_port()
    if variant is None:
        cmd = [sys.executable, "-m", "service.cli", "serve", "--config", str(config), "--host", HOST]
        cmd += ["--workers", str(workers)]
    else:
        cmd = [sys.executable, *variant, "--host", HOST]
        if "--workers" not in variant:
            cmd += ["--workers", str(workers)]
    cmd += ["--port", str(port)]
    url = f"http://{HOST}:{port}"
    pid = exits.enter_context(started(cmd, workdir / f"{name}.log", f"{url}/readyz", env=_service_env()))
    return App(name, url, pid)
