"""Patient-level conduction block: the adequate study, every CB-unknown reason, several studies, coded
conclusions and contested ones, Erb's point and amplitude-based evidence (docs/clinical-logic.md)."""

from __future__ import annotations

import pytest

from cds_hooks.ivig.anatomy import evaluate_affected_nerves
from cds_hooks.ivig.block import evaluate_conduction_block
from tests.ivig.fact_builders import BLOCK, day, emg, empty_facts, ev, grades, seg, study
from tests.ivig.support import default_rules

RULES = default_rules()
AMP_RULES = default_rules("[thresholds]\namplitude_for_area = true\n")
HAND = (("first-dorsal-interosseous", "left", 3), ("abductor-pollicis-brevis", "left", 4))
FDI = (("first-dorsal-interosseous", "left", 3),)
MEDIAN = seg("median")
ULNAR = seg("ulnar", distal="wrist", proximal="below-elbow")
RADIAL = seg("radial", distal="forearm", proximal="elbow")


def block_of(*studies, weak=HAND, emg_muscles=(), preliminary=(), rules=RULES):
    facts = empty_facts(grades=grades(*weak), emg_muscles=emg(*emg_muscles))
    a = rules.anatomy
    affected = evaluate_affected_nerves(facts, a.muscle_nerves, rules.ncs.weak_nerves_to_study, 5.0)
    return evaluate_conduction_block(tuple(studies), tuple(preliminary), affected, rules)


@pytest.mark.parametrize(
    ("studies", "weak", "emg_muscles", "status", "reason", "to_study"),
    [
        ([study(MEDIAN, ULNAR)], HAND, (), "absent", None, ()),
        ([study(MEDIAN)], HAND, (), "unknown", "insufficient study", ("ulnar (left)",)),
        ([study(MEDIAN, RADIAL)], FDI, (), "unknown", "insufficient study", ("ulnar (left)",)),
        ([study(MEDIAN, ULNAR)], FDI, (), "absent", None, ()),
        (
            [study(ULNAR)],
            FDI,
            (),
            "unknown",
            "insufficient study",
            ("median (left)", "radial (left)", "peroneal (left)"),
        ),
        ([study(MEDIAN, RADIAL)], (("flexor-digitorum-profundus", "left", 4),), (), "absent", None, ()),
        (
            [study(MEDIAN, ULNAR)],
            (("first-dorsal-interosseous", "right", 3),),
            (),
            "unknown",
            "insufficient study",
            ("ulnar (right)",),
        ),
        ([study(MEDIAN, ULNAR)], (), (("first-dorsal-interosseous", "left", True),), "absent", None, ()),
        ([study(MEDIAN, ULNAR)], (), (), "unknown", "affected nerves not documented", ()),
        (
            [study(MEDIAN, ULNAR)],
            (("first-dorsal-interosseous", "left", 5),),
            (),
            "unknown",
            "affected nerves not documented",
            (),
        ),
        ([study(MEDIAN, ULNAR)], (("quadriceps", "left", 3),), (), "unknown", "insufficient study", ()),
        (
            [study(seg("tibial", distal="ankle", proximal="popliteal-fossa"), MEDIAN)],
            (("gastrocnemius", "left", 3),),
            (),
            "unknown",
            "insufficient study",
            (),
        ),
        (
            [
                study(
                    seg("median", area=(None, None)),
                    seg("ulnar", distal="wrist", proximal="below-elbow", area=(None, None)),
                )
            ],
            HAND,
            (),
            "unknown",
            "area not reported",
            (),
        ),
        (
            [study(MEDIAN, seg("ulnar", distal="wrist", proximal="below-elbow", duration=(None, None)))],
            HAND,
            (),
            "unknown",
            "area not reported",
            (),
        ),
        (
            [study(MEDIAN, seg("ulnar", distal="wrist", proximal="below-elbow", amp=(0.8, 0.7)))],
            HAND,
            (),
            "unknown",
            "distal CMAP too low",
            ("ulnar (left)",),
        ),
        (
            [study(seg("median", proximal=None), seg("ulnar", proximal=None))],
            HAND,
            (),
            "unknown",
            "no proximal stimulation",
            (),
        ),
        (
            [study(MEDIAN, seg("ulnar", distal="below-elbow", proximal="above-elbow"))],
            HAND,
            (),
            "unknown",
            "insufficient study",
            ("ulnar (left)",),
        ),
        ([study(report=None)], HAND, (), "unknown", "no study", ()),
        ([], HAND, (), "unknown", "no study", ()),
    ],
)
def test_adequate_study_and_reasons(studies, weak, emg_muscles, status, reason, to_study):
    block = block_of(*studies, weak=weak, emg_muscles=emg_muscles)
    assert (block.status, block.reason) == (status, reason), block.adequacy.detail
    assert tuple(f"{n} ({s})" for n, s in block.adequacy.to_study) == to_study


