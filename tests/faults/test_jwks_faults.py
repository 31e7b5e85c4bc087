"""Faults of the EHR's JWK Set server against a running `ivig-cds serve --workers 2` (issue 11 item 2).

The client's `jwks_url` is a real TLS server on loopback (throwaway CA, configured as the service's CA
bundle). While a re-read for an unknown `kid` hangs (the server holds the request, never answering),
calls signed with keys the workers already hold are answered; when the server is down, they still are,
and tokens with unknown kids get a plain 401. No timing is asserted: the proof is that the calls were
answered while the server was still holding the re-read.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from tests.e2e.cds_service import (
    DEMO_ISSUER,
    DEMO_JWKS,
    CdsService,
    running_cds_service,
    toml_string,
)
from tests.security.conftest import sign
from tests.security.jwks_server import JwksServer, TlsFiles, make_tls_files, running_jwks_server

pytestmark = pytest.mark.e2e

REFRESH_SECONDS = 1.0  # auth.jwks_refresh_seconds: the smallest allowed, so the test need not wait long
TIMEOUT_SECONDS = 20.0  # auth.jwks_timeout_seconds: long, so a design that blocks would be caught waiting
GENEROUS_SECONDS = 60.0
CALLS = 12


def jwks_config(port: int, data_dir: Path, jwks_url: str, ca_bundle: Path) -> str:
    """Return the service configuration: the demo client's keys behind `jwks_url` (https)."""
    return f"""\
[service]
public_base_url = {toml_string(f"http://127.0.0.1:{port}")}
data_dir = {toml_string(str(data_dir))}

[auth]
required = true
jwks_timeout_seconds = {TIMEOUT_SECONDS}
jwks_refresh_seconds = {REFRESH_SECONDS}
jwks_max_age_seconds = {REFRESH_SECONDS}
jwks_ca_bundle = {toml_string(str(ca_bundle))}

[[auth.clients]]
issuer = {toml_string(DEMO_ISSUER)}
jwks_url = {toml_string(jwks_url)}

[store]
url = {toml_string(f"sqlite:///{data_dir / 'ivig-cds.sqlite3'}")}
pseudonym_secret = "faults-jwks-pseudonym-secret-not-for-production"
"""


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("jwks-tls"))


@pytest.fixture
def jwks_server(tls: TlsFiles) -> Iterator[JwksServer]:
    with running_jwks_server(json.loads(DEMO_JWKS.read_text()), tls) as server:
        yield server


@pytest.fixture
def service(tmp_path: Path, tls: TlsFiles, jwks_server: JwksServer) -> Iterator[CdsService]:
    def text(port: int, data_dir: Path) -> str:
        return jwks_config(port, data_dir, jwks_server.url, tls.ca_cert)

    with running_cds_service(tmp_path, workers=2, config_text=text, name="ivig-cds-jwks") as running:
        yield running


def discovery(service: CdsService, token: str) -> int:
    """Return the status of a discovery call with `token`."""
    url = service.base_url + "/cds-services"
    response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=GENEROUS_SECONDS)
    return response.status_code


def known_kid_statuses(service: CdsService) -> list[int]:
    """Return the statuses of CALLS discovery calls signed with the demo client's (known) key."""
    url = service.base_url + "/cds-services"
    return [discovery(service, service.signer.token(url)) for _ in range(CALLS)]


def wait_until_workers_hold_keys(service: CdsService) -> None:
    """Wait until known-kid calls are answered, batch after batch, while the JWK Set server is up.

    Each worker loads the set at start and tries again after a failed first read, so this is a matter
    of a few seconds; the fault is only injected once every worker can hold the keys.
    """
    deadline = time.monotonic() + GENEROUS_SECONDS
    clean_batches = 0
    while clean_batches < 3:
        assert time.monotonic() < deadline, "the workers never held the client's keys"
        clean_batches = clean_batches + 1 if known_kid_statuses(service) == [200] * CALLS else 0
        time.sleep(REFRESH_SECONDS)


def unknown_kid_token(service: CdsService) -> str:
    """Return a token of the configured issuer with a kid no JWK Set holds (no valid signature needed)."""
    attacker = ec.generate_private_key(ec.SECP384R1())
    now = int(time.time())
    aud = service.base_url + "/cds-services"
    claims = {"iss": DEMO_ISSUER, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    return sign(claims, attacker, kid=f"rotated-{uuid.uuid4()}")


def test_known_kids_are_served_while_a_refetch_hangs_and_while_the_server_is_down(
    service: CdsService, jwks_server: JwksServer
) -> None:
    wait_until_workers_hold_keys(service)
    time.sleep(REFRESH_SECONDS * 1.5)  # let the refresh interval pass, so an unknown kid may re-read
    jwks_server.hang()
    first_requests = len(jwks_server.requests)
    stalled = [
        threading.Thread(target=discovery, args=(service, unknown_kid_token(service)), daemon=True)
        for _ in range(4)
    ]
    for thread in stalled:
        thread.start()
    assert jwks_server.held.wait(GENEROUS_SECONDS), "no unknown kid started a re-read"
    during = [
        discovery(service, service.signer.token(service.base_url + "/cds-services")) for _ in range(CALLS)
    ]
    assert during == [200] * CALLS
    assert any(t.is_alive() for t in stalled)  # the re-read was still held while they were served
    assert len(jwks_server.requests) - first_requests <= 2  # at most one re-read per worker (single flight)
    jwks_server.release()
    for thread in stalled:
        thread.join(GENEROUS_SECONDS)


def test_jwks_server_down_leaves_cached_keys_working(tls: TlsFiles, tmp_path: Path) -> None:
    with running_jwks_server(json.loads(DEMO_JWKS.read_text()), tls) as server:

        def text(port: int, data_dir: Path) -> str:
            return jwks_config(port, data_dir, server.url, tls.ca_cert)

        with running_cds_service(tmp_path, workers=2, config_text=text, name="ivig-cds-jwks-down") as service:
            url = service.base_url + "/cds-services"
            wait_until_workers_hold_keys(service)
            server.stop()  # the JWK Set server goes down; the service keeps running
            time.sleep(REFRESH_SECONDS * 1.5)  # past the max age: every call now tries a background re-read
            assert [discovery(service, service.signer.token(url)) for _ in range(CALLS)] == [200] * CALLS
            assert discovery(service, unknown_kid_token(service)) == 401
            log = service.process.log_text()
    assert '"status": 500' not in log
