"""The outcome table row by row through `evaluate_assessment` (docs/clinical-logic.md)."""

from __future__ import annotations

import pytest

from cds_hooks.ivig.assessment import evaluate_assessment
from cds_hooks.ivig.facts import LabResult
from tests.ivig.fact_builders import (
    AS_OF,
    BLOCK,
    LOCAL,
    V3,
    area,
    coded,
    doses,
    emg,
    empty_facts,
    ev,
    findings,
    grades,
    seg,
    study,
)
from tests.ivig.support import default_rules

RULES = default_rules()
CLEAR = {
    "babinski": False,
    "clonus": False,
    "dysarthria": False,
    "dysphagia": False,
    "objective_sensory_deficit": False,
}
TWO = (("first-dorsal-interosseous", "left", 3), ("abductor-pollicis-brevis", "left", 4))
ONE = (("first-dorsal-interosseous", "left", 3), ("abductor-digiti-minimi", "left", 4))
NORMAL = study(seg("median"), seg("ulnar", distal="wrist", proximal="below-elbow"))
DEFINITE = study(seg("median", **BLOCK), seg("ulnar", distal="wrist", proximal="below-elbow"))
PROBABLE = study(seg("median", area=(20.0, 13.0)), seg("ulnar", distal="wrist", proximal="below-elbow"))
ERB = study(
    seg("median", distal="axilla", proximal="erb-point", **BLOCK),
    seg("ulnar", distal="wrist", proximal="below-elbow"),
)
CONTESTED = study(
    seg("median", **BLOCK),
    seg("ulnar", distal="wrist", proximal="below-elbow"),
    coded=("conduction-block-absent",),
)
ONSET_DISTAL = coded((LOCAL, "distal-upper-limb"))
ONSET_PROXIMAL = coded((LOCAL, "proximal-upper-limb"))
EMG_OK = emg(("first-dorsal-interosseous", "left", True))
CK_OK = LabResult(100.0, None, frozenset(), ev())
GM1_NEG = coded((V3, "NEG"))
GM1_POS = coded((V3, "POS"))


def facts(**kw):
    base = {
        "findings": findings(**CLEAR),
        "grades": grades(*TWO),
        "studies": (NORMAL,),
        "onset_site": ONSET_DISTAL,
        "emg_muscles": EMG_OK,
        "ck": CK_OK,
        "anti_gm1": GM1_NEG,
    }
    base.update(kw)
    return empty_facts(**base)


@pytest.mark.parametrize(
    ("name", "overrides", "outcome", "row"),
    [
        (
            "hard exclusion",
            {"findings": findings(**{**CLEAR, "babinski": True}), "studies": (DEFINITE,)},
            "against-mmn",
            "1",
        ),
        ("symmetric onset", {"onset_pattern": coded((LOCAL, "symmetric"))}, "against-mmn", "1"),
        (
            "soft exclusion, with a block",
            {"findings": findings(**{**CLEAR, "objective_sensory_deficit": True}), "studies": (DEFINITE,)},
            "specialist-review",
            "2",
        ),
        ("Hoffmann alone", {"findings": findings(**{**CLEAR, "hoffmann": True})}, "specialist-review", "2"),
        (
            "tongue sign alone",
            {"findings": findings(**{**CLEAR, "tongue_fasciculations": True})},
            "specialist-review",
            "2",
        ),
        (
            "hard exclusion on IVIg",
            {"findings": findings(**{**CLEAR, "babinski": True}), "administrations": doses(200, 100, 20)},
            "specialist-review",
            "2",
        ),
        (
            "soft and hard: hard wins",
            {"findings": findings(**{**CLEAR, "dysarthria": True, "respiratory_involvement": True})},
            "against-mmn",
            "1",
        ),
        ("course under 84 days", {"administrations": doses(83, 40)}, None, "3"),
        ("course of 84 days", {"administrations": doses(84, 40)}, "response-unknown", "4"),
        (
            "course ended 91 days ago: re-challenge",
            {"administrations": doses(200, 91), "studies": (DEFINITE,)},
            "supported",
            "5",
        ),
        (
            "requests only start no course",
            {"ivig_requests": doses(30), "studies": (DEFINITE,)},
            "supported",
            "5",
        ),
        ("definite", {"studies": (DEFINITE,)}, "supported", "5"),
        ("definite, one territory", {"studies": (DEFINITE,), "grades": grades(*ONE)}, "supported", "5"),
        ("probable, two territories", {"studies": (PROBABLE,)}, "supported", "6"),
        ("Erb's point only, two territories", {"studies": (ERB,)}, "supported", "6"),
        (
            "probable, one territory",
            {"studies": (PROBABLE,), "grades": grades(*ONE)},
            "specialist-review",
            "6a",
        ),
        (
            "Erb's point only, one territory",
            {"studies": (ERB,), "grades": grades(*ONE)},
            "specialist-review",
            "6a",
        ),
        ("no NCS", {"studies": ()}, "incomplete", "7"),
        ("thin NCS", {"studies": (study(seg("median")),)}, "incomplete", "7"),
        ("triad met, two territories", {}, "trial-reasonable", "8"),
        (
            "two supportive",
            {
                "onset_site": ONSET_PROXIMAL,
                "anti_gm1": GM1_POS,
                "nerve_areas": (area("median", "forearm", 12.0),),
            },
            "trial-reasonable",
            "8",
        ),
        (
            "triad met, UMN unknown",
            {"findings": findings(clonus=False, dysarthria=False, dysphagia=False)},
            "incomplete",
            "12",
        ),
        ("triad met, one territory", {"grades": grades(*ONE)}, "specialist-review", "9"),
        (
            "one supportive, triad failed",
            {"onset_site": ONSET_PROXIMAL, "anti_gm1": GM1_POS},
            "specialist-review",
            "10",
        ),
        (
            "contested absence",
            {"onset_site": ONSET_PROXIMAL, "studies": (CONTESTED,)},
            "specialist-review",
            "10a",
        ),
        ("not supported", {"onset_site": ONSET_PROXIMAL}, "not-supported", "11"),
        ("anti-GM1 not tested", {"onset_site": ONSET_PROXIMAL, "anti_gm1": None}, "incomplete", "12"),
        (
            "exam not documented",
            {"onset_site": ONSET_PROXIMAL, "findings": findings(babinski=False)},
            "incomplete",
            "12",
        ),
        ("triad item unknown", {"ck": None}, "incomplete", "12"),
    ],
)
def test_outcome_rows(name, overrides, outcome, row):
    assessment = evaluate_assessment(facts(**overrides), RULES, AS_OF, ("MedicationRequest/ivig1",))
    assert (assessment.outcome, assessment.row) == (outcome, row), name


def test_re_challenge_and_request_history_are_cautions():
    re = evaluate_assessment(facts(administrations=doses(200, 91), studies=(DEFINITE,)), RULES, AS_OF, ())
    assert any("re-challenge" in c for c in re.cautions)
    requested = evaluate_assessment(facts(ivig_requests=doses(30), studies=(DEFINITE,)), RULES, AS_OF, ())
    assert any("without administrations" in c for c in requested.cautions)


def test_weak_block_and_single_territory_cautions():
    one = evaluate_assessment(facts(studies=(ERB,), grades=grades(*ONE)), RULES, AS_OF, ())
    assert any("Erb's point" in c for c in one.cautions) and any(
        "possible diagnosis" in c for c in one.cautions
    )
