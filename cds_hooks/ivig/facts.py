"""Typed facts extracted from the record, each with the evidence that supports it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeVar

from cds_hooks.models import JSON

Side = Literal["left", "right"]
Sex = Literal["male", "female", "other"]


@dataclass(frozen=True)
class Evidence:
    """One resource that decided something: 'Type/id', its date and the value read from it."""

    reference: str
    date: date | None
    value: str

    def to_json(self) -> JSON:
        """Return the machine-readable form (date omitted when unknown)."""
        out: JSON = {"reference": self.reference, "value": self.value}
        if self.date is not None:
            out["date"] = self.date.isoformat()
        return out


@dataclass(frozen=True)
class Finding:
    """A clinical finding documented present or absent (docs/clinical-logic.md)."""

    name: str
    present: bool
    evidence: Evidence


@dataclass(frozen=True)
class CodedFact:
    """A coded observation value (onset site or pattern, report conclusion)."""

    codes: frozenset[tuple[str, str]]
    evidence: Evidence


@dataclass(frozen=True)
class MuscleGrade:
    """MRC grade (0-5) of one muscle on one side."""

    muscle: str
    side: Side | None
    grade: float
    evidence: Evidence


@dataclass(frozen=True)
class SumScore:
    """An MRC sum score with its instrument (code and maximum)."""

    instrument: tuple[str, str, float | None]
    score: float
    evidence: Evidence


@dataclass(frozen=True)
class LabResult:
    """A lab value in canonical units (None when unknown) with its own limits and interpretation."""

    value: float | None
    high: float | None
    interpretation: frozenset[tuple[str, str]]
    evidence: Evidence


@dataclass(frozen=True)
class MotorSegment:
    """One motor nerve segment with distal and proximal stimulation (docs/clinical-logic.md)."""

    nerve: str | None
    side: Side | None
    distal_site: str | None
    proximal_site: str | None
    amplitude_distal: float | None
    amplitude_proximal: float | None
    area_distal: float | None
    area_proximal: float | None
    duration_distal: float | None
    duration_proximal: float | None
    lln: float | None
    entrapment_site: bool | None
    evidence: Evidence


@dataclass(frozen=True)
class SensorySegment:
    """A sensory nerve segment: normal (False) or abnormal (True) conduction."""

    nerve: str | None
    side: Side | None
    abnormal: bool
    evidence: Evidence


@dataclass(frozen=True)
class EmgMuscle:
    """EMG of one muscle on one side: abnormal (anything but normal) or not."""

    muscle: str | None
    side: Side | None
    abnormal: bool
    evidence: Evidence


@dataclass(frozen=True)
class NcsStudy:
    """One NCS report (None: segments recorded without a counted report) with its conclusion and segments."""

    report: Evidence | None
    conclusion: frozenset[tuple[str, str]]
    segments: tuple[MotorSegment, ...]


@dataclass(frozen=True)
class Measure:
    """A strength measure (grip per side); `value` None when its unit cannot be judged."""

    kind: str
    side: Side | None
    value: float | None
    evidence: Evidence


@dataclass(frozen=True)
class NerveArea:
    """A nerve cross-sectional area (mm², None in an unknown unit) at a nerve, side and site."""

    nerve: str | None
    side: Side | None
    site: str | None
    area: float | None
    evidence: Evidence


@dataclass(frozen=True)
class Facts:
    """Every fact the criteria read, each with its evidence, as of the assessment date."""

    as_of: date
    findings: Mapping[str, Finding]
    onset_site: CodedFact | None
    onset_pattern: CodedFact | None
    grades: Mapping[tuple[str, Side | None], MuscleGrade]
    sum_scores: tuple[SumScore, ...]
    grips: tuple[Measure, ...]
    ck: LabResult | None
    sex: str
    anti_gm1: CodedFact | None
    anti_gm1_galc: CodedFact | None
    csf_protein: LabResult | None
    studies: tuple[NcsStudy, ...]
    preliminary_ncs: tuple[Evidence, ...]
    sensory_segments: tuple[SensorySegment, ...]
    emg_muscles: tuple[EmgMuscle, ...]
    emg_conclusion: CodedFact | None
    nerve_areas: tuple[NerveArea, ...]
    ultrasound_conclusion: CodedFact | None
    ultrasound_reports: tuple[Evidence, ...]
    als: tuple[Evidence, ...]
    conditions_available: bool
    administrations: tuple[Evidence, ...]
    ivig_requests: tuple[Evidence, ...]

    @property
    def motor_segments(self) -> tuple[MotorSegment, ...]:
        """Return every counted motor segment of every study."""
        return tuple(s for study in self.studies for s in study.segments)


T = TypeVar("T")


def pick_latest(items: Iterable[T], when: Callable[[T], date | None]) -> T | None:
    """Return the latest dated item (later wins ties by order); undated only when nothing is dated."""
    dated: T | None = None
    dated_when: date | None = None
    undated: T | None = None
    for item in items:
        day = when(item)
        if day is None:
            undated = undated if undated is not None else item
        elif dated_when is None or day >= dated_when:
            dated, dated_when = item, day
    return dated if dated is not None else undated
