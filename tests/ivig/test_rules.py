"""Rules configuration: the shipped file parses; validation names the key at fault; merge semantics."""

from __future__ import annotations

import tomllib

import pytest

from cds_hooks.errors import RulesConfigError
from cds_hooks.ivig.rules import merge_rules, parse_rules, parse_rules_text
from tests.ivig.support import default_rules_text


def test_default_rules_parse_with_version(rules):
    assert rules.version == "2026.12.0"
    assert rules.thresholds.ck_uln_male == 308.0
    assert rules.findings.hoffmann.first().system == rules.local_system


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("[thresholds]\nck_lookbak_days = 3\n", "thresholds.ck_lookbak_days"),
        ("surprise = 1\n", "surprise"),
        ("[thresholds]\nck_lookback_days = -1\n", "thresholds.ck_lookback_days"),
        ("[thresholds]\ncb_definite_area_reduction = 1.5\n", "thresholds.cb_definite_area_reduction"),
        ("[thresholds]\namplitude_for_area = 'yes'\n", "thresholds.amplitude_for_area"),
        ("[thresholds]\nck_uln_male = true\n", "thresholds.ck_uln_male"),
        ("[medication]\ncodes = ['http://x|']\n", "medication.codes[0]"),
        ("[medication]\ncodes = 'J06BA02'\n", "medication.codes"),
        ("[anatomy]\nupper_limb_nerves = ['femoral']\n", "anatomy.upper_limb_nerves[0]"),
        ("[units]\nck = { 'U/L' = 0 }\n", "units.ck.U/L"),
        ("[[cards.override_reasons]]\ncode = 'x'\n", "cards.override_reasons[0].display"),
    ],
)
def test_validation_names_the_key(override, field):
    with pytest.raises(RulesConfigError) as info:
        parse_rules_text(default_rules_text(), override)
    assert info.value.field == field
    assert field.split("[")[0].split(".")[-1] in info.value.message


def test_missing_key_is_named():
    mapping = tomllib.loads(default_rules_text())
    del mapping["thresholds"]["course_gap_days"]
    with pytest.raises(RulesConfigError) as info:
        parse_rules(mapping)
    assert info.value.field == "thresholds.course_gap_days"


def test_bad_toml_is_reported():
    with pytest.raises(RulesConfigError):
        parse_rules_text("version = ")


def test_merge_tables_merge_and_lists_replace():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    merged = merge_rules(base, {"a": {"y": [3]}, "c": 4})
    assert merged == {"a": {"x": 1, "y": [3]}, "b": 2, "c": 4}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 2}


def test_site_override_changes_threshold_and_codes():
    rules = parse_rules_text(default_rules_text(), "version = 'site-1'\n[thresholds]\nck_uln_male = 200\n")
    assert rules.version == "site-1"
    assert rules.thresholds.ck_uln_male == 200.0
    assert rules.thresholds.ck_uln_female == 192.0


V1_SITE_FILE = """
version = "2026.11.0+site-a"
[thresholds]
ck_uln_male = 200
response_min_days = 90
supportive_for_possible_mmn = 2
[observations]
ck = ["http://loinc.org|2157-6", "http://example.org/lab|CK"]
"""


def test_a_version_1_site_file_still_loads():
    rules = parse_rules_text(default_rules_text(), V1_SITE_FILE)
    assert rules.thresholds.ck_uln_male == 200.0 and rules.thresholds.response_min_days == 90
    assert rules.cb.excluded_nerves == ("tibial",)  # version-2 defaults apply to what the site did not set


def test_a_version_1_key_whose_meaning_changed_names_what_to_change():
    with pytest.raises(RulesConfigError) as info:
        parse_rules_text(
            default_rules_text(), V1_SITE_FILE.replace("ck_uln_male = 200", "mrc_sum_mcid = 3.0")
        )
    assert info.value.field == "thresholds.mrc_sum_mcid"
    assert "response" in info.value.message and "mrc_sum_mcid_by_max" in info.value.message


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("[cb]\ndefinite_nerves = ['median', 'sural']\n", "cb.definite_nerves[1]"),
        ("[cb]\nexcluded_nerves = ['femoral']\n", "cb.excluded_nerves[0]"),
        ("[cb]\nerb_point_site = 'neck'\n", "cb.erb_point_site[0]"),
        ("[ncs]\nmin_motor_nerves = 0\n", "ncs.min_motor_nerves"),
        ("[ncs]\nweak_nerves_to_study = ['sciatic']\n", "ncs.weak_nerves_to_study[0]"),
        ("[exclusions.umn]\nkind = 'medium'\n", "exclusions.umn.kind[0]"),
        ("[exclusions.umn]\nrequired_absent = ['babinsky']\n", "exclusions.umn.required_absent[0]"),
        ("[exclusions.kinds]\nals = 'soft-ish'\n", "exclusions.kinds.als[0]"),
        ("[anatomy.muscle_nerves]\nbrain = ['median']\n", "anatomy.muscle_nerves[20]"),
        ("[response]\nmrc_sum_mcid_by_max = { sixty = 2.0 }\n", "response.mrc_sum_mcid_by_max.sixty"),
        ("[response]\nmrc_sum_mcid_by_max = { '60' = 0 }\n", "response.mrc_sum_mcid_by_max.60"),
        (
            "[[ultrasound.thresholds]]\nnerve = 'median'\nsite = 'forearm'\nmax_mm2 = -1\n",
            "ultrasound.thresholds[0].max_mm2",
        ),
        ("[thresholds]\ncourse_gap_days = 0\n", "thresholds.course_gap_days"),
    ],
)
def test_version_2_keys_are_validated(override, field):
    with pytest.raises(RulesConfigError) as info:
        parse_rules_text(default_rules_text(), override)
    assert info.value.field == field, info.value.message


def test_version_2_defaults(rules):
    assert rules.version == "2026.12.0"
    assert rules.cb.definite_nerves == ("median", "ulnar", "peroneal")
    assert rules.ncs.min_motor_nerves == 2 and "radial" in rules.ncs.weak_nerves_to_study
    assert rules.anatomy.muscle_nerves["flexor-digitorum-profundus"] == ("median", "ulnar")
    assert rules.exclusions.umn.required_absent == ("babinski", "clonus")
    assert {(t.nerve, t.site, t.max_mm2) for t in rules.ultrasound.thresholds} == {
        ("median", "forearm", 10.0),
        ("median", "upper-arm", 13.0),
        ("brachial-plexus-trunk", "*", 8.0),
    }
    assert rules.response.mrc_sum_mcid_by_max == {"60": 2.0} and rules.thresholds.grip_mcid_kpa == 8.0


def test_the_service_loads_a_version_1_site_file_or_names_what_to_change(tmp_path):
    from service.config import ConfigError
    from service.rules_loading import load_rules

    site = tmp_path / "site-rules.toml"
    site.write_text(V1_SITE_FILE)
    assert load_rules(str(site)).thresholds.ck_uln_male == 200.0
    site.write_text(V1_SITE_FILE.replace("ck_uln_male = 200", "mrc_sum_mcid = 3.0"))
    with pytest.raises(ConfigError) as info:
        load_rules(str(site))
    assert "thresholds.mrc_sum_mcid" in str(info.value) and "mrc_sum_mcid_by_max" in str(info.value)
