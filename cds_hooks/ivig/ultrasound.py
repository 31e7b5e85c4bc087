"""Extract nerve ultrasound facts: cross-sectional areas per nerve, side and site, and report conclusions.

Observations coded `observations.nerve_csa` (category imaging) and DiagnosticReports coded
`reports.ultrasound`, within the supportive lookback (docs/clinical-logic.md, GOEDEE2017).
"""

from __future__ import annotations

from cds_hooks.ivig.facts import CodedFact, Evidence, NerveArea, Side, pick_latest
from cds_hooks.ivig.fhir_read import codings, component_codes, has_code, quantity_value, resource_date
from cds_hooks.ivig.findings import body_site_key, extract_side
from cds_hooks.ivig.labs import quantity_label
from cds_hooks.ivig.record import Record
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.ivig.window import evidence_of, in_window


def extract_nerve_areas(record: Record, rules: Rules) -> tuple[NerveArea, ...]:
    """Return the latest cross-sectional area per nerve, side and site in the supportive lookback."""
    lookback = rules.thresholds.supportive_lookback_days
    latest: dict[tuple[str | None, Side | None, str | None], list[NerveArea]] = {}
    for obs in record.coded("Observation", rules.observations.nerve_csa):
        ev_date = resource_date(obs)
        if not in_window(ev_date, record.as_of, lookback):
            continue
        nerve, side = body_site_key(obs), extract_side(obs, rules)
        sites = component_codes(obs, rules.components.csa_site)
        site = sites[0].code if sites else None
        area = quantity_value(obs.get("valueQuantity"), rules.units.nerve_csa)
        label = f"{nerve or '?'} {side or ''} {site or '?'}: {quantity_label(obs.get('valueQuantity'))}"
        fact = NerveArea(nerve, side, site, area, evidence_of(obs, label.replace("  ", " ")))
        latest.setdefault((nerve, side, site), []).append(fact)
    picked = (pick_latest(v, lambda a: a.evidence.date) for v in latest.values())
    return tuple(a for a in picked if a is not None)


def extract_ultrasound_reports(record: Record, rules: Rules) -> tuple[Evidence, ...]:
    """Return the counted nerve ultrasound reports in the supportive lookback."""
    lookback = rules.thresholds.supportive_lookback_days
    return tuple(
        evidence_of(r, ", ".join(c.code for c in codings(r.get("conclusionCode"))) or "report")
        for r in record.of_type("DiagnosticReport")
        if has_code(r.get("code"), rules.reports.ultrasound)
        and in_window(resource_date(r), record.as_of, lookback)
    )


def extract_ultrasound_conclusion(record: Record, rules: Rules) -> CodedFact | None:
    """Return the latest ultrasound report's enlargement conclusion (present or absent), if coded."""
    wanted = rules.reports.nerve_enlarged + rules.reports.nerve_not_enlarged
    lookback = rules.thresholds.supportive_lookback_days
    facts = []
    for report in record.of_type("DiagnosticReport"):
        if not has_code(report.get("code"), rules.reports.ultrasound):
            continue
        if not in_window(resource_date(report), record.as_of, lookback):
            continue
        found = [c for c in codings(report.get("conclusionCode")) if c in wanted]
        if found:
            label = ", ".join(c.code for c in found)
            facts.append(CodedFact(frozenset((c.system, c.code) for c in found), evidence_of(report, label)))
    return pick_latest(facts, lambda f: f.evidence.date)
