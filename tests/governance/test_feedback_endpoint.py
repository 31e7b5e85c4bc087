"""Feedback as EHRs send it, through the endpoint: Epic's plural key, batches sent twice, unknown cards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from service.app import create_app
from service.governance.engagement import build_feedback_quality
from service.governance.records import ReportQuery, load_calls, load_feedback_records
from service.runtime import Runtime
from tests.service.conftest import ChartCountingService, base_config, sign_request

SYSTEM = "http://ivig-cds.org/fhir/CodeSystem/lmn-assessment"
PREFETCHED = {"patient": {"resourceType": "Patient", "id": "pat-7f3a"}, "conditions": None}


def app(tmp_path: Path) -> Flask:
    return create_app(base_config(tmp_path), services=[ChartCountingService()])


def epic_override(card: str, minute: int) -> dict[str, Any]:
    return {
        "card": card,
        "outcome": "overridden",
        "outcomeTimestamp": f"2026-11-25T10:{minute:02d}:00Z",
        "overrideReasons": {
            "reason": {"system": SYSTEM, "code": "specialist-recommendation", "display": "Specialist"},
            "userComment": "seen in clinic",
        },
    }


def test_a_batch_sent_twice_is_stored_once_and_unknown_cards_are_kept_and_counted(tmp_path: Path) -> None:
    client = app(tmp_path).test_client()
    card = client.post("/cds-services/test-order-sign", json=sign_request(prefetch=PREFETCHED)).json["cards"][
        0
    ]
    batch = {"feedback": [epic_override(card["uuid"], 1), epic_override("no-such-card", 2)]}
    first = client.post("/cds-services/test-order-sign/feedback", json=batch)
    again = client.post("/cds-services/test-order-sign/feedback", json=batch)
    assert first.json == {"received": 2, "new": 2}
    assert again.json == {"received": 2, "new": 0}
    rt: Runtime = client.application.extensions["ivig_cds"]
    rt.audit.flush()
    feedback = load_feedback_records(rt.store, ReportQuery())
    assert {f.card for f in feedback} == {card["uuid"], "no-such-card"}
    assert all(f.reasons == ((SYSTEM, "specialist-recommendation", "Specialist"),) for f in feedback)
    assert all(f.has_comment and f.comment is None for f in feedback)  # counted, not carried
    quality = dict(build_feedback_quality(load_calls(rt.store, ReportQuery()), feedback).rows)
    assert quality["about a card the audit does not know (kept, flagged)"] == 1


def test_several_reasons_in_a_list_are_all_stored(tmp_path: Path) -> None:
    client = app(tmp_path).test_client()
    item = epic_override("card-1", 3)
    item["overrideReasons"] = [
        item["overrideReasons"],
        {"reason": {"system": SYSTEM, "code": "patient-preference-informed"}},
    ]
    assert client.post("/cds-services/test-order-sign/feedback", json={"feedback": [item]}).status_code == 200
    rt: Runtime = client.application.extensions["ivig_cds"]
    (stored,) = load_feedback_records(rt.store, ReportQuery())
    assert [code for _, code, _ in stored.reasons] == [
        "specialist-recommendation",
        "patient-preference-informed",
    ]


def test_a_reason_that_loses_its_meaning_is_400(tmp_path: Path) -> None:
    client = app(tmp_path).test_client()
    item = epic_override("card-1", 4)
    item["overrideReasons"] = {"reason": {"display": "no code"}}
    answer = client.post("/cds-services/test-order-sign/feedback", json={"feedback": [item]})
    assert answer.status_code == 400
    assert answer.json["issue"][0]["expression"] == ["feedback[0].overrideReasons.reason"]
