"""Outcome table (clinical-rules §4) row by row, and the response review (§5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cds_hooks.ivig.assessment import evaluate_outcome
from cds_hooks.ivig.criteria import Criterion
from cds_hooks.ivig.facts import Evidence, SumScore
from cds_hooks.ivig.response import evaluate_response
from tests.ivig.support import default_rules

RULES = default_rules()
ALL = (
    "X-UMN",
    "X-BULBAR",
    "X-SENSORY",
    "X-RESP",
    "X-SYMMETRIC",
    "X-ALS",
    "CB",
    "T-ONSET",
    "T-EMG",
    "T-CK",
    "S-GM1",
    "S-CSF",
    "S-MRI",
)


def criteria(**statuses: str) -> list[Criterion]:
    base = {cid: "not-met" for cid in ALL if cid.startswith("X-")}
    base.update(
        {
            "CB": "not-met",
            "T-ONSET": "unknown",
            "T-EMG": "unknown",
            "T-CK": "unknown",
            "S-GM1": "unknown",
            "S-CSF": "unknown",
            "S-MRI": "unknown",
        }
    )
    base.update({k.replace("_", "-"): v for k, v in statuses.items()})
    return [Criterion(cid, base[cid]) for cid in ALL]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("statuses", "outcome"),
    [
        ({"X_UMN": "met", "CB": "met"}, "against-mmn"),
        ({"X_ALS": "met"}, "against-mmn"),
        ({"X_UMN": "unknown", "CB": "met"}, "supported"),
        ({"CB": "unknown", "T_ONSET": "met", "T_EMG": "met", "T_CK": "met"}, "incomplete"),
        ({"T_ONSET": "met", "T_EMG": "met", "T_CK": "met"}, "trial-reasonable"),
        ({"T_ONSET": "not-met", "S_GM1": "met", "S_MRI": "met"}, "trial-reasonable"),
        ({"T_ONSET": "not-met", "S_GM1": "met"}, "not-supported"),
        ({"T_CK": "not-met", "T_ONSET": "met", "T_EMG": "met"}, "not-supported"),
        ({"T_ONSET": "met", "T_EMG": "unknown", "T_CK": "met"}, "incomplete"),
    ],
)
def test_outcome_table(statuses, outcome):
    assert evaluate_outcome(criteria(**statuses), RULES) == outcome


FIRST = date(2026, 1, 1)


def score(day: date, value: float, maximum: float | None = 60) -> SumScore:
    return SumScore(("sys", "mrc-sum-score", maximum), value, Evidence(f"Observation/{day}", day, str(value)))


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([score(FIRST - timedelta(days=10), 40), score(FIRST + timedelta(days=90), 42)], "responding"),
        ([score(FIRST - timedelta(days=10), 40), score(FIRST + timedelta(days=90), 41)], "not-responding"),
        ([score(FIRST - timedelta(days=10), 40), score(FIRST + timedelta(days=80), 50)], "response-unknown"),
        ([score(FIRST - timedelta(days=200), 40), score(FIRST + timedelta(days=90), 50)], "response-unknown"),
        ([score(FIRST, 40), score(FIRST + timedelta(days=84), 42)], "responding"),
        ([score(FIRST, 40), score(FIRST + timedelta(days=90), 50, maximum=100)], "response-unknown"),
        ([score(FIRST + timedelta(days=90), 50)], "response-unknown"),
    ],
)
def test_response_review(scores, expected):
    first = Evidence("MedicationAdministration/a", FIRST, "IVIg")
    assert evaluate_response(first, scores, RULES).status == expected
