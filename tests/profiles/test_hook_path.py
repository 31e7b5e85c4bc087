"""The hook path shapes each call's cards with the calling client's profile (auth on), or hooks.profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from cds_hooks.profiles import build_client_profile, lint_response
from fixtures.library import SCENARIOS as SCENARIO_DIR
from fixtures.library import load_scenario
from service.app import create_app
from service.config import ConfigError
from tests.profiles.support import delivered, normalise, service_for
from tests.scenarios.support import full_prefetch
from tests.security.conftest import PUBLIC_BASE, bearer, claims_for, demo_client, secure_config, sign

SCENARIO = load_scenario(SCENARIO_DIR / "babinski-present-against-mmn")
OTHER_ISSUER = "https://other-ehr.example.org"


def app_with(tmp_path: Path, *clients: dict[str, Any], **sections: dict[str, Any]) -> Flask:
    config = secure_config(
        tmp_path,
        *clients,
        service={"as_of_date": SCENARIO.meta["asOf"], "public_base_url": PUBLIC_BASE},
        **sections,
    )
    return create_app(config)


def call(app: Flask, issuer: str | None = None) -> dict[str, Any]:
    path = "/cds-services/ivig-order-sign"
    prefetch = full_prefetch(SCENARIO, dict(service_for("order-sign").definition.prefetch))
    headers = (
        bearer(sign(claims_for(PUBLIC_BASE + path, **({"iss": issuer} if issuer else {}))))
        if issuer != "none"
        else {}
    )
    response = app.test_client().post(
        path, json={**SCENARIO.hook_request(), "prefetch": prefetch}, headers=headers
    )
    assert response.status_code == 200, response.json
    body: dict[str, Any] = response.json
    return body


def test_an_epic_client_gets_epic_cards(tmp_path: Path) -> None:
    epic = build_client_profile("epic")
    body = call(app_with(tmp_path, demo_client(profile="epic")))
    assert lint_response(body, epic) == []
    assert normalise(body) == normalise(delivered(SCENARIO, epic))
    (card,) = body["cards"]
    assert card["selectionBehavior"] == "any"
    assert card["source"]["topic"]["code"] == "AgainstMmn"


def test_each_client_its_own_profile(tmp_path: Path) -> None:
    oracle = demo_client(profile="oracle", link_allowlist=["https://doi.org"])
    app = app_with(tmp_path, oracle)
    (card,) = call(app)["cards"]
    assert card["source"]["topic"]["code"] == "against-mmn"
    assert all(link["url"].startswith("https://doi.org/") for link in card["links"])


def test_default_profile_is_generic(tmp_path: Path) -> None:
    body = call(app_with(tmp_path, demo_client()))
    assert normalise(body) == normalise(delivered(SCENARIO, build_client_profile("generic")))


def test_unauthenticated_calls_use_hooks_profile(tmp_path: Path) -> None:
    app = app_with(tmp_path, auth={"required": False}, hooks={"profile": "epic"})
    (card,) = call(app, "none")["cards"]
    assert card["source"]["topic"]["code"] == "AgainstMmn"


def test_an_unknown_profile_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"auth.clients.0.profile"):
        app_with(tmp_path, demo_client(profile="cerner"))
