"""Request validation: each required field missing, each wrong type, hook mismatch (CDS Hooks 2.0)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cds_hooks.errors import HookMismatch, InvalidFeedback, InvalidRequest
from cds_hooks.parsing import parse_feedback, parse_hook_request

DRAFTS = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [{"resource": {"resourceType": "MedicationRequest", "id": "a"}}],
}


def select_body() -> dict[str, Any]:
    return {
        "hook": "order-select",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {
            "userId": "Practitioner/1",
            "patientId": "p1",
            "selections": ["MedicationRequest/a"],
            "draftOrders": copy.deepcopy(DRAFTS),
        },
    }


def drop(body: dict[str, Any], path: str) -> dict[str, Any]:
    parts = path.split(".")
    target = body
    for part in parts[:-1]:
        target = target[part]
    del target[parts[-1]]
    return body


def put(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    parts = path.split(".")
    target = body
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value
    return body


def test_valid_order_select_parses() -> None:
    request = parse_hook_request(select_body(), "order-select")
    assert request.patient_id == "p1"
    assert request.fhir_server is None and request.prefetch is None


@pytest.mark.parametrize(
    "path",
    [
        "hook",
        "hookInstance",
        "context",
        "context.userId",
        "context.patientId",
        "context.selections",
        "context.draftOrders",
    ],
)
def test_missing_required_field_is_named(path: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        parse_hook_request(drop(select_body(), path), "order-select")
    assert err.value.field == path
    assert path in err.value.message


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("hook", 7),
        ("hookInstance", "not-a-uuid"),
        ("hookInstance", ["x"]),
        ("context", "text"),
        ("context.userId", 12),
        ("context.patientId", {"id": "p"}),
        ("context.patientId", "has spaces/and slash"),
        ("context.selections", "MedicationRequest/a"),
        ("context.draftOrders", []),
        ("context.encounterId", 5),
        ("fhirServer", 3),
        ("prefetch", []),
        ("fhirAuthorization", "token"),
    ],
)
def test_wrong_type_is_named(path: str, value: Any) -> None:
    with pytest.raises(InvalidRequest) as err:
        parse_hook_request(put(select_body(), path, value), "order-select")
    assert err.value.field is not None and err.value.field.startswith(path.split(".")[0])


def test_hook_mismatch() -> None:
    body = select_body()
    body["hook"] = "order-sign"
    with pytest.raises(HookMismatch) as err:
        parse_hook_request(body, "order-select")
    assert err.value.field == "hook"


def test_order_sign_needs_no_selections() -> None:
    body = drop(select_body(), "context.selections")
    body["hook"] = "order-sign"
    assert parse_hook_request(body, "order-sign").hook == "order-sign"


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"resourceType": "Parameters"}, "context.draftOrders"),
        ({"resourceType": "Bundle", "entry": {}}, "context.draftOrders.entry"),
        ({"resourceType": "Bundle", "entry": [{"resource": "x"}]}, "context.draftOrders.entry[0].resource"),
        (
            {"resourceType": "Bundle", "entry": [{"fullUrl": "urn:x"}]},
            "context.draftOrders.entry[0].resource",
        ),
    ],
)
def test_unusable_draft_orders(value: Any, field: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        parse_hook_request(put(select_body(), "context.draftOrders", value), "order-select")
    assert err.value.field == field


@pytest.mark.parametrize("selection", [5, "MedicationRequest", "a/b/c", ""])
def test_bad_selection(selection: Any) -> None:
    with pytest.raises(InvalidRequest) as err:
        parse_hook_request(put(select_body(), "context.selections", [selection]), "order-select")
    assert err.value.field == "context.selections[0]"


def test_lenient_draft_order_category_object_is_accepted() -> None:
    body = select_body()
    body["context"]["draftOrders"]["entry"][0]["resource"]["category"] = {"text": "inpatient"}
    assert parse_hook_request(body, "order-select").context["draftOrders"]["entry"][0]["resource"]["category"]


def test_fhir_authorization_requires_fhir_server_and_fields() -> None:
    auth = {
        "access_token": "tok-XYZZY-123",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "cds",
    }
    body = put(select_body(), "fhirAuthorization", auth)
    with pytest.raises(InvalidRequest) as err:
        parse_hook_request(body, "order-select")
    assert err.value.field == "fhirServer"
    body["fhirServer"] = "https://fhir.example.org/r4/"
    request = parse_hook_request(body, "order-select")
    assert request.fhir_server == "https://fhir.example.org/r4"
    assert "XYZZY" not in repr(request.fhir_authorization)
    assert "XYZZY" not in repr(request)
    for key in ("access_token", "token_type", "expires_in", "scope", "subject"):
        broken = copy.deepcopy(body)
        del broken["fhirAuthorization"][key]
        with pytest.raises(InvalidRequest) as err:
            parse_hook_request(broken, "order-select")
        assert err.value.field == f"fhirAuthorization.{key}"


def test_unknown_fields_are_ignored() -> None:
    body = put(select_body(), "extension", {"com.example": {"x": 1}})
    body["context"]["somethingNew"] = True
    assert parse_hook_request(body, "order-select").hook == "order-select"


GOOD_FEEDBACK = {
    "card": "card-1",
    "outcome": "accepted",
    "acceptedSuggestions": [{"id": "s-1"}],
    "outcomeTimestamp": "2026-11-25T10:00:00Z",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"outcome": "ignored"}, "feedback[0].outcome"),
        ({"outcome": None}, "feedback[0].outcome"),
        ({"card": None}, "feedback[0].card"),
        ({"acceptedSuggestions": None}, "feedback[0].acceptedSuggestions"),
        ({"acceptedSuggestions": []}, "feedback[0].acceptedSuggestions"),
        ({"acceptedSuggestions": [{"uuid": "x"}]}, "feedback[0].acceptedSuggestions[0].id"),
        ({"outcomeTimestamp": "yesterday"}, "feedback[0].outcomeTimestamp"),
        ({"outcomeTimestamp": "2026-11-25T10:00:00"}, "feedback[0].outcomeTimestamp"),
        ({"overrideReason": "because"}, "feedback[0].overrideReason"),
        ({"overrideReason": {"reason": {"system": "x"}}}, "feedback[0].overrideReason.reason"),
        ({"overrideReason": {"userComment": 4}}, "feedback[0].overrideReason.userComment"),
    ],
)
def test_feedback_validation_names_field(change: dict[str, Any], field: str) -> None:
    item = {k: v for k, v in {**GOOD_FEEDBACK, **change}.items() if v is not None}
    with pytest.raises(InvalidFeedback) as err:
        parse_feedback({"feedback": [item]})
    assert err.value.field == field


def test_overridden_feedback_without_suggestions_is_valid() -> None:
    item = {
        "card": "c",
        "outcome": "overridden",
        "outcomeTimestamp": "2026-11-25T10:00:00+00:00",
        "overrideReason": {"reason": {"system": "urn:x", "code": "y", "display": "Y"}, "userComment": "ok"},
    }
    (parsed,) = parse_feedback({"feedback": [item]})
    assert parsed.override_reason is not None and parsed.override_reason.reason is not None
    assert parsed.override_reason.reason.code == "y"


@pytest.mark.parametrize("body", [[], {"feedback": []}, {"feedback": {}}, {"feedback": ["x"]}, "x"])
def test_feedback_body_shape(body: Any) -> None:
    with pytest.raises(InvalidFeedback):
        parse_feedback(body)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"card": "c" * 129}, "feedback[0].card"),
        ({"acceptedSuggestions": [{"id": "s" * 129}]}, "feedback[0].acceptedSuggestions[0].id"),
        (
            {"outcome": "overridden", "overrideReason": {"userComment": "x" * 10_001}},
            "feedback[0].overrideReason.userComment",
        ),
        (
            {"outcome": "overridden", "overrideReason": {"reason": {"system": "s" * 257, "code": "c"}}},
            "feedback[0].overrideReason.reason.system",
        ),
        (
            {"outcome": "overridden", "overrideReason": {"reason": {"system": 5, "code": "c"}}},
            "feedback[0].overrideReason.reason.system",
        ),
    ],
)
def test_feedback_values_are_bounded(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidFeedback) as err:
        parse_feedback({"feedback": [{**GOOD_FEEDBACK, **change}]})
    assert err.value.field == field
