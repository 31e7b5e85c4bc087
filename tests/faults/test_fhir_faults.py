"""A misbehaving FHIR server, read by the service: every fault is answered within the call's budget,
as a clear status (412 when nothing could be read), never a 500, and the read reports its kind.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from service.fhir_client import (
    Deadline,
    FhirClient,
    FhirError,
    FhirGarbage,
    FhirStatusError,
    FhirTimeout,
    FhirUnreachable,
)
from tests.e2e.cds_service import CdsService
from tests.faults.fhir_faults import FaultyFhirServer, faulty_fhir_server
from tests.faults.service_under_fault import (
    BUDGET_SECONDS,
    MAX_RESPONSE_BYTES,
    SIGN,
    ivig_call,
    service_under_fault,
)

MARGIN_SECONDS = 6.0  # generous: a loaded machine is slow, but a stuck read would take 30 s
FAULTS: dict[str, type[FhirError]] = {
    "slow": FhirTimeout,
    "status500": FhirStatusError,
    "garbage": FhirGarbage,
    "huge": FhirGarbage,
    "redirect": FhirStatusError,  # redirects are never followed (a token must not travel elsewhere)
    "midclose": FhirUnreachable,
}


@pytest.mark.parametrize("mode", sorted(FAULTS))
def test_fhir_client_names_each_fault(mode: str) -> None:
    """Each fault raises its own FhirError kind, within the deadline."""
    with faulty_fhir_server(mode) as fhir:
        client = FhirClient(fhir.base_url, "token", timeout=1.0, max_pages=2, max_bytes=MAX_RESPONSE_BYTES)
        started = time.monotonic()
        with pytest.raises(FAULTS[mode]):
            client.fetch_query("Condition?patient=p1", Deadline.after(BUDGET_SECONDS))
        assert time.monotonic() - started < BUDGET_SECONDS + MARGIN_SECONDS


@pytest.fixture(scope="module")
def faulty_fhir() -> Iterator[FaultyFhirServer]:
    with faulty_fhir_server("ok") as fhir:
        yield fhir


@pytest.fixture(scope="module")
def cds(tmp_path_factory: pytest.TempPathFactory, faulty_fhir: FaultyFhirServer) -> Iterator[CdsService]:
    with service_under_fault(tmp_path_factory.mktemp("fhir-faults"), [faulty_fhir.base_url]) as service:
        yield service


@pytest.mark.parametrize("mode", sorted(FAULTS))
def test_hook_call_reading_a_faulty_server_answers_412_within_the_budget(
    mode: str, faulty_fhir: FaultyFhirServer, cds: CdsService
) -> None:
    """Nothing can be read: 412 (an OperationOutcome), within the budget, with every read counted failed."""
    faulty_fhir.mode = mode
    try:
        body = ivig_call(faulty_fhir.base_url)
        started = time.monotonic()
        response = cds.post(SIGN, body)
        elapsed = time.monotonic() - started
    finally:
        faulty_fhir.mode = "ok"
    assert response.status_code == 412, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert elapsed < BUDGET_SECONDS + MARGIN_SECONDS
    time.sleep(0.3)  # the log line is written right after the answer
    call = cds.hook_calls()[body["hookInstance"]]
    assert call["status"] == 412 and call["fhir_reads"] == call["fhir_failures"] > 0


def test_the_same_server_healthy_again_is_read(faulty_fhir: FaultyFhirServer, cds: CdsService) -> None:
    """After the faults, the same server answering normally gives a card (nothing stuck, nothing cached)."""
    faulty_fhir.mode = "ok"
    response = cds.post(SIGN, ivig_call(faulty_fhir.base_url))
    assert response.status_code == 200, response.text
    assert response.json()["cards"]
