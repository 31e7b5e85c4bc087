"""C-MULTIFOCAL, the EFNS2010 core criterion: weakness in the territory of two or more nerves.

Met when two weak muscles (MRC below normal, latest grade per muscle and side) have nerve-and-side
sets (rules `anatomy.muscle_nerves`) that share no nerve on the same side; a muscle with an unknown
side overlaps both sides (docs/clinical-logic.md).
"""

from __future__ import annotations

from itertools import combinations

from cds_hooks.ivig.anatomy import WeakMuscle, evaluate_weak_muscles
from cds_hooks.ivig.criteria import Criterion
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.facts import Facts
from cds_hooks.ivig.rules_model import Rules


def _overlap(a: WeakMuscle, b: WeakMuscle) -> bool:
    """Return whether two weak muscles may share a nerve territory."""
    return any(
        na == nb and (sa is None or sb is None or sa == sb) for na, sa in a.nerves for nb, sb in b.nerves
    )


def _label(muscle: WeakMuscle) -> str:
    """Return 'first-dorsal-interosseous (left): ulnar'."""
    nerves = " or ".join(sorted({n for n, _ in muscle.nerves}))
    side = f" ({muscle.side})" if muscle.side else ""
    return f"{muscle.muscle}{side}: {nerves}"


def evaluate_multifocal(facts: Facts, rules: Rules) -> Criterion:
    """Return C-MULTIFOCAL from the MRC grades and the muscle-to-nerve map."""
    cid, normal = CriterionId.C_MULTIFOCAL, rules.thresholds.mrc_normal_grade
    if not facts.grades:
        return Criterion(cid, "unknown", (), "no MRC grades on record")
    if all(g.grade >= normal for g in facts.grades.values()):
        evidence = tuple(g.evidence for g in facts.grades.values())
        return Criterion(cid, "not-met", evidence, "no muscle graded below MRC 5")
    weak = evaluate_weak_muscles(facts, rules.anatomy.muscle_nerves, normal)
    if not weak:
        return Criterion(cid, "unknown", (), "no weak muscle maps to a nerve")
    for a, b in combinations(weak, 2):
        if not _overlap(a, b):
            note = f"two nerve territories: {_label(a)}; {_label(b)}"
            return Criterion(cid, "met", (a.evidence, b.evidence), note)
    note = "weakness in one nerve territory only (" + "; ".join(_label(m) for m in weak) + ")"
    return Criterion(cid, "not-met", tuple(m.evidence for m in weak), note)
