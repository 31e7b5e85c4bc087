"""Session fixtures of the end-to-end suite: one real FHIR server loaded with the scenario library,
one `ivig-cds serve` (2 workers) trusting the demo client and allowed to read that server.

Every server is a subprocess in its own process group, stopped in a `finally` (see processes.py)
even when a test fails or the session is interrupted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.library import FixtureScenario, load_scenarios
from tests.e2e.cds_service import CdsService, running_cds_service
from tests.e2e.fhir_server import FhirServer, running_fhir_server


@pytest.fixture(scope="session")
def e2e_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for the servers' settings, stores and logs."""
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def scenarios() -> list[FixtureScenario]:
    """The whole scenario library."""
    return load_scenarios()


@pytest.fixture(scope="session")
def fhir_server(e2e_workdir: Path, scenarios: list[FixtureScenario]) -> Iterator[FhirServer]:
    """A running sekmet-fhir holding every scenario's record (ids are unique across the library)."""
    with running_fhir_server(e2e_workdir) as server:
        resources = [r for s in scenarios for r in s.resources()]
        keys = [(r["resourceType"], r["id"]) for r in resources]
        assert len(set(keys)) == len(keys), "scenario resource ids must be unique across the library"
        server.put_all(resources)
        yield server


@pytest.fixture(scope="session")
def cds(e2e_workdir: Path, fhir_server: FhirServer) -> Iterator[CdsService]:
    """A running `ivig-cds serve --workers 2` that may read the FHIR server for the demo client."""
    with running_cds_service(e2e_workdir, fhir_servers=[fhir_server.base_url]) as service:
        yield service


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the FHIR reads measured per hook call on real-world data."""
    from tests.e2e.test_real_world_data import READS_REPORT

    if not READS_REPORT:
        return
    terminalreporter.section("ivig-cds e2e: FHIR reads per hook call (real-world data)")
    groups: dict[str, list[dict[str, object]]] = {}
    for row in READS_REPORT:
        groups.setdefault(
            str(row["call"]).split(" ")[0]
            + " "
            + str(row["hook"])
            + (" ivig" if " ivig " in str(row["call"]) else ""),
            [],
        ).append(row)
    for name, rows in sorted(groups.items()):

        def stat(key: str, rows: list[dict[str, object]] = rows) -> str:
            values = [int(str(r[key])) for r in rows if r[key] is not None]
            return f"{min(values)}-{max(values)}" if values else "-"

        terminalreporter.write_line(
            f"{name:<28} calls={len(rows):<3} queries={stat('queries'):<6} http_gets={stat('http_gets'):<6} "
            f"resources={stat('resources'):<8} cards={sum(int(str(r['cards'])) for r in rows):<3} "
            f"calls_reading={sum(1 for r in rows if int(str(r['http_gets'])) > 0)}"
        )
