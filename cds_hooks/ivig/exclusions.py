"""Exclusions (EFNS2010 exclusion criteria, SIMON2013 entry criteria; docs/clinical-logic.md).

A multi-sign exclusion is met when any of its signs is documented present (latest record per sign),
not met when none is present and every `required_absent` sign is documented absent, else unknown.
A met exclusion is hard (argues against MMN) or soft (specialist review), per the rules.
"""

from __future__ import annotations

from cds_hooks.ivig.block import ConductionBlock
from cds_hooks.ivig.criteria import Criterion, Kind, evaluate_coded
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.facts import Facts
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.ivig.rules_settings import ExclusionRule


def sign_name(name: str) -> str:
    """Return a finding name for card text ('tongue_atrophy' -> 'tongue atrophy')."""
    return name.replace("_", " ")


def evaluate_sign_exclusion(
    cid: CriterionId, rule: ExclusionRule, facts: Facts, extra_hard: tuple[str, ...] = ()
) -> Criterion:
    """Return a multi-sign exclusion with its kind when met."""
    signs = rule.signs + extra_hard
    documented = {n: facts.findings[n] for n in signs if n in facts.findings}
    present = [n for n, f in documented.items() if f.present]
    if present:
        soft = rule.kind == "soft" or (
            bool(rule.soft_when_only) and all(n in rule.soft_when_only for n in present)
        )
        kind: Kind = "soft" if soft else "hard"
        evidence = tuple(documented[n].evidence for n in present)
        return Criterion(cid, "met", evidence, "present: " + ", ".join(map(sign_name, present)), kind=kind)
    absent_evidence = tuple(f.evidence for f in documented.values())
    missing = [n for n in rule.required_absent if n not in documented]
    if not missing:
        names = ", ".join(map(sign_name, documented))
        return Criterion(cid, "not-met", absent_evidence, f"documented absent: {names}")
    return Criterion(
        cid, "unknown", absent_evidence, "not documented absent: " + ", ".join(map(sign_name, missing))
    )


def evaluate_umn(facts: Facts, rules: Rules) -> Criterion:
    """Return X-UMN; hyperreflexia alone is a caution unless configured to exclude (EFNS2010)."""
    extra = ("hyperreflexia",) if rules.thresholds.hyperreflexia_excludes else ()
    return evaluate_sign_exclusion(CriterionId.X_UMN, rules.exclusions.umn, facts, extra)


def evaluate_bulbar(facts: Facts, rules: Rules) -> Criterion:
    """Return X-BULBAR: hard for dysarthria or dysphagia, soft for tongue signs alone."""
    return evaluate_sign_exclusion(CriterionId.X_BULBAR, rules.exclusions.bulbar, facts)


def evaluate_respiratory(facts: Facts, rules: Rules) -> Criterion:
    """Return X-RESP: respiratory muscle weakness (soft; SIMON2013 entry criteria)."""
    return evaluate_sign_exclusion(CriterionId.X_RESP, rules.exclusions.respiratory, facts)


def evaluate_sensory(facts: Facts, block: ConductionBlock, rules: Rules) -> Criterion:
    """Return X-SENSORY: objective deficit, or abnormal sensory conduction with CB (same nerve, side)."""
    base = evaluate_sign_exclusion(CriterionId.X_SENSORY, rules.exclusions.sensory, facts)
    blocked = {(v.segment.nerve, v.segment.side) for v in block.segments if v.blocked}
    abnormal = [
        s.evidence
        for s in facts.sensory_segments
        if s.abnormal
        and any(s.nerve == n and (s.side is None or side is None or s.side == side) for n, side in blocked)
    ]
    abnormal += [
        s.study.report
        for s in block.studies
        if s.study.report is not None
        and s.level in ("definite", "probable")
        and rules.reports.sensory_abnormal.holds_any(s.study.conclusion)
    ]
    if abnormal and base.status != "met":
        kind: Kind = "soft" if rules.exclusions.sensory.kind == "soft" else "hard"
        note = "abnormal sensory conduction in a nerve with CB"
        return Criterion(CriterionId.X_SENSORY, "met", tuple(abnormal), note, kind=kind)
    return base


def evaluate_symmetric(facts: Facts, rules: Rules) -> Criterion:
    """Return X-SYMMETRIC: onset documented symmetric (not met: documented asymmetric)."""
    v = rules.values
    found = evaluate_coded(
        CriterionId.X_SYMMETRIC,
        facts.onset_pattern,
        v.symmetric_onset,
        v.asymmetric_onset,
        "onset pattern not documented",
    )
    if found.status == "not-met":
        return Criterion(found.id, "not-met", found.evidence, "onset documented asymmetric")
    if found.status != "met":
        return found
    kind: Kind = "soft" if rules.exclusions.kinds.symmetric == "soft" else "hard"
    return Criterion(found.id, "met", found.evidence, "onset documented symmetric", kind=kind)


def evaluate_als(facts: Facts, rules: Rules) -> Criterion:
    """Return X-ALS: an active, confirmed ALS Condition; unknown only when conditions were unreadable."""
    if facts.als:
        kind: Kind = "soft" if rules.exclusions.kinds.als == "soft" else "hard"
        return Criterion(CriterionId.X_ALS, "met", facts.als, "active, confirmed ALS diagnosis", kind=kind)
    if not facts.conditions_available:
        return Criterion(CriterionId.X_ALS, "unknown", (), "problem list could not be read")
    return Criterion(CriterionId.X_ALS, "not-met", (), "no active, confirmed ALS diagnosis on record")


def hyperreflexia_caution(facts: Facts, rules: Rules) -> str | None:
    """Return the hyperreflexia caution when it is documented and does not exclude."""
    hyper = facts.findings.get("hyperreflexia")
    if hyper is None or not hyper.present or rules.thresholds.hyperreflexia_excludes:
        return None
    return (
        "hyperreflexia documented: slightly brisk reflexes in a weak "
        "limb are compatible with "
        "MMN (EFNS2010); re-examine for other UMN signs"
    )


def evaluate_exclusions(facts: Facts, block: ConductionBlock, rules: Rules) -> tuple[Criterion, ...]:
    """Return every exclusion criterion, in card order."""
    return (
        evaluate_umn(facts, rules),
        evaluate_bulbar(facts, rules),
        evaluate_sensory(facts, block, rules),
        evaluate_respiratory(facts, rules),
        evaluate_symmetric(facts, rules),
        evaluate_als(facts, rules),
    )
