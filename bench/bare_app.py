"""The baseline: a bare Flask app that only parses the hook request's JSON body and answers no cards.

    gunicorn --chdir bench 'bare_app:create_app()'

It gets the same body and the same Authorization header as the service (and ignores the header).
"""

from __future__ import annotations

import json

from flask import Flask, Response, jsonify, request


def create_app() -> Flask:
    """Return the bare app."""
    app = Flask("bench_bare")

    @app.post("/cds-services/<service_id>")
    def call_service(service_id: str) -> Response:
        json.loads(request.get_data())
        return jsonify({"cards": []})

    return app
