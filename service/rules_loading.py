"""Loading the product's rules (packaged defaults merged with a site override file) and its services."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from cds_hooks.errors import RulesConfigError
from cds_hooks.ivig.rules import Rules, merge_rules, parse_rules
from cds_hooks.ivig.services import build_services
from cds_hooks.registry import CdsService
from service.config import Config, ConfigError


def load_rules(site_file: str | None) -> Rules:
    """Return the validated rules: the packaged defaults, with `site_file` merged over them."""
    data: dict[str, Any] = tomllib.loads(
        resources.files("cds_hooks.ivig").joinpath("rules.toml").read_text("utf-8")
    )
    if site_file:
        path = Path(site_file)
        try:
            override = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(
                f"configuration key 'rules.file': cannot read {path}: {exc.__class__.__name__}"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"configuration key 'rules.file': {path} is not valid TOML: {exc}") from None
        data = merge_rules(data, override)
    try:
        return parse_rules(data)
    except RulesConfigError as exc:
        raise ConfigError(f"rules key '{exc.field}': {exc.message}") from None


def load_product_services(config: Config) -> tuple[list[CdsService], str]:
    """Return the product's services built on the configured rules, and the rules version."""
    rules = load_rules(config.rules.file)
    return list(build_services(rules)), rules.version
