"""Issue 11, failure 1: a FHIR server that trickles its answer must not hold a read past the call's
deadline, and one bad FHIR server must not starve calls that read another.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from pathlib import Path

import pytest

from service.fhir_client import Deadline, FhirClient, FhirTimeout
from tests.faults.fhir_faults import faulty_fhir_server
from tests.faults.service_under_fault import BUDGET_SECONDS, SIGN, ivig_call, service_under_fault

# Generous margins: a loaded 2-core machine may be slow, but a trickled read lasts about 30 s.
MARGIN_SECONDS = 6.0


def _client(base_url: str) -> FhirClient:
    return FhirClient(base_url, "token", timeout=1.0, max_pages=2, max_bytes=1_000_000)


@pytest.mark.parametrize("mode", ["trickle", "header-trickle"])
def test_a_trickled_read_ends_at_the_deadline(mode: str) -> None:
    """A read whose bytes keep arriving (each within the socket timeout) still ends at the deadline."""
    with faulty_fhir_server(mode) as fhir:
        started = time.monotonic()
        with pytest.raises(FhirTimeout):
            _client(fhir.base_url).fetch_query("Patient/p1", Deadline.after(1.5))
        assert time.monotonic() - started < 1.5 + MARGIN_SECONDS


def test_trickling_server_does_not_starve_calls_to_another_server(tmp_path: Path) -> None:
    """Four calls to a trickling server, then calls to a healthy one: those read and answer with a card."""
    with (
        faulty_fhir_server("trickle") as bad,
        faulty_fhir_server("ok") as good,
        service_under_fault(tmp_path, [bad.base_url, good.base_url]) as cds,
        cf.ThreadPoolExecutor(8) as pool,
    ):
        started = time.monotonic()
        slow = [pool.submit(cds.post, SIGN, ivig_call(bad.base_url)) for _ in range(4)]
        time.sleep(0.5)
        during = [pool.submit(cds.post, SIGN, ivig_call(good.base_url)) for _ in range(2)]
        slow_statuses = [f.result().status_code for f in slow]
        answered_after = time.monotonic() - started
        after = [cds.post(SIGN, ivig_call(good.base_url)) for _ in range(4)]
        calls = cds.hook_calls()
        # The trickling server's calls are answered at the budget: nothing could be read (412).
        assert slow_statuses == [412] * 4
        assert answered_after < BUDGET_SECONDS + MARGIN_SECONDS
        # Calls to the healthy server, during and right after, read it and answer with their card.
        for response in [f.result() for f in during] + after:
            assert response.status_code == 200, response.text
            assert response.json()["cards"]
        healthy = [c for c in calls.values() if c["status"] == 200]
        assert healthy and all(c["fhir_failures"] == 0 and c["fhir_reads"] > 0 for c in healthy)
        # And the service let go of the trickling server's connections (it would otherwise read for ~30 s).
        deadline = time.monotonic() + MARGIN_SECONDS
        while bad.open_connections and time.monotonic() < deadline:
            time.sleep(0.2)
        assert bad.open_connections == 0
