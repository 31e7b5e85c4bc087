"""EFNS2010 supportive criteria: S-GM1, S-CSF and S-MRI."""

from __future__ import annotations

from cds_hooks.ivig.criteria import Criterion, evaluate_coded, evaluate_finding_group
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.facts import Facts
from cds_hooks.ivig.limits import evaluate_upper_limit
from cds_hooks.ivig.rules_model import Rules


def evaluate_gm1(facts: Facts, rules: Rules) -> Criterion:
    """Return S-GM1: raised IgM anti-GM1 (positive/high), not met when negative/normal."""
    positive = rules.interpretation.positive + rules.values.positive
    negative = rules.interpretation.negative + rules.values.negative
    return evaluate_coded(
        CriterionId.S_GM1, facts.anti_gm1, positive, negative, "anti-GM1 IgM not documented"
    )


def evaluate_csf(facts: Facts, rules: Rules) -> Criterion:
    """Return S-CSF: CSF protein raised (own range, interpretation, else ULN) but below the bound."""
    csf, t = facts.csf_protein, rules.thresholds
    if csf is None:
        return Criterion(CriterionId.S_CSF, "unknown", (), "CSF protein not documented")
    verdict = evaluate_upper_limit(csf, t.csf_protein_uln_g_per_l, "default upper limit", rules)
    if verdict is None or csf.value is None:
        return Criterion(CriterionId.S_CSF, "unknown", (csf.evidence,), "CSF protein unit not recognised")
    met = verdict.above and csf.value < t.csf_protein_max_g_per_l
    raised = "yes" if verdict.above else "no"
    note = f"{csf.value:g} g/L (raised: {raised}; bound {t.csf_protein_max_g_per_l:g} g/L)"
    return Criterion(CriterionId.S_CSF, "met" if met else "not-met", (csf.evidence,), note)


def evaluate_mri(facts: Facts) -> Criterion:
    """Return S-MRI: brachial plexus T2 hyperintensity or swelling documented present."""
    return evaluate_finding_group(CriterionId.S_MRI, ("mri_plexus",), facts)
