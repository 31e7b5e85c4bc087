"""`ivig-cds serve --workers 2` configured for the fault suite: a short FHIR budget, small caps, and the
demo client allowed to read the given FHIR servers; plus hook-call bodies that make it read them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.e2e.cds_service import (
    DEMO_ISSUER,
    DEMO_JWKS,
    CdsService,
    running_cds_service,
    toml_list,
    toml_string,
)

TIMEOUT_SECONDS = 1.0  # fhir.timeout_seconds: one socket operation
BUDGET_SECONDS = 3.0  # fhir.budget_seconds: every read of one call
MAX_CONCURRENCY = 4  # fhir.max_concurrency: the read pool of one worker
MAX_RESPONSE_BYTES = 500_000
LEEWAY_SECONDS = 30
SIGN = "/cds-services/ivig-order-sign"
SNOMED = "http://snomed.info/sct"
JSON = dict[str, Any]


def fault_config(port: int, data_dir: Path, fhir_servers: Sequence[str], store_url: str | None) -> str:
    """Return the TOML configuration of the service under fault."""
    store = store_url or f"sqlite:///{data_dir / 'ivig-cds.sqlite3'}"
    return f"""\
[service]
public_base_url = {toml_string(f"http://127.0.0.1:{port}")}
data_dir = {toml_string(str(data_dir))}
as_of_date = 2026-06-01

[auth]
required = true
leeway_seconds = {LEEWAY_SECONDS}

[[auth.clients]]
issuer = {toml_string(DEMO_ISSUER)}
jwks_file = {toml_string(str(DEMO_JWKS))}
fhir_servers = {toml_list(fhir_servers)}

[fhir]
timeout_seconds = {TIMEOUT_SECONDS}
budget_seconds = {BUDGET_SECONDS}
max_concurrency = {MAX_CONCURRENCY}
max_response_bytes = {MAX_RESPONSE_BYTES}

[store]
url = {toml_string(store)}
pseudonym_secret = "faults-pseudonym-secret-not-for-production"
"""


@contextmanager
def service_under_fault(
    workdir: Path, fhir_servers: Sequence[str] = (), *, store_url: str | None = None, name: str = "ivig-cds"
) -> Iterator[CdsService]:
    """Start `ivig-cds serve --workers 2` for the fault suite; stop it on exit."""

    def text(port: int, data_dir: Path) -> str:
        return fault_config(port, data_dir, fhir_servers, store_url)

    with running_cds_service(workdir, workers=2, config_text=text, name=name) as service:
        yield service


def ivig_call(fhir_base: str | None = None, *, patient: str = "fault-patient") -> JSON:
    """Return an order-sign body for an IVIg order; without prefetch it makes the service read `fhir_base`."""
    body: JSON = {
        "hook": "order-sign",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/fault-practitioner",
            "patientId": patient,
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    {
                        "resource": {
                            "resourceType": "MedicationRequest",
                            "id": "ivig-1",
                            "status": "draft",
                            "intent": "order",
                            "subject": {"reference": f"Patient/{patient}"},
                            "medicationCodeableConcept": {
                                "coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]
                            },
                            "reasonCode": [{"coding": [{"system": SNOMED, "code": "230591002"}]}],
                        }
                    }
                ],
            },
        },
    }
    if fhir_base is None:
        body["prefetch"] = {
            "patient": {"resourceType": "Patient", "id": patient, "gender": "female"},
            "conditions": None,
            "observations": None,
            "reports": None,
            "ivigRequests": None,
            "ivigAdministrations": None,
        }
    else:
        body["fhirServer"] = fhir_base
        body["fhirAuthorization"] = {
            "access_token": "fault-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "ivig-cds",
        }
    return body
