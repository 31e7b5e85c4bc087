"""The JWT battery (CDS Hooks 2.0 "Trusting CDS Clients"): every attack a bare 401, valid clients served."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer

from service.app import create_app
from tests.security.conftest import (
    ISSUER,
    JWKS_FILE,
    PUBLIC_BASE,
    LineCapture,
    TokenFactory,
    bearer,
    claims_for,
    demo_client,
    private_jwk,
    secure_config,
    services,
    sign,
)
from tests.service.conftest import sign_request

DISCOVERY = "/cds-services"
SERVICE = "/cds-services/test-order-sign"
FEEDBACK = "/cds-services/test-order-sign/feedback"
DISCOVERY_AUD = PUBLIC_BASE + DISCOVERY
DEV_HTTP = {"allow_http_loopback_jwks": True}  # pytest-httpserver speaks plain http on loopback


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """Return a compact JWS assembled by hand (what an attacker does when libraries refuse)."""
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{b64(signature)}"


def hmac_token(secret: bytes, kid: str) -> str:
    """Return an HS384 token whose HMAC secret is `secret` (the key-confusion attack)."""
    header = {"alg": "HS384", "typ": "JWT", "kid": kid}
    signing_input = (
        f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims_for(DISCOVERY_AUD)).encode())}"
    )
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha384).digest()
    return f"{signing_input}.{b64(mac)}"


def public_pem(name: str) -> bytes:
    return (
        private_jwk(name)
        .key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def public_jwk_text(kid: str) -> bytes:
    keys = json.loads(JWKS_FILE.read_text())["keys"]
    return json.dumps(next(k for k in keys if k["kid"] == kid)).encode()


def assert_bare_401(response: Any) -> None:
    """A refused call: 401, the generic body only, no reason, no error detail in WWW-Authenticate."""
    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate") == "Bearer"
    issue = response.json["issue"]
    assert len(issue) == 1
    assert issue[0]["details"]["text"] == "authentication required"
    assert issue[0]["details"]["coding"][0]["code"] == "unauthorized"
    assert "expression" not in issue[0]


def attacks(attacker_key: ec.EllipticCurvePrivateKey) -> dict[str, dict[str, str]]:
    """Return {name: headers} for every token attack on discovery."""
    now = int(time.time())
    attacker_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "missing header": {},
        "basic scheme": {"Authorization": "Basic ZGVtbzpkZW1v"},
        "empty bearer": {"Authorization": "Bearer "},
        "garbage": bearer("not-a-jwt"),
        "garbage segments": bearer("a.b.c"),
        "alg none": bearer(hand_made({"alg": "none", "kid": "demo-es384"}, claims_for(DISCOVERY_AUD))),
        "alg none via pyjwt": bearer(
            jwt.encode(claims_for(DISCOVERY_AUD), None, algorithm="none", headers={"kid": "demo-es384"})
        ),
        "HS384 with the EC public key PEM": bearer(hmac_token(public_pem("es384"), "demo-es384")),
        "HS384 with the RSA public key PEM": bearer(hmac_token(public_pem("rs384"), "demo-rs384")),
        "HS384 with the public JWK text": bearer(hmac_token(public_jwk_text("demo-es384"), "demo-es384")),
        "ES256 (not allowed)": bearer(
            sign(
                claims_for(DISCOVERY_AUD),
                ec.generate_private_key(ec.SECP256R1()),
                alg="ES256",
                kid="demo-es384",
            )
        ),
        "RS256 with the real RSA key": bearer(
            jwt.encode(
                claims_for(DISCOVERY_AUD),
                private_jwk("rs384").key,
                algorithm="RS256",
                headers={"kid": "demo-rs384"},
            )
        ),
        "RS384 header on the EC kid": bearer(
            sign(claims_for(DISCOVERY_AUD), attacker_rsa, alg="RS384", kid="demo-es384")
        ),
        "wrong aud (other endpoint)": bearer(sign(claims_for(PUBLIC_BASE + SERVICE))),
        "wrong aud (other host)": bearer(sign(claims_for("https://evil.test/cds-services"))),
        "wrong aud (prefix)": bearer(sign(claims_for(PUBLIC_BASE))),
        "aud list without us": bearer(sign(claims_for(["https://a.test/cds-services", PUBLIC_BASE]))),
        "aud missing": bearer(sign({k: v for k, v in claims_for(DISCOVERY_AUD).items() if k != "aud"})),
        "expired": bearer(sign(claims_for(DISCOVERY_AUD, iat=now - 3600, exp=now - 3000))),
        "issued in the future": bearer(sign(claims_for(DISCOVERY_AUD, iat=now + 600, exp=now + 900))),
        "lifetime too long": bearer(sign(claims_for(DISCOVERY_AUD, exp=now + 10 * 365 * 86400))),
        "exp missing": bearer(sign(claims_for(DISCOVERY_AUD, exp=None))),
        "iat missing": bearer(sign(claims_for(DISCOVERY_AUD, iat=None))),
        "jti missing": bearer(sign(claims_for(DISCOVERY_AUD, jti=None))),
        "jti not a string": bearer(sign(claims_for(DISCOVERY_AUD, jti=12345))),
        "jti too long": bearer(sign(claims_for(DISCOVERY_AUD, jti="x" * 300))),
        "unknown issuer": bearer(sign(claims_for(DISCOVERY_AUD, iss="https://evil-ehr.test"))),
        "issuer missing": bearer(sign(claims_for(DISCOVERY_AUD, iss=None))),
        "unknown kid": bearer(sign(claims_for(DISCOVERY_AUD), attacker_key, kid="attacker-1")),
        "kid missing": bearer(sign(claims_for(DISCOVERY_AUD), attacker_key)),
        "forged under a known kid": bearer(sign(claims_for(DISCOVERY_AUD), attacker_key, kid="demo-es384")),
        "attacker key embedded as jwk header": bearer(
            sign(claims_for(DISCOVERY_AUD), attacker_key, kid="demo-es384", jwk=_public_jwk(attacker_key))
        ),
        "signature stripped": bearer(sign(claims_for(DISCOVERY_AUD)).rsplit(".", 1)[0] + "."),
        "claims swapped after signing": bearer(_swap_claims(sign(claims_for(DISCOVERY_AUD, iss=ISSUER)))),
    }


def _public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    return {**json.loads(jwt.get_algorithm_by_name("ES384").to_jwk(key.public_key())), "kid": "demo-es384"}


def _swap_claims(token: str) -> str:
    header, _claims, signature = token.split(".")
    forged = claims_for(DISCOVERY_AUD, exp=int(time.time()) + 3000)
    return f"{header}.{b64(json.dumps(forged).encode())}.{signature}"


ATTACK_NAMES = list(attacks(ec.generate_private_key(ec.SECP384R1())))


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_attack_is_a_bare_401_with_its_reason_logged_and_no_token(
    name: str, secure_client: FlaskClient, service_log: LineCapture, attacker_key: ec.EllipticCurvePrivateKey
) -> None:
    headers = attacks(attacker_key)[name]
    response = secure_client.get(DISCOVERY, headers=headers)
    assert_bare_401(response)
    failures = [r for r in service_log.records() if r.get("event") == "auth-failed"]
    assert len(failures) == 1 and failures[0]["reason"]
    token = headers.get("Authorization", "").partition(" ")[2]
    for line in service_log.lines:
        for part in (p for p in token.split(".") if len(p) > 8):
            assert part not in line


def test_every_refusal_has_the_same_body(secure_client: FlaskClient, attacker_key: Any) -> None:
    bodies = {secure_client.get(DISCOVERY, headers=h).get_data() for h in attacks(attacker_key).values()}
    assert len(bodies) == 1


@pytest.mark.parametrize("key", ["es384", "rs384"])
def test_valid_tokens_are_served_on_every_endpoint(
    secure_client: FlaskClient, token_for: TokenFactory, key: str
) -> None:
    assert secure_client.get(DISCOVERY, headers=bearer(token_for(DISCOVERY, key))).status_code == 200
    response = secure_client.post(SERVICE, json=sign_request(), headers=bearer(token_for(SERVICE, key)))
    # Authenticated, so the pipeline ran to the data: no prefetch and no fhirServer is 412, never a 401.
    assert response.status_code == 412, response.json
    assert response.json["resourceType"] == "OperationOutcome"
    feedback = {
        "feedback": [{"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-01-01T00:00:00Z"}]
    }
    assert (
        secure_client.post(FEEDBACK, json=feedback, headers=bearer(token_for(FEEDBACK, key))).status_code
        == 200
    )


@pytest.mark.parametrize("path", [SERVICE, FEEDBACK])
def test_service_and_feedback_refuse_before_reading_the_body(secure_client: FlaskClient, path: str) -> None:
    response = secure_client.post(path, data=b"{not json", content_type="application/json")
    assert_bare_401(response)
    response = secure_client.post(path, data=b"x", content_type="text/plain", headers=bearer("garbage"))
    assert_bare_401(response)


def test_aud_as_a_list_containing_the_endpoint(secure_client: FlaskClient) -> None:
    token = sign(claims_for(["https://other.test/cds-services", DISCOVERY_AUD]))
    assert secure_client.get(DISCOVERY, headers=bearer(token)).status_code == 200


def test_aud_comes_from_public_base_url_not_the_host_header(secure_client: FlaskClient) -> None:
    token = sign(claims_for("http://evil.test/cds-services"))
    response = secure_client.get(DISCOVERY, headers={**bearer(token), "Host": "evil.test"})
    assert_bare_401(response)
    token = sign(claims_for(DISCOVERY_AUD))
    assert secure_client.get(DISCOVERY, headers={**bearer(token), "Host": "evil.test"}).status_code == 200


def test_sandbox_clock_skew_iat_a_little_ahead_is_accepted(secure_client: FlaskClient) -> None:
    now = int(time.time())
    token = sign(claims_for(DISCOVERY_AUD, iat=now + 5, exp=now + 305))
    assert secure_client.get(DISCOVERY, headers=bearer(token)).status_code == 200


def test_unknown_claims_sub_and_tenant_are_tolerated(secure_client: FlaskClient) -> None:
    token = sign(claims_for(DISCOVERY_AUD, sub="someone", tenant="anything", extra={"x": 1}))
    assert secure_client.get(DISCOVERY, headers=bearer(token)).status_code == 200


def test_replayed_jti_is_refused(secure_client: FlaskClient) -> None:
    token = sign(claims_for(DISCOVERY_AUD))
    assert secure_client.get(DISCOVERY, headers=bearer(token)).status_code == 200
    assert_bare_401(secure_client.get(DISCOVERY, headers=bearer(token)))


def test_same_jti_in_a_fresh_token_is_refused(secure_client: FlaskClient) -> None:
    first = sign(claims_for(DISCOVERY_AUD, jti="fixed-jti"))
    second = sign(claims_for(DISCOVERY_AUD, jti="fixed-jti", exp=int(time.time()) + 200), "rs384")
    assert secure_client.get(DISCOVERY, headers=bearer(first)).status_code == 200
    assert_bare_401(secure_client.get(DISCOVERY, headers=bearer(second)))


def test_token_just_expired_within_leeway_cannot_be_replayed(secure_client: FlaskClient) -> None:
    """Accepted within the clock-skew leeway once; its replay record must outlive the leeway."""
    now = int(time.time())
    token = sign(claims_for(DISCOVERY_AUD, iat=now - 300, exp=now - 10))
    assert secure_client.get(DISCOVERY, headers=bearer(token)).status_code == 200
    assert_bare_401(secure_client.get(DISCOVERY, headers=bearer(token)))


def test_tenant_is_checked_when_the_client_has_one(tmp_path: Path) -> None:
    client = create_app(
        secure_config(tmp_path, demo_client(tenant="hospital-a")), services=services()
    ).test_client()
    assert_bare_401(client.get(DISCOVERY, headers=bearer(sign(claims_for(DISCOVERY_AUD)))))
    wrong = sign(claims_for(DISCOVERY_AUD, tenant="hospital-b"))
    assert_bare_401(client.get(DISCOVERY, headers=bearer(wrong)))
    right = sign(claims_for(DISCOVERY_AUD, tenant="hospital-a"))
    assert client.get(DISCOVERY, headers=bearer(right)).status_code == 200


def test_attacker_jku_is_never_fetched(
    tmp_path: Path, httpserver: HTTPServer, attacker_key: ec.EllipticCurvePrivateKey
) -> None:
    """The attacker hosts a JWK Set with its own key and points `jku` at it: refused, host never contacted."""
    attacker_jwk = json.loads(jwt.get_algorithm_by_name("ES384").to_jwk(attacker_key.public_key()))
    httpserver.expect_request("/jwks.json").respond_with_json({"keys": [{**attacker_jwk, "kid": "evil"}]})
    jku = httpserver.url_for("/jwks.json")
    client = create_app(secure_config(tmp_path), services=services()).test_client()
    for kid in ("evil", "demo-es384"):
        token = sign(claims_for(DISCOVERY_AUD), attacker_key, kid=kid, jku=jku)
        assert_bare_401(client.get(DISCOVERY, headers=bearer(token)))
    # A real client's token carrying the attacker's jku is refused too: jku is never a hint to ignore.
    assert_bare_401(client.get(DISCOVERY, headers=bearer(sign(claims_for(DISCOVERY_AUD), jku=jku))))
    assert httpserver.log == []


def test_allow_listed_jku_is_fetched_and_honoured(tmp_path: Path, httpserver: HTTPServer) -> None:
    """The control for the test above: the same set behind an allow-listed jku does verify."""
    httpserver.expect_request("/ehr/jwks.json").respond_with_data(
        JWKS_FILE.read_text(), content_type="application/json"
    )
    jku = httpserver.url_for("/ehr/jwks.json")
    config = secure_config(tmp_path, demo_client(jku_allowlist=[jku]), auth=DEV_HTTP)
    client = create_app(config, services=services()).test_client()
    assert client.get(DISCOVERY, headers=bearer(sign(claims_for(DISCOVERY_AUD), jku=jku))).status_code == 200
    assert len(httpserver.log) == 1


def test_jwks_url_unknown_kid_refresh_is_rate_limited(
    tmp_path: Path, httpserver: HTTPServer, attacker_key: Any
) -> None:
    httpserver.expect_request("/jwks.json").respond_with_data(
        JWKS_FILE.read_text(), content_type="application/json"
    )
    jwks_url = httpserver.url_for("/jwks.json")
    config = secure_config(tmp_path, demo_client(jwks_file=None, jwks_url=jwks_url), auth=DEV_HTTP)
    client = create_app(config, services=services()).test_client()
    assert client.get(DISCOVERY, headers=bearer(sign(claims_for(DISCOVERY_AUD)))).status_code == 200
    for i in range(5):
        token = sign(claims_for(DISCOVERY_AUD), attacker_key, kid=f"unknown-{i}")
        assert_bare_401(client.get(DISCOVERY, headers=bearer(token)))
    assert len(httpserver.log) == 1  # the first load; unknown kids within the minute fetch nothing


def write_jwks(tmp_path: Path, **changes: Any) -> str:
    """Return the path of a JWK Set holding the demo RSA key with `changes` (None removes a member)."""
    keys = json.loads(JWKS_FILE.read_text())["keys"]
    rsa_key = {**next(k for k in keys if k["kid"] == "demo-rs384"), **changes}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{k: v for k, v in rsa_key.items() if v is not None}]}))
    return str(path)


@pytest.mark.parametrize(
    ("changes", "accepted"),
    [
        ({}, True),
        ({"alg": None}, True),  # no alg member: RSA must still verify RS384 (PyJWK would infer RS256)
        ({"alg": None, "use": None}, True),
        ({"key_ops": ["verify"]}, True),
        ({"alg": "RS512"}, False),  # published for another algorithm
        ({"alg": "HS384"}, False),
        ({"use": "enc"}, False),
        ({"key_ops": ["encrypt"]}, False),
        ({"kty": "oct", "k": "c2VjcmV0"}, False),
    ],
)
def test_key_must_fit_the_tokens_algorithm(tmp_path: Path, changes: dict[str, Any], accepted: bool) -> None:
    config = secure_config(tmp_path, demo_client(jwks_file=write_jwks(tmp_path, **changes)))
    client = create_app(config, services=services()).test_client()
    response = client.get(DISCOVERY, headers=bearer(sign(claims_for(DISCOVERY_AUD), "rs384")))
    assert (response.status_code == 200) is accepted


def test_private_members_published_by_mistake_are_ignored(tmp_path: Path) -> None:
    private = json.loads((JWKS_FILE.parent / "demo-client-rs384.private.jwk").read_text())
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [private]}))
    client = create_app(
        secure_config(tmp_path, demo_client(jwks_file=str(path))), services=services()
    ).test_client()
    assert client.get(DISCOVERY, headers=bearer(sign(claims_for(DISCOVERY_AUD), "rs384"))).status_code == 200


def test_short_rsa_keys_are_refused(tmp_path: Path) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    jwk = {**json.loads(jwt.get_algorithm_by_name("RS384").to_jwk(weak.public_key())), "kid": "weak"}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    client = create_app(
        secure_config(tmp_path, demo_client(jwks_file=str(path))), services=services()
    ).test_client()
    with pytest.warns(jwt.warnings.InsecureKeyLengthWarning):
        token = jwt.encode(claims_for(DISCOVERY_AUD), weak, algorithm="RS384", headers={"kid": "weak"})
    assert_bare_401(client.get(DISCOVERY, headers=bearer(token)))


def test_dev_mode_is_logged_as_a_warning_at_every_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.service.conftest import base_config

    for _ in range(2):
        create_app(base_config(tmp_path), services=services())
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    warnings = [line for line in lines if line.get("event") == "auth-disabled"]
    assert len(warnings) == 2 and all(w["level"] == "WARNING" for w in warnings)
    create_app(secure_config(tmp_path), services=services())
    assert "auth-disabled" not in capsys.readouterr().err
