"""Extract laboratory facts: CK, anti-GM1 and anti-GM1/GalC IgM, CSF protein (docs/clinical-logic.md)."""

from __future__ import annotations

from collections.abc import Mapping

from cds_hooks.ivig.facts import CodedFact, LabResult, pick_latest
from cds_hooks.ivig.fhir_read import code_pairs, dicts, quantity_value
from cds_hooks.ivig.record import Record
from cds_hooks.ivig.rules_model import Codes, Rules
from cds_hooks.models import JSON


def _lab_observations(record: Record, codes: Codes, lookback: int | None) -> list[JSON]:
    """Return the Observations coded `codes` within the lookback window."""
    return [obs for obs in record.coded("Observation", codes) if record.within(obs, lookback)]


def extract_lab(
    record: Record, codes: Codes, units: Mapping[str, float], lookback: int | None
) -> LabResult | None:
    """Return the latest lab result coded `codes` (value None when its unit is not accepted)."""
    results = [_lab_result(obs, units, record) for obs in _lab_observations(record, codes, lookback)]
    return pick_latest(results, lambda r: r.evidence.date)


def _lab_result(obs: JSON, units: Mapping[str, float], record: Record) -> LabResult:
    """Return one lab result in canonical units, its reference high and interpretation codes."""
    quantity = obs.get("valueQuantity")
    value = quantity_value(quantity, units)
    high = None
    for rng in dicts(obs.get("referenceRange")):
        high = quantity_value(_with_unit_of(rng.get("high"), quantity), units)
        if high is not None:
            break
    interpretation = frozenset(code_pairs(obs.get("interpretation")))
    return LabResult(value, high, interpretation, record.evidence(obs, quantity_label(quantity)))


def _with_unit_of(high: object, quantity: object) -> object:
    """Return a reference `high` carrying the value's unit when it states none of its own."""
    if not isinstance(high, dict) or not isinstance(quantity, dict):
        return high
    if high.get("code") or high.get("unit"):
        return high
    return {**high, "code": quantity.get("code"), "unit": quantity.get("unit")}


def quantity_label(quantity: object) -> str:
    """Return 'value unit' of a Quantity for evidence display."""
    if not isinstance(quantity, dict):
        return "(no value)"
    unit = quantity.get("unit") or quantity.get("code") or "(no unit)"
    return f"{quantity.get('value')} {unit}"


def extract_ck(record: Record, rules: Rules) -> LabResult | None:
    """Return the latest CK in the CK lookback, in U/L."""
    return extract_lab(record, rules.observations.ck, rules.units.ck, rules.thresholds.ck_lookback_days)


def extract_csf_protein(record: Record, rules: Rules) -> LabResult | None:
    """Return the latest CSF protein, in g/L."""
    lookback = rules.thresholds.supportive_lookback_days
    return extract_lab(record, rules.observations.csf_protein, rules.units.csf_protein, lookback)


def extract_antibody(record: Record, rules: Rules, codes: Codes) -> CodedFact | None:
    """Return the latest antibody result coded `codes` (anti-GM1, anti-GM1/GalC) as its codes."""
    facts = []
    for obs in _lab_observations(record, codes, rules.thresholds.supportive_lookback_days):
        found = code_pairs(obs.get("interpretation")) + code_pairs(obs.get("valueCodeableConcept"))
        if found:
            label = ", ".join(code for _, code in found)
            facts.append(CodedFact(frozenset(found), record.evidence(obs, label)))
    return pick_latest(facts, lambda f: f.evidence.date)
