"""Weak muscles and the nerves that supply them (rules `anatomy.muscle_nerves`; docs/clinical-logic.md).

Affected nerves: the nerves of `ncs.weak_nerves_to_study` that supply, on that side, a muscle graded
below normal, or, when no muscle on record is graded, a muscle abnormal on EMG. A weak muscle with
several nerves needs any one of them studied (one requirement per weak muscle).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cds_hooks.ivig.facts import Evidence, Facts, Side

NerveSide = tuple[str, Side | None]


@dataclass(frozen=True)
class WeakMuscle:
    """A muscle graded below normal (or abnormal on EMG) with the nerve-and-side pairs supplying it."""

    muscle: str
    side: Side | None
    nerves: frozenset[NerveSide]
    evidence: Evidence


@dataclass(frozen=True)
class AffectedNerves:
    """What the adequate-study rule requires: per weak muscle, the studiable nerves (any one suffices)."""

    requirements: tuple[frozenset[NerveSide], ...]
    unstudiable: tuple[WeakMuscle, ...]
    basis: str

    @property
    def known(self) -> bool:
        """Return whether MRC grades or EMG identify any weak muscle with a known nerve."""
        return bool(self.requirements or self.unstudiable)


def nerve_side_label(pair: NerveSide) -> str:
    """Return 'median (left)' or 'median' for a nerve-and-side pair."""
    nerve, side = pair
    return f"{nerve} ({side})" if side else nerve


def side_matches(studied: NerveSide, wanted: NerveSide) -> bool:
    """Return whether a studied pair answers a wanted one (same nerve; same side, or the side not known)."""
    return studied[0] == wanted[0] and (wanted[1] is None or studied[1] == wanted[1])


def evaluate_weak_muscles(
    facts: Facts, muscle_nerves: Mapping[str, tuple[str, ...]], normal: float
) -> list[WeakMuscle]:
    """Return the muscles graded below `normal` (latest grade per muscle and side), with their nerves."""
    weak = []
    for grade in facts.grades.values():
        if grade.grade < normal and grade.muscle in muscle_nerves:
            pairs = frozenset((n, grade.side) for n in muscle_nerves[grade.muscle])
            weak.append(WeakMuscle(grade.muscle, grade.side, pairs, grade.evidence))
    return weak


def _emg_weak(facts: Facts, muscle_nerves: Mapping[str, tuple[str, ...]]) -> list[WeakMuscle]:
    """Return the muscles abnormal on EMG, with their nerves."""
    return [
        WeakMuscle(m.muscle, m.side, frozenset((n, m.side) for n in muscle_nerves[m.muscle]), m.evidence)
        for m in facts.emg_muscles
        if m.abnormal and m.muscle is not None and m.muscle in muscle_nerves
    ]


def evaluate_affected_nerves(
    facts: Facts, muscle_nerves: Mapping[str, tuple[str, ...]], studiable: tuple[str, ...], normal: float
) -> AffectedNerves:
    """Return the affected nerves from MRC grades, else (no muscle graded) from EMG."""
    if facts.grades:
        weak, basis = evaluate_weak_muscles(facts, muscle_nerves, normal), "MRC grades"
    else:
        weak, basis = _emg_weak(facts, muscle_nerves), "EMG"
    requirements: list[frozenset[NerveSide]] = []
    unstudiable: list[WeakMuscle] = []
    for muscle in weak:
        wanted = frozenset(p for p in muscle.nerves if p[0] in studiable)
        if wanted and wanted not in requirements:
            requirements.append(wanted)
        elif not wanted:
            unstudiable.append(muscle)
    return AffectedNerves(tuple(requirements), tuple(unstudiable), basis)
