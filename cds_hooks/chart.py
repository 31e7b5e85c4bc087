"""How a service reads the patient's chart: the `Chart` protocol, and an in-memory chart over a Bundle.

The service layer implements `Chart` with the request's prefetch and the EHR's FHIR server; the
offline `evaluate` command and the core's tests use `BundleChart`. Either way the decision sees the
same shapes: a prefetch key answers with a resource (often a searchset Bundle), `None` when the
record holds no such data, or `Unavailable` when it could not be read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from cds_hooks.models import JSON


@dataclass(frozen=True)
class Unavailable:
    """A read that failed (timeout, server error, garbage); the decision treats it as unknown."""

    reason: str


ChartValue = JSON | None | Unavailable


class Chart(Protocol):
    """The patient's record as a service may read it during one hook call."""

    def get(self, keys: Sequence[str]) -> Mapping[str, ChartValue]:
        """Return the value of each query key (prefetch first, else read); raises DataUnavailable."""
        ...

    def read(self, references: Sequence[str]) -> Mapping[str, ChartValue]:
        """Return each 'Type/id' resource; None when it does not exist."""
        ...


def searchset(resources: Iterable[JSON]) -> JSON:
    """Return a searchset Bundle holding `resources`."""
    entries = [{"resource": r, "search": {"mode": "match"}} for r in resources]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}


def bundle_resources(bundle: JSON | None) -> list[JSON]:
    """Return the resources of a Bundle's well-formed data entries, or [resource] for a lone resource.

    Entries a search marks as outcome (`search.mode` "outcome", e.g. an OperationOutcome saying "no
    results", as Epic sends) and OperationOutcomes in a searchset are messages about the search, not
    data: they are skipped.
    """
    if not isinstance(bundle, dict):
        return []
    if bundle.get("resourceType") != "Bundle":
        return [bundle] if isinstance(bundle.get("resourceType"), str) else []
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return []
    searchset = bundle.get("type") == "searchset"
    found: list[JSON] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        search = entry.get("search")
        if isinstance(search, dict) and search.get("mode") == "outcome":
            continue
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            continue
        rtype = resource.get("resourceType")
        if isinstance(rtype, str) and not (searchset and rtype == "OperationOutcome"):
            found.append(resource)
    return found


def query_resource_type(template: str) -> str:
    """Return the resource type a prefetch template reads ('Observation?...' -> 'Observation')."""
    return template.split("?", 1)[0].split("/", 1)[0]


def answer_queries(
    resources: Iterable[JSON], queries: Mapping[str, str], patient_id: str | None = None
) -> dict[str, JSON | None]:
    """Return, per query key, what a FHIR server holding only `resources` would answer, by type.

    A read template (`Patient/{{context.patientId}}`) gives the resource of that type (the patient's
    when `patient_id` is given), or None; a search gives a searchset of every resource of its type,
    plus the Medications a `..:medication` `_include` would bring. Used to build a full prefetch from
    a record (offline evaluation, the demo, tests) without a FHIR server.
    """
    pool = [r for r in resources if isinstance(r, dict)]
    answers: dict[str, JSON | None] = {}
    for key, template in queries.items():
        rtype = query_resource_type(template)
        matches = [r for r in pool if r.get("resourceType") == rtype]
        if "?" not in template:
            wanted = [r for r in matches if patient_id is None or r.get("id") == patient_id]
            answers[key] = wanted[0] if wanted else None
            continue
        if ":medication" in template.split("_include=", 1)[-1]:
            matches += [r for r in pool if r.get("resourceType") == "Medication"]
        answers[key] = searchset(matches)
    return answers


class BundleChart:
    """A Chart over one patient's resources held in memory (a FHIR Bundle), for offline evaluation."""

    def __init__(self, resources: Iterable[JSON], queries: Mapping[str, str]) -> None:
        self._resources = [r for r in resources if isinstance(r, dict)]
        self._queries = dict(queries)
        self._by_ref = {f"{r.get('resourceType')}/{r.get('id')}": r for r in self._resources if r.get("id")}

    def get(self, keys: Sequence[str]) -> Mapping[str, ChartValue]:
        """Return, per key, the resources of the key's resource type (a read template gives one resource)."""
        answers = answer_queries(self._resources, {key: self._queries[key] for key in keys})
        return dict(answers)

    def read(self, references: Sequence[str]) -> Mapping[str, ChartValue]:
        """Return each referenced resource held in memory, None when absent."""
        return {ref: self._by_ref.get(ref) for ref in references}
