"""Trusted `jku` headers (issue 12 item 1): the client's own JWK Set URL or an allow-listed URL is honoured,
optionally pinned to a local file so nothing is fetched; any other `jku` is refused without a fetch.
Epic-style RS384 tokens with an allow-listed `jku` fetched over TLS are accepted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from service.app import create_app
from service.auth import KeyRing, key_source_for
from service.config import ConfigError, build_config, load_config
from service.errors import Unauthorized
from tests.security.conftest import (
    JWKS_FILE,
    PUBLIC_BASE,
    bearer,
    claims_for,
    demo_client,
    secure_config,
    services,
    sign,
)
from tests.security.jwks_server import JwksServer, TlsFiles, make_tls_files, running_jwks_server

REPO = Path(__file__).resolve().parents[2]
DISCOVERY = "/cds-services"
AUD = PUBLIC_BASE + DISCOVERY
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def jwks_server(tls: TlsFiles) -> Iterator[JwksServer]:
    with running_jwks_server(json.loads(JWKS_FILE.read_text()), tls) as server:
        yield server


def tls_auth(tls: TlsFiles) -> dict[str, object]:
    return {"jwks_ca_bundle": str(tls.ca_cert), "jwks_timeout_seconds": 5.0}


def test_jku_naming_the_pinned_jwks_url_is_accepted_without_a_fetch(
    tmp_path: Path, tls: TlsFiles, jwks_server: JwksServer
) -> None:
    """As docs/sandbox.toml does for the sandbox: jwks_url pinned to a file; the token's jku names it."""
    url = jwks_server.url
    client = demo_client(jwks_file=None, jwks_url=url, jwks_pins={url: str(JWKS_FILE)})
    app = create_app(secure_config(tmp_path, client, auth=tls_auth(tls)), services=services()).test_client()
    assert app.get(DISCOVERY, headers=bearer(sign(claims_for(AUD), jku=url))).status_code == 200
    assert app.get(DISCOVERY, headers=bearer(sign(claims_for(AUD)))).status_code == 200  # no jku: same set
    assert jwks_server.requests == []


def test_allow_listed_jku_pinned_to_a_file_is_accepted_without_a_fetch(
    tmp_path: Path, tls: TlsFiles, jwks_server: JwksServer
) -> None:
    url = jwks_server.url
    client = demo_client(jku_allowlist=[url], jwks_pins={url: str(JWKS_FILE)})
    app = create_app(secure_config(tmp_path, client, auth=tls_auth(tls)), services=services()).test_client()
    assert app.get(DISCOVERY, headers=bearer(sign(claims_for(AUD), "rs384", jku=url))).status_code == 200
    assert jwks_server.requests == []


def test_unlisted_jku_is_refused_without_a_fetch_even_with_pins(
    tmp_path: Path, tls: TlsFiles, jwks_server: JwksServer
) -> None:
    pinned = "https://ehr.example.org/jwks.json"
    client = demo_client(jwks_file=None, jwks_url=pinned, jwks_pins={pinned: str(JWKS_FILE)})
    app = create_app(secure_config(tmp_path, client, auth=tls_auth(tls)), services=services()).test_client()
    for jku in (jwks_server.url, pinned + "?", pinned.upper(), ["x"]):
        assert app.get(DISCOVERY, headers=bearer(sign(claims_for(AUD), jku=jku))).status_code == 401
    assert jwks_server.requests == []


def test_epic_style_rs384_token_with_allow_listed_jku_is_fetched_over_tls(
    tmp_path: Path, tls: TlsFiles, jwks_server: JwksServer
) -> None:
    """Epic signs RS384 with a jku the site allow-lists; an unknown kid (rotation) re-reads once."""
    client = demo_client(jwks_file=None, jku_allowlist=[jwks_server.url])
    app = create_app(secure_config(tmp_path, client, auth=tls_auth(tls)), services=services()).test_client()
    epic_claims = claims_for(AUD, exp=claims_for(AUD)["iat"] + 900, sub="epic-client-id")
    token = sign(epic_claims, "rs384", jku=jwks_server.url)
    assert app.get(DISCOVERY, headers=bearer(token)).status_code == 200
    attacker = ec.generate_private_key(ec.SECP384R1())
    forged = sign(claims_for(AUD), attacker, kid="rotated", jku=jwks_server.url)
    assert app.get(DISCOVERY, headers=bearer(forged)).status_code == 401
    assert len(jwks_server.requests) == 1  # the unknown kid came within the interval of the first load


def test_pin_must_name_a_trusted_url() -> None:
    client = demo_client(jwks_pins={"https://elsewhere.example.org/jwks.json": str(JWKS_FILE)})
    with pytest.raises(ConfigError, match="jwks_pins"):
        build_config({"auth": {"clients": [client]}})


def test_jwks_url_and_jwks_file_together_are_refused() -> None:
    client = demo_client(jwks_url="https://ehr.example.org/jwks.json")
    with pytest.raises(ConfigError, match="not both"):
        build_config({"auth": {"clients": [client]}})


def test_pinned_http_url_is_allowed_because_it_is_never_fetched() -> None:
    url = "http://ehr.example.org/jwks.json"
    build_config({"auth": {"clients": [demo_client(jku_allowlist=[url], jwks_pins={url: str(JWKS_FILE)})]}})


def test_sandbox_profile_trusts_the_sandbox_jku_from_its_pinned_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/sandbox.toml as shipped: the sandbox's real header (its jku and kid) selects a key, offline."""
    monkeypatch.chdir(REPO)
    config = load_config(REPO / "docs" / "sandbox.toml", environ={})
    sandbox = next(c for c in config.auth.clients if c.issuer == "https://sandbox.cds-hooks.org")
    ring = KeyRing()
    assert key_source_for(sandbox, SANDBOX_JKU, ring).key(SANDBOX_KID, "ES384") is not None
    assert key_source_for(sandbox, None, ring).key(SANDBOX_KID, "ES384") is not None
    with pytest.raises(Unauthorized) as refused:
        key_source_for(sandbox, "https://sandbox.cds-hooks.org/other.json", ring)
    assert refused.value.reason == "jku not allow-listed"
