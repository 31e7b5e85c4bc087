"""The attacks against the running server: `ivig-cds serve --workers 2` (gunicorn) as a subprocess.

Also: the replay cache shared by two separate instances on one SQLite store, body limits as gunicorn
delivers them (Content-Length and chunked), and a scan of everything the server wrote to its log.
"""

from __future__ import annotations

import json
import re
import socket
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from fixtures.library import FixtureScenario, load_scenarios
from tests.e2e.cds_service import e2e_config
from tests.e2e.processes import RunningProcess, free_port, running_server, venv_script
from tests.security.conftest import PUBLIC_BASE, bearer, claims_for, sign
from tests.security.test_jwt import assert_bare_401, attacks

pytestmark = pytest.mark.e2e

MAX_BODY = 50_000
SANDBOX = "https://sandbox.cds-hooks.org"
SIGN = "/cds-services/ivig-order-sign"
FHIR_TOKEN = "fhir-access-token-" + uuid.uuid4().hex


@dataclass
class Served:
    """A running instance: its process and the address it listens on (its public URL is PUBLIC_BASE)."""

    process: RunningProcess
    address: str

    def url(self, path: str) -> str:
        return self.address + path


def start(
    stack: ExitStack,
    workdir: Path,
    data_dir: Path,
    fhir_base: str,
    workers: int,
    store_url: str | None = None,
) -> Served:
    """Start one `ivig-cds serve` on `data_dir`'s store, or `store_url`; all answer for PUBLIC_BASE."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config = e2e_config(port=port, data_dir=data_dir, fhir_servers=[fhir_base], origins=[SANDBOX])
    config = re.sub(r"(?m)^public_base_url = .*$", f'public_base_url = "{PUBLIC_BASE}"', config)
    config = config.replace(
        "[service]\n", f'[service]\nmax_body_bytes = {MAX_BODY}\nlog_level = "DEBUG"\n', 1
    )
    (workdir / "ivig-cds.toml").write_text(config)
    address = f"http://127.0.0.1:{port}"
    argv = [venv_script("ivig-cds"), "serve", "--port", str(port), "--workers", str(workers)]
    argv += ["--config", str(workdir / "ivig-cds.toml")]
    process = stack.enter_context(
        running_server(
            "ivig-cds",
            argv,
            url=address,
            probe_path="/healthz",
            log_path=workdir / "server.log",
            cwd=Path(__file__).resolve().parents[2],
            env={"PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics")}
            | ({"IVIG_CDS_STORE_URL": store_url} if store_url else {}),
        )
    )
    return Served(process, address)


def scenario() -> FixtureScenario:
    return next(s for s in load_scenarios() if s.meta["hook"] == "order-sign")


def fake_fhir(record: list[dict[str, Any]]) -> Any:
    """Return a handler answering reads and searches from a record (crude, but every byte is patient data)."""

    def handle(request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        matching = [r for r in record if r["resourceType"] in parts]
        if len(parts) >= 3 and matching:
            return Response(json.dumps(matching[0]), content_type="application/fhir+json")
        bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in matching]}
        return Response(json.dumps(bundle), content_type="application/fhir+json")

    return handle


@pytest.fixture(scope="module")
def fhir() -> Iterator[HTTPServer]:
    server = HTTPServer()
    server.expect_request(re.compile("/r4/.*")).respond_with_handler(fake_fhir(scenario().resources()))
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, fhir: HTTPServer) -> Iterator[Served]:
    """One `ivig-cds serve --workers 2` (auth required, the demo client)."""
    workdir = tmp_path_factory.mktemp("served")
    with ExitStack() as stack:
        yield start(stack, workdir, workdir / "data", fhir.url_for("/r4"), workers=2)


def get(served: Served, path: str, headers: dict[str, str]) -> requests.Response:
    # A new connection per call (no Session), so calls spread over both workers.
    return requests.get(served.url(path), headers=headers, timeout=30)


class Reply:
    """Adapter so assert_bare_401 (written for Flask responses) reads a requests response."""

    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self.headers = response.headers
        self.json = response.json()


def test_every_jwt_attack_is_refused_by_the_running_server(served: Served) -> None:
    for name, headers in attacks(ec.generate_private_key(ec.SECP384R1())).items():
        response = get(served, "/cds-services", headers)
        assert response.status_code == 401, name
        assert_bare_401(Reply(response))


@pytest.mark.parametrize("key", ["es384", "rs384"])
def test_valid_clients_are_served(served: Served, key: str) -> None:
    response = get(served, "/cds-services", bearer(sign(claims_for(PUBLIC_BASE + "/cds-services"), key)))
    assert response.status_code == 200
    assert {s["id"] for s in response.json()["services"]} >= {"ivig-order-sign", "ivig-order-select"}


def test_attacker_jku_is_never_fetched_by_the_running_server(served: Served, httpserver: HTTPServer) -> None:
    attacker = ec.generate_private_key(ec.SECP384R1())
    httpserver.expect_request("/jwks.json").respond_with_json({"keys": []})
    token = sign(
        claims_for(PUBLIC_BASE + "/cds-services"), attacker, kid="evil", jku=httpserver.url_for("/jwks.json")
    )
    assert get(served, "/cds-services", bearer(token)).status_code == 401
    assert httpserver.log == []


def test_replays_are_refused_whichever_worker_answers(served: Served) -> None:
    tokens = [sign(claims_for(PUBLIC_BASE + "/cds-services")) for _ in range(12)]
    assert [get(served, "/cds-services", bearer(t)).status_code for t in tokens] == [200] * 12
    assert [get(served, "/cds-services", bearer(t)).status_code for t in tokens] == [401] * 12
    assert served.process.log_text().count('"reason": "jti replayed"') >= 12


def test_replay_is_refused_by_another_instance_on_the_same_store(
    tmp_path: Path, fhir: HTTPServer, store_url: str
) -> None:
    """Two server processes share one store (SQLite or PostgreSQL): a token used on A dies on B,
    and feedback stored through A is already known to B."""
    with ExitStack() as stack:
        first = start(stack, tmp_path / "a", tmp_path / "a-data", fhir.url_for("/r4"), 1, store_url)
        second = start(stack, tmp_path / "b", tmp_path / "b-data", fhir.url_for("/r4"), 1, store_url)
        token = sign(claims_for(PUBLIC_BASE + "/cds-services"))
        assert get(first, "/cds-services", bearer(token)).status_code == 200
        assert get(second, "/cds-services", bearer(token)).status_code == 401
        assert '"reason": "jti replayed"' in second.process.log_text()
        fresh = sign(claims_for(PUBLIC_BASE + "/cds-services"))  # the control: B accepts a new token
        assert get(second, "/cds-services", bearer(fresh)).status_code == 200
        path = "/cds-services/ivig-order-sign/feedback"
        item = {"card": "c-1", "outcome": "overridden", "outcomeTimestamp": "2026-11-25T10:00:00Z"}
        answers = [
            requests.post(
                instance.url(path),
                json={"feedback": [item]},
                headers=bearer(sign(claims_for(PUBLIC_BASE + path))),
                timeout=30,
            ).json()
            for instance in (first, second)
        ]
        assert answers == [{"received": 1, "new": 1}, {"received": 1, "new": 0}]


def raw_exchange(served: Served, head: bytes, body_chunks: list[bytes]) -> bytes:
    """Send a request head and some body bytes without finishing the body; return the first answer bytes."""
    host, port = served.address.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head)
        for chunk in body_chunks:
            try:
                sock.sendall(chunk)
            except OSError:  # the server may close once it has answered
                break
        return sock.recv(4096)


def request_head(path: str, extra: str) -> bytes:
    token = sign(claims_for(PUBLIC_BASE + path))
    return (
        f"POST {path} HTTP/1.1\r\nHost: cds\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    ).encode()


def test_declared_oversized_body_is_413_before_the_body_is_sent(served: Served) -> None:
    """Content-Length of 1 GB and 10 bytes sent: the answer comes without waiting for the rest."""
    answer = raw_exchange(served, request_head(SIGN, "Content-Length: 1000000000\r\n"), [b'{"hook": "'])
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_chunked_oversized_body_is_413_once_past_the_limit(served: Served) -> None:
    """A chunked body that never ends: refused as soon as it passes the limit, never read whole."""
    chunk = b"x" * 8192
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    answer = raw_exchange(
        served, request_head(SIGN, "Transfer-Encoding: chunked\r\n"), [framed] * (2 * MAX_BODY // 8192)
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_fhir_server_off_the_list_is_refused_without_a_connection(
    served: Served, httpserver: HTTPServer
) -> None:
    body = scenario().hook_request(str(uuid.uuid4()))
    body["fhirServer"] = httpserver.url_for("/r4")
    token = sign(claims_for(PUBLIC_BASE + SIGN))
    response = requests.post(served.url(SIGN), json=body, headers=bearer(token), timeout=30)
    assert response.status_code == 403
    assert httpserver.log == []


def test_preflight_is_answered_without_a_jwt(served: Served) -> None:
    headers = {
        "Origin": SANDBOX,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    response = requests.options(served.url(SIGN), headers=headers, timeout=30)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == SANDBOX
    refused = requests.options(
        served.url(SIGN), headers={**headers, "Origin": "https://evil.test"}, timeout=30
    )
    assert "Access-Control-Allow-Origin" not in refused.headers


def secrets_of(case: FixtureScenario) -> set[str]:
    """Return the strings that identify the scenario's patient: ids, names, identifiers, birth date."""
    found = {case.patient_id}
    for resource in case.resources():
        if resource["resourceType"] != "Patient":
            continue
        for name in resource.get("name", []):
            found.update(name.get("given", []))
            found.update([name["family"]] if "family" in name else [])
        found.update(i["value"] for i in resource.get("identifier", []) if "value" in i)
        found.update([resource["birthDate"]] if "birthDate" in resource else [])
    return {s for s in found if len(s) >= 4}


