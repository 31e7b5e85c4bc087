"""Feedback: validated, idempotent, persistent across restarts, exported as JSON lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from service.app import create_app
from service.cli import main
from tests.service.conftest import ChartCountingService, base_config

ACCEPTED = {
    "card": "9d0c4e3e-4b7a-4a5e-9a39-3c7c0d6f1a11",
    "outcome": "accepted",
    "acceptedSuggestions": [{"id": "f1a9c1c2-8a5e-4f0a-9e84-3f3b7f2b4c55"}],
    "outcomeTimestamp": "2026-11-25T10:00:00Z",
}
OVERRIDDEN = {
    "card": "9d0c4e3e-4b7a-4a5e-9a39-3c7c0d6f1a11",
    "outcome": "overridden",
    "overrideReason": {
        "reason": {
            "system": "http://ivig-cds.org/fhir/CodeSystem/lmn-assessment",
            "code": "specialist-recommendation",
            "display": "Neuromuscular specialist recommendation",
        },
        "userComment": "EMG elsewhere showed block",
    },
    "outcomeTimestamp": "2026-11-25T10:05:00Z",
}


def make_app(tmp_path: Path) -> Any:
    return create_app(base_config(tmp_path), services=[ChartCountingService()])


def post(app: Any, *items: dict[str, Any]) -> Any:
    return app.test_client().post("/cds-services/test-order-sign/feedback", json={"feedback": list(items)})


def test_feedback_is_stored_once_and_survives_a_restart(tmp_path: Path) -> None:
    first = make_app(tmp_path)
    assert post(first, ACCEPTED).status_code == 200
    assert post(first, ACCEPTED).json == {"received": 1, "new": 0}
    assert post(first, OVERRIDDEN).json == {"received": 1, "new": 1}
    restarted = make_app(tmp_path)
    records = list(restarted.extensions["ivig_cds"].store.load_feedback())
    assert [(r["outcome"], r["outcomeTimestamp"]) for r in records] == [
        ("accepted", ACCEPTED["outcomeTimestamp"]),
        ("overridden", OVERRIDDEN["outcomeTimestamp"]),
    ]
    assert records[0]["acceptedSuggestions"] == ["f1a9c1c2-8a5e-4f0a-9e84-3f3b7f2b4c55"]
    assert records[1]["overrideReason"]["code"] == "specialist-recommendation"
    assert records[1]["overrideReason"]["userComment"] == "EMG elsewhere showed block"


def test_same_card_reported_again_later_is_a_new_record(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    later = {**ACCEPTED, "outcomeTimestamp": "2026-11-25T11:00:00Z"}
    assert post(app, ACCEPTED, later, ACCEPTED).json == {"received": 3, "new": 2}


@pytest.mark.parametrize(
    "item",
    [
        {**ACCEPTED, "outcome": "maybe"},
        {k: v for k, v in ACCEPTED.items() if k != "acceptedSuggestions"},
        {**ACCEPTED, "outcomeTimestamp": "25/11/2026"},
    ],
)
def test_invalid_feedback_is_400_and_nothing_stored(tmp_path: Path, item: dict[str, Any]) -> None:
    app = make_app(tmp_path)
    response = post(app, OVERRIDDEN, item)
    assert response.status_code == 400
    assert response.json["issue"][0]["details"]["coding"][0]["code"] == "invalid-feedback"
    assert list(app.extensions["ivig_cds"].store.load_feedback()) == []


def test_feedback_for_unknown_service_is_404(tmp_path: Path) -> None:
    response = (
        make_app(tmp_path).test_client().post("/cds-services/nope/feedback", json={"feedback": [ACCEPTED]})
    )
    assert response.status_code == 404


def test_feedback_export_prints_json_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    post(make_app(tmp_path), ACCEPTED, OVERRIDDEN)
    monkeypatch.setenv("IVIG_CDS_SERVICE_DATA_DIR", str(tmp_path / "data"))
    assert main(["feedback", "export"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["outcome"] for line in lines] == ["accepted", "overridden"]
    assert {line["serviceId"] for line in lines} == {"test-order-sign"}
    assert all(line["receivedAt"] for line in lines)
    assert main(["feedback", "export", "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == ""