def test_unstudiable_weakness_says_so():
    block = block_of(study(MEDIAN, ULNAR), weak=(("quadriceps", "left", 3),))
    assert "cannot be studied for CB" in block.adequacy.detail and block.adequacy.unstudiable == (
        "quadriceps (left)",
    )


def test_only_a_preliminary_report():
    block = block_of(preliminary=(ev("DiagnosticReport/pre"),))
    assert block.status == "unknown" and block.reason == "preliminary report"


def test_a_final_study_wins_over_a_preliminary_one():
    block = block_of(study(MEDIAN, ULNAR), preliminary=(ev("DiagnosticReport/pre"),))
    assert block.status == "absent"


def test_an_earlier_block_is_not_erased_by_a_later_normal_study():
    early = study(seg("median", **BLOCK), ULNAR, report="DiagnosticReport/early", when=day(400))
    late = study(MEDIAN, ULNAR, report="DiagnosticReport/late", when=day(10))
    block = block_of(early, late)
    assert block.status == "definite" and block.strong
    assert [s.level for s in block.studies] == ["definite", "absent"]


def test_coded_absent_contradicted_by_a_computed_block_is_contested():
    block = block_of(study(seg("median", **BLOCK), ULNAR, coded=("conduction-block-absent",)))
    assert block.status == "absent" and block.contested and "show definite CB" in block.contested[0]
    assert block.disagreement


def test_coded_absent_on_an_inadequate_study_is_contested():
    block = block_of(study(coded=("conduction-block-absent",)))
    assert block.status == "absent" and block.contested and "not an adequate study" in block.contested[0]


def test_coded_absent_on_an_adequate_study_is_not_contested():
    block = block_of(study(MEDIAN, ULNAR, coded=("conduction-block-absent",)))
    assert block.status == "absent" and not block.contested and not block.disagreement


def test_coded_block_wins_and_coded_definite_is_strong():
    probable = block_of(study(MEDIAN, ULNAR, coded=("conduction-block-probable",)))
    assert probable.status == "probable" and not probable.strong and probable.disagreement
    definite = block_of(study(coded=("conduction-block-definite",)))
    assert definite.status == "definite" and definite.strong


def test_coded_absent_does_not_erase_another_study_block():
    block = block_of(
        study(seg("median", **BLOCK), report="DiagnosticReport/a", when=day(300)),
        study(MEDIAN, ULNAR, report="DiagnosticReport/b", coded=("conduction-block-absent",)),
    )
    assert block.status == "definite"


def test_block_only_at_erb_point_is_weak():
    erb = seg("median", distal="axilla", proximal="erb-point", **BLOCK)
    block = block_of(study(erb, MEDIAN, ULNAR))
    assert block.status == "definite" and block.erb_only and not block.strong


def test_erb_block_beside_a_forearm_block_is_strong():
    erb = seg("median", distal="axilla", proximal="erb-point", **BLOCK)
    block = block_of(study(erb, seg("ulnar", distal="wrist", proximal="below-elbow", **BLOCK), MEDIAN))
    assert block.strong and not block.erb_only


def test_amplitude_based_block_is_probable_and_weak():
    block = block_of(study(seg("median", amp=(8.0, 2.0), area=(None, None)), ULNAR), rules=AMP_RULES)
    assert block.status == "probable" and block.amplitude_based and not block.strong


def test_tibial_block_never_counts():
    tibial = seg("tibial", distal="ankle", proximal="popliteal-fossa", area=(20.0, 4.0))
    block = block_of(study(tibial, MEDIAN, ULNAR))
    assert block.status == "absent"


def test_segments_without_a_report_are_their_own_study():
    block = block_of(study(MEDIAN), study(ULNAR, report=None))
    assert block.status == "absent" and len(block.studies) == 2
    assert block.studies[1].label == "segments without a report"


def test_minimum_nerves_is_configurable():
    rules = default_rules("[ncs]\nmin_motor_nerves = 1\n")
    assert block_of(study(ULNAR), weak=FDI, rules=rules).status == "absent"
