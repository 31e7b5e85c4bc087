"""Cards of every outcome (docs/clinical-logic.md): cancel only where advised, each CB reason's suggestion,
source ids on every row and in the extension, the evidence statement, valid FHIR ServiceRequests."""

from __future__ import annotations

from itertools import count

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest

from cds_hooks.ivig.assessment import evaluate_assessment
from cds_hooks.ivig.card_text import build_summary
from cds_hooks.ivig.cards import EXTENSION_KEY, build_card
from tests.ivig.fact_builders import (
    AS_OF,
    LOCAL,
    area,
    coded,
    doses,
    empty_facts,
    ev,
    findings,
    grades,
    score,
    seg,
    study,
)
from tests.ivig.test_outcome_rows import (
    CONTESTED,
    DEFINITE,
    ERB,
    GM1_POS,
    ONE,
    ONSET_PROXIMAL,
    PROBABLE,
    RULES,
    facts,
)

ORDER = "MedicationRequest/ivig1"
CASES = {
    "1": {"findings": findings(babinski=True)},
    "2": {
        "findings": findings(babinski=False, clonus=False, dysarthria=False, dysphagia=False, hoffmann=True)
    },
    "4-unknown": {"administrations": doses(120, 90, 60, 30)},
    "4-responding": {
        "administrations": doses(120, 90, 60, 30),
        "sum_scores": (score(AS_OF.replace(month=1), 40), score(AS_OF, 43)),
    },
    "4-not-responding": {
        "administrations": doses(120, 90, 60, 30),
        "sum_scores": (score(AS_OF.replace(month=1), 40), score(AS_OF, 41)),
    },
    "4-decline": {
        "administrations": doses(120, 90, 60, 30),
        "sum_scores": (score(AS_OF.replace(month=1), 40), score(AS_OF, 37)),
    },
    "4-maintenance": {
        "administrations": doses(400, 330, 260, 190, 120, 50),
        "sum_scores": (score(AS_OF.replace(year=2025, month=4), 40), score(AS_OF, 41)),
    },
    "5": {"studies": (DEFINITE,)},
    "6": {"studies": (PROBABLE,)},
    "6a": {"studies": (ERB,), "grades": grades(*ONE)},
    "7": {"studies": ()},
    "8": {},
    "9": {"grades": grades(*ONE)},
    "10": {"onset_site": ONSET_PROXIMAL, "anti_gm1": GM1_POS},
    "10a": {"onset_site": ONSET_PROXIMAL, "studies": (CONTESTED,)},
    "11": {"onset_site": ONSET_PROXIMAL},
    "12": {"ck": None},
}
CANCEL = {"against-mmn", "not-supported", "not-responding"}


def card_of(overrides, order_ids=(ORDER,)):
    assessment = evaluate_assessment(facts(**overrides), RULES, AS_OF, order_ids)
    uuids = count(1)
    return assessment, build_card(assessment, RULES, lambda: f"u{next(uuids)}", "p1").to_json()


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_outcome_card(case):
    assessment, card = card_of(CASES[case])
    assert card["source"]["topic"]["code"] == assessment.outcome
    assert 0 < len(card["summary"]) < 140
    deletes = [a for s in card.get("suggestions", []) for a in s["actions"] if a["type"] == "delete"]
    assert bool(deletes) == (assessment.outcome in CANCEL), case
    assert all(a["resourceId"] == ORDER for a in deletes)
    if card.get("suggestions"):
        assert card["selectionBehavior"] == "any"
    for suggestion in card.get("suggestions", []):
        for action in suggestion["actions"]:
            if action["type"] == "create":
                ServiceRequest.model_validate(action["resource"])
    table = [
        line for line in card["detail"].splitlines() if line.startswith("| ") and "Criterion" not in line
    ]
    assert len(table) == len(assessment.criteria)
    assert all(row.rstrip(" |").split("| ")[-1].strip() for row in table), "every row names its source"
    assert (
        "SIMON2013" in card["detail"] and "BURRELL2011" in card["detail"] and RULES.version in card["detail"]
    )
    extension = card["extension"][EXTENSION_KEY]
    assert extension["row"] == assessment.row and extension["rulesVersion"] == RULES.version
    assert all(c["source"] and c["status"] for c in extension["criteria"])
    links = [link["url"] for link in card["links"]]
    assert "https://doi.org/10.1212/01.wnl.0000437301.28441.7e" in links
    assert "https://doi.org/10.1111/j.1529-8027.2010.00290.x" in links


