"""Clock skew between the EHR and the service (within and beyond `auth.leeway_seconds`), and memory that
stays flat over a period of mixed load.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cds_service import CdsService
from tests.faults.fhir_faults import faulty_fhir_server
from tests.faults.process_faults import FEEDBACK, feedback_body, worker_pids
from tests.faults.service_under_fault import LEEWAY_SECONDS, SIGN, ivig_call, service_under_fault

LOAD_SECONDS = 15.0
WARM_UP_SECONDS = 3.0
RSS_GROWTH_LIMIT_KB = 20 * 1024  # per worker over the load period; a leak per call would exceed it


@pytest.fixture(scope="module")
def cds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CdsService]:
    with service_under_fault(tmp_path_factory.mktemp("clock")) as service:
        yield service


def _post_with(cds: CdsService, ttl: int, iat_ahead: int) -> int:
    url = cds.base_url + SIGN
    token = cds.signer.token(url, ttl=ttl, iat_ahead=iat_ahead)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return cds.session.post(url, data=json.dumps(ivig_call()), headers=headers, timeout=60).status_code


@pytest.mark.parametrize(
    ("case", "ttl", "iat_ahead", "status"),
    [
        ("EHR clock ahead, within leeway", 300, LEEWAY_SECONDS // 2, 200),
        ("EHR clock ahead, beyond leeway", 300, LEEWAY_SECONDS * 4, 401),
        ("token expired, within leeway", -(LEEWAY_SECONDS // 2), -120, 200),
        ("token expired, beyond leeway", -(LEEWAY_SECONDS * 4), -300, 401),
    ],
)
def test_clock_skew(cds: CdsService, case: str, ttl: int, iat_ahead: int, status: int) -> None:
    """Skew within the leeway is accepted; beyond it the token is refused with a bare 401."""
    assert _post_with(cds, ttl, iat_ahead) == status, case


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def test_memory_stays_flat_under_mixed_load(tmp_path: Path) -> None:
    """Prefetch calls, FHIR-reading calls and feedback for a while: no 5xx, worker RSS does not grow."""
    statuses: list[int] = []
    stop = threading.Event()
    with faulty_fhir_server("ok") as fhir, service_under_fault(tmp_path, [fhir.base_url]) as cds:

        def drive(kind: int) -> None:
            while not stop.is_set():
                if kind == 0:
                    statuses.append(cds.post(SIGN, ivig_call()).status_code)
                elif kind == 1:
                    statuses.append(cds.post(SIGN, ivig_call(fhir.base_url)).status_code)
                else:
                    statuses.append(cds.post(FEEDBACK, feedback_body()[1]).status_code)

        with cf.ThreadPoolExecutor(4) as pool:
            drivers = [pool.submit(drive, kind) for kind in (0, 1, 2, 0)]
            time.sleep(WARM_UP_SECONDS)
            pids = worker_pids(cds.process.process.pid)
            before = {pid: _rss_kb(pid) for pid in pids}
            time.sleep(LOAD_SECONDS)
            after = {pid: _rss_kb(pid) for pid in worker_pids(cds.process.process.pid) if pid in before}
            stop.set()
            for driver in drivers:
                driver.result()
    assert len(statuses) > 100
    assert set(statuses) == {200}, sorted(set(statuses))
    assert after, "the workers were replaced during the run"
    growth = {pid: after[pid] - before[pid] for pid in after}
    assert all(kb < RSS_GROWTH_LIMIT_KB for kb in growth.values()), growth
