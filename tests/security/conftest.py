"""Fixtures for the attack tests: the demo client's keys, a token factory, and apps with auth required."""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient

from service.app import create_app
from service.logs import JsonFormatter
from tests.service.conftest import ChartCountingService, base_config

KEYS = Path(__file__).resolve().parents[2] / "fixtures" / "keys"
JWKS_FILE = KEYS / "demo-client.jwks.json"
ISSUER = "https://demo-ehr.ivig-cds.org"
PUBLIC_BASE = "https://cds.ivig-cds.test"
FHIR_BASE = "https://fhir.demo-ehr.test/r4"
PSEUDONYM_SECRET = "test-pseudonym-secret-0123456789abcdef"

TokenFactory = Callable[..., str]


def private_jwk(name: str) -> jwt.PyJWK:
    """Return the demo client's private key `es384` or `rs384`."""
    return jwt.PyJWK.from_dict(json.loads((KEYS / f"demo-client-{name}.private.jwk").read_text()))


def services() -> list[ChartCountingService]:
    """Return the test services (never the product's clinical services)."""
    return [ChartCountingService(), ChartCountingService("test-order-select", "order-select")]


def demo_client(**overrides: Any) -> dict[str, Any]:
    """Return the [[auth.clients]] entry of the demo client."""
    client: dict[str, Any] = {"issuer": ISSUER, "jwks_file": str(JWKS_FILE), "fhir_servers": [FHIR_BASE]}
    client.update(overrides)
    return client


def secure_config(tmp_path: Path, *clients: dict[str, Any], **sections: dict[str, Any]) -> dict[str, Any]:
    """Return a configuration with client authentication required."""
    config = base_config(
        tmp_path,
        service={"public_base_url": PUBLIC_BASE},
        auth={"required": True, "clients": list(clients) or [demo_client()]},
        store={"pseudonym_secret": PSEUDONYM_SECRET},
        cors={"allowed_origins": ["https://sandbox.cds-hooks.org"]},
    )
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    return config


def claims_for(aud: str | list[str], **overrides: Any) -> dict[str, Any]:
    """Return valid claims for `aud`, with overrides (a value of None removes the claim)."""
    now = int(time.time())
    claims: dict[str, Any] = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 300}
    claims["jti"] = str(uuid.uuid4())
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def sign(claims: dict[str, Any], key: Any = "es384", **headers: Any) -> str:
    """Return a JWT over `claims` signed with a demo key name or any key object, kid from the demo key."""
    if isinstance(key, str):
        jwk = private_jwk(key)
        headers = {"kid": jwk.key_id, "typ": "JWT", **headers}
        return jwt.encode(claims, jwk.key, algorithm=jwk.algorithm_name, headers=headers)
    alg = headers.pop("alg", "ES384")
    return jwt.encode(claims, key, algorithm=alg, headers={"typ": "JWT", **headers})


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header for `token`."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def attacker_key() -> ec.EllipticCurvePrivateKey:
    """Return a P-384 key that no client trusts."""
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture
def secure_app(tmp_path: Path) -> Iterator[Flask]:
    yield create_app(secure_config(tmp_path), services=services())


@pytest.fixture
def secure_client(secure_app: Flask) -> FlaskClient:
    return secure_app.test_client()


@pytest.fixture
def token_for() -> TokenFactory:
    """Return a factory of valid ES384 tokens for a path of the public base URL."""

    def make(path: str = "/cds-services", key: str = "es384", **overrides: Any) -> str:
        return sign(claims_for(PUBLIC_BASE + path, **overrides), key)

    return make


class LineCapture(logging.Handler):
    """Keep every record as the JSON line the service would write."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def records(self) -> list[dict[str, Any]]:
        """Return the captured lines parsed."""
        return [json.loads(line) for line in self.lines]


@contextlib.contextmanager
def captured_logs() -> Iterator[LineCapture]:
    """Capture the service's log lines (attach after create_app, which resets the handlers)."""
    capture = LineCapture()
    logger = logging.getLogger("ivig_cds")
    logger.addHandler(capture)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        logger.removeHandler(capture)
        logger.setLevel(previous)


@pytest.fixture
def service_log(secure_app: Flask) -> Iterator[LineCapture]:
    with captured_logs() as capture:
        yield capture
