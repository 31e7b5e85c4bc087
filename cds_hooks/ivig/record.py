"""The patient's record as read for one decision: one `chart.get`, at most one batched `chart.read`.

Searchset Bundles may carry `_include`d resources; they serve reference resolution. Report results
and medication references not found in what was fetched are read in one batch (docs/clinical-logic.md).
Resources of other patients and with unusable statuses are dropped here (docs/clinical-logic.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import NamedTuple

from cds_hooks.chart import Chart, ChartValue, Unavailable, bundle_resources
from cds_hooks.ivig.facts import Evidence
from cds_hooks.ivig.fhir_read import (
    belongs_to,
    code_pairs,
    dicts,
    reference_of,
    reference_target,
    relative_reference,
    resource_date,
    usable_status,
)
from cds_hooks.ivig.rules_model import Codes
from cds_hooks.ivig.window import in_window
from cds_hooks.models import JSON

_REFERENCE_FIELDS = MappingProxyType(
    {
        "DiagnosticReport": "result",
        "MedicationRequest": "medicationReference",
        "MedicationAdministration": "medicationReference",
    }
)


class _Read(NamedTuple):
    """What a Record read once from one resource: its reference and date (the resource kept alive)."""

    resource: JSON
    reference: str
    date: date | None


@dataclass(frozen=True)
class Record:
    """One patient's usable resources, plus an index of everything seen for reference resolution.

    Readings several extractors need (each resource's type, `code` pairs, reference and date) are
    made once per Record, not once per extractor.
    """

    patient_id: str
    as_of: date
    resources: tuple[JSON, ...]
    index: Mapping[str, JSON]
    patient: JSON | None = None
    unavailable: frozenset[str] = field(default_factory=frozenset)
    _by_code: dict[tuple[object, str, str], list[int]] = field(init=False, repr=False, compare=False)
    _by_type: dict[object, tuple[JSON, ...]] = field(init=False, repr=False, compare=False)
    _codes: dict[int, list[tuple[str, str]]] = field(init=False, repr=False, compare=False)
    _read: dict[int, _Read] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_code: dict[tuple[object, str, str], list[int]] = {}
        by_type: dict[object, list[JSON]] = {}
        codes: dict[int, list[tuple[str, str]]] = {}  # by id(): the record keeps each resource alive
        for position, resource in enumerate(self.resources):
            rtype = resource.get("resourceType")
            by_type.setdefault(rtype, []).append(resource)
            codes[id(resource)] = pairs = code_pairs(resource.get("code"))
            for system, code in pairs:
                slots = by_code.setdefault((rtype, system, code), [])
                if not slots or slots[-1] != position:
                    slots.append(position)
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "_by_type", {k: tuple(v) for k, v in by_type.items()})
        object.__setattr__(self, "_codes", codes)
        object.__setattr__(self, "_read", {})

    def of_type(self, resource_type: str) -> tuple[JSON, ...]:
        """Return the usable resources of one type, in record order."""
        return self._by_type.get(resource_type, ())

    def coded(self, resource_type: str, codes: Codes) -> list[JSON]:
        """Return the usable resources of one type whose `code` is one of `codes`, in record order."""
        positions: set[int] = set()
        for system, code in codes.pairs:
            positions.update(self._by_code.get((resource_type, system, code), ()))
        return [self.resources[i] for i in sorted(positions)]

    def code_pairs(self, resource: JSON) -> list[tuple[str, str]]:
        """Return the (system, code) pairs of a resource's `code` (read once for usable resources)."""
        pairs = self._codes.get(id(resource))
        return pairs if pairs is not None else code_pairs(resource.get("code"))

    def has_code(self, resource: JSON, codes: Codes) -> bool:
        """Return whether a resource's `code` is one of `codes` (`fhir_read.has_code` of its `code`)."""
        return codes.holds_any(self.code_pairs(resource))

    def _reading(self, resource: JSON) -> _Read:
        """Return the reference and date of a resource, read on first use."""
        found = self._read.get(id(resource))
        if found is None:
            found = _Read(resource, reference_of(resource), resource_date(resource))
            self._read[id(resource)] = found
        return found

    def reference(self, resource: JSON) -> str:
        """Return 'Type/id' of a resource."""
        return self._reading(resource).reference

    def date_of(self, resource: JSON) -> date | None:
        """Return the clinically relevant date of a resource (`fhir_read.resource_date`)."""
        return self._reading(resource).date

    def within(self, resource: JSON, lookback_days: int | None) -> bool:
        """Return whether a resource's date lets it count as of the record (`window.in_window`)."""
        return in_window(self.date_of(resource), self.as_of, lookback_days)

    def evidence(self, resource: JSON, value: str, day: date | None = None) -> Evidence:
        """Return the Evidence of a resource with the value read from it (dated `day` when given)."""
        read = self._reading(resource)
        return Evidence(read.reference, day if day is not None else read.date, value)

    def resolve(self, reference: str, holder: JSON | None = None) -> JSON | None:
        """Return the resource a reference names: contained in `holder` ('#id') or seen in the record."""
        if reference.startswith("#"):
            wanted = reference[1:]
            contained = dicts(holder.get("contained")) if holder else []
            return next((c for c in contained if c.get("id") == wanted), None)
        return self.index.get(relative_reference(reference))


def read_record(
    chart: Chart,
    keys: Sequence[str],
    patient_id: str,
    as_of: date,
    prior: Mapping[str, ChartValue] | None = None,
) -> Record:
    """Return the Record of `keys` (one chart.get for those not in `prior`, one chart.read at most)."""
    values: dict[str, ChartValue] = dict(prior or {})
    missing = [k for k in keys if k not in values]
    if missing:
        values.update(chart.get(missing))
    unavailable = frozenset(k for k, v in values.items() if isinstance(v, Unavailable))
    seen: dict[str, JSON] = {}
    for value in values.values():
        if isinstance(value, dict):
            for resource in bundle_resources(value):
                seen.setdefault(reference_of(resource), resource)
    unresolved = _unresolved_references(seen)
    if unresolved:
        for value in chart.read(unresolved).values():
            if isinstance(value, dict) and isinstance(value.get("resourceType"), str):
                seen.setdefault(reference_of(value), value)
    patient_value = values.get("patient")
    patient = patient_value if isinstance(patient_value, dict) else None
    withdrawn = _withdrawn_results(seen, patient_id)
    usable = tuple(
        r
        for ref, r in seen.items()  # keyed by reference_of(r)
        if belongs_to(r, patient_id) and usable_status(r) and ref not in withdrawn
    )
    return Record(patient_id, as_of, usable, seen, patient, unavailable)


def _withdrawn_results(seen: Mapping[str, JSON], patient_id: str) -> frozenset[str]:
    """Return the results that only reports which do not count list (a withdrawn report withdraws them)."""
    counted: set[str] = set()
    listed: set[str] = set()
    for resource in seen.values():
        if resource.get("resourceType") != "DiagnosticReport" or not belongs_to(resource, patient_id):
            continue
        targets = {relative_reference(t) for t in map(reference_target, dicts(resource.get("result"))) if t}
        listed |= targets
        if usable_status(resource):
            counted |= targets
    return frozenset(listed - counted)


def _unresolved_references(seen: Mapping[str, JSON]) -> list[str]:
    """Return the 'Type/id' references of reports and medication orders not among `seen`."""
    wanted: list[str] = []
    for resource in seen.values():
        name = _REFERENCE_FIELDS.get(str(resource.get("resourceType")))
        if name is None:
            continue
        for ref in dicts(resource.get(name)):
            target = reference_target(ref)
            if target is None or target.startswith("#"):
                continue
            rel = relative_reference(target)
            if rel not in seen and rel not in wanted and "/" in rel:
                wanted.append(rel)
    return wanted


def extract_sex(record: Record) -> str:
    """Return 'male', 'female' or 'other' from Patient.gender (other/unknown/missing -> 'other')."""
    gender = record.patient.get("gender") if record.patient else None
    return gender if gender in ("male", "female") else "other"
