"""Cautions a card shows beside the outcome (docs/clinical-logic.md): what the clinician must weigh."""

from __future__ import annotations

from cds_hooks.ivig.assessment_record import Assessment
from cds_hooks.ivig.criterion_ids import CriterionId
from cds_hooks.ivig.exclusions import hyperreflexia_caution
from cds_hooks.ivig.facts import Facts
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.ivig.supportive import unjudged_areas


def _exclusion_cautions(assessment: Assessment) -> list[str]:
    """Return the cautions of soft exclusions: a Hoffmann sign alone, a tongue sign alone, sensory signs."""
    out = []
    umn, bulbar = assessment.criterion(CriterionId.X_UMN), assessment.criterion(CriterionId.X_BULBAR)
    sensory = assessment.criterion(CriterionId.X_SENSORY)
    if umn is not None and umn.status == "met" and umn.kind == "soft":
        out.append(
            "Hoffmann sign without other UMN signs: needs clinical judgement (cervical myelopathy, ALS)"
        )
    if bulbar is not None and bulbar.status == "met" and bulbar.kind == "soft":
        out.append("isolated tongue sign: twelfth-nerve palsy is reported in MMN; review with a specialist")
    if sensory is not None and sensory.status == "met":
        out.append(
            "sensory involvement with motor weakness suggests "
            "multifocal CIDP "
            "(Lewis-Sumner), which IVIg also treats"
        )
    return out


def _block_cautions(assessment: Assessment) -> list[str]:
    """Return the cautions of the conduction block: Erb's point, amplitude-based, contested, one territory."""
    block = assessment.conduction_block
    if block is None:
        return []
    out = []
    if block.status in ("definite", "probable"):
        if block.erb_only:
            out.append("CB only at Erb's point: confirm supramaximal stimulation at Erb's point")
        if block.amplitude_based:
            out.append("CB judged from CMAP amplitudes (no areas): amplitude-based, lower certainty")
        multifocal = assessment.criterion(CriterionId.C_MULTIFOCAL)
        if multifocal is not None and multifocal.status != "met":
            out.append(
                "weakness not shown in two nerve territories: with one "
                "nerve EFNS2010 "
                "allows only a possible diagnosis"
            )
    out += [f"contested conclusion: {c}" for c in block.contested]
    for study in block.studies:
        if study.reported is not None and study.computed not in ("unknown", study.reported):
            out.append(
                f"{study.label}: the coded conclusion "
                f"({study.reported}) is used; the "
                f"segment data give {study.computed}"
            )
    return out


def _other_cautions(assessment: Assessment, facts: Facts, rules: Rules) -> list[str]:
    """Return the cautions of onset, ultrasound and IVIg history."""
    out = []
    onset = assessment.criterion(CriterionId.T_ONSET)
    if onset is not None and onset.status == "not-met" and facts.onset_site is not None:
        if rules.values.lower_limb_onset.holds_any(facts.onset_site.codes):
            out.append("lower-limb onset: about 10% of MMN begins in the legs (EFNS2010)")
    for area in unjudged_areas(facts, rules):
        out.append(
            "ultrasound measurement without a threshold, judged neither "
            f"way: {area.evidence.value} "
            f"({area.evidence.reference}); needs clinical judgement"
        )
    us = assessment.criterion(CriterionId.S_US)
    if us is not None and us.note and "disagree" in us.note:
        out.append("the coded ultrasound conclusion and the measurements disagree")
    if assessment.course is None and facts.administrations:
        last = facts.administrations[-1]
        out.append(
            f"IVIg was given before (last {last.reference}, {last.date}): this order is a re-challenge"
        )
    if facts.ivig_requests and not facts.administrations:
        out.append("IVIg orders on record without administrations: shown as history, no course counted")
    return out


def evaluate_cautions(assessment: Assessment, facts: Facts, rules: Rules) -> tuple[str, ...]:
    """Return every caution that applies, in card order."""
    hyper = hyperreflexia_caution(facts, rules)
    found = ([hyper] if hyper else []) + _exclusion_cautions(assessment) + _block_cautions(assessment)
    return tuple(dict.fromkeys(found + _other_cautions(assessment, facts, rules)))
