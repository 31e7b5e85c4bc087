"""Extract nerve ultrasound facts: cross-sectional areas per nerve, side and site, and report conclusions.

Observations coded `observations.nerve_csa` (category imaging) and DiagnosticReports coded
`reports.ultrasound`, within the supportive lookback (docs/clinical-logic.md, GOEDEE2017).
"""

from __future__ import annotations

from cds_hooks.ivig.facts import CodedFact, Evidence, NerveArea, Side, pick_latest
from cds_hooks.ivig.fhir_read import code_pairs, component_codes, quantity_value
from cds_hooks.ivig.findings import body_site_key, extract_side
from cds_hooks.ivig.labs import quantity_label
from cds_hooks.ivig.record import Record
from cds_hooks.ivig.rules_model import Rules


def extract_nerve_areas(record: Record, rules: Rules) -> tuple[NerveArea, ...]:
    """Return the latest cross-sectional area per nerve, side and site in the supportive lookback."""
    lookback = rules.thresholds.supportive_lookback_days
    latest: dict[tuple[str | None, Side | None, str | None], list[NerveArea]] = {}
    for obs in record.coded("Observation", rules.observations.nerve_csa):
        if not record.within(obs, lookback):
            continue
        nerve, side = body_site_key(obs), extract_side(obs, rules)
        sites = component_codes(obs, rules.components.csa_site)
        site = sites[0][1] if sites else None
        area = quantity_value(obs.get("valueQuantity"), rules.units.nerve_csa)
        label = f"{nerve or '?'} {side or ''} {site or '?'}: {quantity_label(obs.get('valueQuantity'))}"
        fact = NerveArea(nerve, side, site, area, record.evidence(obs, label.replace("  ", " ")))
        latest.setdefault((nerve, side, site), []).append(fact)
    picked = (pick_latest(v, lambda a: a.evidence.date) for v in latest.values())
    return tuple(a for a in picked if a is not None)


def extract_ultrasound_reports(record: Record, rules: Rules) -> tuple[Evidence, ...]:
    """Return the counted nerve ultrasound reports in the supportive lookback."""
    lookback = rules.thresholds.supportive_lookback_days
    return tuple(
        record.evidence(r, ", ".join(code for _, code in code_pairs(r.get("conclusionCode"))) or "report")
        for r in record.coded("DiagnosticReport", rules.reports.ultrasound)
        if record.within(r, lookback)
    )


def extract_ultrasound_conclusion(record: Record, rules: Rules) -> CodedFact | None:
    """Return the latest ultrasound report's enlargement conclusion (present or absent), if coded."""
    wanted = rules.reports.nerve_enlarged + rules.reports.nerve_not_enlarged
    lookback = rules.thresholds.supportive_lookback_days
    facts = []
    for report in record.coded("DiagnosticReport", rules.reports.ultrasound):
        if not record.within(report, lookback):
            continue
        found = [p for p in code_pairs(report.get("conclusionCode")) if p in wanted.pairs]
        if found:
            label = ", ".join(code for _, code in found)
            facts.append(CodedFact(frozenset(found), record.evidence(report, label)))
    return pick_latest(facts, lambda f: f.evidence.date)
