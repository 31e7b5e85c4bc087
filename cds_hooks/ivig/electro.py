"""Extract electrodiagnostic facts: motor and sensory segments, EMG muscles, report conclusions (contract §5).

Segments and muscles come from the record's Observations and from NCS/EMG report results (read by
`record.read_record` when not fetched). An Observation without its own date takes its report's date.
Only the NCS/EMG lookback window counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from cds_hooks.ivig.facts import CodedFact, EmgMuscle, MotorSegment, SensorySegment, pick_latest
from cds_hooks.ivig.fhir_read import (
    ComponentIndex,
    codings,
    dicts,
    has_code,
    index_components,
    indexed_component,
    quantity_value,
    reference_of,
    reference_target,
    relative_reference,
    resource_date,
)
from cds_hooks.ivig.findings import body_site_key, extract_side
from cds_hooks.ivig.record import Record
from cds_hooks.ivig.rules_model import Codes, Rules
from cds_hooks.ivig.window import evidence_of, in_window
from cds_hooks.models import JSON


def _report_dates(record: Record, rules: Rules) -> dict[str, date]:
    """Return, per result reference of an NCS/EMG report, the report's date."""
    dates: dict[str, date] = {}
    report_codes = rules.reports.ncs + rules.reports.emg
    for report in record.of_type("DiagnosticReport"):
        day = resource_date(report)
        if day is None or not has_code(report.get("code"), report_codes):
            continue
        for ref in dicts(report.get("result")):
            target = reference_target(ref)
            if target:
                dates.setdefault(relative_reference(target), day)
    return dates


def _electro_observations(record: Record, rules: Rules, codes: Codes) -> list[tuple[JSON, date | None]]:
    """Return the Observations coded `codes` with their effective date, within the NCS/EMG lookback."""
    report_dates = _report_dates(record, rules)
    out = []
    for obs in record.coded("Observation", codes):
        day = resource_date(obs) or report_dates.get(reference_of(obs))
        if in_window(day, record.as_of, rules.thresholds.electro_lookback_days):
            out.append((obs, day))
    return out


def _nerve(obs: JSON, rules: Rules) -> str | None:
    """Return the nerve (a local nerve code) from bodySite."""
    for c in codings(obs.get("bodySite")):
        if c.system == rules.local_system and c.code in rules.anatomy.nerves:
            return c.code
    return body_site_key(obs)


def _site(comps: ComponentIndex, codes: Codes) -> str | None:
    """Return the local stimulation site code of a site component."""
    comp = indexed_component(comps, codes)
    values = codings(comp.get("valueCodeableConcept")) if comp else []
    return values[0].code if values else None


def _measure(comps: ComponentIndex, codes: Codes, units: Mapping[str, float]) -> float | None:
    """Return a component's valueQuantity in the canonical unit, or None."""
    comp = indexed_component(comps, codes)
    if comp is None:
        return None
    return quantity_value(comp.get("valueQuantity"), units)


def extract_motor_segments(record: Record, rules: Rules) -> list[MotorSegment]:
    """Return the motor nerve segments in the NCS lookback."""
    c, u = rules.components, rules.units
    segments = []
    for obs, day in _electro_observations(record, rules, rules.observations.motor_segment):
        comps = index_components(obs)  # each component looked up once, not once per binding
        entrapment = indexed_component(comps, c.entrapment_site)
        flag = entrapment.get("valueBoolean") if entrapment else None
        nerve, side = _nerve(obs, rules), extract_side(obs, rules)
        distal, proximal = _site(comps, c.distal_site), _site(comps, c.proximal_site)
        label = f"{nerve or '?'} {side or ''} {distal or '?'}-{proximal or '?'}".replace("  ", " ")
        segments.append(
            MotorSegment(
                nerve=nerve,
                side=side,
                distal_site=distal,
                proximal_site=proximal,
                amplitude_distal=_measure(comps, c.amplitude_distal, u.cmap_amplitude),
                amplitude_proximal=_measure(comps, c.amplitude_proximal, u.cmap_amplitude),
                area_distal=_measure(comps, c.area_distal, u.cmap_area),
                area_proximal=_measure(comps, c.area_proximal, u.cmap_area),
                duration_distal=_measure(comps, c.duration_distal, u.cmap_duration),
                duration_proximal=_measure(comps, c.duration_proximal, u.cmap_duration),
                lln=_measure(comps, c.amplitude_lln, u.cmap_amplitude),
                entrapment_site=flag if isinstance(flag, bool) else None,
                evidence=evidence_of(obs, label, day),
            )
        )
    return segments


def extract_sensory_segments(record: Record, rules: Rules) -> list[SensorySegment]:
    """Return sensory segments whose interpretation is normal (N) or abnormal (A/L)."""
    out = []
    for obs, day in _electro_observations(record, rules, rules.observations.sensory_segment):
        interp = obs.get("interpretation")
        if has_code(interp, rules.interpretation.sensory_abnormal):
            abnormal = True
        elif has_code(interp, rules.interpretation.sensory_normal):
            abnormal = False
        else:
            continue
        nerve, side = _nerve(obs, rules), extract_side(obs, rules)
        label = f"{nerve or '?'} {side or ''} {'abnormal' if abnormal else 'normal'}".replace("  ", " ")
        out.append(SensorySegment(nerve, side, abnormal, evidence_of(obs, label, day)))
    return out


def extract_emg_muscles(record: Record, rules: Rules) -> list[EmgMuscle]:
    """Return the latest EMG finding per (muscle, side) in the EMG lookback."""
    latest: dict[tuple[str | None, str | None], EmgMuscle] = {}
    for obs, day in _electro_observations(record, rules, rules.observations.emg_muscle):
        values = codings(obs.get("valueCodeableConcept"))
        if not values:
            continue
        abnormal = not any(v in rules.values.emg_muscle_normal for v in values)
        muscle, side = body_site_key(obs), extract_side(obs, rules)
        label = f"{muscle or '?'} {side or ''} {', '.join(v.code for v in values)}".replace("  ", " ")
        fact = EmgMuscle(muscle, side, abnormal, evidence_of(obs, label, day))
        key = (muscle, side)
        best = pick_latest([x for x in (latest.get(key), fact) if x is not None], lambda m: m.evidence.date)
        latest[key] = best if best is not None else fact
    return list(latest.values())


def extract_report_conclusion(record: Record, rules: Rules, report: Codes, wanted: Codes) -> CodedFact | None:
    """Return the latest report coded `report` (in the lookback) whose conclusionCode is among `wanted`."""
    facts = []
    for rep in record.of_type("DiagnosticReport"):
        if not has_code(rep.get("code"), report):
            continue
        if not in_window(resource_date(rep), record.as_of, rules.thresholds.electro_lookback_days):
            continue
        found = [c for c in codings(rep.get("conclusionCode")) if c in wanted]
        if found:
            label = ", ".join(c.code for c in found)
            facts.append(CodedFact(frozenset((c.system, c.code) for c in found), evidence_of(rep, label)))
    return pick_latest(facts, lambda f: f.evidence.date)
