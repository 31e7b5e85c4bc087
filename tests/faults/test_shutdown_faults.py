"""Process faults: SIGTERM with calls in flight (issue 11, failure 4: new connections during the drain
must be refused or served, never accepted then reset) and a worker SIGKILLed under load.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import threading
import time
from pathlib import Path

import requests

from tests.faults.fhir_faults import faulty_fhir_server
from tests.faults.process_faults import FEEDBACK, feedback_body, probe_connection, stored_cards, worker_pids
from tests.faults.service_under_fault import SIGN, ivig_call, service_under_fault

GRACEFUL_TIMEOUT = 20  # service/server.py


def test_sigterm_completes_calls_in_flight_and_refuses_or_serves_new_connections(tmp_path: Path) -> None:
    """After SIGTERM: calls in flight answer 200; a new connection is refused or answered, never reset."""
    with faulty_fhir_server("slow") as fhir, service_under_fault(tmp_path, [fhir.base_url]) as cds:
        fhir.slow_seconds = 0.4  # within the 1 s socket timeout: each call takes about 1-2 s
        port = int(cds.base_url.rsplit(":", 1)[1])
        with cf.ThreadPoolExecutor(16) as pool:
            in_flight = [pool.submit(cds.post, SIGN, ivig_call(fhir.base_url)) for _ in range(3)]
            time.sleep(0.4)
            os.kill(cds.process.process.pid, signal.SIGTERM)
            time.sleep(0.2)
            probes = []
            for _ in range(10):
                probes.append(pool.submit(probe_connection, port, GRACEFUL_TIMEOUT + 10))
                time.sleep(0.1)
            statuses = [f.result().status_code for f in in_flight]
            outcomes = [f.result() for f in probes]
        cds.process.process.wait(timeout=GRACEFUL_TIMEOUT + 10)
        assert all(o == "refused" or o.startswith("answered") for o in outcomes), outcomes
        assert statuses == [200] * 3, cds.process.log_tail()
        assert cds.process.process.returncode == 0


def test_worker_sigkill_under_load_loses_no_acknowledged_feedback(tmp_path: Path) -> None:
    """Feedback posted while a worker is SIGKILLed: every item answered 200 is in the store afterwards."""
    acknowledged: list[str] = []
    failed: list[str] = []
    stop = threading.Event()
    with service_under_fault(tmp_path) as cds:
        store_url = f"sqlite:///{tmp_path / 'ivig-cds-data' / 'ivig-cds.sqlite3'}"

        def post_feedback() -> None:
            while not stop.is_set():
                card, body = feedback_body()
                try:
                    response = cds.post(FEEDBACK, body)
                except requests.RequestException:
                    failed.append(card)
                    continue
                if response.status_code == 200:
                    acknowledged.append(card)
                else:
                    assert response.status_code != 500, response.text
                    failed.append(card)

        threads = [threading.Thread(target=post_feedback) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        victim = worker_pids(cds.process.process.pid)[0]
        os.kill(victim, signal.SIGKILL)
        time.sleep(2.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        after = cds.post(SIGN, ivig_call())  # the worker was replaced: the service still answers
        assert after.status_code == 200
        assert victim not in worker_pids(cds.process.process.pid)
    assert len(acknowledged) > 20
    assert set(acknowledged) <= stored_cards(store_url)
