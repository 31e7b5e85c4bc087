"""Reading Bundles: search outcome entries (OperationOutcome, search.mode "outcome") are never data."""

from __future__ import annotations

from typing import Any

from cds_hooks.chart import bundle_resources

CONDITION = {"resourceType": "Condition", "id": "c1"}
NO_RESULTS = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "information", "code": "informational", "details": {"text": "No results"}}],
}


def searchset(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": list(entries)}


def test_an_outcome_entry_is_skipped() -> None:
    bundle = searchset({"resource": NO_RESULTS, "search": {"mode": "outcome"}})
    assert bundle_resources(bundle) == []


def test_data_entries_stay_beside_an_outcome_entry() -> None:
    bundle = searchset(
        {"resource": CONDITION, "search": {"mode": "match"}},
        {"resource": NO_RESULTS, "search": {"mode": "outcome"}},
        {"resource": {"resourceType": "Patient", "id": "p"}, "search": {"mode": "include"}},
    )
    assert [r["id"] for r in bundle_resources(bundle)] == ["c1", "p"]


def test_an_operation_outcome_in_a_searchset_without_mode_is_skipped() -> None:
    assert bundle_resources(searchset({"resource": NO_RESULTS}, {"resource": CONDITION})) == [CONDITION]


def test_outcome_mode_skips_whatever_resource_it_carries() -> None:
    assert bundle_resources(searchset({"resource": CONDITION, "search": {"mode": "outcome"}})) == []


def test_collections_keep_their_resources() -> None:
    collection = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": CONDITION}]}
    assert bundle_resources(collection) == [CONDITION]
    assert bundle_resources(NO_RESULTS) == [NO_RESULTS]  # a lone resource is what it is
