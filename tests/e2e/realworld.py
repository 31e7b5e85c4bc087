"""Real-world data for the end-to-end tests (HL7 R4 examples, Synthea) and a meter of FHIR reads.

The meter reads the FHIR server's access log: every GET a hook call made (pages included), then
replays those GETs to count the resources they returned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.fhir_server import FhirServer

REPO = Path(__file__).resolve().parents[2]
HL7_EXAMPLES = REPO / "fixtures" / "hl7-examples"
SYNTHEA = REPO / "fixtures" / "synthea"
JSON = dict[str, Any]
_ACCESS = re.compile(r'"GET (/\S+) HTTP/1\.[01]" (\d{3})')


def load_hl7_examples() -> list[JSON]:
    """Return the pinned HL7 R4 example resources."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(HL7_EXAMPLES.glob("*.json"))]


def synthea_files() -> list[Path]:
    """Return the Synthea bundles vendored in fixtures/synthea (five patients)."""
    files = sorted(SYNTHEA.glob("*.json"))
    assert len(files) == 5, f"expected the five Synthea bundles in {SYNTHEA}, found {len(files)}"
    return files


def synthea_as_put(bundle: JSON) -> JSON:
    """Return a Synthea transaction with each POST turned into a PUT of the resource's own id.

    The `urn:uuid` fullUrls stay, so the server rewrites the references to `Type/id`; the ids stay known.
    """
    entries = []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        request = {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}
        entries.append({"fullUrl": entry["fullUrl"], "resource": resource, "request": request})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


@dataclass
class WireReads:
    """What one hook call read from the FHIR server."""

    gets: list[str]
    statuses: list[int]
    resources: int


class WireMeter:
    """Measures the FHIR server's GETs between `start()` and `stop()` from its access log."""

    def __init__(self, fhir_server: FhirServer) -> None:
        self._server = fhir_server
        self._mark = 0

    def start(self) -> None:
        """Remember where the access log is now."""
        self._mark = len(self._server.process.log_text().splitlines())

    def stop(self) -> WireReads:
        """Return the GETs logged since start(), and how many resources they returned (replayed)."""
        lines = self._server.process.log_text().splitlines()[self._mark :]
        found = [m for m in (_ACCESS.search(line) for line in lines) if m]
        gets = [m.group(1) for m in found]
        return WireReads(gets, [int(m.group(2)) for m in found], sum(self._count(path) for path in gets))

    def _count(self, path: str) -> int:
        """Return the number of resources one logged GET returned (replayed with the same token)."""
        origin = self._server.base_url.rsplit("/fhir", 1)[0]
        with self._server.session() as session:
            response = session.get(origin + path, timeout=30)
        if response.status_code != 200:
            return 0
        body = response.json()
        if body.get("resourceType") == "Bundle":
            return len(body.get("entry") or [])
        return 1


def iter_records(resources: list[JSON], resource_type: str) -> Iterator[JSON]:
    """Yield the resources of one type."""
    return (r for r in resources if r.get("resourceType") == resource_type)
