"""`ivig-cds demo`: a newcomer's first five minutes.

One command starts the service on embedded defaults with the demonstration data from a clone of the
repository (the scenario library in fixtures/scenarios, the test-only demo client in fixtures/keys),
calls the hooks over HTTP for a handful of scenarios as an EHR would (signed JWT, full prefetch built
from the scenario's record), prints each call and the card it got, and the commands to try next. The
service stays up until Ctrl-C (or exits at once with `--once`). Development and demonstration only:
the demo client's private key is published in the repository.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import jwt
import requests

from cds_hooks.chart import answer_queries
from service.cli.errors import CliError
from service.config import Config, build_config

DEMO_ISSUER = "https://demo-ehr.ivig-cds.org"
DEMO_PSEUDONYM_SECRET = "ivig-cds-demo-only-not-a-secret"  # noqa: S105 - demonstration data, published
SERVICE_OF_HOOK = {"order-sign": "ivig-order-sign", "order-select": "ivig-order-select"}
DEMO_SCENARIOS = (
    "definite-cb-median-forearm",
    "two-supportive-criteria-no-cb",
    "triad-all-met-no-cb",
    "onset-proximal-not-supported",
    "babinski-present-against-mmn",
    "no-ncs-cb-unknown",
    "ivig-responding",
    "cidp-indication-no-card",
)
JSON = dict[str, Any]


@dataclass(frozen=True)
class DemoData:
    """Where the demonstration data lives in a clone of the repository."""

    fixtures: Path

    @property
    def scenarios(self) -> Path:
        """Return the scenario library directory."""
        return self.fixtures / "scenarios"

    @property
    def jwks(self) -> Path:
        """Return the demo client's public JWK Set."""
        return self.fixtures / "keys" / "demo-client.jwks.json"

    @property
    def private_key(self) -> Path:
        """Return the demo client's private ES384 key."""
        return self.fixtures / "keys" / "demo-client-es384.private.jwk"


def add_demo_parser(commands: Any) -> None:
    """Add `ivig-cds demo`."""
    demo = commands.add_parser(
        "demo",
        help="start the service with the demonstration data and show a few real cards",
        description="Start the service on embedded defaults with the scenario library and the test-only demo "
        "client (run from the root of a clone of the repository), call the hooks for a few scenarios, print "
        "the cards, and keep serving until Ctrl-C. Development and demonstration only.",
    )
    demo.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    demo.add_argument(
        "--port", type=int, default=8080, help="port to bind (default 8080; 0 picks a free one)"
    )
    demo.add_argument(
        "--fixtures", metavar="DIR", default="fixtures", help="demonstration data (default ./fixtures)"
    )
    demo.add_argument(
        "--data-dir", metavar="DIR", default=".data/demo", help="store directory (default .data/demo)"
    )
    demo.add_argument(
        "--once", action="store_true", help="exit after printing the cards instead of serving on"
    )
    demo.add_argument(
        "--history",
        action="store_true",
        help="also seed weeks of synthetic calls and feedback (one injected malfunction) and write a report",
    )
    demo.set_defaults(handler=_demo)


def find_demo_data(fixtures: str) -> DemoData:
    """Return the demonstration data under `fixtures`, or raise CliError saying where it was looked for."""
    data = DemoData(Path(fixtures).resolve())
    library = data.fixtures / "library.py"
    missing = [p for p in (data.scenarios, library, data.jwks, data.private_key) if not p.exists()]
    if missing:
        raise CliError(
            f"demonstration data not found ({missing[0]} is missing): run `ivig-cds demo` from the root of a "
            "clone of the ivig-cds repository (fixtures/ is not part of the installed package), "
            "or pass --fixtures DIR"
        )
    return data


def demo_config(data: DemoData, base_url: str, data_dir: Path, as_of: str) -> Config:
    """Return the demo configuration: auth on, the demo client only, a fixed decision date, a local store."""
    return build_config(
        {
            "service": {
                "public_base_url": base_url,
                "data_dir": str(data_dir),
                "log_level": "ERROR",
                "as_of_date": as_of,
            },
            "auth": {"required": True, "clients": [{"issuer": DEMO_ISSUER, "jwks_file": str(data.jwks)}]},
            "store": {"pseudonym_secret": DEMO_PSEUDONYM_SECRET},
        }
    )


