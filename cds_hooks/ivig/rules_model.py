"""Typed, frozen rules configuration: bindings, thresholds and parameters (docs/clinical-logic.md).

Field names are the TOML keys. `rules.parse_rules` builds these from a mapping and validates them.
Field metadata `min`/`max` bound numbers (inclusive); validation names the dotted key at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cds_hooks.ivig.codes import Code, Codes
from cds_hooks.ivig.rules_settings import (
    CbSettings,
    Exclusions,
    NcsSettings,
    ResponseSettings,
    UltrasoundSettings,
)

__all__ = ["Code", "Codes", "Rules"]


def _bounds(lo: float, hi: float | None = None) -> dict[str, float | None]:
    """Return dataclass field metadata bounding a number (inclusive)."""
    return {"min": lo, "max": hi}


@dataclass(frozen=True)
class Thresholds:
    """Every number of docs/clinical-logic.md (and a few more, documented in rules.toml)."""

    ck_lookback_days: int = field(metadata=_bounds(1))
    electro_lookback_days: int = field(metadata=_bounds(1))
    ck_uln_male: float = field(metadata=_bounds(0))
    ck_uln_female: float = field(metadata=_bounds(0))
    ck_uln_other: float = field(metadata=_bounds(0))
    cb_definite_area_reduction: float = field(metadata=_bounds(0, 1))
    cb_probable_long_area_reduction: float = field(metadata=_bounds(0, 1))
    cb_duration_increase_limit: float = field(metadata=_bounds(0))
    cb_min_distal_amplitude_mv: float = field(metadata=_bounds(0))
    cb_min_distal_amplitude_lln_fraction: float = field(metadata=_bounds(0, 1))
    amplitude_for_area: bool
    supportive_lookback_days: int = field(metadata=_bounds(1))
    response_min_days: int = field(metadata=_bounds(0))
    response_baseline_window_days: int = field(metadata=_bounds(0))
    course_gap_days: int = field(metadata=_bounds(1))
    maintenance_after_days: int = field(metadata=_bounds(1))
    response_min_courses: int = field(metadata=_bounds(1))
    response_followup_max_days_after_dose: int = field(metadata=_bounds(1))
    grip_mcid_kpa: float = field(metadata=_bounds(0))
    mrc_normal_grade: float = field(metadata=_bounds(0))
    supportive_for_possible_mmn: int = field(metadata=_bounds(1, 4))
    hyperreflexia_excludes: bool
    subcutaneous_in_scope: bool
    csf_protein_uln_g_per_l: float = field(metadata=_bounds(0))
    csf_protein_max_g_per_l: float = field(metadata=_bounds(0))


@dataclass(frozen=True)
class Units:
    """Accepted units (UCUM code or unit text) and their factor to the canonical unit."""

    ck: Mapping[str, float]
    csf_protein: Mapping[str, float]
    cmap_amplitude: Mapping[str, float]
    cmap_area: Mapping[str, float]
    cmap_duration: Mapping[str, float]
    grip_strength: Mapping[str, float]
    nerve_csa: Mapping[str, float]


@dataclass(frozen=True)
class MedicationBinding:
    """What makes a MedicationRequest an IVIg order (docs/clinical-logic.md)."""

    codes: Codes
    ndc_system: str
    ndc_products: tuple[str, ...]
    subcutaneous_routes: Codes
    intravenous_routes: Codes


@dataclass(frozen=True)
class IndicationBinding:
    """LMN indications (scope) and established ALS (X-ALS)."""

    lmn: Codes
    als: Codes


@dataclass(frozen=True)
class FindingBinding:
    """Clinical findings (docs/clinical-logic.md) and the present/absent value codes."""

    present: Codes
    absent: Codes
    hyperreflexia: Codes
    babinski: Codes
    clonus: Codes
    spasticity: Codes
    hoffmann: Codes
    dysarthria: Codes
    dysphagia: Codes
    tongue_fasciculations: Codes
    tongue_atrophy: Codes
    objective_sensory_deficit: Codes
    respiratory_involvement: Codes
    mri_plexus: Codes


@dataclass(frozen=True)
class ObservationBinding:
    """Observation.code bindings (docs/clinical-logic.md)."""

    onset_site: Codes
    onset_pattern: Codes
    mrc_grade: Codes
    mrc_sum_score: Codes
    ck: Codes
    anti_gm1: Codes
    anti_gm1_galc: Codes
    grip_strength: Codes
    nerve_csa: Codes
    csf_protein: Codes
    motor_segment: Codes
    sensory_segment: Codes
    emg_muscle: Codes


@dataclass(frozen=True)
class ComponentBinding:
    """Observation.component.code bindings (docs/clinical-logic.md)."""

    laterality: Codes
    mrc_sum_score_max: Codes
    distal_site: Codes
    proximal_site: Codes
    amplitude_distal: Codes
    amplitude_proximal: Codes
    area_distal: Codes
    area_proximal: Codes
    duration_distal: Codes
    duration_proximal: Codes
    amplitude_lln: Codes
    entrapment_site: Codes
    csa_site: Codes


@dataclass(frozen=True)
class ValueBinding:
    """valueCodeableConcept codes the rules interpret."""

    left: Codes
    right: Codes
    distal_upper_limb_onset: Codes
    lower_limb_onset: Codes
    symmetric_onset: Codes
    asymmetric_onset: Codes
    emg_muscle_normal: Codes
    positive: Codes
    negative: Codes


@dataclass(frozen=True)
class InterpretationBinding:
    """Observation.interpretation codes the rules interpret."""

    high: Codes
    normal: Codes
    positive: Codes
    negative: Codes
    sensory_normal: Codes
    sensory_abnormal: Codes


@dataclass(frozen=True)
class ReportBinding:
    """DiagnosticReport category, codes and conclusion codes (docs/clinical-logic.md)."""

    category: Codes
    ncs: Codes
    emg: Codes
    cb_definite: Codes
    cb_probable: Codes
    cb_absent: Codes
    sensory_normal: Codes
    sensory_abnormal: Codes
    emg_confined: Codes
    emg_beyond: Codes
    emg_normal: Codes
    ultrasound: Codes
    nerve_enlarged: Codes
    nerve_not_enlarged: Codes


@dataclass(frozen=True)
class EntrapmentSegment:
    """An entrapment zone of one nerve between two stimulation sites (EFNS2010)."""

    nerve: str
    distal: str
    proximal: str


@dataclass(frozen=True)
class SitePair:
    """A pair of stimulation sites (a long segment), matched in either order."""

    distal: str
    proximal: str


@dataclass(frozen=True)
class Anatomy:
    """Local vocabularies of nerves, muscles and sites, and the segment tables."""

    nerves: tuple[str, ...]
    upper_limb_nerves: tuple[str, ...]
    muscles: tuple[str, ...]
    muscle_nerves: Mapping[str, tuple[str, ...]]
    site_rank: Mapping[str, int]
    default_lln_mv: Mapping[str, float]
    entrapment_segments: tuple[EntrapmentSegment, ...]
    long_segments: tuple[SitePair, ...]


@dataclass(frozen=True)
class OrderBinding:
    """ServiceRequest codes for the tests a card may suggest."""

    ncs: Codes
    ncs_review_areas: Codes
    ck: Codes
    anti_gm1: Codes
    nerve_ultrasound: Codes
    mrc_grading: Codes
    response_review: Codes


@dataclass(frozen=True)
class OverrideReasonEntry:
    """An override reason offered on cards (a local code with its display)."""

    code: str
    display: str


@dataclass(frozen=True)
class CardSettings:
    """Card source label and override reasons."""

    source_label: str
    override_reasons: tuple[OverrideReasonEntry, ...]


@dataclass(frozen=True)
class Rules:
    """The whole versioned rules configuration."""

    version: str
    local_system: str
    thresholds: Thresholds
    units: Units
    medication: MedicationBinding
    indication: IndicationBinding
    findings: FindingBinding
    observations: ObservationBinding
    components: ComponentBinding
    values: ValueBinding
    interpretation: InterpretationBinding
    reports: ReportBinding
    exclusions: Exclusions
    cb: CbSettings
    ncs: NcsSettings
    ultrasound: UltrasoundSettings
    response: ResponseSettings
    anatomy: Anatomy
    orders: OrderBinding
    cards: CardSettings
