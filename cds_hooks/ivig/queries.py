"""Prefetch templates derived from the bindings, so a site's codes change what is asked for.

Code lists are `system|code` tokens, comma-separated, with `|` percent-encoded as `%7C` (RFC 3986
does not allow a bare `|` in a query); `:` and `/` of system URLs stay as they are.
"""

from __future__ import annotations

from dataclasses import fields
from urllib.parse import quote

from cds_hooks.ivig.rules_model import Codes, Rules

PATIENT = "{{context.patientId}}"
PREFETCH_KEYS = ("patient", "conditions", "observations", "reports", "ivigRequests", "ivigAdministrations")


def _tokens(codes: Codes) -> str:
    """Return a comma-separated, URL-safe token list without duplicates."""
    unique = dict.fromkeys(quote(c.token(), safe=":/") for c in codes)
    return ",".join(unique)


def _finding_codes(rules: Rules) -> Codes:
    """Return every finding code (present/absent value codes excluded)."""
    skip = {"present", "absent"}
    return Codes(
        c for f in fields(rules.findings) if f.name not in skip for c in getattr(rules.findings, f.name)
    )


def build_prefetch(rules: Rules) -> dict[str, str]:
    """Return the prefetch templates (key -> FHIR query) of everything the rules read."""
    obs = rules.observations
    observation_codes = _finding_codes(rules) + Codes(c for f in fields(obs) for c in getattr(obs, f.name))
    condition_codes = rules.indication.lmn + rules.indication.als + _finding_codes(rules)
    return {
        "patient": f"Patient/{PATIENT}",
        "conditions": f"Condition?patient={PATIENT}&code={_tokens(condition_codes)}",
        "observations": f"Observation?patient={PATIENT}&code={_tokens(observation_codes)}",
        "reports": (
            f"DiagnosticReport?patient={PATIENT}&category={_tokens(rules.reports.category)}"
            "&_include=DiagnosticReport:result"
        ),
        "ivigRequests": (
            f"MedicationRequest?patient={PATIENT}&status=active,completed&_include=MedicationRequest:medication"
        ),
        "ivigAdministrations": (
            f"MedicationAdministration?patient={PATIENT}&status=completed,in-progress"
            "&_include=MedicationAdministration:medication"
        ),
    }
