"""Session-wide fixtures: store URLs for every supported backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ci import skip_or_fail
from tests.pg_server import find_pg_bin, running_postgres


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--update-goldens`: rewrite the scenario goldens (tests/scenarios) that meet their expectation."""
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite fixtures/scenarios/*/expected-response.json from the hook with full prefetch, only for "
        "responses that meet the scenario's hand-written expectation; review the diff before committing",
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A URL of a throwaway PostgreSQL server (skipped locally without PostgreSQL; required in CI)."""
    if os.environ.get("IVIG_CDS_TEST_POSTGRES_URL"):
        yield os.environ["IVIG_CDS_TEST_POSTGRES_URL"]
        return
    if find_pg_bin() is None:
        skip_or_fail("PostgreSQL not installed")
    with running_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    url: str = request.getfixturevalue("postgresql_fresh_url")
    return url


@pytest.fixture
def postgresql_fresh_url(postgres_url: str) -> str:
    """The PostgreSQL URL with the store's tables emptied."""
    from sqlalchemy import create_engine

    from service.store import metadata

    engine = create_engine(postgres_url)
    try:
        metadata.drop_all(engine)
    finally:
        engine.dispose()
    return postgres_url
