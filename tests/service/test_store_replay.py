"""The replay cache writes once per call: expired ids are purged periodically, and may then be reused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from service.store import Store


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store(store_url)
    opened.create_schema()
    yield opened
    opened.close()


def test_an_expired_unpurged_id_is_taken_over(store: Store) -> None:
    store.save_jti_once("https://ehr", "j", datetime.now(UTC) - timedelta(seconds=1))
    assert store.save_jti_once("https://ehr", "j", datetime.now(UTC) + timedelta(minutes=5)) is True
    assert store.save_jti_once("https://ehr", "j", datetime.now(UTC) + timedelta(minutes=5)) is False


def test_replays_are_refused_between_purges(store: Store) -> None:
    expires = datetime.now(UTC) + timedelta(minutes=5)
    assert store.save_jti_once("https://ehr", "a", expires) is True
    assert store.save_jti_once("https://ehr", "a", expires) is False


def test_concurrent_first_use_is_accepted_exactly_once(store: Store) -> None:
    expires = datetime.now(UTC) + timedelta(minutes=5)
    results: list[bool] = []

    def use() -> None:
        results.append(store.save_jti_once("https://ehr", "c", expires))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
