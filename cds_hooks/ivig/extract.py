"""Extract every fact the assessment needs from a Record, in one typed bundle."""

from __future__ import annotations

from collections.abc import Collection
from types import MappingProxyType

from cds_hooks.ivig.conditions import is_active, is_confirmed
from cds_hooks.ivig.electro import (
    extract_electro_owners,
    extract_emg_muscles,
    extract_preliminary_ncs,
    extract_report_conclusion,
    extract_sensory_segments,
    extract_studies,
)
from cds_hooks.ivig.facts import Evidence, Facts
from cds_hooks.ivig.findings import (
    extract_coded,
    extract_findings,
    extract_grips,
    extract_muscle_grades,
    extract_sum_scores,
)
from cds_hooks.ivig.labs import extract_antibody, extract_ck, extract_csf_protein
from cds_hooks.ivig.medication import is_ivig_order
from cds_hooks.ivig.record import Record, extract_sex
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.ivig.ultrasound import (
    extract_nerve_areas,
    extract_ultrasound_conclusion,
    extract_ultrasound_reports,
)
from cds_hooks.models import JSON

CONDITIONS_KEY = "conditions"
_EXPOSURE_STATUS = MappingProxyType(
    {
        "MedicationAdministration": frozenset({"completed", "in-progress"}),
        "MedicationRequest": frozenset({"active", "completed"}),
    }
)


def extract_facts(record: Record, rules: Rules, draft_ids: Collection[str] = ()) -> Facts:
    """Return all facts of a record; `draft_ids` ('Type/id') are the orders being decided, not history."""
    r, o = rules.reports, rules.observations
    owners = extract_electro_owners(record, rules)  # read once: motor, sensory and EMG results all need it
    return Facts(
        as_of=record.as_of,
        findings=extract_findings(record, rules),
        onset_site=extract_coded(record, o.onset_site),
        onset_pattern=extract_coded(record, o.onset_pattern),
        grades=extract_muscle_grades(record, rules),
        sum_scores=tuple(extract_sum_scores(record, rules)),
        grips=extract_grips(record, rules),
        ck=extract_ck(record, rules),
        sex=extract_sex(record),
        anti_gm1=extract_antibody(record, rules, o.anti_gm1),
        anti_gm1_galc=extract_antibody(record, rules, o.anti_gm1_galc),
        csf_protein=extract_csf_protein(record, rules),
        studies=extract_studies(record, rules, owners),
        preliminary_ncs=extract_preliminary_ncs(record, rules),
        sensory_segments=tuple(extract_sensory_segments(record, rules, owners)),
        emg_muscles=tuple(extract_emg_muscles(record, rules, owners)),
        emg_conclusion=extract_report_conclusion(
            record, rules, r.emg, r.emg_confined + r.emg_beyond + r.emg_normal
        ),
        nerve_areas=extract_nerve_areas(record, rules),
        ultrasound_conclusion=extract_ultrasound_conclusion(record, rules),
        ultrasound_reports=extract_ultrasound_reports(record, rules),
        als=extract_als(record, rules),
        conditions_available=CONDITIONS_KEY not in record.unavailable,
        administrations=extract_exposures(record, rules, "MedicationAdministration", draft_ids),
        ivig_requests=extract_exposures(record, rules, "MedicationRequest", draft_ids),
    )


def extract_als(record: Record, rules: Rules) -> tuple[Evidence, ...]:
    """Return the active, confirmed Conditions of ALS (X-ALS)."""
    return tuple(
        record.evidence(c, "ALS, active, confirmed")
        for c in record.coded("Condition", rules.indication.als)
        if is_active(c) and is_confirmed(c) and record.within(c, None)
    )


def extract_exposures(
    record: Record, rules: Rules, resource_type: str, draft_ids: Collection[str] = ()
) -> tuple[Evidence, ...]:
    """Return the dated IVIg administrations or orders with a counting status, oldest first."""

    def resolve(ref: str, holder: JSON) -> JSON | None:
        return record.resolve(ref, holder)

    statuses = _EXPOSURE_STATUS[resource_type]
    found = []
    for res in record.of_type(resource_type):
        ev = record.evidence(res, f"IVIg {resource_type}, {res.get('status')}")
        if ev.reference in draft_ids or res.get("status") not in statuses or ev.date is None:
            continue
        if ev.date <= record.as_of and is_ivig_order(res, rules, resolve):
            found.append(ev)
    return tuple(sorted(found, key=lambda e: (e.date or record.as_of, e.reference)))