def test_no_patient_data_or_token_reaches_the_log(served: Served, fhir: HTTPServer) -> None:
    """Hook calls that read the chart with an access token, then a scan of the server's whole output."""
    case = scenario()
    jwts = []
    for with_prefetch in (False, True):
        body = case.hook_request(str(uuid.uuid4()))
        body["fhirServer"] = fhir.url_for("/r4")
        body["fhirAuthorization"] = {
            "access_token": FHIR_TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "ivig-cds",
            "patient": case.patient_id,
        }
        if with_prefetch:
            body["prefetch"] = {
                "patient": next(r for r in case.resources() if r["resourceType"] == "Patient")
            }
        jwts.append(sign(claims_for(PUBLIC_BASE + SIGN)))
        response = requests.post(served.url(SIGN), json=body, headers=bearer(jwts[-1]), timeout=60)
        assert response.status_code == 200, response.text[:300]  # the FHIR server holds the whole record
        # the same call replayed, and with a token that fails: auth-failure lines must be clean too
        requests.post(served.url(SIGN), json=body, headers=bearer(jwts[-1]), timeout=60)
        requests.post(served.url(SIGN), json=body, headers=bearer(jwts[-1][:-4] + "AAAA"), timeout=60)
    assert any(FHIR_TOKEN in str(req.headers) for req, _ in fhir.log), "the chart was read with the token"
    log = served.process.log_text()
    assert '"event": "hook-call"' in log
    forbidden = secrets_of(case) | {FHIR_TOKEN} | {part for t in jwts for part in t.split(".")}
    leaked = sorted(s for s in forbidden if s in log)
    assert leaked == [], f"found in the server log: {leaked}"
