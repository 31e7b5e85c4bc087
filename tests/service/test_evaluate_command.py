"""`ivig-cds evaluate`: `--strict` validates the input with the FHIR R4B models and names the first invalid
element; `--order` takes a draft-orders Bundle (as the hooks' draftOrders) as well as a MedicationRequest."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fixtures.library import SCENARIOS, FixtureScenario, load_named, load_scenarios
from service.cli import main
from tests.service.library_calls import build_hook_response

JSON = dict[str, Any]
LIBRARY = load_scenarios()
SCENARIO = "absolute-subject-url"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the command line; return (status, stdout, stderr)."""
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def entry_of(record: JSON, resource_id: str) -> JSON:
    """Return the resource of the record's entry with this id."""
    resource: JSON = next(e["resource"] for e in record["entry"] if e["resource"].get("id") == resource_id)
    return resource


def without_uuids(body: JSON) -> JSON:
    text = json.dumps(body, sort_keys=True)
    seen: dict[str, str] = {}
    result: JSON = json.loads(_UUID.sub(lambda m: seen.setdefault(m.group(0), f"<{len(seen)}>"), text))
    return result


def test_strict_accepts_a_valid_record(capsys: pytest.CaptureFixture[str]) -> None:
    directory = SCENARIOS / SCENARIO
    args = ["evaluate", str(directory / "record.json"), "--strict", "--as-of", "2026-06-01"]
    status, out, err = run([*args, "--order", str(directory / "draft-orders.json")], capsys)
    assert (status, err) == (0, "")
    assert out.startswith("Outcome: ")


Mutation = Callable[[JSON], None]
INVALID: list[tuple[str, Mutation, str]] = [
    (
        "bad dateTime",
        lambda r: entry_of(r, "absu-babinski").update(effectiveDateTime="2026-13-45"),
        "Bundle.entry[3].resource(Observation/absu-babinski).effectiveDateTime",
    ),
    (
        "required element missing",
        lambda r: entry_of(r, "absu-babinski").pop("status"),
        "Bundle.entry[3].resource(Observation/absu-babinski).status",
    ),
    (
        "element unknown to the resource",
        lambda r: entry_of(r, "absu-lmn").update(status="active"),
        "Bundle.entry[1].resource(Condition/absu-lmn).status",
    ),
    (
        "wrong type",
        lambda r: entry_of(r, "absu-onset-pattern").update(subject={"reference": 5}),
        "Bundle.entry[2].resource(Observation/absu-onset-pattern).subject.reference",
    ),
    (
        "unknown resource type",
        lambda r: r["entry"][0].update(resource={"resourceType": "Patientt", "id": "x"}),
        "Bundle.entry[0].resource.resourceType",
    ),
]


@pytest.mark.parametrize(("mutate", "element"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_strict_names_the_first_invalid_element(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate: Mutation, element: str
) -> None:
    record = copy.deepcopy(load_named(SCENARIO).record)
    mutate(record)
    path = write(tmp_path, "record.json", record)
    status, out, err = run(["evaluate", path, "--strict"], capsys)
    assert status == 2 and out == ""
    assert err.startswith(f"ivig-cds: error: {path}: not valid FHIR R4B at {element}: ")
    assert err.count("\n") == 1


def test_strict_never_echoes_the_invalid_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = copy.deepcopy(load_named(SCENARIO).record)
    patient = next(e["resource"] for e in record["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["birthDate"] = "SECRET-1970-XX"
    status, _, err = run(["evaluate", write(tmp_path, "record.json", record), "--strict"], capsys)
    assert status == 2 and "birthDate" in err and "SECRET" not in err


def test_strict_checks_the_order_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = SCENARIOS / SCENARIO
    drafts = copy.deepcopy(load_named(SCENARIO).draft_orders)
    drafts["entry"][0]["resource"]["intent"] = 7
    order = write(tmp_path, "orders.json", drafts)
    status, _, err = run(["evaluate", str(directory / "record.json"), "--order", order, "--strict"], capsys)
    assert status == 2 and f"{order}: not valid FHIR R4B at Bundle.entry[0].resource" in err


def test_without_strict_the_same_record_is_still_evaluated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = copy.deepcopy(load_named(SCENARIO).record)
    entry_of(record, "absu-lmn").update(status="active")
    status, out, _ = run(["evaluate", write(tmp_path, "record.json", record)], capsys)
    assert status == 0 and out.startswith("Outcome: ")


def test_order_must_be_a_medication_request_or_a_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = str(SCENARIOS / SCENARIO / "record.json")
    order = write(tmp_path, "order.json", {"resourceType": "Patient", "id": "p"})
    status, _, err = run(["evaluate", record, "--order", order], capsys)
    assert status == 2
    assert err == f"ivig-cds: error: {order}: expected a FHIR MedicationRequest or Bundle\n"


SAME_ORDERS = [s for s in LIBRARY if s.meta["hook"] == "order-sign" or len(s.drafts()) == 1]


@pytest.mark.parametrize("scenario", SAME_ORDERS, ids=[s.name for s in SAME_ORDERS])
def test_evaluate_with_the_draft_orders_bundle_answers_as_the_hook(
    scenario: FixtureScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = SCENARIOS / scenario.name
    args = ["evaluate", str(directory / "record.json"), "--order", str(directory / "draft-orders.json")]
    status, out, err = run([*args, "--as-of", scenario.meta["asOf"], "--format", "cards", "--strict"], capsys)
    assert (status, err) == (0, "")
    assert without_uuids(json.loads(out)) == without_uuids(build_hook_response(scenario))
    assert len(SAME_ORDERS) >= len(LIBRARY) - 2  # all but order-select calls with several drafts
