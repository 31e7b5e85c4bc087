"""The gunicorn settings of `ivig-cds serve`: what each worker does once it has loaded the app."""

from __future__ import annotations

import gc
from types import SimpleNamespace

from flask import Flask

from service.server import gunicorn_options


def test_a_worker_freezes_its_startup_objects_once_the_app_is_loaded(app: Flask) -> None:
    hook = gunicorn_options("127.0.0.1", 8080, 2, 4.0)["post_worker_init"]
    before = gc.get_freeze_count()
    try:
        hook(SimpleNamespace(wsgi=app))  # gunicorn hands the hook its worker, whose `wsgi` is the app
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
