"""CPU per call, in-process and single-threaded: the bare app vs. the service (Flask test client).

`python bench/inprocess.py [--calls N]` prints milliseconds per call and the ratio for the no-card and
card scenarios: the part of the wrk numbers that belongs to the apps themselves, without HTTP or wrk.
Each service call carries its own freshly signed ES384 JWT, as in the wrk benchmark.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

import jwt
from cds_hooks.ivig.queries import build_prefetch
from flask import Flask, Response, jsonify, request
from service.app import create_app
from service.rules_loading import load_rules

from scenarios import BENCH_SCENARIOS, build_body

ROOT = Path(__file__).resolve().parents[1]
ISSUER = "https://demo-ehr.ivig-cds.org"
BASE = "http://127.0.0.1:8080"
PATH = "/cds-services/ivig-order-sign"


def bare_app() -> Flask:
    """Return the bare app: parse the JSON body, answer no cards."""
    app = Flask("bare")

    @app.post("/cds-services/<service_id>")
    def hook(service_id: str) -> Response:
        request.get_json()
        return jsonify({"cards": []})

    return app


def service_app() -> Flask:
    """Return the service with auth on, trusting the demo client."""
    return create_app(
        {
            "service": {"data_dir": tempfile.mkdtemp(), "public_base_url": BASE, "log_level": "WARNING"},
            "auth": {
                "clients": [
                    {"issuer": ISSUER, "jwks_file": str(ROOT / "fixtures/keys/demo-client.jwks.json")}
                ]
            },
            "store": {"pseudonym_secret": uuid.uuid4().hex},
        }
    )


def tokens(count: int) -> list[str]:
    """Return freshly signed tokens, one per call."""
    key = jwt.PyJWK.from_dict(json.loads((ROOT / "fixtures/keys/demo-client-es384.private.jwk").read_text()))
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": BASE + PATH, "iat": now, "exp": now + 600}
    return [
        jwt.encode(claims | {"jti": str(uuid.uuid4())}, key.key, "ES384", headers={"kid": key.key_id})
        for _ in range(count)
    ]


def per_call_ms(app: Flask, body: bytes, signed: list[str]) -> float:
    """Return the mean wall time per call in milliseconds."""
    client = app.test_client()
    started = time.perf_counter()
    for token in signed:
        response = client.post(
            PATH, data=body, content_type="application/json", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.status_code
    return (time.perf_counter() - started) / len(signed) * 1000


def main() -> None:
    """Print per-call milliseconds and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    templates = build_prefetch(load_rules(None))
    bare, service = bare_app(), service_app()
    for scenario in (s for s in BENCH_SCENARIOS if s.prefetch):
        body = json.dumps(build_body(scenario, templates, "http://127.0.0.1:9/fhir")).encode()
        bare_ms = per_call_ms(bare, body, tokens(args.calls))
        service_ms = per_call_ms(service, body, tokens(args.calls))
        ratio = bare_ms / service_ms
        print(f"{scenario.key:8} bare {bare_ms:.3f} ms  service {service_ms:.3f} ms  ratio {ratio:.2f}x")


if __name__ == "__main__":
    main()
