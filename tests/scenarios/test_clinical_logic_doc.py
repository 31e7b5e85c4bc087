"""docs/clinical-logic.md matches the code: every threshold key, outcome and CB reason is in it, and every
scenario it cites exists."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from fixtures.library import OUTCOMES, SCENARIOS
from fixtures.scenario_registry import CB_REASONS, ROWS
from service.rules_loading import load_default_rules_text

DOC = (Path(__file__).resolve().parents[2] / "docs" / "clinical-logic.md").read_text(encoding="utf-8")
RULES = tomllib.loads(load_default_rules_text())


def test_every_threshold_key_is_documented() -> None:
    assert [key for key in RULES["thresholds"] if f"`thresholds.{key}`" not in DOC] == []


def test_the_rules_version_is_the_documented_one() -> None:
    assert f"rules version {RULES['version']}" in DOC


def test_every_outcome_row_and_cb_reason_is_documented() -> None:
    assert [o for o in OUTCOMES if f"`{o}`" not in DOC] == []
    assert [r for r in CB_REASONS if f"`{r}`" not in DOC] == []
    table_rows = set(re.findall(r"^\| (\d+a?) \|", DOC, flags=re.M))
    assert set(ROWS) <= table_rows


def test_every_cited_scenario_exists() -> None:
    cited = set(re.findall(r"\*([a-z0-9]+(?:-[a-z0-9]+)+)\*", DOC))
    assert cited, "the document cites scenarios"
    assert sorted(n for n in cited if not (SCENARIOS / n / "scenario.json").is_file()) == []


def test_no_reference_outside_the_repository() -> None:
    assert not re.search(r"\.\./shared|clinical-rules\.md|fhir-data-contract\.md", DOC)
