"""Issue 11, failure 3: a store that cannot take writes. The calls that need a write (the JWT replay
record of every authenticated call, feedback) answer 503 with Retry-After, never 500; /readyz fails, so a
load balancer stops routing; nothing is acknowledged that was not stored. A store locked for a moment
only delays the calls.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from pathlib import Path

import requests

from tests.e2e.cds_service import CdsService
from tests.faults.process_faults import FEEDBACK, feedback_body, stored_cards
from tests.faults.service_under_fault import SIGN, ivig_call, service_under_fault
from tests.faults.store_faults import read_only_files, write_locked

READYZ_BOUND_SECONDS = 10.0  # /readyz answers well within a readiness probe's timeout, even when stuck


def _db(tmp_path: Path) -> Path:
    return tmp_path / "ivig-cds-data" / "ivig-cds.sqlite3"


def _assert_retry_later(response: requests.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["resourceType"] == "OperationOutcome"


def test_read_only_store_answers_503_and_is_not_ready(tmp_path: Path) -> None:
    """With the database files read-only: hook calls and feedback 503 + Retry-After; /readyz 503."""
    with service_under_fault(tmp_path) as cds:
        card, body = feedback_body()
        assert cds.post(FEEDBACK, body).status_code == 200
        with read_only_files(_db(tmp_path)):
            _read_only_answers(cds)
    assert stored_cards(f"sqlite:///{_db(tmp_path)}") == {card}


def _read_only_answers(cds: CdsService) -> None:
    """Check what the service answers while its store is read-only."""
    ready = requests.get(cds.base_url + "/readyz", timeout=READYZ_BOUND_SECONDS)
    assert ready.status_code == 503, ready.text
    assert ready.json()["checks"]["storeWrites"] is False
    assert requests.get(cds.base_url + "/healthz", timeout=10).status_code == 200
    _assert_retry_later(cds.post(SIGN, ivig_call()))
    _, lost_body = feedback_body()
    _assert_retry_later(cds.post(FEEDBACK, lost_body))
    assert "Traceback" not in cds.process.log_text()


def test_store_locked_for_a_moment_delays_calls_and_loses_nothing(tmp_path: Path) -> None:
    """Another process holds the write lock for 2 s: calls and feedback wait, then 200, and are stored."""
    with service_under_fault(tmp_path) as cds, cf.ThreadPoolExecutor(8) as pool:
        cards = []
        with write_locked(_db(tmp_path)):
            ready = requests.get(cds.base_url + "/readyz", timeout=READYZ_BOUND_SECONDS)
            calls = [pool.submit(cds.post, SIGN, ivig_call()) for _ in range(3)]
            feedback = []
            for _ in range(3):
                card, body = feedback_body()
                cards.append(card)
                feedback.append(pool.submit(cds.post, FEEDBACK, body))
            time.sleep(2.0)
        # While locked the store cannot take a write, so the pod is not ready (answered, not stuck).
        assert ready.status_code == 503, ready.text
        assert [f.result().status_code for f in calls + feedback] == [200] * 6
        assert requests.get(cds.base_url + "/readyz", timeout=READYZ_BOUND_SECONDS).status_code == 200
    assert set(cards) <= stored_cards(f"sqlite:///{_db(tmp_path)}")