@pytest.mark.parametrize(
    ("case", "indicator"),
    [
        ("1", "warning"),
        ("2", "warning"),
        ("5", "info"),
        ("7", "info"),
        ("8", "info"),
        ("9", "warning"),
        ("11", "warning"),
        ("4-responding", "info"),
        ("4-not-responding", "warning"),
        ("4-decline", "warning"),
        ("4-maintenance", "info"),
        ("4-unknown", "info"),
    ],
)
def test_indicator(case, indicator):
    _, card = card_of(CASES[case])
    assert card["indicator"] == indicator


def creates(card):
    return [a["resource"] for s in card.get("suggestions", []) for a in s["actions"] if a["type"] == "create"]


def codes(card):
    return [r["code"]["coding"][0]["code"] for r in creates(card)]


THIN = study(seg("median"))
AMPLITUDE_ONLY = study(
    seg("median", area=(None, None)), seg("ulnar", distal="wrist", proximal="below-elbow", area=(None, None))
)
LOW = study(seg("median"), seg("ulnar", distal="wrist", proximal="below-elbow", amp=(0.8, 0.7)))


@pytest.mark.parametrize(
    ("overrides", "reason", "expected", "sites"),
    [
        (
            {"studies": ()},
            "no study",
            ["ncs-with-proximal-stimulation"],
            ["ulnar nerve, left", "median nerve, left"],
        ),
        (
            {"studies": (study(seg("median", proximal=None)),)},
            "no proximal stimulation",
            ["ncs-with-proximal-stimulation"],
            None,
        ),
        (
            {"studies": (THIN,)},
            "insufficient study",
            ["ncs-with-proximal-stimulation"],
            ["ulnar nerve, left"],
        ),
        ({"studies": (AMPLITUDE_ONLY,)}, "area not reported", ["ncs-review-cmap-areas"], None),
        (
            {"studies": (LOW,)},
            "distal CMAP too low",
            ["nerve-ultrasound"],
            None,
        ),
        ({"grades": {}, "emg_muscles": ()}, "affected nerves not documented", ["mrc-grading"], None),
        ({"grades": grades(("quadriceps", "left", 3))}, "insufficient study", ["nerve-ultrasound"], None),
        ({"studies": (), "preliminary_ncs": (ev("DiagnosticReport/pre"),)}, "preliminary report", [], None),
    ],
)
def test_cb_unknown_reason_suggestions(overrides, reason, expected, sites):
    assessment, card = card_of(overrides)
    assert assessment.row == "7" and assessment.conduction_block.reason == reason
    assert reason in card["summary"]
    assert codes(card) == expected
    if sites is not None:
        assert sorted(b["text"] for b in creates(card)[0]["bodySite"]) == sorted(sites)


def test_area_review_points_at_the_report():
    _, card = card_of({"studies": (AMPLITUDE_ONLY,)})
    assert creates(card)[0]["supportingInfo"] == [{"reference": "DiagnosticReport/ncs1"}]


def test_trial_reasonable_suggests_the_12_week_review():
    _, card = card_of(CASES["8"])
    (review,) = creates(card)
    assert review["code"]["coding"][0]["code"] == "ivig-response-review"
    assert review["occurrenceDateTime"] == "2026-08-24" and review["basedOn"] == [{"reference": ORDER}]


def test_not_supported_suggests_ultrasound_unless_done():
    _, card = card_of(CASES["11"])
    assert codes(card) == ["nerve-ultrasound"]
    _, done = card_of({**CASES["11"], "nerve_areas": (area("ulnar", "forearm", 20.0),)})
    assert codes(done) == [] and "judged neither way" in done["detail"]


def test_incomplete_row_12_asks_for_what_is_missing():
    _, card = card_of({"ck": None, "anti_gm1": None})
    assert codes(card) == ["2157-6", "anti-gm1-igm-test"]


def test_contested_conclusion_is_stated():
    _, card = card_of(CASES["10a"])
    assert "contested conclusion" in card["detail"] and "coded conduction-block-absent" in card["detail"]


def test_summaries_stay_short_for_every_reason():
    for reason_case in ({"studies": ()}, {"studies": (AMPLITUDE_ONLY,)}, {"grades": {}, "emg_muscles": ()}):
        assessment, _ = card_of(reason_case)
        assert len(build_summary(assessment)) < 140


def test_no_markdown_html_and_no_patient_name():
    _, card = card_of(
        {"studies": (study(seg("median", **{"area": (20.0, 7.0), "duration": (6.0, 6.6)}), coded=("a<b>",)),)}
    )
    assert "<" not in card["detail"].replace("&lt;", "")
    assert coded((LOCAL, "x")).codes  # the builders stay importable
    assert empty_facts().as_of == AS_OF
