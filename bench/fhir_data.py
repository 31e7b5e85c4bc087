"""A scenario's record answered like a FHIR server: reads and the searches the service's templates send.

Used twice by the benchmark so both paths see the same data: to build a request's prefetch from the
discovery templates, and behind the bench FHIR server (scenario 3, no prefetch).
Search support is what the templates need: `patient`, token parameters (`code`, `category`, `status`,
comma = OR, `system|code` or bare code) and `_include=Type:element`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

JSON = dict[str, Any]

# _include=Type:param -> the element holding the reference(s)
_INCLUDE_ELEMENTS = {"result": "result", "medication": "medicationReference"}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _codings(value: Any) -> Iterable[JSON]:
    """Yield the codings of a CodeableConcept (or list of them)."""
    for concept in _as_list(value):
        if isinstance(concept, dict):
            yield from (c for c in _as_list(concept.get("coding")) if isinstance(c, dict))


def _token_matches(resource: JSON, name: str, tokens: list[str]) -> bool:
    """Return whether the resource's element `name` matches any token (system|code, or code)."""
    if name == "status":
        return resource.get("status") in tokens
    for coding in _codings(resource.get(name)):
        for token in tokens:
            system, bar, code = token.rpartition("|")
            if coding.get("code") == code and (not bar or coding.get("system") == system):
                return True
    return False


def _subject_ref(resource: JSON) -> str | None:
    for element in ("subject", "patient"):
        ref = resource.get(element)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            return ref["reference"]
    return None


class FhirData:
    """One patient's resources, searchable with the service's query templates."""

    def __init__(self, resources: Iterable[JSON]) -> None:
        self.resources = [r for r in resources if isinstance(r, dict)]
        self.by_ref = {f"{r['resourceType']}/{r.get('id')}": r for r in self.resources if r.get("id")}

    def answer(self, relative: str) -> JSON | None:
        """Return the resource or searchset Bundle for a relative read or search URL (None: 404)."""
        parts = urlsplit(relative.lstrip("/"))
        path = unquote(parts.path)
        if "/" in path:
            return self.by_ref.get(path)
        return self.search(path, parse_qsl(parts.query))

    def search(self, resource_type: str, params: list[tuple[str, str]]) -> JSON:
        """Return a searchset Bundle of matches plus `_include`d resources."""
        matches = [r for r in self.resources if r.get("resourceType") == resource_type]
        includes: list[str] = []
        for name, value in params:
            if name == "_include":
                includes.append(value.split(":", 1)[1])
            elif name == "patient":
                wanted = value if "/" in value else f"Patient/{value}"
                matches = [r for r in matches if (_subject_ref(r) or "").endswith(wanted)]
            else:
                tokens = value.split(",")
                matches = [r for r in matches if _token_matches(r, name, tokens)]
        entries = [{"resource": r, "search": {"mode": "match"}} for r in matches]
        seen = {f"{r['resourceType']}/{r.get('id')}" for r in matches}
        for param in includes:
            element = _INCLUDE_ELEMENTS.get(param, param)
            for r in matches:
                for ref in _as_list(r.get(element)):
                    target = ref.get("reference") if isinstance(ref, dict) else None
                    if isinstance(target, str) and target in self.by_ref and target not in seen:
                        seen.add(target)
                        entries.append({"resource": self.by_ref[target], "search": {"mode": "include"}})
        return {"resourceType": "Bundle", "type": "searchset", "total": len(matches), "entry": entries}
