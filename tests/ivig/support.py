"""Rules and fact builders for the IVIg unit tests (FHIR JSON builders live in fixtures.fhir_builders)."""

from __future__ import annotations

from cds_hooks.ivig.facts import Evidence, MotorSegment
from cds_hooks.ivig.rules import parse_rules_text
from cds_hooks.ivig.rules_model import Rules
from fixtures.fhir_builders import AS_OF
from service.rules_loading import load_default_rules_text


def default_rules_text() -> str:
    return load_default_rules_text()


def default_rules(override: str | None = None) -> Rules:
    return parse_rules_text(default_rules_text(), override)


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
