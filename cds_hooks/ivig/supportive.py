"""Supportive criteria (EFNS2010, extended; docs/clinical-logic.md): S-GM1, S-CSF, S-MRI, S-US.

Each uses the latest result within `supportive_lookback_days` (the extraction applies the window;
S-MRI's finding is windowed here).
"""

from __future__ import annotations

from datetime import timedelta

from cds_hooks.ivig.criteria import Criterion, Status, evaluate_finding_group, holds
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.facts import CodedFact, Facts, NerveArea
from cds_hooks.ivig.limits import evaluate_upper_limit
from cds_hooks.ivig.rules_model import Rules


def _antibody(fact: CodedFact | None, rules: Rules) -> Status | None:
    """Return met (positive), not-met (negative) or unknown for one antibody result; None if not tested."""
    if fact is None:
        return None
    if holds(fact, rules.interpretation.positive + rules.values.positive):
        return "met"
    if holds(fact, rules.interpretation.negative + rules.values.negative):
        return "not-met"
    return "unknown"


def evaluate_gm1(facts: Facts, rules: Rules) -> Criterion:
    """Return S-GM1: latest IgM anti-GM1 or anti-GM1/GalC positive; not met: each tested negative."""
    tests = [(f, _antibody(f, rules)) for f in (facts.anti_gm1, facts.anti_gm1_galc)]
    tested = [(f, s) for f, s in tests if f is not None and s is not None]
    evidence = tuple(f.evidence for f, _ in tested)
    if any(s == "met" for _, s in tested):
        positive = tuple(f.evidence for f, s in tested if s == "met")
        return Criterion(
            CriterionId.S_GM1,
            "met",
            positive,
            "antibody positive (NOBILEORAZIO2014: supports, 85-93% specific)",
        )
    if tested and all(s == "not-met" for _, s in tested):
        return Criterion(CriterionId.S_GM1, "not-met", evidence, "negative")
    note = "result not recognised" if tested else "anti-GM1 IgM (or anti-GM1/GalC) not tested"
    return Criterion(CriterionId.S_GM1, "unknown", evidence, note)


def evaluate_csf(facts: Facts, rules: Rules) -> Criterion:
    """Return S-CSF: CSF protein raised (own range, interpretation, else ULN) but below the bound."""
    csf, t = facts.csf_protein, rules.thresholds
    if csf is None:
        return Criterion(CriterionId.S_CSF, "unknown", (), "CSF protein not documented")
    verdict = evaluate_upper_limit(csf, t.csf_protein_uln_g_per_l, "default upper limit", rules)
    if verdict is None or csf.value is None:
        return Criterion(CriterionId.S_CSF, "unknown", (csf.evidence,), "CSF protein unit not recognised")
    if csf.value >= t.csf_protein_max_g_per_l:
        note = f"{csf.value:g} g/L: at or above {t.csf_protein_max_g_per_l:g} g/L points away from MMN"
        return Criterion(CriterionId.S_CSF, "not-met", (csf.evidence,), note)
    note = f"{csf.value:g} g/L ({'raised' if verdict.above else 'not raised'}: {verdict.basis})"
    return Criterion(CriterionId.S_CSF, "met" if verdict.above else "not-met", (csf.evidence,), note)


def evaluate_mri(facts: Facts, rules: Rules) -> Criterion:
    """Return S-MRI: brachial plexus T2 hyperintensity or swelling present (within the lookback)."""
    finding = facts.findings.get("mri_plexus")
    oldest = facts.as_of - timedelta(days=rules.thresholds.supportive_lookback_days)
    if finding is not None and finding.evidence.date is not None and finding.evidence.date < oldest:
        return Criterion(
            CriterionId.S_MRI, "unknown", (finding.evidence,), "brachial plexus MRI older than the lookback"
        )
    return evaluate_finding_group(
        CriterionId.S_MRI, ("mri_plexus",), facts, None if finding else "brachial plexus MRI not documented"
    )


def ultrasound_threshold(area: NerveArea, rules: Rules) -> float | None:
    """Return the enlargement threshold (mm²) for a measurement's nerve and site, if configured."""
    for t in rules.ultrasound.thresholds:
        if t.nerve == area.nerve and (t.site == "*" or t.site == area.site):
            return t.max_mm2
    return None


def unjudged_areas(facts: Facts, rules: Rules) -> tuple[NerveArea, ...]:
    """Return the measurements judged neither way (no threshold for the nerve and site, or unknown unit)."""
    return tuple(a for a in facts.nerve_areas if a.area is None or ultrasound_threshold(a, rules) is None)


def _measured(facts: Facts, rules: Rules) -> tuple[Status | None, tuple[NerveArea, ...]]:
    """Return the verdict of the judged measurements (None when none is judged) and the enlarged ones."""
    judged: list[tuple[NerveArea, float, float]] = []
    for area in facts.nerve_areas:
        limit = ultrasound_threshold(area, rules)
        if area.area is not None and limit is not None:
            judged.append((area, area.area, limit))
    enlarged = tuple(a for a, value, limit in judged if value > limit)
    if enlarged:
        return "met", enlarged
    return ("not-met" if judged else None), ()


def evaluate_ultrasound(facts: Facts, rules: Rules) -> Criterion:
    """Return S-US: a coded enlargement conclusion wins; else a cross-sectional area above its threshold."""
    cid = CriterionId.S_US
    measured, enlarged = _measured(facts, rules)
    areas = tuple(a.evidence for a in facts.nerve_areas)
    conclusion = facts.ultrasound_conclusion
    if conclusion is not None:
        coded: Status = "met" if holds(conclusion, rules.reports.nerve_enlarged) else "not-met"
        note = "coded ultrasound conclusion"
        if measured is not None and measured != coded:
            note += f"; the measurements disagree ({'enlarged' if measured == 'met' else 'not enlarged'})"
        return Criterion(cid, coded, (conclusion.evidence, *areas), note)
    if measured == "met":
        return Criterion(
            cid,
            "met",
            tuple(a.evidence for a in enlarged),
            "cross-sectional area above its threshold (GOEDEE2017; supports, does not prove)",
        )
    if measured == "not-met":
        return Criterion(cid, "not-met", areas, "every judged cross-sectional area at or below its threshold")
    if areas or facts.ultrasound_reports:
        return Criterion(
            cid,
            "unknown",
            areas + facts.ultrasound_reports,
            "ultrasound done, but no measurement could be judged",
        )
    return Criterion(cid, "unknown", (), "no nerve ultrasound on record")


def ultrasound_done(facts: Facts) -> bool:
    """Return whether a nerve ultrasound is on record in the lookback (even one judged neither way)."""
    return bool(facts.nerve_areas or facts.ultrasound_reports)
