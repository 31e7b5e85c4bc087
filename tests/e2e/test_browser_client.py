"""A browser-based EHR client against the sandbox configuration profile (docs/sandbox.toml), in
headless Chromium: a page on another origin calls discovery and a hook with a JWT in the
Authorization header (so the browser sends CORS preflights) and renders the cards.

The page signs every call itself, exactly as the CDS Hooks sandbox does (ES384; header `typ`, `kid` and
a `jku` naming its JWK Set URL; claims iss, aud = the URL called, exp = iat + 300, iat, jti), with its
own test-only key (fixtures/keys/browser-client-*). It is trusted the way docs/sandbox.toml trusts the
sandbox: its [[auth.clients]] table is the sandbox's, with the issuer, JWK Set URL and key file swapped
for the browser client's. So when the profile would refuse the real sandbox (e.g. its `jku`), this
test fails the same way. Sandbox-like request: full prefetch, `fhirServer` but no
`fhirAuthorization`, a draft MedicationRequest whose `category` is an object. The demo client is
trusted as well, for the direct call the browser's cards are compared with; production trusts neither.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import threading
import tomllib
import uuid
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cds_hooks.chart import answer_queries
from fixtures.library import FixtureScenario
from tests.ci import skip_or_fail
from tests.e2e.cds_service import (
    DEMO_ISSUER,
    DEMO_JWKS,
    KEYS,
    REPO,
    CdsService,
    running_cds_service,
    toml_string,
)
from tests.e2e.processes import free_port

pytestmark = pytest.mark.e2e

PAGE_DIR = REPO / "fixtures" / "browser"
PROFILE = REPO / "docs" / "sandbox.toml"
SANDBOX_FHIR = "https://launch.smarthealthit.org/v/r4/fhir"
SCENARIO = "order-select-ivig-selected"
SANDBOX_ISSUER = "https://sandbox.cds-hooks.org"
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
SANDBOX_JWKS_NAME = "cds-hooks-sandbox-jwks.json"
BROWSER_ISSUER = "https://browser-client.ivig-cds.org"
BROWSER_JKU = "https://browser-client.ivig-cds.org/.well-known/jwks.json"
BROWSER_KEY = KEYS / "browser-client-es384.private.jwk"
BROWSER_JWKS = KEYS / "browser-client.jwks.json"
CHROMIUM = os.environ.get("IVIG_CDS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
JSON = dict[str, Any]


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves the test page without logging every request."""

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    """Serve fixtures/browser/ on its own origin (another port than the service)."""
    port = free_port()
    server = ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(_QuietHandler, directory=str(PAGE_DIR))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def as_browser_client(value: Any) -> Any:
    """Return a piece of the sandbox's client table with the sandbox's issuer, JWK Set URL and key file
    replaced by the browser client's (keys of tables too)."""
    if isinstance(value, dict):
        return {as_browser_client(k): as_browser_client(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_browser_client(v) for v in value]
    if value == SANDBOX_ISSUER:
        return BROWSER_ISSUER
    if value == SANDBOX_JKU:
        return BROWSER_JKU
    if isinstance(value, str) and value.endswith(SANDBOX_JWKS_NAME):
        return str(BROWSER_JWKS)
    return value


def toml_value(value: Any) -> str:
    """Return a string, boolean, list or table of those as a TOML value (inline for tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def browser_client_table() -> str:
    """Return the [[auth.clients]] table of the browser client, shaped as docs/sandbox.toml's sandbox."""
    profile = tomllib.loads(PROFILE.read_text(encoding="utf-8"))
    sandbox = next(c for c in profile["auth"]["clients"] if c["issuer"] == SANDBOX_ISSUER)
    client = as_browser_client(sandbox)
    return "\n[[auth.clients]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in client.items())


@pytest.fixture(scope="module")
def sandbox_service(e2e_workdir: Path, page_origin: str) -> Iterator[CdsService]:
    """ivig-cds serve on the sandbox profile, plus the browser client (trusted as the sandbox is), the
    demo client and the test page's origin."""

    def config_text(port: int, data_dir: Path) -> str:
        demo_client = f"""
[[auth.clients]]
issuer = {toml_string(DEMO_ISSUER)}
jwks_file = {toml_string(str(DEMO_JWKS))}
fhir_servers = [{toml_string(SANDBOX_FHIR)}]
"""
        return PROFILE.read_text(encoding="utf-8") + browser_client_table() + demo_client

    env = {
        "IVIG_CDS_SERVICE_PUBLIC_BASE_URL": "http://127.0.0.1:{port}",  # replaced below
        "IVIG_CDS_STORE_PSEUDONYM_SECRET": "browser-e2e-pseudonym-secret",
        "IVIG_CDS_CORS_ALLOWED_ORIGINS": json.dumps(["https://sandbox.cds-hooks.org", page_origin]),
        "IVIG_CDS_SERVICE_AS_OF_DATE": "2026-06-01",
    }
    workdir = e2e_workdir / "sandbox-profile"
    workdir.mkdir(exist_ok=True)
    env["IVIG_CDS_SERVICE_DATA_DIR"] = str(workdir / "data")
    with running_cds_service(
        workdir,
        config_text=config_text,
        env=env,
        name="ivig-cds-sandbox",
        port_env="IVIG_CDS_SERVICE_PUBLIC_BASE_URL",
    ) as service:
        yield service


def auth_failures(service: CdsService) -> list[str]:
    """Return the reasons of the service's `auth-failed` log lines (why a token was refused)."""
    reasons = []
    for line in service.process.log_text().splitlines():
        if line.startswith("{") and '"auth-failed"' in line:
            reasons.append(str(json.loads(line).get("reason")))
    return reasons


def sandbox_request(scenario: FixtureScenario, templates: dict[str, str]) -> JSON:
    """Return the scenario as the sandbox sends it: full prefetch, fhirServer, no fhirAuthorization,
    and draft MedicationRequests with `category` as an object."""
    body = scenario.hook_request(hook_instance=str(uuid.uuid4()))
    body["fhirServer"] = SANDBOX_FHIR
    for entry in body["context"]["draftOrders"]["entry"]:
        entry["resource"]["category"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                    "code": "outpatient",
                }
            ]
        }
    body["prefetch"] = answer_queries(scenario.resources(), templates, scenario.patient_id)
    return body


