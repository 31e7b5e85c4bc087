"""Extract examination facts: findings, onset, MRC grades and sum scores (docs/clinical-logic.md)."""

from __future__ import annotations

from dataclasses import fields

from cds_hooks.ivig.conditions import is_present
from cds_hooks.ivig.facts import CodedFact, Finding, Measure, MuscleGrade, Side, SumScore, pick_latest
from cds_hooks.ivig.fhir_read import (
    code_pairs,
    codings,
    component,
    component_codes,
    first_code,
    has_code,
    number_value,
    quantity_value,
)
from cds_hooks.ivig.record import Record
from cds_hooks.ivig.rules_model import Codes, FindingBinding, Rules
from cds_hooks.ivig.window import in_window
from cds_hooks.models import JSON

FINDING_NAMES = tuple(f.name for f in fields(FindingBinding) if f.name not in ("present", "absent"))


def extract_findings(record: Record, rules: Rules) -> dict[str, Finding]:
    """Return the latest documented presence of each finding, keyed by FindingBinding field name."""
    index = _finding_index(rules)
    candidates: dict[str, list[Finding]] = {}
    for resource in record.resources:  # one pass: each resource's codes looked up, not each finding's
        for name in _named_findings(resource, index, record):
            finding = _finding(resource, name, getattr(rules.findings, name), record, rules)
            if finding is not None:
                candidates.setdefault(name, []).append(finding)
    found: dict[str, Finding] = {}
    for name in FINDING_NAMES:
        latest = pick_latest(candidates.get(name, []), lambda f: f.evidence.date)
        if latest is not None:
            found[name] = latest
    return found


def _finding_index(rules: Rules) -> dict[tuple[str, str], list[str]]:
    """Return the finding names of every (system, code) in the finding bindings."""
    index: dict[tuple[str, str], list[str]] = {}
    for name in FINDING_NAMES:
        codes: Codes = getattr(rules.findings, name)
        for code in codes:
            index.setdefault((code.system, code.code), []).append(name)
    return index


def _named_findings(resource: JSON, index: dict[tuple[str, str], list[str]], record: Record) -> list[str]:
    """Return the finding names a resource's code (or report conclusion) may document."""
    # As leniently as `_finding` reads them: a CodeableConcept or a list of them (conclusionCode is a list).
    pairs = record.code_pairs(resource)
    if resource.get("resourceType") == "DiagnosticReport":
        pairs = pairs + code_pairs(resource.get("conclusionCode"))
    names: list[str] = []
    for pair in pairs:
        for name in index.get(pair, ()):
            if name not in names:
                names.append(name)
    return names


def _finding(resource: JSON, name: str, codes: Codes, record: Record, rules: Rules) -> Finding | None:
    """Return the presence a resource documents for one finding, or None."""
    rtype = resource.get("resourceType")
    if rtype == "DiagnosticReport" and has_code(resource.get("conclusionCode"), codes):
        return _dated(Finding(name, True, record.evidence(resource, "present (report conclusion)")), record)
    if not record.has_code(resource, codes):
        return None
    present: bool | None = None
    if rtype == "Condition":
        present = is_present(resource)
    elif rtype == "Observation":
        present = _observation_presence(resource, rules)
    if present is None:
        return None
    return _dated(Finding(name, present, record.evidence(resource, _word(present))), record)


def _dated(finding: Finding, record: Record) -> Finding | None:
    """Return the finding unless it is dated after `as_of`."""
    return finding if in_window(finding.evidence.date, record.as_of, None) else None


def _word(present: bool) -> str:
    """Return 'present' or 'absent'."""
    return "present" if present else "absent"


def _observation_presence(obs: JSON, rules: Rules) -> bool | None:
    """Return valueBoolean, or Present/Absent of valueCodeableConcept, else None."""
    value = obs.get("valueBoolean")
    if isinstance(value, bool):
        return value
    concept = obs.get("valueCodeableConcept")
    if has_code(concept, rules.findings.present):
        return True
    if has_code(concept, rules.findings.absent):
        return False
    return None


def _observations(record: Record, codes: Codes, lookback: int | None = None) -> list[JSON]:
    """Return the record's Observations coded `codes` dated within the window."""
    return [o for o in record.coded("Observation", codes) if record.within(o, lookback)]


def extract_coded(record: Record, codes: Codes) -> CodedFact | None:
    """Return the latest coded value of Observations coded `codes` (onset site, onset pattern)."""
    facts = []
    for obs in _observations(record, codes):
        values = code_pairs(obs.get("valueCodeableConcept"))
        if values:
            label = ", ".join(code for _, code in values)
            facts.append(CodedFact(frozenset(values), record.evidence(obs, label)))
    return pick_latest(facts, lambda f: f.evidence.date)


def extract_side(resource: JSON, rules: Rules) -> Side | None:
    """Return the side from the laterality component (SNOMED Left/Right), else None."""
    values = component_codes(resource, rules.components.laterality)
    if rules.values.left.holds_any(values):
        return "left"
    if rules.values.right.holds_any(values):
        return "right"
    return None


def body_site_key(resource: JSON) -> str | None:
    """Return the first bodySite coding as a code (muscles and nerves are compared by code)."""
    return first_code(resource.get("bodySite"))


def extract_muscle_grades(record: Record, rules: Rules) -> dict[tuple[str, Side | None], MuscleGrade]:
    """Return the latest MRC grade per (muscle, side)."""
    grades: dict[tuple[str, Side | None], list[MuscleGrade]] = {}
    for obs in _observations(record, rules.observations.mrc_grade):
        muscle, grade = body_site_key(obs), number_value(obs)
        if muscle is None or grade is None:
            continue
        side = extract_side(obs, rules)
        ev = record.evidence(obs, f"{muscle} {side or ''} MRC {grade:g}".replace("  ", " "))
        grades.setdefault((muscle, side), []).append(MuscleGrade(muscle, side, grade, ev))
    latest = {k: pick_latest(v, lambda g: g.evidence.date) for k, v in grades.items()}
    return {k: v for k, v in latest.items() if v is not None}


def extract_sum_scores(record: Record, rules: Rules) -> list[SumScore]:
    """Return every dated-or-undated MRC sum score with its instrument (code, maximum)."""
    scores: list[SumScore] = []
    for obs in _observations(record, rules.observations.mrc_sum_score):
        score = number_value(obs)
        if score is None:
            continue
        code = next(c for c in codings(obs.get("code")) if c in rules.observations.mrc_sum_score)
        max_comp = component(obs, rules.components.mrc_sum_score_max)
        maximum = number_value(max_comp) if max_comp else None
        label = f"{score:g}" + (f"/{maximum:g}" if maximum is not None else "")
        scores.append(SumScore((code.system, code.code, maximum), score, record.evidence(obs, label)))
    return scores


def extract_grips(record: Record, rules: Rules) -> tuple[Measure, ...]:
    """Return every grip strength measurement (kPa per side; value None in a unit the rules cannot judge)."""
    grips = []
    for obs in _observations(record, rules.observations.grip_strength):
        quantity = obs.get("valueQuantity")
        value = quantity_value(quantity, rules.units.grip_strength)
        side = extract_side(obs, rules)
        raw = quantity.get("value") if isinstance(quantity, dict) else None
        unit = (quantity.get("code") or quantity.get("unit")) if isinstance(quantity, dict) else None
        label = f"grip {side or ''} {raw} {unit or '(no unit)'}".replace("  ", " ")
        grips.append(Measure("grip", side, value, record.evidence(obs, label)))
    return tuple(grips)
