"""An Epic-shaped integration end to end: `ivig-cds serve` trusting an Epic-like client by an allow-listed
`jku` fetched over TLS, RS384 tokens, Epic's free-text scope, an OperationOutcome entry in a prefetched
searchset, the draft orders' Medication as an entry of `draftOrders`, the `epic` card profile, and the
feedback on the cards sent in one batch. The FHIR server is the real one of the suite (sekmet-fhir).
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from cds_hooks.chart import answer_queries
from cds_hooks.profiles import build_client_profile, lint_response
from fixtures.library import load_named
from tests.e2e.cds_service import AS_OF, KEYS, CdsService, running_cds_service, toml_list, toml_string
from tests.e2e.fhir_server import FhirServer
from tests.security.jwks_server import JwksServer, TlsFiles, make_tls_files, running_jwks_server

pytestmark = pytest.mark.e2e

JSON = dict[str, Any]
EPIC_ISSUER = "https://fhir.epic-like.example.org/interconnect-fhir-oauth"
EPIC_SCOPE = "Patient.Read (Demographics) (R4) Observation.Read (Labs) (R4) Condition.Read (Problems) (R4)"
SCENARIO = load_named("babinski-present-against-mmn")
MEDICATION_ID = "epic-ivig-med-e2e"
NO_RESULTS = {
    "resourceType": "OperationOutcome",
    "issue": [
        {"severity": "information", "code": "informational", "details": {"text": "No results were found."}}
    ],
}


class Rs384JkuSigner:
    """Signs tokens as Epic does: RS384, a `kid`, and a `jku` naming the JWK Set to fetch."""

    def __init__(self, jku: str) -> None:
        self._jwk = jwt.PyJWK.from_dict(json.loads((KEYS / "demo-client-rs384.private.jwk").read_text()))
        self.jku = jku

    def token(self, audience: str, ttl: int = 300, iat_ahead: int = 0) -> str:
        """Return a signed JWT for one call to `audience`."""
        now = int(time.time()) + iat_ahead
        claims = {"iss": EPIC_ISSUER, "aud": audience, "iat": now, "exp": now + ttl, "jti": str(uuid.uuid4())}
        headers = {"alg": "RS384", "typ": "JWT", "kid": self._jwk.key_id, "jku": self.jku}
        return jwt.encode(claims, self._jwk.key, algorithm="RS384", headers=headers)


def epic_config(port: int, data_dir: Path, *, jku: str, ca_bundle: Path, fhir_base: str) -> str:
    """Return the TOML configuration: one Epic-like client, its jku allow-listed, the epic profile."""
    return f"""\
[service]
public_base_url = {toml_string(f"http://127.0.0.1:{port}")}
data_dir = {toml_string(str(data_dir))}
as_of_date = {AS_OF}

[auth]
required = true
jwks_ca_bundle = {toml_string(str(ca_bundle))}

[[auth.clients]]
issuer = {toml_string(EPIC_ISSUER)}
jku_allowlist = {toml_list([jku])}
fhir_servers = {toml_list([fhir_base])}
profile = "epic"

[fhir]
timeout_seconds = 10.0
budget_seconds = 20.0

