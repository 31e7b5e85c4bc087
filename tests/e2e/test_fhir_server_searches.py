"""Interoperability: the service's own queries (its discovery prefetch templates) against a real FHIR
server, in strict handling, checked result by result against what the scenario record says they must
find. A parameter the server does not support, a token list it reads as one value, an `_include` it
drops or a page it loses shows here by name, before it shows as a wrong card.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urljoin

import pytest

from fixtures.library import FixtureScenario
from tests.e2e.cds_service import CdsService
from tests.e2e.fhir_server import FhirServer

pytestmark = pytest.mark.e2e

JSON = dict[str, Any]
# search parameter -> the element it reads, for the parameters the templates use
TOKEN_ELEMENTS = {"code": "code", "category": "category", "status": "status"}
INCLUDE_ELEMENTS = {"result": "result", "medication": "medicationReference"}


def codings(value: Any) -> set[tuple[str | None, str | None]]:
    """Return the (system, code) pairs of a code, a CodeableConcept or a list of them."""
    if isinstance(value, str):
        return {(None, value)}
    if isinstance(value, list):
        return set().union(*(codings(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return {(c.get("system"), c.get("code")) for c in value.get("coding") or [] if isinstance(c, dict)}
    return set()


def token_matches(resource: JSON, param: str, values: str) -> bool:
    """Return True when the resource's element matches one of the comma-separated tokens."""
    have = codings(resource.get(TOKEN_ELEMENTS[param]))
    for token in values.split(","):
        system, bar, code = token.partition("|")
        if (bar and (system, code) in have) or (not bar and any(c == token for _, c in have)):
            return True
    return False


def references(resource: JSON, element: str) -> list[str]:
    """Return the relative references of an element (one Reference or a list)."""
    value = resource.get(element)
    refs = value if isinstance(value, list) else [value]
    return [r["reference"].split("/fhir/")[-1] for r in refs if isinstance(r, dict) and "reference" in r]


def expected_ids(scenario: FixtureScenario, query: str) -> tuple[set[str], set[str]]:
    """Return ("Type/id" matched, "Type/id" included) that `query` must find in the scenario's record."""
    rtype, _, query_string = query.partition("?")
    if not query_string:
        return {rtype}, set()
    params = parse_qsl(query_string)
    patient_ref = f"Patient/{scenario.patient_id}"
    matched = []
    for resource in scenario.resources():
        if resource["resourceType"] != rtype:
            continue
        subject = (resource.get("subject") or {}).get("reference", "")
        if not (subject == patient_ref or subject.endswith("/" + patient_ref)):
            continue
        if all(token_matches(resource, k, v) for k, v in params if k in TOKEN_ELEMENTS):
            matched.append(resource)
    included = {
        ref
        for k, v in params
        if k == "_include"
        for resource in matched
        for ref in references(resource, INCLUDE_ELEMENTS[v.split(":")[1]])
    }
    return {f"{r['resourceType']}/{r['id']}" for r in matched}, included - {
        f"{r['resourceType']}/{r['id']}" for r in matched
    }


def fetch_all(fhir_server: FhirServer, query: str) -> tuple[JSON, list[JSON]]:
    """Return the first answer and every entry of every page, read in strict handling."""
    pages: list[JSON] = []
    with fhir_server.session() as session:
        session.headers["Prefer"] = "handling=strict"
        url: str | None = f"{fhir_server.base_url}/{query}"
        while url is not None:
            response = session.get(url, timeout=30)
            assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:1000]}"
            pages.append(response.json())
            next_links = [link["url"] for link in pages[-1].get("link", []) if link["relation"] == "next"]
            url = urljoin(url, next_links[0]) if next_links else None
    return pages[0], [e for page in pages for e in page.get("entry", [])]


@pytest.fixture(scope="module")
def templates(cds: CdsService) -> dict[str, str]:
    """The order-sign service's prefetch templates, from discovery."""
    services = {s["id"]: s for s in cds.get("/cds-services").json()["services"]}
    prefetch: dict[str, str] = services["ivig-order-sign"]["prefetch"]
    return prefetch


@pytest.mark.parametrize(
    "key", ["patient", "conditions", "observations", "reports", "ivigRequests", "ivigAdministrations"]
)
def test_template_finds_what_the_record_holds(
    key: str, templates: dict[str, str], fhir_server: FhirServer, scenarios: list[FixtureScenario]
) -> None:
    template = templates[key]
    checked = 0
    for scenario in scenarios:
        query = template.replace("{{context.patientId}}", scenario.patient_id)
        first, entries = fetch_all(fhir_server, query)
        if first["resourceType"] != "Bundle":
            assert f"{first['resourceType']}/{first['id']}" == f"Patient/{scenario.patient_id}"
            checked += 1
            continue
        outcomes = [e for e in entries if e.get("search", {}).get("mode") == "outcome"]
        assert not outcomes, f"{scenario.name}: the server reported issues: {outcomes}"
        found = {
            mode: {
                f"{e['resource']['resourceType']}/{e['resource']['id']}"
                for e in entries
                if e.get("search", {}).get("mode", "match") == mode
            }
            for mode in ("match", "include")
        }
        want_match, want_include = expected_ids(scenario, query)
        assert found["match"] == want_match, f"{scenario.name}: {key}"
        assert want_include <= found["include"] | found["match"], f"{scenario.name}: {key} _include"
        assert first.get("total", len(found["match"])) == len(found["match"]), f"{scenario.name}: {key} total"
        checked += len(want_match)
    assert checked > 0 or key in ("ivigRequests",), f"no scenario exercises {key}"
