"""Loading the product's rules (packaged defaults merged with a site override file) and its services."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from cds_hooks.errors import RulesConfigError
from cds_hooks.ivig.rules import DEFAULT_RULES_RESOURCE, Rules, parse_rules_text
from cds_hooks.ivig.services import build_services
from cds_hooks.registry import CdsService
from service.config import Config, ConfigError


def load_default_rules_text() -> str:
    """Return the packaged default rules (TOML text): the one source of defaults for service and tests."""
    package, name = DEFAULT_RULES_RESOURCE
    return resources.files(package).joinpath(name).read_text("utf-8")


def load_rules(site_file: str | None) -> Rules:
    """Return the validated rules: the packaged defaults, with `site_file` merged over them."""
    override: str | None = None
    if site_file:
        path = Path(site_file)
        try:
            override = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"configuration key 'rules.file': cannot read {path}: {exc.__class__.__name__}"
            ) from None
    try:
        return parse_rules_text(load_default_rules_text(), override)
    except RulesConfigError as exc:
        if exc.field == "$":
            raise ConfigError(f"configuration key 'rules.file': {site_file}: {exc.message}") from None
        raise ConfigError(f"rules key '{exc.field}': {exc.message}") from None


def load_product_services(config: Config) -> tuple[list[CdsService], str]:
    """Return the product's services built on the configured rules, and the rules version."""
    rules = load_rules(config.rules.file)
    return list(build_services(rules, config.hooks.spec_version)), rules.version