def test_preflight_is_answered_without_a_jwt(sandbox_service: CdsService, page_origin: str) -> None:
    response = sandbox_service.session.options(
        sandbox_service.base_url + "/cds-services/ivig-order-select",
        headers={
            "Origin": page_origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=30,
    )
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == page_origin
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()


def test_browser_shows_the_card(
    sandbox_service: CdsService, page_origin: str, scenarios: list[FixtureScenario]
) -> None:
    try:
        from playwright import sync_api
    except ImportError:
        skip_or_fail("playwright is not installed")
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        skip_or_fail(f"Chromium not found at {CHROMIUM}")
    scenario = next(s for s in scenarios if s.name == SCENARIO)
    service_id = "ivig-order-select"
    discovery = sandbox_service.get("/cds-services").json()
    templates = {s["id"]: s["prefetch"] for s in discovery["services"]}[service_id]
    body = sandbox_request(scenario, templates)
    private_jwk = json.loads(BROWSER_KEY.read_text(encoding="utf-8"))
    client = {
        "serviceBase": sandbox_service.base_url,
        "serviceId": service_id,
        "signer": {
            "iss": BROWSER_ISSUER,
            "kid": private_jwk["kid"],
            "jku": BROWSER_JKU,
            "privateJwk": private_jwk,
        },
        "request": body,
    }
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.add_init_script(f"window.IVIG_CDS_CLIENT = {json.dumps(client)};")
            page.goto(f"{page_origin}/index.html")
            page.wait_for_selector("#status[data-state='done'], #status[data-state='error']", timeout=30_000)
            status = page.text_content("#status")
            services = page.eval_on_selector_all("#services li", "items => items.map(i => i.dataset.id)")
            cards = page.eval_on_selector_all(
                "#cards article.card",
                "cards => cards.map(c => ({topic: c.dataset.topic,"
                " summary: c.querySelector('.summary').textContent}))",
            )
        finally:
            browser.close()
    assert "card" in (status or ""), f"auth-failed reasons {auth_failures(sandbox_service)}; page: {status}"
    assert {"ivig-order-select", "ivig-order-sign"} <= set(services)
    # the same request from Python gives the card the browser shows
    body["hookInstance"] = str(uuid.uuid4())
    direct = sandbox_service.post(f"/cds-services/{service_id}", body)
    assert direct.status_code == 200, direct.text[:2000]
    expected = [
        {"topic": c["source"]["topic"]["code"], "summary": c["summary"]} for c in direct.json()["cards"]
    ]
    assert cards == expected
    assert cards[0]["topic"] == scenario.expected_outcome
