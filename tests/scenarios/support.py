"""Running library scenarios through every path: offline evaluate, hooks with prefetch, hooks over FHIR.

The golden file of a scenario (`fixtures/scenarios/<name>/expected-response.json`) is the whole CDS
Hooks response with uuids normalised; all three paths must give exactly it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug import Request, Response

from cds_hooks.chart import answer_queries, searchset
from fixtures.library import SCENARIOS, FixtureScenario

JSON = dict[str, Any]
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FHIR_BASE_PATH = "/fhir/r4"


def golden_path(scenario: FixtureScenario) -> Path:
    """Return the path of the scenario's golden response."""
    return SCENARIOS / scenario.name / "expected-response.json"


def normalise(response: JSON) -> JSON:
    """Return the response with every uuid replaced by its order of first appearance."""
    text = json.dumps(response, sort_keys=True)
    seen: dict[str, str] = {}
    normalised = _UUID.sub(lambda m: seen.setdefault(m.group(0), f"<uuid-{len(seen) + 1}>"), text)
    result: JSON = json.loads(normalised)
    return result


def selected_order(scenario: FixtureScenario) -> JSON:
    """Return the draft order the scenario assesses (the selected one for order-select)."""
    drafts = [e["resource"] for e in scenario.draft_orders["entry"]]
    if scenario.meta["hook"] == "order-select":
        wanted = scenario.meta["selections"][0]
        return next(d for d in drafts if f"{d['resourceType']}/{d['id']}" == wanted)
    (only,) = drafts
    return only


def by_type(scenario: FixtureScenario, resource_type: str) -> list[JSON]:
    """Return the record's resources of one type."""
    return [r for r in scenario.resources() if r["resourceType"] == resource_type]


def full_prefetch(scenario: FixtureScenario, templates: dict[str, str]) -> JSON:
    """Return a prefetch answering every template as a FHIR server would (by resource type)."""
    return answer_queries(scenario.resources(), templates, scenario.patient_id)


def fhir_handler(scenario: FixtureScenario) -> Any:
    """Return a werkzeug handler serving the scenario's record as a FHIR server (reads and searches)."""
    index = {f"{r['resourceType']}/{r['id']}": r for r in scenario.resources()}

    def handle(request: Request) -> Response:
        path = urlsplit(request.url).path.removeprefix(FHIR_BASE_PATH).strip("/")
        parts = path.split("/")
        if len(parts) == 2:
            found = index.get(path)
            if found is None:
                return Response(json.dumps({"resourceType": "OperationOutcome", "issue": []}), status=404)
            return Response(json.dumps(found), content_type="application/fhir+json")
        patient = request.args.get("patient") or request.args.get("subject", "")
        matches = [r for r in by_type(scenario, parts[0]) if _for_patient(r, patient)]
        return Response(json.dumps(searchset(matches)), content_type="application/fhir+json")

    return handle


def _for_patient(resource: JSON, patient: str) -> bool:
    """Return True when the resource belongs to the patient searched for (as a server would filter)."""
    if resource.get("resourceType") == "Patient":
        return True
    subject = resource.get("subject") or resource.get("patient") or {}
    reference = subject.get("reference", "") if isinstance(subject, dict) else ""
    return not patient or reference.endswith(f"Patient/{patient}")
