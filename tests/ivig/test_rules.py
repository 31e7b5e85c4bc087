"""Rules configuration: the shipped file parses; validation names the key at fault; merge semantics."""

from __future__ import annotations

import tomllib

import pytest

from cds_hooks.errors import RulesConfigError
from cds_hooks.ivig.rules import merge_rules, parse_rules, parse_rules_text
from tests.ivig.support import default_rules_text


def test_default_rules_parse_with_version(rules):
    assert rules.version == "2026.11.0"
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
    del mapping["thresholds"]["mrc_sum_mcid"]
    with pytest.raises(RulesConfigError) as info:
        parse_rules(mapping)
    assert info.value.field == "thresholds.mrc_sum_mcid"


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
