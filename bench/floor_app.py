"""The benchmark's baselines: the conforming floor, and a bare echo kept for reference.

The **floor** does the work the protocol and the security model require of any CDS Hooks service, and
nothing else: it parses the body with the service's JSON library (orjson), verifies the client's JWT
(one algorithm, RS384 or ES384; the key parsed once at start; `iss`, `aud`, `exp`, `iat` and `jti`
required and checked), records the `jti` in the service's own replay cache (`service.store.Store`,
same table, same code path, SQLite or PostgreSQL) and answers no cards. A bad token or a replayed
`jti` gets a 401, as from the service. The **echo** app only parses the body.

Both run under the service's own gunicorn settings (`service.server.gunicorn_options`):

    python bench/floor_app.py --mode floor --config floor.json --host 127.0.0.1 --port 8099

`floor.json`: {"issuer", "audience_base", "jwks_file", "alg", "store_url", "leeway_seconds"}.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import orjson
from flask import Flask, Response, request
from service.store import Store

REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]
NO_CARDS = b'{"cards":[]}'


@dataclass(frozen=True)
class FloorConfig:
    """Who the floor trusts and where it keeps the replay cache."""

    issuer: str
    audience_base: str
    jwks_file: str
    alg: str
    store_url: str
    leeway_seconds: int = 60  # the service's default auth.leeway_seconds

    @classmethod
    def load(cls, path: Path) -> FloorConfig:
        """Return the configuration in a JSON file."""
        return cls(**json.loads(path.read_text()))


def load_key(jwks_file: str, alg: str) -> jwt.PyJWK:
    """Return the first key of a JWK Set file, bound to `alg` (parsed once, at start)."""
    jwk = json.loads(Path(jwks_file).read_text())["keys"][0]
    return jwt.PyJWK.from_dict(jwk, algorithm=alg)


def _json(status: int, body: bytes) -> Response:
    return Response(body, status=status, content_type="application/json")


def create_floor_app(config: FloorConfig) -> Flask:
    """Return the floor app: parse, verify the JWT, record its jti, answer no cards."""
    app = Flask("bench_floor")
    key = load_key(config.jwks_file, config.alg)
    store = Store(config.store_url)
    store.create_schema()
    app.extensions["bench_floor_store"] = store  # closed by whoever ends the app (tests)

    @app.post("/cds-services/<service_id>")
    def call_service(service_id: str) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        try:
            claims = jwt.decode(
                token if scheme.lower() == "bearer" else "",
                key=key,
                algorithms=[config.alg],
                audience=config.audience_base + request.path,
                issuer=config.issuer,
                leeway=config.leeway_seconds,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError:
            return _json(401, b'{"error":"unauthorized"}')
        try:
            orjson.loads(request.get_data())
        except orjson.JSONDecodeError:
            return _json(400, b'{"error":"invalid JSON"}')
        expires = datetime.fromtimestamp(float(claims["exp"]) + config.leeway_seconds, UTC)
        if not store.save_jti_once(config.issuer, str(claims["jti"]), expires):
            return _json(401, b'{"error":"unauthorized"}')
        return _json(200, NO_CARDS)

    return app


def create_echo_app() -> Flask:
    """Return the echo app: parse the body, answer no cards (no security at all)."""
    app = Flask("bench_echo")

    @app.post("/cds-services/<service_id>")
    def call_service(service_id: str) -> Response:
        orjson.loads(request.get_data())
        return _json(200, NO_CARDS)

    return app


def serve(app_factory: Any, host: str, port: int, workers: int) -> None:
    """Run an app under gunicorn with the service's settings, less its own hooks.

    These apps have no metrics (no `child_exit`) and no key sets to warm; each worker still freezes
    what start-up built out of the collector's reach, as the service's workers do (`post_worker_init`).
    """
    from gunicorn.app.base import BaseApplication
    from service.server import freeze_startup_objects, gunicorn_options

    options = gunicorn_options(host, port, workers, timeout=4.0)
    options.pop("child_exit")
    options["post_worker_init"] = freeze_startup_objects

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self) -> Flask:
            return app_factory()

    _Server().run()


def main() -> int:
    """Serve the floor or the echo app."""
    parser = argparse.ArgumentParser(description="the benchmark's baselines under gunicorn")
    parser.add_argument("--mode", choices=["floor", "echo"], required=True)
    parser.add_argument("--config", type=Path, help="floor configuration (JSON)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.mode == "floor":
        if args.config is None:
            parser.error("--mode floor needs --config")
        config = FloorConfig.load(args.config)
        factory = lambda: create_floor_app(config)  # noqa: E731
    else:
        factory = create_echo_app
    serve(factory, args.host, args.port, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
