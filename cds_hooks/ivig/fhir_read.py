"""Lenient readers of raw FHIR R4 JSON: codings, dates, references, quantities and components.

Real data is messy (docs/clinical-logic.md): every reader accepts any JSON value and answers None or empty
instead of raising. A coding matches on system and code only; display and text never decide.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from cds_hooks.ivig.rules_model import Code, Codes
from cds_hooks.models import JSON

_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
_EXCLUDED_STATUS = frozenset({"entered-in-error", "cancelled", "preliminary"})
_OBSERVATION_STATUS = frozenset({"final", "amended", "corrected"})


def as_list(value: Any) -> list[Any]:
    """Return `value` as a list (a lone object becomes a one-item list, None becomes [])."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def dicts(value: Any) -> list[JSON]:
    """Return the dict items of `value` taken as a list."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return [value] if isinstance(value, dict) else []


def codings(concepts: Any) -> list[Code]:
    """Return every coding (system and code) of a CodeableConcept or a list of them, as Codes."""
    return [Code(system, code) for system, code in code_pairs(concepts)]


def code_pairs(concepts: Any) -> list[tuple[str, str]]:
    """Return every (system, code) of a CodeableConcept or a list of them, as plain pairs."""
    # Read in place (no intermediate lists): called for most resources of a record on every call.
    found: list[tuple[str, str]] = []
    for concept in concepts if isinstance(concepts, list) else (concepts,):
        if not isinstance(concept, dict):
            continue
        listed = concept.get("coding")
        for coding in listed if isinstance(listed, list) else (listed,):
            if isinstance(coding, dict):
                system, code = coding.get("system"), coding.get("code")
                if isinstance(system, str) and isinstance(code, str):
                    found.append((system, code))
    return found


def has_code(concepts: Any, codes: Codes) -> bool:
    """Return whether any coding of `concepts` is one of `codes` (system and code)."""
    return codes.holds_any(code_pairs(concepts))


def parse_date(value: Any) -> date | None:
    """Return the calendar date of a FHIR date/dateTime/instant (partial dates: first day), else None."""
    if not isinstance(value, str):
        return None
    head = value[:10]
    if head[4:5] == "-" == head[7:8] and head.isascii() and head.replace("-", "").isdigit():
        try:  # the common full date (ASCII digits): the pattern's answer, several times faster
            return date.fromisoformat(head)
        except ValueError:
            pass
    match = _DATE.match(value)
    if not match:
        return None
    year, month, day = match.groups()
    try:
        return date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None


def resource_date(resource: JSON) -> date | None:
    """Return the clinically relevant date of a resource (effective, authored, recorded, issued)."""
    for key in ("effectiveDateTime", "effectiveInstant", "occurrenceDateTime", "authoredOn"):
        if key in resource:
            return parse_date(resource.get(key))
    period = resource.get("effectivePeriod")
    if isinstance(period, dict):
        return parse_date(period.get("start")) or parse_date(period.get("end"))
    for key in ("recordedDate", "onsetDateTime", "issued", "date"):
        found = parse_date(resource.get(key))
        if found:
            return found
    return None


def reference_of(resource: JSON) -> str:
    """Return 'Type/id' of a resource (id may be empty for anonymous resources)."""
    return f"{resource.get('resourceType')}/{resource.get('id', '')}"


def reference_target(reference: Any) -> str | None:
    """Return the `reference` string of a Reference, or None."""
    if isinstance(reference, dict) and isinstance(reference.get("reference"), str):
        return str(reference["reference"])
    return None


def relative_reference(ref: str) -> str:
    """Return 'Type/id' of a relative or absolute reference (dropping any _history part)."""
    if ref.count("/") == 1 and not ref.endswith("/"):
        return ref  # already 'Type/id' (the common case)
    parts = ref.split("/_history/")[0].rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else ref


def belongs_to(resource: JSON, patient_id: str) -> bool:
    """Return whether subject/patient is Patient/<id> (relative or absolute URL); no subject = yes."""
    if resource.get("resourceType") == "Patient":
        return resource.get("id") == patient_id
    subject = resource.get("subject", resource.get("patient"))
    if subject is None:
        return True
    target = reference_target(subject)
    return target is not None and relative_reference(target) == f"Patient/{patient_id}"


def usable_status(resource: JSON) -> bool:
    """Return whether the resource's status lets it count (docs/clinical-logic.md)."""
    status = resource.get("status")
    if resource.get("resourceType") in ("Observation", "DiagnosticReport"):
        return status in _OBSERVATION_STATUS
    return status not in _EXCLUDED_STATUS


def quantity_value(quantity: Any, units: Mapping[str, float]) -> float | None:
    """Return a Quantity's value in the canonical unit, or None when the value or unit is unknown."""
    if not isinstance(quantity, dict):
        return None
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    for key in ("code", "unit"):
        unit = quantity.get(key)
        if isinstance(unit, str) and unit in units:
            return float(value) * units[unit]
    return None


def number_value(resource: JSON) -> float | None:
    """Return valueInteger, or a valueQuantity's bare value (scores have no unit)."""
    raw = resource.get("valueInteger")
    if raw is None and isinstance(resource.get("valueQuantity"), dict):
        raw = resource["valueQuantity"].get("value")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw)


ComponentIndex = dict[tuple[str, str], JSON]


def index_components(resource: JSON) -> ComponentIndex:
    """Return a resource's components by each (system, code) of their code (the first one wins)."""
    index: ComponentIndex = {}
    for comp in dicts(resource.get("component")):
        for pair in code_pairs(comp.get("code")):
            index.setdefault(pair, comp)
    return index


def indexed_component(index: ComponentIndex, codes: Codes) -> JSON | None:
    """Return the component coded `codes` from an index (the first binding code found wins)."""
    for code in codes:
        comp = index.get((code.system, code.code))
        if comp is not None:
            return comp
    return None


def component(resource: JSON, codes: Codes) -> JSON | None:
    """Return the first component whose code is in `codes`."""
    for comp in dicts(resource.get("component")):
        if has_code(comp.get("code"), codes):
            return comp
    return None


def component_codes(resource: JSON, codes: Codes) -> list[tuple[str, str]]:
    """Return the (system, code) pairs of the valueCodeableConcept of the component coded `codes`."""
    comp = component(resource, codes)
    return code_pairs(comp.get("valueCodeableConcept")) if comp else []


def first_code(concepts: Any) -> str | None:
    """Return the code of the first coding of a CodeableConcept (or a list of them), or None."""
    pairs = code_pairs(concepts)
    return pairs[0][1] if pairs else None