def _demo(args: argparse.Namespace) -> int:
    """Start the service, call it for the demonstration scenarios, print the cards and what to try next."""
    import logging

    from werkzeug.serving import make_server

    from service.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log lines between the cards
    data = find_demo_data(args.fixtures)
    scenarios = [
        _load_scenario(data.scenarios / name) for name in DEMO_SCENARIOS if (data.scenarios / name).is_dir()
    ]
    if not scenarios:
        raise CliError(f"no demonstration scenario found under {data.scenarios}")
    port = args.port or _free_port(args.host)
    base_url = f"http://{args.host}:{port}"
    data_dir = Path(args.data_dir).resolve()
    app = create_app(demo_config(data, base_url, data_dir, scenarios[0]["meta"]["asOf"]))
    try:
        server = make_server(args.host, port, app, threaded=True)
    except OSError as exc:
        raise CliError(
            f"cannot listen on {args.host}:{port} ({exc.strerror}); try --port 0 for a free port"
        ) from None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        failures = _run_calls(base_url, data, scenarios, data_dir / "requests")
        if args.history:
            _print_history(app, data_dir)
        _print_next_steps(base_url, data, scenarios, data_dir / "requests", once=args.once)
        if not args.once:
            _serve_until_interrupted()
    finally:
        server.shutdown()
    return 1 if failures else 0


def _print_history(app: Any, data_dir: Path) -> None:
    """Seed the synthetic history and write the sample report (governance: `ivig-cds report`)."""
    from service.cli.demo_history import save_demo_history
    from service.runtime import runtime

    with app.app_context():
        rt = runtime()
        rt.audit.flush()
        report = save_demo_history(rt.store, data_dir, rt.rules_version)
    print(f"\nSample governance report (weeks of synthetic history, one injected malfunction): {report}")


def _run_calls(base_url: str, data: DemoData, scenarios: list[JSON], request_dir: Path) -> int:
    """Call the hooks for each scenario and print the call and the cards; return the number of failures."""
    key = jwt.PyJWK.from_dict(json.loads(data.private_key.read_text(encoding="utf-8")))
    discovery = _call(base_url, "/cds-services", key, None)
    templates = {s["id"]: s.get("prefetch", {}) for s in discovery.json()["services"]}
    print(
        f"ivig-cds demo: serving on {base_url} (demo client {DEMO_ISSUER}; decisions dated "
        f"{scenarios[0]['meta']['asOf']}, the scenario library's date)\n"
    )
    request_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    for scenario in scenarios:
        service_id = SERVICE_OF_HOOK[scenario["meta"]["hook"]]
        body = build_hook_request(scenario, templates[service_id])
        (request_dir / f"{scenario['name']}.json").write_text(json.dumps(body, indent=2), encoding="utf-8")
        response = _call(base_url, f"/cds-services/{service_id}", key, body)
        request_file = _shown(request_dir / f"{scenario['name']}.json")
        print(f"POST {base_url}/cds-services/{service_id}  (signed JWT; body: {request_file})")
        print(f"     scenario {scenario['name']}")
        print(f"     {scenario['meta']['description'][:150]}")
        failures += _print_answer(response, scenario["meta"]["expected"]["outcome"])
    return failures


def _print_answer(response: requests.Response, expected: str | None) -> int:
    """Print the status and the cards of one answer; return 1 when the call failed or surprised."""
    if response.status_code != 200:
        print(f"  -> {response.status_code}: {response.text[:300]}\n")
        return 1
    cards = response.json()["cards"]
    if not cards:
        print("  -> 200, no card (the order is out of scope)\n")
        return 0 if expected is None else 1
    for card in cards:
        topic = (card["source"].get("topic") or {}).get("code", "-")
        print(f"  -> 200 [{card['indicator']}] {topic}: {card['summary']}")
    print()
    return 0 if (cards[0]["source"].get("topic") or {}).get("code") == expected else 1


