"""Feedback as EHRs send it: the spec's `overrideReason`, Epic's plural `overrideReasons`, lists, batches."""

from __future__ import annotations

from typing import Any

import pytest

from cds_hooks.errors import InvalidFeedback
from cds_hooks.models import Coding, OverrideReasonFeedback
from cds_hooks.parsing import parse_feedback

SYSTEM = "http://ivig-cds.org/fhir/CodeSystem/lmn-assessment"
REASON = {"reason": {"system": SYSTEM, "code": "specialist-recommendation", "display": "Specialist"}}
OTHER = {"reason": {"system": SYSTEM, "code": "patient-preference-informed"}, "userComment": "discussed"}
EXPECTED = OverrideReasonFeedback(Coding(SYSTEM, "specialist-recommendation", "Specialist"))


def overridden(**extra: Any) -> dict[str, Any]:
    return {"card": "card-1", "outcome": "overridden", "outcomeTimestamp": "2026-11-25T10:00:00Z", **extra}


@pytest.mark.parametrize(
    "extra",
    [
        {"overrideReason": REASON},  # CDS Hooks 2.0
        {"overrideReasons": REASON},  # Epic: same shape, plural key
        {"overrideReasons": [REASON]},  # a list of one
        {"overrideReason": [REASON]},
        {"overrideReason": REASON, "overrideReasons": REASON},  # both keys, same reason: counted once
    ],
)
def test_one_reason_in_any_of_the_shapes_sent(extra: dict[str, Any]) -> None:
    (item,) = parse_feedback({"feedback": [overridden(**extra)]})
    assert item.override_reason == EXPECTED
    assert item.override_reasons == (EXPECTED,)


def test_several_reasons_are_all_kept_in_order() -> None:
    (item,) = parse_feedback({"feedback": [overridden(overrideReasons=[REASON, OTHER])]})
    assert item.override_reason == EXPECTED
    assert [r.reason.code for r in item.override_reasons if r.reason] == [
        "specialist-recommendation",
        "patient-preference-informed",
    ]
    assert item.override_reasons[1].user_comment == "discussed"


@pytest.mark.parametrize("empty", [{"overrideReasons": []}, {"overrideReasons": {}}, {}])
def test_no_reason_is_no_reason(empty: dict[str, Any]) -> None:
    (item,) = parse_feedback({"feedback": [overridden(**empty)]})
    assert item.override_reason is None and item.override_reasons == ()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"overrideReasons": "because"}, "feedback[0].overrideReasons"),
        ({"overrideReasons": [REASON, "because"]}, "feedback[0].overrideReasons[1]"),
        ({"overrideReasons": {"reason": {"system": SYSTEM}}}, "feedback[0].overrideReasons.reason"),
        ({"overrideReasons": [{"reason": "x"}]}, "feedback[0].overrideReasons[0].reason"),
        ({"overrideReasons": {"userComment": ["a"]}}, "feedback[0].overrideReasons.userComment"),
    ],
)
def test_a_reason_that_would_lose_its_meaning_is_refused(extra: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidFeedback) as err:
        parse_feedback({"feedback": [overridden(**extra)]})
    assert err.value.field == field


def test_a_batch_keeps_every_entry_in_order() -> None:
    batch = [overridden(card=f"card-{n}", overrideReasons=REASON) for n in range(5)]
    items = parse_feedback({"feedback": batch})
    assert [i.card for i in items] == [f"card-{n}" for n in range(5)]
