"""JWK Sets over the network (issues 11 item 2, 12 item 5): https with the operator's CA bundle, cached,
re-read single-flight at most once per interval, and never blocking a token whose key is already held.

A real TLS server on loopback (a throwaway CA made here) plays the EHR's JWK Set endpoint; it can hang
(hold requests without answering) or be stopped. No timing is asserted: where a wait is bounded, the
bound is far above what a correct implementation needs and far below what a blocked one would take.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from service.app import create_app
from service.config import ConfigError, build_config
from service.jwks import FetchPolicy, JwksError, KeySource
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

KNOWN = "demo-es384"
GENEROUS_SECONDS = 30.0  # never reached unless the code under test blocks
DISCOVERY = "/cds-services"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def jwks_server(tls: TlsFiles) -> Iterator[JwksServer]:
    with running_jwks_server(json.loads(JWKS_FILE.read_text()), tls) as server:
        yield server


def policy(tls: TlsFiles, **changes: Any) -> FetchPolicy:
    """Return a fetch policy trusting the test CA; a long timeout so only a blocking design would wait."""
    values: dict[str, Any] = {"timeout_seconds": 60.0, "ca_bundle": str(tls.ca_cert)}
    values.update(changes)
    return FetchPolicy(**values)


def in_thread(source: KeySource, kid: str) -> tuple[threading.Thread, list[object]]:
    """Start source.key(kid, ES384) in a thread; return it and the list its result lands in."""
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(source.key(kid, "ES384")), daemon=True)
    thread.start()
    return thread, result


def test_known_kid_is_answered_while_a_refetch_hangs(tls: TlsFiles, jwks_server: JwksServer) -> None:
    """11.2: a token with an unknown kid starts a re-read the server never answers; a token whose key is
    held is verified meanwhile (before the fix it waited on the lock for the whole re-read)."""
    source = KeySource(url=jwks_server.url, policy=policy(tls, refresh_interval_seconds=0.001))
    assert source.key(KNOWN, "ES384") is not None
    jwks_server.hang()
    stalled, _ = in_thread(source, "rotated-kid")
    assert jwks_server.held.wait(GENEROUS_SECONDS), "the unknown kid did not start a re-read"
    known, result = in_thread(source, KNOWN)
    known.join(GENEROUS_SECONDS)
    assert not known.is_alive(), "verification with a held key waited for the re-read"
    assert result[0] is not None
    assert stalled.is_alive() and jwks_server.held.is_set()  # the re-read was still in flight
    jwks_server.release()
    stalled.join(GENEROUS_SECONDS)


def test_concurrent_unknown_kids_share_one_fetch_then_wait_for_the_interval(
    tls: TlsFiles, jwks_server: JwksServer
) -> None:
    """Single flight: 20 callers during one fetch cause one request; then no fetch until the interval."""
    source = KeySource(url=jwks_server.url, policy=policy(tls))
    jwks_server.hang()
    callers = [in_thread(source, KNOWN if i % 2 else f"unknown-{i}") for i in range(20)]
    assert jwks_server.held.wait(GENEROUS_SECONDS)
    jwks_server.release()
    for thread, _ in callers:
        thread.join(GENEROUS_SECONDS)
    assert [result[0] is not None for _, result in callers] == [i % 2 == 1 for i in range(20)]
    for i in range(50):  # a refresh storm: every token names a new kid
        assert source.key(f"storm-{i}", "ES384") is None
    assert len(jwks_server.requests) == 1
    assert source.fetches == 1


def test_a_rotated_key_is_found_by_the_refetch(tls: TlsFiles, jwks_server: JwksServer) -> None:
    """Keys rotate: a kid added to the set after the first load verifies after one re-read."""
    source = KeySource(url=jwks_server.url, policy=policy(tls, refresh_interval_seconds=0.001))
    assert source.key("rotated", "ES384") is None
    new_key = json.loads(JWKS_FILE.read_text())["keys"][0] | {"kid": "rotated"}
    jwks_server.document = {"keys": [*jwks_server.document["keys"], new_key]}
    assert source.key("rotated", "ES384") is not None
    assert len(jwks_server.requests) == 2


def test_server_down_keeps_cached_keys_working(tls: TlsFiles) -> None:
    """The JWK Set server stops: held keys keep verifying, even past the set's max age."""
    fast = policy(tls, timeout_seconds=5.0, refresh_interval_seconds=0.001, max_age_seconds=0.001)
    with running_jwks_server(json.loads(JWKS_FILE.read_text()), tls) as server:
        source = KeySource(url=server.url, policy=fast)
        assert source.key(KNOWN, "ES384") is not None
    for i in range(5):
        assert source.key(KNOWN, "ES384") is not None  # stale: a background re-read fails, keys stay
        assert source.key(f"unknown-{i}", "ES384") is None
    assert source.fetches > 1