def build_hook_request(scenario: JSON, templates: dict[str, str]) -> JSON:
    """Return the scenario's hook request with a full prefetch built from its record, as an EHR sends it."""
    resources = [e["resource"] for e in scenario["record"]["entry"]]
    patient_id = next(r["id"] for r in resources if r["resourceType"] == "Patient")
    context: JSON = {
        "userId": "Practitioner/demo",
        "patientId": patient_id,
        "draftOrders": scenario["drafts"],
    }
    if scenario["meta"]["hook"] == "order-select":
        context["selections"] = list(scenario["meta"]["selections"])
    prefetch = answer_queries(resources, templates, patient_id)
    return {
        "hook": scenario["meta"]["hook"],
        "hookInstance": str(uuid.uuid4()),
        "context": context,
        "prefetch": prefetch,
    }


def _call(base_url: str, path: str, key: jwt.PyJWK, body: JSON | None) -> requests.Response:
    """Return the answer to one call signed as the demo client (aud = the URL called, fresh jti)."""
    url = base_url + path
    now = int(time.time())
    claims = {"iss": DEMO_ISSUER, "aud": url, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    token = jwt.encode(
        claims, key.key, algorithm=key.algorithm_name, headers={"kid": key.key_id, "typ": "JWT"}
    )
    headers = {"Authorization": f"Bearer {token}"}
    with requests.Session() as session:
        session.trust_env = False
        if body is None:
            return session.get(url, headers=headers, timeout=30)
        return session.post(url, json=body, headers=headers, timeout=30)


def _print_next_steps(
    base_url: str, data: DemoData, scenarios: list[JSON], request_dir: Path, *, once: bool
) -> None:
    """Print the commands to try next, with paths relative to the working directory where possible."""
    first = next(s for s in scenarios if s["meta"]["expected"]["outcome"])
    service_id = SERVICE_OF_HOOK[first["meta"]["hook"]]
    record = _shown(data.scenarios / first["name"] / "record.json")
    request = _shown(request_dir / f"{first['name']}.json")
    print("Try next:")
    print(f"  ivig-cds evaluate {record} --as-of {first['meta']['asOf']}      # the same assessment, offline")
    print(f"  TOKEN=$(ivig-cds token sign --key {_shown(data.private_key)} \\")
    print(f"      --iss {DEMO_ISSUER} --aud {base_url}/cds-services/{service_id})")
    print(f'  curl -s -X POST {base_url}/cds-services/{service_id} -H "Authorization: Bearer $TOKEN" \\')
    print(f"      -H 'Content-Type: application/json' -d @{request}")
    count = len([d for d in data.scenarios.iterdir() if d.is_dir()])
    print(f"  ls {_shown(data.scenarios)}     # {count} scenarios; fixtures/README.md says what each shows")
    if once:
        print("\n(--once: the service has stopped; run `ivig-cds demo` to keep it running)")
    else:
        print(f"\nThe service keeps running on {base_url}; Ctrl-C stops it.")
    sys.stdout.flush()


def _shown(path: Path) -> str:
    """Return `path` relative to the working directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _load_scenario(directory: Path) -> JSON:
    """Return one scenario of the library (name, record, draft orders, description), read by its owner."""
    scenario = _scenario_library(directory.parent.parent).load_scenario(directory)
    return {
        "name": scenario.name,
        "record": scenario.record,
        "drafts": scenario.draft_orders,
        "meta": scenario.meta,
    }


def _scenario_library(fixtures: Path) -> ModuleType:
    """Return the clone's scenario library reader, fixtures/library.py (stdlib only; not installed)."""
    name = "ivig_cds_demo_fixture_library"
    spec = importlib.util.spec_from_file_location(name, fixtures / "library.py")
    if spec is None or spec.loader is None:
        raise CliError(f"cannot load the scenario library reader {fixtures / 'library.py'}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


def _free_port(host: str) -> int:
    """Return a TCP port free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _serve_until_interrupted() -> None:
    """Block until Ctrl-C."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nivig-cds demo: stopped", file=sys.stderr)
