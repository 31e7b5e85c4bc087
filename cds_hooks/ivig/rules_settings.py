"""Version-2 rules settings: exclusions, CB nerves, the adequate study, ultrasound and response review."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


def _bounds(lo: float, hi: float | None = None) -> dict[str, float | None]:
    """Return dataclass field metadata bounding a number (inclusive)."""
    return {"min": lo, "max": hi}


@dataclass(frozen=True)
class ExclusionRule:
    """A multi-sign exclusion: its signs ([findings] names), required-absent signs and kind (hard/soft)."""

    signs: tuple[str, ...]
    required_absent: tuple[str, ...]
    kind: str
    soft_when_only: tuple[str, ...]


@dataclass(frozen=True)
class ExclusionKinds:
    """The kind (hard/soft) of the single-fact exclusions."""

    symmetric: str
    als: str


@dataclass(frozen=True)
class Exclusions:
    """The exclusion rules of docs/clinical-logic.md (EFNS2010, SIMON2013 entry criteria)."""

    umn: ExclusionRule
    bulbar: ExclusionRule
    sensory: ExclusionRule
    respiratory: ExclusionRule
    kinds: ExclusionKinds


@dataclass(frozen=True)
class CbSettings:
    """Which nerves may show definite CB, which never count, and the Erb's point site (EFNS2010)."""

    definite_nerves: tuple[str, ...]
    excluded_nerves: tuple[str, ...]
    erb_point_site: str


@dataclass(frozen=True)
class NcsSettings:
    """The adequate-study rule: minimum motor nerves and the nerves to study when weak."""

    min_motor_nerves: int = field(metadata=_bounds(1))
    weak_nerves_to_study: tuple[str, ...] = ()


@dataclass(frozen=True)
class UltrasoundThreshold:
    """An enlarged-nerve threshold (mm²) at one nerve and site ('*': any site)."""

    nerve: str
    site: str
    max_mm2: float = field(metadata=_bounds(0))


@dataclass(frozen=True)
class UltrasoundSettings:
    """Nerve ultrasound thresholds (GOEDEE2017)."""

    thresholds: tuple[UltrasoundThreshold, ...]


@dataclass(frozen=True)
class ResponseSettings:
    """Response review settings: the MRC sum MCID per score maximum (keys are the maxima)."""

    mrc_sum_mcid_by_max: Mapping[str, float]
