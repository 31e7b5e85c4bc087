"""Discovery `version` is the CDS Hooks spec version, `hookVersion` the hook's; 3.0 tokens when enabled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cds_hooks.ivig.services import DRAFT_MEDICATIONS_KEY, DRAFT_MEDICATIONS_QUERY
from cds_hooks.prefetch import is_fhirpath_template, render_template
from service.app import create_app
from service.config import ConfigError

CONTEXT = {"patientId": "p1", "userId": "Practitioner/u1"}


def discovery(tmp_path: Path, **hooks: Any) -> dict[str, dict[str, Any]]:
    config = {"service": {"data_dir": str(tmp_path)}, "auth": {"required": False}, "hooks": hooks}
    services = create_app(config).test_client().get("/cds-services").json["services"]
    return {s["id"]: s for s in services}


def test_default_is_a_2_0_discovery(tmp_path: Path) -> None:
    services = discovery(tmp_path)
    assert set(services) == {"ivig-order-select", "ivig-order-sign", "ivig-patient-view"}
    for entry in services.values():
        assert entry["version"] == "2.0.1"  # the specification, not the rules
        assert entry["hookVersion"] == "1.0"
        assert "Rules version" in entry["description"]
        for template in entry["prefetch"].values():
            assert not is_fhirpath_template(template)
            render_template(template, CONTEXT)  # every token is a 2.0 token


def test_3_0_switch_adds_the_fhirpath_medication_token(tmp_path: Path) -> None:
    services = discovery(tmp_path, spec_version="3.0.0")
    for sid in ("ivig-order-select", "ivig-order-sign"):
        assert services[sid]["version"] == "3.0.0"
        prefetch = services[sid]["prefetch"]
        assert prefetch[DRAFT_MEDICATIONS_KEY] == DRAFT_MEDICATIONS_QUERY
        assert list(prefetch)[-1] == DRAFT_MEDICATIONS_KEY  # after the 2.0 keys
    assert DRAFT_MEDICATIONS_KEY not in services["ivig-patient-view"]["prefetch"]
    assert services["ivig-patient-view"]["version"] == "3.0.0"


def test_lean_discovery_asks_for_nothing_in_either_version(tmp_path: Path) -> None:
    for version in ("2.0.1", "3.0.0"):
        services = discovery(tmp_path / version, prefetch="lean", spec_version=version)
        assert all("prefetch" not in s for s in services.values())


@pytest.mark.parametrize(
    ("template", "fhirpath"),
    [
        ("Patient/{{context.patientId}}", False),
        ("Practitioner/{{userPractitionerId}}", False),
        ("Condition?patient={{ context.patientId }}", False),
        (DRAFT_MEDICATIONS_QUERY, True),
        ("Observation?date=gt{{today() - 90 days}}", True),
        ("Practitioner?_id={{%practitionerRoles.entry.resource.practitioner.resolve().id}}", True),
        ("Condition?category=problem-list-item", False),
    ],
)
def test_is_fhirpath_template(template: str, fhirpath: bool) -> None:
    assert is_fhirpath_template(template) is fhirpath


def test_an_unknown_spec_version_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"hooks\.spec_version"):
        discovery(tmp_path, spec_version="4.0")
