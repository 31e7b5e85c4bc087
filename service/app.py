"""The Flask app factory: configuration, store, services and routes, wired once per process."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from cds_hooks.registry import CdsService, ServiceRegistry
from service.audit import AuditTrail
from service.config import Config, ConfigError, build_config, load_config
from service.cors import init_cors
from service.errors import register_error_handlers
from service.feedback import bp as feedback_bp
from service.health import bp as health_bp
from service.hooks import bp as hooks_bp
from service.logs import configure_logging, log
from service.metrics_routes import init_metrics
from service.rules_loading import load_product_services
from service.runtime import Runtime, init_runtime
from service.store import Store


def create_app(
    config: Config | Mapping[str, Any] | None = None, *, services: Iterable[CdsService] | None = None
) -> Flask:
    """Return the configured Flask app; `config` is a Config, plain data, or None (file and environment)."""
    cfg = _resolve_config(config)
    configure_logging(cfg.service.log_level)
    if services is None:
        service_list, rules_version = load_product_services(cfg)
    else:
        service_list, rules_version = list(services), None
    store = Store(cfg.store_url())
    store.create_schema()
    app = Flask("ivig_cds")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config["MAX_CONTENT_LENGTH"] = cfg.service.max_body_bytes
    runtime = Runtime(
        config=cfg,
        registry=ServiceRegistry(service_list),
        store=store,
        rules_version=rules_version,
        audit=AuditTrail(store),
        pseudonym_key=_pseudonym_key(cfg),
    )
    init_runtime(app, runtime)
    register_error_handlers(app)
    _register_blueprints(app)
    if not cfg.auth.required:
        log.warning(
            "client authentication is OFF (auth.required = false): for local development only",
            extra={"event": "auth-disabled"},
        )
    if cfg.service.as_of_date is not None:
        log.warning(
            "service.as_of_date is set: decisions use a fixed date (tests and demonstrations only)",
            extra={"event": "fixed-date"},
        )
    return app


def _register_blueprints(app: Flask) -> None:
    """Attach the feature blueprints."""
    app.register_blueprint(hooks_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(health_bp)
    init_cors(app)
    init_metrics(app)


def _resolve_config(config: Config | Mapping[str, Any] | None) -> Config:
    """Return a validated Config from any accepted form."""
    if isinstance(config, Config):
        return config
    if config is None:
        return load_config()
    return build_config(config)


def _pseudonym_key(cfg: Config) -> bytes:
    """Return the audit pseudonym key: configured, or (auth off only) a random key kept in the data dir."""
    if cfg.store.pseudonym_secret is not None:
        return cfg.store.pseudonym_secret.get_secret_value().encode()
    if cfg.auth.required:
        raise ConfigError("configuration key 'store.pseudonym_secret' is required when auth.required is true")
    path = Path(cfg.service.data_dir) / "pseudonym.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    key = path.read_text().strip()
    if len(key) < 32:
        raise ConfigError(f"pseudonym key file {path} is damaged; remove it or set store.pseudonym_secret")
    return key.encode()
