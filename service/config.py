"""Configuration: one TOML file plus `IVIG_CDS_<SECTION>_<KEY>` environment variables, validated at start.

Unknown keys and bad values raise `ConfigError` naming the key (interfaces.md, "Configuration").
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from cds_hooks.profiles import ProfileName
from service.jwks_fetch import evaluate_jwks_url

ENV_PREFIX = "IVIG_CDS_"
MASK = "********"


class ConfigError(Exception):
    """The configuration is invalid; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceSection(_Section):
    """[service]: the public face of the service."""

    public_base_url: str = "http://127.0.0.1:8080"
    data_dir: str = ".data"
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    as_of_date: date | None = None  # tests and demonstrations only: decide as if today were this date

    @field_validator("public_base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        HttpUrl(value)
        return value.rstrip("/")


class ClientSection(_Section):
    """[[auth.clients]]: one trusted EHR (CDS client)."""

    issuer: str
    jwks_url: str | None = None
    jwks_file: str | None = None
    jku_allowlist: list[str] = Field(default_factory=list)
    jwks_pins: dict[str, str] = Field(default_factory=dict)  # JWK Set URL -> local file read instead
    fhir_servers: list[str] = Field(default_factory=list)
    tenant: str | None = None
    profile: ProfileName = "generic"  # how cards are shaped for this client (cds_hooks.profiles)
    link_allowlist: list[str] = Field(default_factory=list)  # URL prefixes of links the client accepts
    silent: bool = False  # shadow mode: evaluate and audit in full, answer {"cards": []}

    @model_validator(mode="after")
    def _key_sets(self) -> ClientSection:
        if self.jwks_url is not None and self.jwks_file is not None:
            raise ValueError("set jwks_url or jwks_file, not both (pin a URL to a file with jwks_pins)")
        for url in self.jwks_pins:
            if url != self.jwks_url and url not in self.jku_allowlist:
                raise ValueError(f"jwks_pins: {url} is neither this client's jwks_url nor in jku_allowlist")
        return self

    def fetched_jwks_urls(self) -> list[str]:
        """Return the JWK Set URLs of this client that are read over the network (not pinned to a file)."""
        urls = ([self.jwks_url] if self.jwks_url else []) + self.jku_allowlist
        return [url for url in urls if url not in self.jwks_pins]


class AuthSection(_Section):
    """[auth]: JWT client authentication."""

    required: bool = True
    leeway_seconds: int = Field(default=60, ge=0, le=300)
    clients: list[ClientSection] = Field(default_factory=list)
    jwks_timeout_seconds: float = Field(default=3.0, gt=0, le=30)
    jwks_refresh_seconds: float = Field(default=60.0, ge=1, le=86_400)
    jwks_max_age_seconds: float = Field(default=3600.0, ge=1, le=604_800)
    jwks_ca_bundle: str | None = None
    allow_http_loopback_jwks: bool = False  # development only: http JWK Set URLs on loopback hosts

    @model_validator(mode="after")
    def _jwks_urls_secure(self) -> AuthSection:
        for client in self.clients:
            for url in client.fetched_jwks_urls():
                refusal = evaluate_jwks_url(url, allow_http_loopback=self.allow_http_loopback_jwks)
                if refusal is not None:
                    raise ValueError(f"client {client.issuer}: JWK Set URL {url}: {refusal}")
        return self


class FhirSection(_Section):
    """[fhir]: reads from the EHR's FHIR server."""

    timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    budget_seconds: float = Field(default=4.0, gt=0, le=120)
    max_pages: int = Field(default=5, ge=1, le=100)
    max_response_bytes: int = Field(default=5_000_000, gt=0)
    max_concurrency: int = Field(default=4, ge=1, le=32)
    allow_insecure_loopback: bool = True


class HooksSection(_Section):
    """[hooks]: how discovery asks for prefetch."""

    prefetch: Literal["full", "lean"] = "full"
    profile: ProfileName = "generic"  # the profile of calls without an authenticated client (auth off)
    spec_version: Literal["2.0.1", "3.0.0"] = "2.0.1"  # "3.0.0": discovery adds FHIRPath prefetch tokens
    silent: bool = False  # shadow mode for every call (see also auth.clients[].silent, silent_tenants)
    silent_tenants: list[str] = Field(default_factory=list)  # shadow mode for these tenants' clients


class StoreSection(_Section):
    """[store]: feedback, audit and replay cache."""

    url: str | None = None
    pseudonym_secret: SecretStr | None = None


class CorsSection(_Section):
    """[cors]: browser-based clients."""

    allowed_origins: list[str] = Field(default_factory=list)


class RulesSection(_Section):
    """[rules]: optional site override of bindings and thresholds."""

    file: str | None = None


class Config(_Section):
    """The whole validated configuration."""

    service: ServiceSection = Field(default_factory=ServiceSection)
    auth: AuthSection = Field(default_factory=AuthSection)
    fhir: FhirSection = Field(default_factory=FhirSection)
    hooks: HooksSection = Field(default_factory=HooksSection)
    store: StoreSection = Field(default_factory=StoreSection)
    cors: CorsSection = Field(default_factory=CorsSection)
    rules: RulesSection = Field(default_factory=RulesSection)

    def store_url(self) -> str:
        """Return the store URL: the configured one, else SQLite under the data directory."""
        if self.store.url:
            return self.store.url
        return f"sqlite:///{Path(self.service.data_dir).resolve() / 'ivig-cds.sqlite3'}"

    def masked(self) -> dict[str, Any]:
        """Return the configuration as plain data with secrets masked (for `ivig-cds config show`)."""
        data = self.model_dump(mode="json")
        if self.store.pseudonym_secret is not None:
            data["store"]["pseudonym_secret"] = MASK
        if self.store.url and "@" in self.store.url:
            scheme, rest = self.store.url.split("://", 1)
            data["store"]["url"] = f"{scheme}://{MASK}@{rest.rsplit('@', 1)[1]}"
        return data


SECTIONS = tuple(Config.model_fields)


def load_config(
    path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Return the validated configuration from `path` (or $IVIG_CDS_CONFIG) overlaid with the environment."""
    environ = os.environ if environ is None else environ
    path = path or environ.get(f"{ENV_PREFIX}CONFIG")
    data: dict[str, Any] = _read_toml(Path(path)) if path else {}
    for (section, key), value in _environment_overrides(environ).items():
        data.setdefault(section, {})
        if not isinstance(data[section], dict):
            raise ConfigError(f"configuration key '{section}' must be a table")
        data[section][key] = value
    return build_config(data)


def build_config(data: Mapping[str, Any]) -> Config:
    """Return the validated configuration from plain data, or raise ConfigError naming the key."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "(root)"
        reason = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        raise ConfigError(f"configuration key '{key}': {reason}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    """Return the parsed TOML file, or raise ConfigError saying why it cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"configuration file unreadable: {path}: {exc.__class__.__name__}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None


def _environment_overrides(environ: Mapping[str, str]) -> dict[tuple[str, str], Any]:
    """Return {(section, key): value} for every IVIG_CDS_<SECTION>_<KEY> variable."""
    overrides: dict[tuple[str, str], Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == f"{ENV_PREFIX}CONFIG":
            continue
        rest = name.removeprefix(ENV_PREFIX).lower()
        section = next((s for s in SECTIONS if rest.startswith(s + "_")), None)
        if section is None:
            raise ConfigError(f"environment variable {name}: unknown configuration section")
        overrides[(section, rest.removeprefix(section + "_"))] = _parse_env_value(name, raw)
    return overrides


def _parse_env_value(name: str, raw: str) -> Any:
    """Return a list or table given as JSON; other values stay text (validation coerces them)."""
    if raw.lstrip().startswith(("[", "{")):
        try:
            return json.loads(raw)
        except ValueError:
            raise ConfigError(f"environment variable {name}: not valid JSON") from None
    return raw
