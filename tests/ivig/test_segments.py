"""One motor segment's CB verdict (EFNS2010; docs/clinical-logic.md): every status and gap, edges included."""

from __future__ import annotations

import pytest

from cds_hooks.ivig.conduction import crosses_entrapment, evaluate_segment
from tests.ivig.fact_builders import seg
from tests.ivig.support import default_rules

AMP_RULES = default_rules("[thresholds]\namplitude_for_area = true\n")


@pytest.mark.parametrize(
    ("segment", "status", "gap"),
    [
        (seg(area=(20.0, 7.0), duration=(6.0, 6.6)), "definite", None),
        (seg(area=(20.0, 10.0), duration=(6.0, 7.8)), "definite", None),  # exactly 50%, exactly +30%
        (seg(area=(20.0, 10.0), duration=(6.0, 7.9)), "probable", None),  # temporal dispersion
        (seg(area=(20.0, 10.0), duration=(None, None)), "probable", None),  # >= 50%, duration unknown
        (seg(area=(20.0, 10.1), duration=(6.0, 6.1)), "probable", None),  # 49.5% on a long segment
        (seg(area=(20.0, 14.0), duration=(6.0, 6.1)), "probable", None),  # exactly 30% long segment
        (seg(area=(20.0, 14.1), duration=(6.0, 6.1)), "none", None),  # 29.5%
        (seg(area=(20.0, 13.0), duration=(6.0, 8.0)), "none", None),  # long, dispersed, < 50%
        (seg(area=(20.0, 19.0), duration=(None, None)), "unusable", "no-area"),  # cannot show absence
        (seg(distal="elbow", proximal="axilla", area=(20.0, 13.0)), "probable", None),
        (seg(distal="axilla", proximal="erb-point", area=(20.0, 8.0)), "definite", None),
        (seg(distal="forearm", proximal="below-elbow", area=(20.0, 13.0)), "none", None),  # short segment
        (seg(nerve="radial", distal="forearm", proximal="elbow", area=(20.0, 8.0)), "probable", None),
        (
            seg(nerve="peroneal", distal="ankle", proximal="below-fibular-head", area=(20.0, 8.0)),
            "definite",
            None,
        ),
        (seg(nerve="tibial", distal="ankle", proximal="popliteal-fossa", area=(20.0, 5.0)), "excluded", None),
        (seg(distal="palm", proximal="wrist", area=(20.0, 5.0)), "entrapment", None),
        (
            seg(nerve="ulnar", distal="below-elbow", proximal="above-elbow", area=(20.0, 5.0)),
            "entrapment",
            None,
        ),
        (seg(nerve="ulnar", distal="wrist", proximal="above-elbow", area=(20.0, 5.0)), "entrapment", None),
        (seg(nerve="ulnar", distal="wrist", proximal="below-elbow", area=(20.0, 5.0)), "definite", None),
        (
            seg(
                nerve="ulnar",
                distal="below-elbow",
                proximal="above-elbow",
                area=(20.0, 5.0),
                entrapment=False,
            ),
            "definite",
            None,
        ),
        (seg(area=(20.0, 5.0), entrapment=True), "entrapment", None),
        (
            seg(nerve="peroneal", distal="ankle", proximal="popliteal-fossa", area=(20.0, 5.0)),
            "entrapment",
            None,
        ),
        (seg(proximal=None), "unusable", "no-proximal"),
        (seg(nerve=None), "unusable", "no-proximal"),
        (seg(amp=(8.0, None), area=(20.0, None)), "unusable", "no-proximal"),
        (seg(area=(None, None)), "unusable", "no-area"),  # amplitude only
        (seg(amp=(None, 5.0)), "unusable", "no-area"),  # distal amplitude not reported
        (seg(amp=(1.0, 0.5), area=(20.0, 5.0)), "unusable", "low-distal"),  # not > 1 mV
        (seg(amp=(0.8, 0.5), area=(20.0, 19.0)), "unusable", "low-distal"),  # cannot show absence either
        (seg(amp=(0.8, 0.5), area=(20.0, 5.0)), "unusable", "low-distal"),
        (seg(amp=(1.1, 1.0), area=(20.0, 5.0), lln=5.4), "definite", None),  # > 1 mV and > 20% of 5.4
        (seg(amp=(1.1, 1.0), area=(20.0, 5.0), lln=5.5), "unusable", "low-distal"),  # exactly 20%: not above
        (seg(amp=(1.1, 1.0), area=(20.0, 5.0), lln=6.0), "unusable", "low-distal"),  # 1.1 <= 1.2
        (
            seg(nerve="ulnar", distal="wrist", proximal="below-elbow", amp=(1.2, 1.0), area=(20.0, 5.0)),
            "unusable",
            "low-distal",
        ),
        (
            seg(
                nerve="musculocutaneous",
                distal="axilla",
                proximal="erb-point",
                amp=(1.1, 0.5),
                area=(20.0, 5.0),
            ),
            "probable",
            None,
        ),
    ],
)
def test_segment_verdict(rules, segment, status, gap):
    verdict = evaluate_segment(segment, rules)
    assert (verdict.status, verdict.gap) == (status, gap), verdict.reason
    assert verdict.usable == (status in ("definite", "probable", "none"))
    assert verdict.counted == (status not in ("excluded", "entrapment"))


def test_definite_arithmetic_outside_definite_nerves_is_probable(rules):
    verdict = evaluate_segment(
        seg(nerve="radial", distal="forearm", proximal="elbow", area=(20.0, 8.0)), rules
    )
    assert verdict.status == "probable" and "not a definite-CB nerve" in verdict.reason


def test_amplitude_for_area_is_at_most_probable_and_labelled():
    verdict = evaluate_segment(seg(amp=(8.0, 2.0), area=(None, None)), AMP_RULES)
    assert verdict.status == "probable" and verdict.amplitude_based and "amplitude-based" in verdict.reason
    normal = evaluate_segment(seg(amp=(8.0, 7.8), area=(None, None)), AMP_RULES)
    assert normal.status == "none" and normal.usable and normal.amplitude_based


def test_site_tibial_exclusion_is_configurable():
    rules = default_rules(
        '[cb]\nexcluded_nerves = []\ndefinite_nerves = ["median", "ulnar", "peroneal", "tibial"]\n'
    )
    verdict = evaluate_segment(
        seg(nerve="tibial", distal="ankle", proximal="popliteal-fossa", area=(20.0, 5.0)), rules
    )
    assert verdict.status == "definite"


@pytest.mark.parametrize(
    ("nerve", "distal", "proximal", "crosses"),
    [
        ("median", "palm", "wrist", True),
        ("median", "wrist", "palm", True),
        ("median", "palm", "elbow", True),
        ("median", "wrist", "elbow", False),
        ("ulnar", "below-elbow", "elbow", True),
        ("ulnar", "forearm", "above-elbow", True),
        ("ulnar", "above-elbow", "axilla", False),
        ("peroneal", "below-fibular-head", "popliteal-fossa", True),
        ("peroneal", "ankle", "fibular-head", True),
        ("peroneal", "ankle", "below-fibular-head", False),
        ("radial", "forearm", "elbow", False),
    ],
)
def test_entrapment_sites(rules, nerve, distal, proximal, crosses):
    assert crosses_entrapment(seg(nerve=nerve, distal=distal, proximal=proximal), rules) == crosses
