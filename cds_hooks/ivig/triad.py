"""The SIMON2013 responder triad: T-ONSET, T-EMG and T-CK."""

from __future__ import annotations

from cds_hooks.ivig.criteria import Criterion, Status, evaluate_coded
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.facts import Evidence, Facts
from cds_hooks.ivig.limits import evaluate_upper_limit
from cds_hooks.ivig.rules_model import Rules


def evaluate_onset(facts: Facts, rules: Rules) -> Criterion:
    """Return T-ONSET: onset site is distal upper limb (hand or forearm)."""
    codes = rules.values.distal_upper_limb_onset
    return evaluate_coded(CriterionId.T_ONSET, facts.onset_site, codes, None, "onset site not documented")


def evaluate_emg(facts: Facts, rules: Rules) -> Criterion:
    """Return T-EMG: every abnormal EMG muscle is clinically weak (MRC < normal grade), same side."""
    conclusion = facts.emg_conclusion
    if conclusion is not None:
        r = rules.reports
        criterion = evaluate_coded(CriterionId.T_EMG, conclusion, r.emg_confined, r.emg_beyond, "")
        if criterion.status != "unknown":
            return criterion
        return Criterion(
            CriterionId.T_EMG, "unknown", criterion.evidence, "EMG reported normal: no pattern to judge"
        )
    if not facts.emg_muscles:
        return Criterion(CriterionId.T_EMG, "unknown", (), "no EMG in the lookback window")
    abnormal = [m for m in facts.emg_muscles if m.abnormal]
    if not abnormal:
        evidence = tuple(m.evidence for m in facts.emg_muscles)
        return Criterion(
            CriterionId.T_EMG, "unknown", evidence, "no abnormal muscle on EMG: no pattern to judge"
        )
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
        return Criterion(CriterionId.T_EMG, "not-met", tuple(strong), "an abnormal muscle has full strength")
    if ungraded:
        return Criterion(
            CriterionId.T_EMG, "unknown", tuple(ungraded), "an abnormal muscle has no strength grade"
        )
    return Criterion(CriterionId.T_EMG, "met", tuple(weak))


def evaluate_ck(facts: Facts, rules: Rules) -> Criterion:
    """Return T-CK: latest CK <= ULN (own range, else interpretation, else default by sex)."""
    ck, t = facts.ck, rules.thresholds
    if ck is None:
        return Criterion(CriterionId.T_CK, "unknown", (), f"no CK in the last {t.ck_lookback_days} days")
    evidence = (ck.evidence,)
    uln = {"male": t.ck_uln_male, "female": t.ck_uln_female}.get(facts.sex, t.ck_uln_other)
    verdict = evaluate_upper_limit(ck, uln, f"default ULN ({facts.sex})", rules)
    if verdict is None:
        return Criterion(CriterionId.T_CK, "unknown", evidence, "CK unit not recognised; value not used")
    status: Status = "not-met" if verdict.above else "met"
    if verdict.limit is None:
        return Criterion(CriterionId.T_CK, status, evidence, verdict.basis)
    note = f"{ck.value:g} U/L vs ULN {verdict.limit:g} U/L ({verdict.basis})"
    return Criterion(CriterionId.T_CK, status, evidence, note)
