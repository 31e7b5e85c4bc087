"""The fixture library is valid FHIR, uses only defined local codes, has unique ids and is up to date."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codesystem import CodeSystem

from fixtures.library import (
    FIXTURES,
    LOCAL_SYSTEM,
    OUTCOMES,
    SCENARIOS,
    FixtureScenario,
    load_codesystem,
    load_json,
    load_scenarios,
)
from fixtures.scenario_record import Scenario
from fixtures.scenario_registry import CRITERIA, SPECS, Spec, check_expectation
from fixtures.scenario_registry import scenario as register_scenario

ALL = load_scenarios()
GOLDEN = "expected-response.json"  # written by tests/scenarios, not the generator
BUNDLE_FILES = sorted(p for p in SCENARIOS.glob("*/*.json") if p.name not in ("scenario.json", GOLDEN))


def by_name(scenarios: list[FixtureScenario]) -> Any:
    """Parametrize over scenarios with their names as test ids."""
    return pytest.mark.parametrize("scenario", scenarios, ids=[s.name for s in scenarios])


def codings(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every Coding-shaped dict (system + code) anywhere in a JSON document."""
    if isinstance(node, dict):
        if isinstance(node.get("system"), str) and isinstance(node.get("code"), str):
            yield node
        for value in node.values():
            yield from codings(value)
    elif isinstance(node, list):
        for item in node:
            yield from codings(item)


def test_library_has_at_least_100_scenarios() -> None:
    assert len(ALL) >= 100


def test_every_row_of_the_outcome_table_appears() -> None:
    rows = {s.meta["expected"]["row"] for s in ALL}
    assert rows == {"0", "1", "2", "3", "4", "5", "6", "6a", "7", "8", "9", "10", "10a", "11", "12"}


def test_every_cb_unknown_reason_appears() -> None:
    reasons = {s.meta["expected"].get("cbReason") for s in ALL} - {None}
    assert reasons == {
        "no study",
        "preliminary report",
        "no proximal stimulation",
        "area not reported",
        "distal CMAP too low",
        "affected nerves not documented",
        "insufficient study",
    }


def _spec(**changes: Any) -> Spec:
    fields: dict[str, Any] = {
        "name": "x",
        "tag": "x",
        "outcome": "supported",
        "criteria": {"CB": "definite"},
        "description": "x",
        "build": lambda s: None,
        "row": "5",
        "suggestions": (),
    }
    return Spec(**{**fields, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {"criteria": {}},
        {"outcome": "not-supported", "row": "11"},  # no cancel suggested
        {"suggestions": ("cancel",)},  # cancel on a supported card
        {"criteria": {"CB": "unknown"}},  # CB unknown without its reason
        {"row": "8"} | {"outcome": None},
        {"criteria": {"T-FOO": "met"}},
        {"suggestions": ("order:not-a-code",)},
    ],
)
def test_an_incomplete_expectation_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="scenario x"):
        check_expectation(_spec(**changes))


def test_a_scenario_naming_no_criterion_is_not_registered() -> None:
    before = len(SPECS)
    with pytest.raises(ValueError, match="names no criterion"):
        register_scenario("x", "x", "supported", "x", {}, row="5")(lambda s: None)
    assert len(SPECS) == before
    check_expectation(_spec())  # the complete one passes
    assert isinstance(Scenario("t", "male", "1970-01-01").patient_id, str)


def test_every_outcome_and_no_card_appear() -> None:
    outcomes = {s.expected_outcome for s in ALL}
    assert set(OUTCOMES) <= outcomes
    assert None in outcomes


@pytest.mark.parametrize("path", BUNDLE_FILES, ids=[f"{p.parent.name}/{p.name}" for p in BUNDLE_FILES])
def test_bundle_validates_as_r4b_collection(path: Path) -> None:
    data = load_json(path)
    Bundle.model_validate(data)
    assert data["type"] == "collection"
    for entry in data["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"].endswith(f"/{resource['resourceType']}/{resource['id']}")


def test_codesystem_validates_and_defines_every_code() -> None:
    data = load_codesystem()
    CodeSystem.model_validate(data)
    assert data["url"] == LOCAL_SYSTEM
    assert (data["status"], data["content"]) == ("active", "complete")
    codes = [c["code"] for c in data["concept"]]
    assert len(codes) == len(set(codes)) == data["count"]
    assert all(c.get("display") and c.get("definition") for c in data["concept"])
    assert all("concept" not in c for c in data["concept"]), "the code system is flat"


