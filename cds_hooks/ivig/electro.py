"""Extract electrodiagnostic facts: NCS studies and segments, sensory segments, EMG (docs/clinical-logic.md).

Segments and muscles come from the record's Observations and from NCS/EMG report results (read by
`record.read_record` when not fetched). Each segment belongs to the latest counted report listing it
(several studies are kept apart); one without its own date takes its report's date. Results only of
reports that do not count were already dropped by `read_record`. Only the NCS/EMG lookback counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from cds_hooks.ivig.facts import (
    CodedFact,
    EmgMuscle,
    Evidence,
    MotorSegment,
    NcsStudy,
    SensorySegment,
    pick_latest,
)
from cds_hooks.ivig.fhir_read import (
    ComponentIndex,
    belongs_to,
    code_pairs,
    dicts,
    first_code,
    has_code,
    index_components,
    indexed_component,
    quantity_value,
    reference_target,
    relative_reference,
)
from cds_hooks.ivig.findings import body_site_key, extract_side
from cds_hooks.ivig.record import Record
from cds_hooks.ivig.rules_model import Codes, Rules
from cds_hooks.ivig.window import in_window
from cds_hooks.models import JSON

Owners = Mapping[str, JSON]


def _counted_reports(record: Record, rules: Rules, codes: Codes, windowed: bool = True) -> list[JSON]:
    """Return the counted reports coded `codes` (dated within the NCS/EMG lookback when `windowed`)."""
    lookback = rules.thresholds.electro_lookback_days if windowed else None
    return [r for r in record.coded("DiagnosticReport", codes) if record.within(r, lookback)]


def _owners(record: Record, reports: list[JSON]) -> dict[str, JSON]:
    """Return, per result reference, the latest report listing it (a segment takes its report's date)."""
    owners: dict[str, JSON] = {}
    dated = sorted(reports, key=lambda r: record.date_of(r) or date.min)
    for report in dated:
        for ref in dicts(report.get("result")):
            target = reference_target(ref)
            if target:
                owners[relative_reference(target)] = report
    return owners


def extract_electro_owners(record: Record, rules: Rules) -> Owners:
    """Return, per result reference, the latest counted NCS or EMG report (any date) listing it."""
    reports = _counted_reports(record, rules, rules.reports.ncs + rules.reports.emg, windowed=False)
    return _owners(record, reports)


def _electro_observations(
    record: Record, rules: Rules, codes: Codes, owners: Owners
) -> list[tuple[JSON, date | None]]:
    """Return the Observations coded `codes` with their effective date, within the NCS/EMG lookback."""
    out = []
    for obs in record.coded("Observation", codes):
        owner = owners.get(record.reference(obs))
        day = record.date_of(obs) or (record.date_of(owner) if owner else None)
        if in_window(day, record.as_of, rules.thresholds.electro_lookback_days):
            out.append((obs, day))
    return out


def _nerve(obs: JSON, rules: Rules) -> str | None:
    """Return the nerve (a local nerve code) from bodySite."""
    for system, code in code_pairs(obs.get("bodySite")):
        if system == rules.local_system and code in rules.anatomy.nerves:
            return code
    return body_site_key(obs)


def _site(comps: ComponentIndex, codes: Codes) -> str | None:
    """Return the local stimulation site code of a site component."""
    comp = indexed_component(comps, codes)
    return first_code(comp.get("valueCodeableConcept")) if comp else None


def _measure(comps: ComponentIndex, codes: Codes, units: Mapping[str, float]) -> float | None:
    """Return a component's valueQuantity in the canonical unit, or None."""
    comp = indexed_component(comps, codes)
    if comp is None:
        return None
    return quantity_value(comp.get("valueQuantity"), units)


def extract_studies(record: Record, rules: Rules, electro_owners: Owners) -> tuple[NcsStudy, ...]:
    """Return every counted NCS report in the lookback with its segments, plus segments without a report."""
    reports = _counted_reports(record, rules, rules.reports.ncs)
    owners = _owners(record, reports)
    by_report: dict[str, list[MotorSegment]] = {record.reference(r): [] for r in reports}
    loose: list[MotorSegment] = []
    motor = _electro_observations(record, rules, rules.observations.motor_segment, electro_owners)
    for obs, day in motor:
        owner = owners.get(record.reference(obs))
        segment = _motor_segment(obs, day, record, rules)
        (by_report[record.reference(owner)] if owner is not None else loose).append(segment)
    studies = [
        NcsStudy(
            report=record.evidence(r, _report_label(r)),
            conclusion=frozenset(code_pairs(r.get("conclusionCode"))),
            segments=tuple(by_report[record.reference(r)]),
        )
        for r in sorted(reports, key=lambda r: (record.date_of(r) or date.min, record.reference(r)))
    ]
    if loose:
        studies.append(NcsStudy(None, frozenset(), tuple(loose)))
    return tuple(studies)


def _report_label(report: JSON) -> str:
    """Return 'NCS report' with its coded conclusions, for evidence display."""
    codes = [code for _, code in code_pairs(report.get("conclusionCode"))]
    return "NCS report" + (f": {', '.join(codes)}" if codes else "")


def extract_preliminary_ncs(record: Record, rules: Rules) -> tuple[Evidence, ...]:
    """Return the patient's preliminary NCS reports in the lookback (read for the CB reason only)."""
    lookback = rules.thresholds.electro_lookback_days
    return tuple(
        record.evidence(r, "preliminary NCS report")
        for r in record.index.values()
        if r.get("resourceType") == "DiagnosticReport"
        and r.get("status") == "preliminary"
        and belongs_to(r, record.patient_id)
        and has_code(r.get("code"), rules.reports.ncs)
        and record.within(r, lookback)
    )


def _motor_segment(obs: JSON, day: date | None, record: Record, rules: Rules) -> MotorSegment:
    """Return one motor segment read from its components."""
    c, u = rules.components, rules.units
    comps = index_components(obs)  # each component looked up once, not once per binding
    entrapment = indexed_component(comps, c.entrapment_site)
    flag = entrapment.get("valueBoolean") if entrapment else None
    nerve, side = _nerve(obs, rules), extract_side(obs, rules)
    distal, proximal = _site(comps, c.distal_site), _site(comps, c.proximal_site)
    label = f"{nerve or '?'} {side or ''} {distal or '?'}-{proximal or '?'}".replace("  ", " ")
    return MotorSegment(
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
        evidence=record.evidence(obs, label, day),
    )


def extract_sensory_segments(record: Record, rules: Rules, owners: Owners) -> list[SensorySegment]:
    """Return sensory segments whose interpretation is normal (N) or abnormal (A/L)."""
    out = []
    for obs, day in _electro_observations(record, rules, rules.observations.sensory_segment, owners):
        interp = obs.get("interpretation")
        if has_code(interp, rules.interpretation.sensory_abnormal):
            abnormal = True
        elif has_code(interp, rules.interpretation.sensory_normal):
            abnormal = False
        else:
            continue
        nerve, side = _nerve(obs, rules), extract_side(obs, rules)
        label = f"{nerve or '?'} {side or ''} {'abnormal' if abnormal else 'normal'}".replace("  ", " ")
        out.append(SensorySegment(nerve, side, abnormal, record.evidence(obs, label, day)))
    return out


def extract_emg_muscles(record: Record, rules: Rules, owners: Owners) -> list[EmgMuscle]:
    """Return the latest EMG finding per (muscle, side) in the EMG lookback."""
    latest: dict[tuple[str | None, str | None], EmgMuscle] = {}
    for obs, day in _electro_observations(record, rules, rules.observations.emg_muscle, owners):
        values = code_pairs(obs.get("valueCodeableConcept"))
        if not values:
            continue
        abnormal = not rules.values.emg_muscle_normal.holds_any(values)
        muscle, side = body_site_key(obs), extract_side(obs, rules)
        label = f"{muscle or '?'} {side or ''} {', '.join(code for _, code in values)}".replace("  ", " ")
        fact = EmgMuscle(muscle, side, abnormal, record.evidence(obs, label, day))
        key = (muscle, side)
        best = pick_latest([x for x in (latest.get(key), fact) if x is not None], lambda m: m.evidence.date)
        latest[key] = best if best is not None else fact
    return list(latest.values())


def extract_report_conclusion(record: Record, rules: Rules, report: Codes, wanted: Codes) -> CodedFact | None:
    """Return the latest report coded `report` (in the lookback) whose conclusionCode is among `wanted`."""
    facts = []
    for rep in record.coded("DiagnosticReport", report):
        if not record.within(rep, rules.thresholds.electro_lookback_days):
            continue
        found = [p for p in code_pairs(rep.get("conclusionCode")) if p in wanted.pairs]
        if found:
            label = ", ".join(code for _, code in found)
            facts.append(CodedFact(frozenset(found), record.evidence(rep, label)))
    return pick_latest(facts, lambda f: f.evidence.date)
