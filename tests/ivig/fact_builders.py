"""Typed facts for the engine's unit tests: the criteria read facts, so most tables need no FHIR at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from cds_hooks.ivig.facts import (
    CodedFact,
    EmgMuscle,
    Evidence,
    Facts,
    Finding,
    Measure,
    MotorSegment,
    MuscleGrade,
    NcsStudy,
    NerveArea,
    SumScore,
)

AS_OF = date(2026, 6, 1)
LOCAL = "http://ivig-cds.org/fhir/CodeSystem/lmn-assessment"
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
SCT = "http://snomed.info/sct"
_COUNTER = iter(range(1, 10_000_000))


def day(days_ago: int) -> date:
    """Return the date `days_ago` days before AS_OF."""
    return AS_OF - timedelta(days=days_ago)


def ev(ref: str | None = None, when: date | None = AS_OF, value: str = "x") -> Evidence:
    """Return an Evidence with a fresh reference unless one is given."""
    return Evidence(ref or f"Observation/t{next(_COUNTER)}", when, value)


def empty_facts(**overrides: Any) -> Facts:
    """Return Facts with nothing on record, then `overrides`."""
    base = Facts(
        as_of=AS_OF,
        findings={},
        onset_site=None,
        onset_pattern=None,
        grades={},
        sum_scores=(),
        grips=(),
        ck=None,
        sex="male",
        anti_gm1=None,
        anti_gm1_galc=None,
        csf_protein=None,
        studies=(),
        preliminary_ncs=(),
        sensory_segments=(),
        emg_muscles=(),
        emg_conclusion=None,
        nerve_areas=(),
        ultrasound_conclusion=None,
        ultrasound_reports=(),
        als=(),
        conditions_available=True,
        administrations=(),
        ivig_requests=(),
    )
    return replace(base, **overrides)


def findings(**present: bool) -> dict[str, Finding]:
    """Return findings by name: `babinski=False` documents Babinski absent."""
    return {
        name: Finding(name, value, ev(value="present" if value else "absent"))
        for name, value in present.items()
    }


def grades(*items: tuple[str, str | None, float]) -> dict[tuple[str, Any], MuscleGrade]:
    """Return MRC grades from (muscle, side, grade) triples."""
    return {(m, s): MuscleGrade(m, s, g, ev(value=f"{m} {s} MRC {g}")) for m, s, g in items}  # type: ignore[arg-type]


def emg(*items: tuple[str, str | None, bool]) -> tuple[EmgMuscle, ...]:
    """Return EMG muscles from (muscle, side, abnormal) triples."""
    return tuple(EmgMuscle(m, s, a, ev()) for m, s, a in items)  # type: ignore[arg-type]


def seg(
    nerve: str | None = "median",
    side: str | None = "left",
    distal: str | None = "wrist",
    proximal: str | None = "elbow",
    amp: tuple[float | None, float | None] = (8.0, 7.5),
    area: tuple[float | None, float | None] = (20.0, 19.0),
    duration: tuple[float | None, float | None] = (6.0, 6.2),
    lln: float | None = None,
    entrapment: bool | None = None,
    when: date | None = AS_OF,
) -> MotorSegment:
    """Return a motor segment; the default is a normal left median forearm segment."""
    return MotorSegment(
        nerve=nerve,
        side=side,  # type: ignore[arg-type]
        distal_site=distal,
        proximal_site=proximal,
        amplitude_distal=amp[0],
        amplitude_proximal=amp[1],
        area_distal=area[0],
        area_proximal=area[1],
        duration_distal=duration[0],
        duration_proximal=duration[1],
        lln=lln,
        entrapment_site=entrapment,
        evidence=ev(value=f"{nerve} {side} {distal}-{proximal}", when=when),
    )


BLOCK = {"area": (20.0, 7.0), "duration": (6.0, 6.6)}  # 65% area drop, +10% duration: definite arithmetic


def study(
    *segments: MotorSegment,
    report: str | None = "DiagnosticReport/ncs1",
    when: date = AS_OF,
    coded: tuple[str, ...] = (),
) -> NcsStudy:
    """Return an NCS study (report None: segments without a report) with coded conclusions (local codes)."""
    evidence = ev(report, when, ", ".join(coded) or "report") if report else None
    return NcsStudy(evidence, frozenset((LOCAL, c) for c in coded), segments)


def coded(*codes: tuple[str, str], when: date = AS_OF) -> CodedFact:
    """Return a coded fact from (system, code) pairs."""
    return CodedFact(frozenset(codes), ev(when=when, value=", ".join(c for _, c in codes)))


def area(nerve: str, site: str | None, mm2: float | None, side: str = "left") -> NerveArea:
    """Return a nerve cross-sectional area."""
    return NerveArea(nerve, side, site, mm2, ev(value=f"{nerve} {site} {mm2}"))  # type: ignore[arg-type]


def score(when: date, value: float, maximum: float | None = 60.0) -> SumScore:
    """Return an MRC sum score of the local code with a maximum."""
    return SumScore((LOCAL, "mrc-sum-score", maximum), value, ev(when=when, value=f"{value}"))


def grip(when: date, kpa: float | None, side: str = "left") -> Measure:
    """Return a grip strength measure (None: a unit the rules cannot judge)."""
    return Measure("grip", side, kpa, ev(when=when, value=f"grip {side} {kpa}"))  # type: ignore[arg-type]


def doses(*days_ago: int) -> tuple[Evidence, ...]:
    """Return IVIg administrations on the given days before AS_OF, oldest first."""
    return tuple(ev(f"MedicationAdministration/a{d}", day(d), "IVIg") for d in sorted(days_ago, reverse=True))