def test_every_local_code_in_fixtures_is_defined() -> None:
    defined = {c["code"] for c in load_codesystem()["concept"]}
    used = {
        (c["code"], path.relative_to(FIXTURES).as_posix())
        for path in BUNDLE_FILES
        for c in codings(load_json(path))
        if c["system"] == LOCAL_SYSTEM
    }
    assert {code for code, _ in used}, "the fixtures use local codes"
    assert sorted(u for u in used if u[0] not in defined) == []


def test_resource_ids_are_unique_across_scenarios() -> None:
    owners: dict[str, str] = {}
    duplicates = []
    for scenario in ALL:
        for resource in scenario.resources() + [e["resource"] for e in scenario.draft_orders["entry"]]:
            key = f"{resource['resourceType']}/{resource['id']}"
            if key in owners:
                duplicates.append((key, owners[key], scenario.name))
            owners[key] = scenario.name
    assert duplicates == []


@by_name(ALL)
def test_scenario_metadata_is_complete(scenario: FixtureScenario) -> None:
    meta = scenario.meta
    assert {"description", "hook", "asOf", "expected"} <= set(meta)
    assert meta["description"].strip()
    assert meta["hook"] in ("order-sign", "order-select")
    assert meta["asOf"] == "2026-06-01"
    assert (
        {"outcome", "row", "criteria", "suggestions"}
        <= set(meta["expected"])
        <= {
            "outcome",
            "row",
            "criteria",
            "suggestions",
            "cbReason",
        }
    )
    assert scenario.expected_outcome is None or scenario.expected_outcome in OUTCOMES
    assert scenario.expected_criteria, "a scenario names at least one criterion"
    assert set(scenario.expected_criteria) <= set(CRITERIA)
    drafts = [e["resource"] for e in scenario.draft_orders["entry"]]
    draft_refs = {f"{d['resourceType']}/{d['id']}" for d in drafts}
    if meta["hook"] == "order-select":
        assert meta["selections"] and set(meta["selections"]) <= draft_refs
    else:
        assert "selections" not in meta


@by_name(ALL)
def test_scenario_is_one_patients_record(scenario: FixtureScenario) -> None:
    resources = scenario.resources()
    patient = resources[0]
    assert patient["resourceType"] == "Patient" and patient["gender"] and patient["birthDate"]
    assert patient["id"] == scenario.patient_id == scenario.meta.get("patientId", patient["id"])
    for draft in (e["resource"] for e in scenario.draft_orders["entry"]):
        assert draft["resourceType"] == "MedicationRequest"
        assert (draft["status"], draft["intent"]) == ("draft", "order")
        assert draft["subject"]["reference"] == f"Patient/{scenario.patient_id}"


@by_name(ALL)
def test_references_inside_the_record_resolve(scenario: FixtureScenario) -> None:
    held = {f"{r['resourceType']}/{r['id']}" for r in scenario.resources()}
    for resource in scenario.resources():
        for result in resource.get("result", []):
            assert result["reference"] in held
        subject = resource.get("subject", {}).get("reference")
        if subject:
            assert any(subject == ref or subject.endswith(f"/{ref}") for ref in held), subject


def test_generator_output_is_up_to_date(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(FIXTURES / "build_scenarios.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    fresh, committed = tmp_path / "scenarios", SCENARIOS
    committed_names = sorted(p.name for p in committed.iterdir() if p.is_dir())
    assert sorted(p.name for p in fresh.iterdir()) == committed_names
    for directory in fresh.iterdir():
        names = sorted(p.name for p in directory.iterdir())
        assert names == sorted(p.name for p in (committed / directory.name).iterdir() if p.name != GOLDEN)
        _, mismatch, errors = filecmp.cmpfiles(directory, committed / directory.name, names, shallow=False)
        assert (mismatch, errors) == ([], []), f"{directory.name}: run python fixtures/build_scenarios.py"


def test_readme_lists_every_scenario() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    assert [s.name for s in ALL if f"`{s.name}`" not in readme] == []


def test_the_demo_and_bench_read_the_library_through_fixtures_library() -> None:
    from service.cli import demo

    name = "definite-cb-median-forearm"
    scenario = next(s for s in ALL if s.name == name)
    shown = demo._load_scenario(SCENARIOS / name)
    assert (shown["record"], shown["drafts"], shown["meta"]) == (
        scenario.record,
        scenario.draft_orders,
        scenario.meta,
    )
    bench = (FIXTURES.parent / "bench" / "scenarios.py").read_text(encoding="utf-8")
    assert "from fixtures.library import" in bench and "json.load" not in bench
    assert demo._scenario_library(FIXTURES).SCENARIOS == SCENARIOS
