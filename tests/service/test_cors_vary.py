"""`Vary: Origin` is set on every answer, and merged into a Vary header a response already carries."""

from __future__ import annotations

from pathlib import Path

from flask import Response

from service.app import create_app
from tests.security.conftest import services
from tests.service.conftest import base_config


def test_vary_origin_is_added_once_and_merged(tmp_path: Path) -> None:
    app = create_app(
        base_config(tmp_path, cors={"allowed_origins": ["https://sandbox.test"]}), services=services()
    )

    @app.get("/varies")
    def varies() -> Response:
        return Response("x", headers={"Vary": "Accept-Encoding, origin"})

    @app.get("/varies-not")
    def varies_not() -> Response:
        return Response("x", headers={"Vary": "Accept-Encoding"})

    client = app.test_client()
    assert client.get("/cds-services").headers.getlist("Vary") == ["Origin"]
    assert client.get("/varies").headers.getlist("Vary") == ["Accept-Encoding, origin"]
    assert client.get("/varies-not").headers.getlist("Vary") == ["Accept-Encoding, Origin"]
    preflight = client.options("/cds-services", headers={"Origin": "https://sandbox.test"})
    assert preflight.status_code == 204
    assert preflight.headers.getlist("Vary") == ["Origin"]