[store]
url = {toml_string(f"sqlite:///{data_dir / 'ivig-cds.sqlite3'}")}
pseudonym_secret = "e2e-epic-pseudonym-secret-not-for-production"
"""


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("epic-tls"))


@pytest.fixture(scope="module")
def jwks(tls: TlsFiles) -> Iterator[JwksServer]:
    with running_jwks_server(json.loads((KEYS / "demo-client.jwks.json").read_text()), tls) as server:
        yield server


@pytest.fixture(scope="module")
def epic_cds(
    e2e_workdir: Path, fhir_server: FhirServer, jwks: JwksServer, tls: TlsFiles
) -> Iterator[CdsService]:
    def config(port: int, data_dir: Path) -> str:
        return epic_config(
            port, data_dir, jku=jwks.url, ca_bundle=tls.ca_cert, fhir_base=fhir_server.base_url
        )

    with running_cds_service(e2e_workdir, config_text=config, name="ivig-cds-epic") as service:
        service.signer = Rs384JkuSigner(jwks.url)  # type: ignore[assignment]
        yield service


def epic_request(fhir_server: FhirServer) -> JSON:
    """Return an order-sign call as Epic sends it: two IVIg orders by medicationReference with the
    Medication as a draftOrders entry, a site-configured partial prefetch whose empty search says so with
    an OperationOutcome entry, and a token with Epic's free-text scope for the rest."""
    body = copy.deepcopy(SCENARIO.hook_request())
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    medication = {
        "resourceType": "Medication",
        "id": MEDICATION_ID,
        "code": order.pop("medicationCodeableConcept"),
    }
    order["medicationReference"] = {
        "reference": f"Medication/{MEDICATION_ID}",
        "display": "immune globulin IV",
    }
    second = copy.deepcopy(order)
    second["id"] = order["id"] + "-2"
    body["context"]["draftOrders"]["entry"] = [
        {"resource": order},
        {"resource": second},
        {"resource": medication},
    ]
    templates = {"patient": "Patient/{{context.patientId}}", "ivigRequests": "MedicationRequest?patient=x"}
    prefetch = answer_queries(SCENARIO.resources(), templates, SCENARIO.patient_id)
    history = prefetch["ivigRequests"]
    assert isinstance(history, dict) and history["entry"] == []  # no IVIg history in this record
    history["entry"].append({"resource": NO_RESULTS, "search": {"mode": "outcome"}})
    body["prefetch"] = prefetch
    body = fhir_server.hook_access(body, SCENARIO.patient_id)
    body["fhirAuthorization"]["scope"] = EPIC_SCOPE
    return body


def test_epic_shaped_call_end_to_end(epic_cds: CdsService, fhir_server: FhirServer, jwks: JwksServer) -> None:
    discovery = epic_cds.get("/cds-services")
    assert discovery.status_code == 200
    assert {s["id"] for s in discovery.json()["services"]} >= {"ivig-order-sign", "ivig-patient-view"}
    assert jwks.requests, "the allow-listed jku was fetched over TLS"

    body = epic_request(fhir_server)
    response = epic_cds.post("/cds-services/ivig-order-sign", body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert lint_response(answer, build_client_profile("epic"), "order-sign") == []
    (card,) = answer["cards"]
    assert card["source"]["topic"]["code"] == "AgainstMmn"  # static alphanumeric, per outcome
    assert card["extension"]["org.ivig-cds.assessment"]["outcome"] == "against-mmn"
    assert card["selectionBehavior"] == "any"
    cancels = [s for s in card["suggestions"] if s["actions"][0]["type"] == "delete"]
    assert sorted(s["actions"][0]["resourceId"] for s in cancels) == sorted(
        f"MedicationRequest/{e['resource']['id']}" for e in body["context"]["draftOrders"]["entry"][:2]
    )
    assert all(len(s["actions"]) == 1 for s in card["suggestions"])

    call = epic_cds.hook_calls()[body["hookInstance"]]
    assert call["status"] == 200 and call["outcome"] == "against-mmn"
    assert call["fhir_reads"] == 4  # conditions, observations, reports, administrations: never the Medication

    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": cancels[0]["uuid"]}],
                "outcomeTimestamp": "2026-06-01T10:00:00Z",
            },
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": card["overrideReasons"][0], "userComment": "seen in clinic"},
                "outcomeTimestamp": "2026-06-01T10:01:00Z",
            },
        ]
    }
    sent = epic_cds.post("/cds-services/ivig-order-sign/feedback", feedback)
    assert sent.status_code == 200, sent.text
    assert sent.json()["received"] == 2


def test_an_unlisted_jku_is_refused_without_a_fetch(epic_cds: CdsService, jwks: JwksServer) -> None:
    before = len(jwks.requests)
    signer = Rs384JkuSigner("https://127.0.0.1:9/elsewhere/jwks.json")
    url = epic_cds.base_url + "/cds-services"
    response = requests.get(url, headers={"Authorization": f"Bearer {signer.token(url)}"}, timeout=30)
    assert response.status_code == 401
    assert len(jwks.requests) == before