def test_server_never_up_is_an_error_not_a_hang(tls: TlsFiles) -> None:
    with running_jwks_server({"keys": []}, tls) as server:
        url = server.url
    source = KeySource(url=url, policy=policy(tls, timeout_seconds=5.0))
    with pytest.raises(JwksError, match="unreachable"):
        source.key(KNOWN, "ES384")


def test_certificate_is_verified(jwks_server: JwksServer) -> None:
    """Without the test CA in the bundle the fetch fails: verification is never turned off."""
    source = KeySource(url=jwks_server.url, policy=FetchPolicy(timeout_seconds=5.0))
    with pytest.raises(JwksError, match="SSLError"):
        source.key(KNOWN, "ES384")
    assert source.fetches == 1


@pytest.mark.parametrize(
    ("url", "dev", "accepted"),
    [
        ("https://ehr.example.org/jwks.json", False, True),
        ("http://ehr.example.org/jwks.json", False, False),
        ("http://ehr.example.org/jwks.json", True, False),  # the development switch is for loopback only
        ("http://127.0.0.1:9000/jwks.json", False, False),
        ("http://127.0.0.1:9000/jwks.json", True, True),
        ("http://localhost:9000/jwks.json", True, True),
        ("http://[::1]:9000/jwks.json", True, True),
        ("ftp://ehr.example.org/jwks.json", True, False),
        ("https://user:pw@ehr.example.org/jwks.json", False, False),
    ],
)
def test_plain_http_is_refused_unless_loopback_in_development(url: str, dev: bool, accepted: bool) -> None:
    for client in (demo_client(jwks_file=None, jwks_url=url), demo_client(jku_allowlist=[url])):
        data = {"auth": {"required": True, "allow_http_loopback_jwks": dev, "clients": [client]}}
        if accepted:
            build_config(data)
        else:
            with pytest.raises(ConfigError, match="JWK Set URL"):
                build_config(data)


def test_http_url_is_refused_at_fetch_time_too() -> None:
    """Defence in depth: a source built outside the configuration still refuses plain http."""
    with pytest.raises(JwksError, match="refused"):
        KeySource(url="http://127.0.0.1:9/jwks.json").key(KNOWN, "ES384")


def test_app_fetches_jwks_url_over_tls_with_the_configured_ca(
    tmp_path: Path, tls: TlsFiles, jwks_server: JwksServer
) -> None:
    config = secure_config(
        tmp_path,
        demo_client(jwks_file=None, jwks_url=jwks_server.url),
        auth={"jwks_ca_bundle": str(tls.ca_cert), "jwks_timeout_seconds": 5.0},
    )
    client = create_app(config, services=services()).test_client()
    for _ in range(3):
        response = client.get(DISCOVERY, headers=bearer(sign(claims_for(PUBLIC_BASE + DISCOVERY))))
        assert response.status_code == 200
    attacker = ec.generate_private_key(ec.SECP384R1())
    for i in range(5):
        token = sign(claims_for(PUBLIC_BASE + DISCOVERY), attacker, kid=f"unknown-{i}")
        assert client.get(DISCOVERY, headers=bearer(token)).status_code == 401
    assert len(jwks_server.requests) == 1  # cached; unknown kids within the interval fetch nothing


def test_only_the_caller_that_started_a_hanging_refetch_waits(tls: TlsFiles, jwks_server: JwksServer) -> None:
    """Unknown kids arriving during a re-read are answered at once (no key), so they cannot pile up
    threads behind a JWK Set server that never answers."""
    source = KeySource(url=jwks_server.url, policy=policy(tls, refresh_interval_seconds=0.001))
    assert source.key(KNOWN, "ES384") is not None
    jwks_server.hang()
    starter, _ = in_thread(source, "first-unknown")
    assert jwks_server.held.wait(GENEROUS_SECONDS)
    follower, result = in_thread(source, "second-unknown")
    follower.join(GENEROUS_SECONDS)
    assert not follower.is_alive() and result == [None]
    assert starter.is_alive()  # still waiting for the held re-read
    assert len(jwks_server.requests) == 2  # the first load and the one re-read: the follower started none
    jwks_server.release()
    starter.join(GENEROUS_SECONDS)
