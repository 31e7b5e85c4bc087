"""The `scope` of a hook call's `fhirAuthorization`, read in SMART App Launch v1 or v2 syntax, tolerantly.

SMART v1: `patient/Observation.read`, `user/*.*`, `system/Patient.write`.
SMART v2: `patient/Observation.rs`, `user/Condition.cruds`, with an optional `?param=value` restriction.
Anything else (`launch`, `openid`, `fhirUser`, Epic's own free text, stray punctuation) is kept as
unparsed text: scope text never makes a call fail. Whether a read is granted is then "yes", "no" or
"unknown" (None) when the text says nothing in SMART syntax, so a caller never refuses a read on a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_V1 = re.compile(r"^(patient|user|system)/([A-Za-z]+|\*)\.(read|write|\*)$")
_V2 = re.compile(r"^(patient|user|system)/([A-Za-z]+|\*)\.(c?r?u?d?s?)(\?\S*)?$")
MAX_SCOPE_TOKENS = 1000  # a longer scope string is read only this far

Context = Literal["patient", "user", "system"]
_CONTEXTS: dict[str, Context] = {"patient": "patient", "user": "user", "system": "system"}


@dataclass(frozen=True)
class SmartScope:
    """One resource scope: who it is for, which resource type ("*" for all), and what it permits."""

    context: Context
    resource_type: str
    permissions: frozenset[str]  # of "c", "r", "u", "d", "s" (v1 read = r + s, write = c + u + d)
    version: Literal[1, 2]
    restriction: str | None = None  # a v2 `?param=value` query restricting the scope

    def grants(self, resource_type: str, permission: str) -> bool:
        """Return True when this scope permits `permission` ("r", "s", ...) on `resource_type`."""
        return self.resource_type in ("*", resource_type) and permission in self.permissions


@dataclass(frozen=True)
class ScopeGrant:
    """The scope string read: the SMART resource scopes found and the tokens that were not."""

    scopes: tuple[SmartScope, ...]
    other: tuple[str, ...]

    @property
    def syntax(self) -> Literal["smart-v1", "smart-v2", "smart-mixed", "free-text"]:
        """Return which syntax the resource scopes use ("free-text" when there are none)."""
        versions = {s.version for s in self.scopes}
        if not versions:
            return "free-text"
        if versions == {1}:
            return "smart-v1"
        return "smart-v2" if versions == {2} else "smart-mixed"


_V1_PERMISSIONS = {"read": frozenset("rs"), "write": frozenset("cud"), "*": frozenset("cruds")}


def extract_scope(token: str) -> SmartScope | None:
    """Return the SMART resource scope a token spells (v1 or v2), or None when it is not one."""
    v1 = _V1.match(token)
    if v1 is not None:
        context, resource_type, action = v1.groups()
        return SmartScope(_CONTEXTS[context], resource_type, _V1_PERMISSIONS[action], 1)
    v2 = _V2.match(token)
    if v2 is not None and v2.group(3):
        context, resource_type, letters, query = v2.groups()
        restriction = query[1:] if query else None
        return SmartScope(_CONTEXTS[context], resource_type, frozenset(letters), 2, restriction)
    return None


def extract_scope_grant(text: object) -> ScopeGrant:
    """Return the SMART scopes in a scope string (space-separated); never raises, whatever `text` is."""
    if not isinstance(text, str):
        return ScopeGrant((), ())
    scopes: list[SmartScope] = []
    other: list[str] = []
    for token in text.split()[:MAX_SCOPE_TOKENS]:
        scope = extract_scope(token)
        if scope is None:
            other.append(token)
        else:
            scopes.append(scope)
    return ScopeGrant(tuple(scopes), tuple(other))


def evaluate_read_grant(grant: ScopeGrant, resource_type: str) -> bool | None:
    """Return whether the scopes let the service read (read, or v2 search) `resource_type`;
    None when the grant has no SMART resource scope at all (free text: the FHIR server decides)."""
    if not grant.scopes:
        return None
    return any(s.grants(resource_type, "r") or s.grants(resource_type, "s") for s in grant.scopes)
