"""The SIMON2013 responder triad (T-ONSET, T-EMG, T-CK) and EFNS2010 supportive criteria."""

from __future__ import annotations

from cds_hooks.ivig.criteria import Criterion, Status, evaluate_coded, evaluate_finding_group
from cds_hooks.ivig.extract import Facts
from cds_hooks.ivig.facts import Evidence
from cds_hooks.ivig.rules_model import Rules


def evaluate_onset(facts: Facts, rules: Rules) -> Criterion:
    """Return T-ONSET: onset site is distal upper limb (hand or forearm)."""
    codes = rules.values.distal_upper_limb_onset
    return evaluate_coded("T-ONSET", facts.onset_site, codes, None, "onset site not documented")


def evaluate_emg(facts: Facts, rules: Rules) -> Criterion:
    """Return T-EMG: every abnormal EMG muscle is clinically weak (MRC < normal grade), same side."""
    conclusion = facts.emg_conclusion
    if conclusion is not None:
        r = rules.reports
        criterion = evaluate_coded("T-EMG", conclusion, r.emg_confined, r.emg_beyond, "")
        if criterion.status != "unknown":
            return criterion
        return Criterion("T-EMG", "unknown", criterion.evidence, "EMG reported normal: no pattern to judge")
    if not facts.emg_muscles:
        return Criterion("T-EMG", "unknown", (), "no EMG in the lookback window")
    abnormal = [m for m in facts.emg_muscles if m.abnormal]
    if not abnormal:
        evidence = tuple(m.evidence for m in facts.emg_muscles)
        return Criterion("T-EMG", "unknown", evidence, "no abnormal muscle on EMG: no pattern to judge")
    strong: list[Evidence] = []
    ungraded: list[Evidence] = []
    weak: list[Evidence] = []
    for muscle in abnormal:
        grade = facts.grades.get((muscle.muscle or "", muscle.side))
        if grade is None:
            ungraded.append(muscle.evidence)
        elif grade.grade >= rules.thresholds.mrc_normal_grade:
            strong += [muscle.evidence, grade.evidence]
        else:
            weak += [muscle.evidence, grade.evidence]
    if strong:
        return Criterion("T-EMG", "not-met", tuple(strong), "an abnormal muscle has full strength")
    if ungraded:
        return Criterion("T-EMG", "unknown", tuple(ungraded), "an abnormal muscle has no strength grade")
    return Criterion("T-EMG", "met", tuple(weak))


def evaluate_ck(facts: Facts, rules: Rules) -> Criterion:
    """Return T-CK: latest CK <= ULN (own range, else interpretation, else default by sex)."""
    ck, t = facts.ck, rules.thresholds
    if ck is None:
        return Criterion("T-CK", "unknown", (), f"no CK in the last {t.ck_lookback_days} days")
    evidence = (ck.evidence,)
    if ck.value is None:
        return Criterion("T-CK", "unknown", evidence, "CK unit not recognised; value not used")
    if ck.high is not None:
        uln, basis = ck.high, "reference range"
    elif any((c.system, c.code) in ck.interpretation for c in rules.interpretation.high):
        return Criterion("T-CK", "not-met", evidence, "interpreted high")
    elif any((c.system, c.code) in ck.interpretation for c in rules.interpretation.normal):
        return Criterion("T-CK", "met", evidence, "interpreted normal")
    else:
        uln = {"male": t.ck_uln_male, "female": t.ck_uln_female}.get(facts.sex, t.ck_uln_other)
        basis = f"default ULN ({facts.sex})"
    status: Status = "met" if ck.value <= uln else "not-met"
    return Criterion("T-CK", status, evidence, f"{ck.value:g} U/L vs ULN {uln:g} U/L ({basis})")


def evaluate_gm1(facts: Facts, rules: Rules) -> Criterion:
    """Return S-GM1: raised IgM anti-GM1 (positive/high), not met when negative/normal."""
    positive = rules.interpretation.positive + rules.values.positive
    negative = rules.interpretation.negative + rules.values.negative
    return evaluate_coded("S-GM1", facts.anti_gm1, positive, negative, "anti-GM1 IgM not documented")


def evaluate_csf(facts: Facts, rules: Rules) -> Criterion:
    """Return S-CSF: CSF protein raised (own range, interpretation, else ULN) but below the bound."""
    csf, t = facts.csf_protein, rules.thresholds
    if csf is None:
        return Criterion("S-CSF", "unknown", (), "CSF protein not documented")
    if csf.value is None:
        return Criterion("S-CSF", "unknown", (csf.evidence,), "CSF protein unit not recognised")
    if csf.high is not None:
        raised = csf.value > csf.high
    elif any((c.system, c.code) in csf.interpretation for c in rules.interpretation.high):
        raised = True
    elif any((c.system, c.code) in csf.interpretation for c in rules.interpretation.normal):
        raised = False
    else:
        raised = csf.value > t.csf_protein_uln_g_per_l
    met = raised and csf.value < t.csf_protein_max_g_per_l
    note = f"{csf.value:g} g/L (raised: {'yes' if raised else 'no'}; bound {t.csf_protein_max_g_per_l:g} g/L)"
    return Criterion("S-CSF", "met" if met else "not-met", (csf.evidence,), note)


def evaluate_mri(facts: Facts) -> Criterion:
    """Return S-MRI: brachial plexus T2 hyperintensity or swelling documented present."""
    return evaluate_finding_group("S-MRI", ("mri_plexus",), facts)
