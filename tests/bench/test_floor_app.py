"""The benchmark's conforming floor does the security work it claims: it accepts and refuses tokens as the
service does (bad signature, replayed jti, wrong audience or issuer, missing claims, expired, wrong alg).

A correctness test of bench/floor_app.py, not a timing one: a floor that skipped a check would make the
benchmark's ratios flattering.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask

from fixtures.library import load_named
from service.app import create_app

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from floor_app import FloorConfig, create_floor_app  # noqa: E402

ISSUER = "https://floor-test-ehr.invalid"
BASE = "https://ivig-cds.floor-test.invalid"
PATH = "/cds-services/ivig-order-sign"
KEYS = ROOT / "fixtures" / "keys"
PRIVATE = {"RS384": "demo-client-rs384.private.jwk", "ES384": "demo-client-es384.private.jwk"}

Claims = dict[str, Any]


def _private(alg: str) -> jwt.PyJWK:
    return jwt.PyJWK.from_dict(json.loads((KEYS / PRIVATE[alg]).read_text()))


def _claims() -> Claims:
    now = int(time.time())
    return {"iss": ISSUER, "aud": BASE + PATH, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}


def _sign(alg: str, claims: Claims, key: Any = None) -> str:
    own = _private(alg)
    return jwt.encode(claims, key if key is not None else own.key, alg, headers={"kid": own.key_id})


def _other_key(alg: str) -> Any:
    return (
        rsa.generate_private_key(65537, 2048) if alg == "RS384" else ec.generate_private_key(ec.SECP384R1())
    )


def _without(name: str) -> Callable[[Claims], Claims]:
    return lambda c: {k: v for k, v in c.items() if k != name}


# (case, alg -> token). Each token is refused by the service; the floor must refuse it too.
BAD_TOKENS: list[tuple[str, Callable[[str], str]]] = [
    ("bad signature", lambda alg: _sign(alg, _claims(), _other_key(alg))),
    ("wrong audience", lambda alg: _sign(alg, _claims() | {"aud": "https://elsewhere.invalid" + PATH})),
    ("wrong issuer", lambda alg: _sign(alg, _claims() | {"iss": "https://stranger.invalid"})),
    ("expired", lambda alg: _sign(alg, _claims() | {"exp": int(time.time()) - 3600})),
    ("issued in the future", lambda alg: _sign(alg, _claims() | {"iat": int(time.time()) + 3600})),
    ("no jti", lambda alg: _sign(alg, _without("jti")(_claims()))),
    ("no iat", lambda alg: _sign(alg, _without("iat")(_claims()))),
    ("no exp", lambda alg: _sign(alg, _without("exp")(_claims()))),
    ("no aud", lambda alg: _sign(alg, _without("aud")(_claims()))),
    ("HMAC with the public key", lambda alg: jwt.encode(_claims(), "x" * 64, "HS384")),
    ("unsigned", lambda alg: jwt.encode(_claims(), None, "none")),
    ("not a JWT", lambda alg: "not-a-jwt"),
]


@pytest.fixture(params=["RS384", "ES384"])
def alg(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def floor(alg: str, store_url: str, tmp_path: Path) -> Iterator[Flask]:
    keys = json.loads((KEYS / "demo-client.jwks.json").read_text())["keys"]
    jwks = tmp_path / "floor.jwks.json"
    jwks.write_text(json.dumps({"keys": [k for k in keys if k["alg"] == alg]}))
    app = create_floor_app(FloorConfig(ISSUER, BASE, str(jwks), alg, store_url))
    yield app
    app.extensions["bench_floor_store"].close()


@pytest.fixture
def service(tmp_path: Path) -> Flask:
    return create_app(
        {
            "service": {
                "data_dir": str(tmp_path / "service"),
                "public_base_url": BASE,
                "log_level": "WARNING",
            },
            "auth": {"clients": [{"issuer": ISSUER, "jwks_file": str(KEYS / "demo-client.jwks.json")}]},
            "store": {"pseudonym_secret": uuid.uuid4().hex},
        }
    )


@pytest.fixture(scope="module")
def body() -> bytes:
    return json.dumps(load_named("non-ivig-order-no-card").hook_request()).encode()


def _call(app: Flask, body: bytes, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response = app.test_client().post(PATH, data=body, content_type="application/json", headers=headers)
    return response.status_code


def test_a_fresh_token_is_accepted_once_then_refused_as_a_replay(
    floor: Flask, service: Flask, body: bytes, alg: str
) -> None:
    token = _sign(alg, _claims())
    assert [_call(floor, body, token), _call(floor, body, token)] == [200, 401]
    assert [_call(service, body, token), _call(service, body, token)] == [200, 401]


def test_the_floor_answers_no_cards(floor: Flask, body: bytes, alg: str) -> None:
    response = floor.test_client().post(
        PATH,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {_sign(alg, _claims())}"},
    )
    assert response.get_json() == {"cards": []}


@pytest.mark.parametrize(("case", "make"), BAD_TOKENS, ids=[c for c, _ in BAD_TOKENS])
def test_a_token_the_service_refuses_the_floor_refuses(
    floor: Flask, service: Flask, body: bytes, alg: str, case: str, make: Callable[[str], str]
) -> None:
    token = make(alg)
    assert _call(service, body, token) == 401, case
    assert _call(floor, body, token) == 401, case


def test_no_token_is_refused(floor: Flask, service: Flask, body: bytes) -> None:
    assert _call(service, body, None) == 401
    assert _call(floor, body, None) == 401


def test_the_floor_parses_the_body(floor: Flask, alg: str) -> None:
    assert _call(floor, b"{not json", _sign(alg, _claims())) == 400


@pytest.mark.e2e
def test_the_echo_baseline_boots_under_the_service_gunicorn_settings(tmp_path: Path, body: bytes) -> None:
    # The baselines run with the service's own gunicorn settings; a service-only worker hook (one that
    # expects the service's runtime) once made every baseline worker exit at boot, so nothing was measured.
    import urllib.request

    from procs import HOST, free_port, started

    port = free_port()
    cmd = [sys.executable, str(ROOT / "bench" / "floor_app.py"), "--mode", "echo", "--host", HOST]
    url = f"http://{HOST}:{port}"
    with started([*cmd, "--port", str(port), "--workers", "1"], tmp_path / "echo.log", f"{url}{PATH}"):
        request = urllib.request.Request(
            url + PATH, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            assert json.loads(response.read()) == {"cards": []}
