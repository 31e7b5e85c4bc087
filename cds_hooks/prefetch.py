"""Prefetch templates: rendering (CDS Hooks 2.0 prefetch tokens) and the meaning of a prefetch value."""

from __future__ import annotations

import enum
import re
from typing import Any
from urllib.parse import quote

from cds_hooks.errors import InvalidRequest
from cds_hooks.models import JSON

_TOKEN = re.compile(r"\{\{\s*([A-Za-z.]+)\s*\}\}")
_ANY_TOKEN = re.compile(r"\{\{(.*?)\}\}")
SPEC_VERSIONS = ("2.0.1", "3.0.0")  # the CDS Hooks specification versions discovery may announce
_USER_TOKENS = {
    "userPractitionerId": "Practitioner",
    "userPractitionerRoleId": "PractitionerRole",
    "userPatientId": "Patient",
    "userRelatedPersonId": "RelatedPerson",
}


def render_template(template: str, context: JSON) -> str:
    """Return `template` with its `{{context.x}}` and user tokens replaced by URL-encoded values."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        value = _token_value(name, context)
        return quote(value, safe="")

    return _TOKEN.sub(substitute, template)


def is_fhirpath_template(template: str) -> bool:
    """Return whether a template holds a token beyond CDS Hooks 2.0's (a 3.0 FHIRPath expression)."""
    return any(not _TOKEN.fullmatch(m.group(0)) for m in _ANY_TOKEN.finditer(template))


def _token_value(name: str, context: JSON) -> str:
    """Return the value of one prefetch token, or raise InvalidRequest when the context lacks it."""
    if name.startswith("context."):
        key = name.removeprefix("context.")
        value = context.get(key)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidRequest(
                f"prefetch token '{name}' needs a primitive context.{key}", field=f"context.{key}"
            )
        return str(value)
    if name in _USER_TOKENS:
        user = context.get("userId")
        prefix = _USER_TOKENS[name] + "/"
        if not isinstance(user, str) or not user.startswith(prefix):
            raise InvalidRequest(
                f"prefetch token '{name}' needs context.userId of the form {prefix}id", field="context.userId"
            )
        return user.removeprefix(prefix)
    raise InvalidRequest(f"unknown prefetch token '{name}'", field="prefetch")


class PrefetchState(enum.Enum):
    """What a prefetch key's value means for the service (CDS Hooks 2.0 prefetch semantics)."""

    PRESENT = "present"  # use the value
    NO_DATA = "no-data"  # the client says the data does not exist: do not fetch
    FETCH = "fetch"  # absent, or an OperationOutcome: read it from the FHIR server


def classify_prefetch(prefetch: JSON | None, key: str) -> PrefetchState:
    """Return how the service must treat prefetch key `key`."""
    if prefetch is None or key not in prefetch:
        return PrefetchState.FETCH
    value: Any = prefetch[key]
    if value is None:
        return PrefetchState.NO_DATA
    if not isinstance(value, dict) or value.get("resourceType") == "OperationOutcome":
        return PrefetchState.FETCH
    if not isinstance(value.get("resourceType"), str):
        return PrefetchState.FETCH
    return PrefetchState.PRESENT
