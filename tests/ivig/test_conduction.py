"""Conduction block arithmetic (EFNS2010) per segment and per patient, straight from clinical-rules §3."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds_hooks.ivig.conduction import crosses_entrapment, evaluate_conduction_block, evaluate_segment
from cds_hooks.ivig.facts import CodedFact, Evidence
from fixtures.fhir_builders import AS_OF, LOCAL
from tests.ivig.support import default_rules, segment

RULES = default_rules()
AMP_RULES = default_rules("[thresholds]\namplitude_for_area = true\n")
RANK = {"definite": 3, "probable": 2, "none": 1, "unknown": 0, "entrapment": 0}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"area": (20.0, 10.0), "duration": (6.0, 6.0)}, "definite"),  # exactly 50%
        ({"area": (20.0, 10.2), "distal": "forearm"}, "none"),  # 49% on a short segment
        ({"area": (20.0, 10.0), "duration": (5.0, 6.5)}, "definite"),  # exactly 30% duration increase
        ({"area": (20.0, 10.0), "duration": (5.0, 6.55)}, "probable"),  # dispersion path
        ({"area": (20.0, 10.0), "duration": (None, None)}, "probable"),  # >= 50% either way
        ({"area": (20.0, 14.0), "duration": (5.0, 5.0)}, "probable"),  # exactly 30% on a long segment
        ({"area": (20.0, 14.2), "duration": (5.0, 5.0)}, "none"),  # 29%
        ({"area": (20.0, 14.0), "duration": (5.0, 6.6)}, "none"),  # long segment but dispersed
        ({"area": (20.0, 14.0), "duration": (None, None)}, "unknown"),
        ({"area": (None, None)}, "unknown"),  # amplitude_for_area off
        (
            {
                "amp": (1.0, 0.3),
                "area": (20.0, 5.0),
                "nerve": "axillary",
                "distal": "axilla",
                "proximal": "erb-point",
            },
            "none",
        ),
        (
            {
                "amp": (1.1, 0.3),
                "area": (20.0, 5.0),
                "nerve": "axillary",
                "distal": "axilla",
                "proximal": "erb-point",
            },
            "definite",
        ),
        ({"amp": (0.8, 0.3), "area": (20.0, 5.0), "nerve": "median"}, "none"),  # 20% of 4.0 LLN = 0.8
        ({"amp": (0.81, 0.3), "area": (20.0, 5.0), "lln": 4.05}, "none"),  # own LLN: 0.81 == 20%
        (
            {
                "amp": (1.2, 0.3),
                "area": (20.0, 5.0),
                "nerve": "ulnar",
                "distal": "wrist",
                "proximal": "below-elbow",
            },
            "none",
        ),  # 6.0 LLN
        (
            {
                "amp": (1.21, 0.3),
                "area": (20.0, 5.0),
                "nerve": "ulnar",
                "distal": "wrist",
                "proximal": "below-elbow",
            },
            "definite",
        ),
        ({"amp": (None, 0.3), "area": (20.0, 5.0)}, "unknown"),
        ({"distal": None}, "unknown"),
        (
            {"area": (20.0, 14.0), "nerve": "tibial", "distal": "ankle", "proximal": "popliteal-fossa"},
            "none",
        ),  # not upper limb
    ],
)
def test_segment_verdicts(kwargs, expected):
    kwargs = {"duration": (6.0, 6.0), **kwargs}
    assert evaluate_segment(segment(**kwargs), RULES).status == expected


def test_49_percent_on_long_segment_is_probable():
    # median wrist-elbow is a long upper-limb segment: 49% >= 30% with duration <= 30% -> probable
    assert evaluate_segment(segment(area=(20.0, 10.2), duration=(6.0, 6.0)), RULES).status == "probable"


@pytest.mark.parametrize(
    ("nerve", "distal", "proximal"),
    [
        ("median", "palm", "wrist"),
        ("ulnar", "palm", "wrist"),
        ("ulnar", "below-elbow", "above-elbow"),
        ("ulnar", "below-elbow", "elbow"),
        ("peroneal", "below-fibular-head", "popliteal-fossa"),
        ("peroneal", "below-fibular-head", "fibular-head"),
        ("peroneal", "ankle", "popliteal-fossa"),  # spans the fibular head
        ("median", "palm", "elbow"),  # spans the wrist
    ],
)
def test_entrapment_segments_never_count(nerve, distal, proximal):
    verdict = evaluate_segment(segment(nerve, distal, proximal, area=(20.0, 2.0)), RULES)
    assert verdict.status == "entrapment"


def test_entrapment_component_overrides_site_rule():
    across_elbow = segment("ulnar", "below-elbow", "above-elbow", area=(20.0, 8.0), entrapment=False)
    assert evaluate_segment(across_elbow, RULES).status == "definite"
    forearm = segment("median", "wrist", "elbow", area=(20.0, 8.0), entrapment=True)
    assert evaluate_segment(forearm, RULES).status == "entrapment"


@pytest.mark.parametrize(("rules", "expected"), [(RULES, "unknown"), (AMP_RULES, "definite")])
def test_amplitude_for_area_only_if_configured(rules, expected):
    seg = segment(amp=(6.0, 2.0), area=(None, None))
    assert evaluate_segment(seg, rules).status == expected


def _conclusion(code: str) -> CodedFact:
    return CodedFact(frozenset({(LOCAL, code)}), Evidence("DiagnosticReport/ncs", AS_OF, code))


@pytest.mark.parametrize(
    ("segments", "conclusion", "status", "disagree"),
    [
        ([segment(area=(20.0, 8.0)), segment(area=(20.0, 19.0))], None, "definite", False),
        ([segment(area=(20.0, 10.2)), segment(area=(20.0, 19.0))], None, "probable", False),
        ([segment(area=(20.0, 19.0))], None, "absent", False),
        ([segment("median", "palm", "wrist", area=(20.0, 2.0))], None, "unknown", False),
        ([], None, "unknown", False),
        ([segment(area=(None, None))], None, "unknown", False),
        ([segment(area=(20.0, 8.0))], "conduction-block-absent", "absent", True),
        ([], "conduction-block-probable", "probable", False),
        ([segment(area=(20.0, 19.0))], "conduction-block-definite", "definite", True),
    ],
)
def test_patient_level(segments, conclusion, status, disagree):
    block = evaluate_conduction_block(segments, _conclusion(conclusion) if conclusion else None, RULES)
    assert (block.status, block.disagreement) == (status, disagree)


areas = st.floats(min_value=0.5, max_value=50, allow_nan=False)
durations = st.floats(min_value=1, max_value=20, allow_nan=False)
factors = st.floats(min_value=0.1, max_value=10, allow_nan=False)
nerves = st.sampled_from(["median", "ulnar", "radial", "peroneal", "tibial", "axillary"])
sites = st.sampled_from(sorted(RULES.anatomy.site_rank))


@given(areas, areas, durations, durations, factors, factors, nerves, sites, sites)
def test_scaling_both_sites_never_changes_verdict(a_d, a_p, d_d, d_p, k, m, nerve, s1, s2):
    base = segment(nerve, s1, s2, area=(a_d, a_p), duration=(d_d, d_p))
    scaled = dataclasses.replace(
        base, area_distal=a_d * k, area_proximal=a_p * k, duration_distal=d_d * m, duration_proximal=d_p * m
    )
    assert evaluate_segment(base, RULES).status == evaluate_segment(scaled, RULES).status


@given(st.sampled_from(RULES.anatomy.entrapment_segments), areas, areas, durations)
def test_segment_across_entrapment_never_counts(zone, a_d, a_p, dur):
    seg = segment(zone.nerve, zone.distal, zone.proximal, area=(a_d, a_p), duration=(dur, dur))
    assert crosses_entrapment(seg, RULES)
    assert evaluate_segment(seg, RULES).status == "entrapment"


@given(areas, st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1), durations, durations)
def test_more_area_loss_never_weakens_the_verdict(a_d, f1, f2, d_d, d_p):
    less, more = sorted((f1, f2))
    weak = segment(area=(a_d, a_d * (1 - less)), duration=(d_d, d_p))
    strong = segment(area=(a_d, a_d * (1 - more)), duration=(d_d, d_p))
    assert RANK[evaluate_segment(strong, RULES).status] >= RANK[evaluate_segment(weak, RULES).status]


@given(st.floats(min_value=0, max_value=20), st.floats(min_value=0, max_value=20))
def test_higher_distal_amplitude_never_weakens_the_verdict(x, y):
    low, high = sorted((x, y))
    verdicts = [evaluate_segment(segment(amp=(a, 1.0), area=(20.0, 8.0)), RULES).status for a in (low, high)]
    assert RANK[verdicts[1]] >= RANK[verdicts[0]]
