"""Small builders of FHIR JSON and facts for the IVIg tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from cds_hooks.ivig.facts import Evidence, MotorSegment
from cds_hooks.ivig.rules import parse_rules_text
from cds_hooks.ivig.rules_model import Rules
from service.rules_loading import load_default_rules_text

LOCAL = "http://ivig-cds.org/fhir/CodeSystem/lmn-assessment"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
PATIENT = "p1"
AS_OF = date(2026, 6, 1)


def default_rules_text() -> str:
    return load_default_rules_text()


def default_rules(override: str | None = None) -> Rules:
    return parse_rules_text(default_rules_text(), override)


def cc(code: str, system: str = LOCAL) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def laterality(side: str) -> dict[str, Any]:
    code = {"left": "7771000", "right": "24028007"}[side]
    return {"code": cc("laterality"), "valueCodeableConcept": cc(code, SNOMED)}


def observation(
    oid: str, code: str, system: str = LOCAL, when: str = "2026-05-01", **extra: Any
) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": cc(code, system),
        "subject": {"reference": f"Patient/{PATIENT}"},
        "effectiveDateTime": when,
    }
    obs.update(extra)
    return obs


def finding_obs(
    oid: str, code: str, present: bool, system: str = SNOMED, when: str = "2026-05-01"
) -> dict[str, Any]:
    return observation(oid, code, system, when, valueBoolean=present)


def condition(
    cid: str, code: str, system: str = SNOMED, clinical: str = "active", verification: str = "confirmed"
) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "code": cc(code, system),
        "clinicalStatus": cc(clinical, "http://terminology.hl7.org/CodeSystem/condition-clinical"),
        "verificationStatus": cc(verification, "http://terminology.hl7.org/CodeSystem/condition-ver-status"),
        "subject": {"reference": f"Patient/{PATIENT}"},
        "recordedDate": "2026-01-01",
    }


def ck(
    oid: str,
    value: float,
    unit: str = "U/L",
    when: str = "2026-05-01",
    high: float | None = None,
    interpretation: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    obs = observation(oid, "2157-6", LOINC, when, valueQuantity={"value": value, "unit": unit, "code": unit})
    if high is not None:
        obs["referenceRange"] = [{"high": {"value": high, "unit": unit, "code": unit}}]
    if interpretation is not None:
        obs["interpretation"] = [cc(interpretation, V3)]
    obs.update(extra)
    return obs


def patient(gender: str | None = "male") -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Patient", "id": PATIENT}
    if gender:
        out["gender"] = gender
    return out


def ivig_order(
    oid: str = "ivig1", reason: str | None = None, reason_system: str = SNOMED, **extra: Any
) -> dict[str, Any]:
    order: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": oid,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT}"},
        "medicationCodeableConcept": cc("J06BA02", "http://www.whocc.no/atc"),
    }
    if reason:
        order["reasonCode"] = [cc(reason, reason_system)]
    order.update(extra)
    return order


def draft_bundle(*orders: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": o} for o in orders]}


def segment(
    nerve: str = "median",
    distal: str | None = "wrist",
    proximal: str | None = "elbow",
    amp: tuple[float | None, float | None] = (6.0, 5.0),
    area: tuple[float | None, float | None] = (20.0, 8.0),
    duration: tuple[float | None, float | None] = (6.0, 6.5),
    lln: float | None = None,
    entrapment: bool | None = None,
) -> MotorSegment:
    return MotorSegment(
        nerve=nerve,
        side="left",
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
        evidence=Evidence("Observation/seg", AS_OF, "segment"),
    )
