"""Configuration: TOML plus environment, validated at start with messages naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.app import create_app
from service.cli import main
from service.config import ConfigError, load_config
from tests.service.conftest import ChartCountingService


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ivig-cds.toml"
    path.write_text(text)
    return path


def test_defaults_need_no_file() -> None:
    config = load_config(None, environ={})
    assert config.hooks.prefetch == "full" and config.auth.required is True
    assert config.store_url().startswith("sqlite:///")


def test_file_and_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[service]
public_base_url = "https://cds.example.org/"
[fhir]
timeout_seconds = 1.5
[[auth.clients]]
issuer = "https://ehr.example.org"
jwks_url = "https://ehr.example.org/jwks.json"
fhir_servers = ["https://fhir.example.org/r4"]
""",
    )
    env = {"IVIG_CDS_FHIR_MAX_PAGES": "7", "IVIG_CDS_CORS_ALLOWED_ORIGINS": '["https://a.example"]'}
    config = load_config(path, environ=env)
    assert config.service.public_base_url == "https://cds.example.org"
    assert config.fhir.timeout_seconds == 1.5 and config.fhir.max_pages == 7
    assert config.cors.allowed_origins == ["https://a.example"]
    assert config.auth.clients[0].fhir_servers == ["https://fhir.example.org/r4"]


def test_config_file_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[hooks]\nprefetch = "lean"\n')
    assert load_config(None, environ={"IVIG_CDS_CONFIG": str(path)}).hooks.prefetch == "lean"


@pytest.mark.parametrize(
    ("text", "env", "key"),
    [
        ("[fhir]\ntimeout = 2\n", {}, "fhir.timeout"),
        ("[fhirr]\nx = 1\n", {}, "fhirr"),
        ('[hooks]\nprefetch = "some"\n', {}, "hooks.prefetch"),
        ("[fhir]\nmax_pages = 0\n", {}, "fhir.max_pages"),
        ('[service]\npublic_base_url = "not a url"\n', {}, "service.public_base_url"),
        ('[[auth.clients]]\njwks_url = "https://x"\n', {}, "auth.clients.0.issuer"),
        ("", {"IVIG_CDS_FHIR_BUDGET_SECONDS": "soon"}, "fhir.budget_seconds"),
        ("", {"IVIG_CDS_AUTH_REQUIRED": "perhaps"}, "auth.required"),
        ("", {"IVIG_CDS_NOPE_X": "1"}, "IVIG_CDS_NOPE_X"),
        ("[fhir\n", {}, "not valid TOML"),
    ],
)
def test_bad_configuration_names_the_key(tmp_path: Path, text: str, env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text), environ=env)
    assert key in str(err.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.toml", environ={})


def test_auth_required_without_pseudonym_secret_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"store\.pseudonym_secret"):
        create_app({"service": {"data_dir": str(tmp_path)}}, services=[ChartCountingService()])


def test_cli_reports_configuration_errors_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "[fhir]\nbogus = 1\n")
    assert main(["config", "show", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ivig-cds: error:") and "fhir.bogus" in err and "\n" not in err


def test_config_show_masks_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path, '[store]\nurl = "postgresql://cds:hunter2@db/cds"\npseudonym_secret = "s3cret-value"\n'
    )
    assert main(["config", "show", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out and "s3cret-value" not in out and "********" in out


def product_app(tmp_path: Path, rules_text: str) -> Any:
    rules = tmp_path / "site-rules.toml"
    rules.write_text(rules_text)
    config = {
        "service": {"data_dir": str(tmp_path / "data")},
        "auth": {"required": False},
        "rules": {"file": str(rules)},
    }
    return create_app(config)


def test_site_rules_change_bindings_prefetch_and_version(tmp_path: Path) -> None:
    app = product_app(
        tmp_path,
        'version = "2026.11.0+site-a"\n[observations]\nck = ["http://loinc.org|2157-6", "http://example.org/lab|CK"]\n',
    )
    client = app.test_client()
    services = {s["id"]: s for s in client.get("/cds-services").json["services"]}
    assert "http://example.org/lab%7CCK" in services["ivig-order-sign"]["prefetch"]["observations"]
    assert client.get("/readyz").json["rulesVersion"] == "2026.11.0+site-a"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[thresholds]\nck_lookback_dayz = 10\n", "thresholds.ck_lookback_dayz"),
        ('[thresholds]\nck_lookback_days = "a year"\n', "thresholds.ck_lookback_days"),
        ("[thresholds]\nck_lookback_days = -5\n", "thresholds.ck_lookback_days"),
        ("[thresholds\n", "rules.file"),
    ],
)
def test_invalid_site_rules_stop_start_up_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        product_app(tmp_path, text)
    assert key in str(err.value)
