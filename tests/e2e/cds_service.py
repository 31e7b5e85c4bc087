"""The ivig-cds service as a subprocess (`ivig-cds serve --workers 2`) with a real TOML configuration,
and a CDS client that signs every call as an EHR does (PyJWT, the demo client key, a fresh jti each).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import requests

from tests.e2e.processes import RunningProcess, free_port, running_server, venv_script

REPO = Path(__file__).resolve().parents[2]
KEYS = REPO / "fixtures" / "keys"
DEMO_ISSUER = "https://demo-ehr.ivig-cds.org"
DEMO_JWKS = KEYS / "demo-client.jwks.json"
AS_OF = "2026-06-01"  # the scenario library's asOf
JSON = dict[str, Any]


def toml_string(value: str) -> str:
    """Return `value` as a TOML basic string."""
    return json.dumps(value)


def toml_list(values: Sequence[str]) -> str:
    """Return a TOML array of strings."""
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


def e2e_config(*, port: int, data_dir: Path, fhir_servers: Sequence[str], origins: Sequence[str] = ()) -> str:
    """Return the TOML configuration of the end-to-end service: auth required, the demo client only."""
    return f"""\
[service]
public_base_url = {toml_string(f"http://127.0.0.1:{port}")}
data_dir = {toml_string(str(data_dir))}
as_of_date = {AS_OF}

[auth]
required = true

[[auth.clients]]
issuer = {toml_string(DEMO_ISSUER)}
jwks_file = {toml_string(str(DEMO_JWKS))}
fhir_servers = {toml_list(fhir_servers)}

[fhir]
timeout_seconds = 10.0
budget_seconds = 20.0
max_pages = 20

[store]
url = {toml_string(f"sqlite:///{data_dir / 'ivig-cds.sqlite3'}")}
pseudonym_secret = "e2e-pseudonym-secret-not-for-production"

[cors]
allowed_origins = {toml_list(origins)}
"""


class ClientSigner:
    """Signs CDS Hooks client JWTs with a private JWK (`aud` = the exact URL called, fresh `jti`)."""

    def __init__(self, key_file: Path, issuer: str) -> None:
        self._jwk = jwt.PyJWK.from_dict(json.loads(key_file.read_text(encoding="utf-8")))
        self.issuer = issuer

    def token(self, audience: str, ttl: int = 300, iat_ahead: int = 0) -> str:
        """Return a signed JWT for one call to `audience` (`iat` may run ahead, as the sandbox's does)."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": audience,
            "iat": now + iat_ahead,
            "exp": now + ttl,
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self._jwk.key_id, "typ": "JWT"}
        return jwt.encode(claims, self._jwk.key, algorithm=self._jwk.algorithm_name, headers=headers)


def demo_signer(alg: str = "es384") -> ClientSigner:
    """Return a signer with the demo client's ES384 or RS384 key."""
    return ClientSigner(KEYS / f"demo-client-{alg}.private.jwk", DEMO_ISSUER)


@dataclass
class CdsService:
    """A running ivig-cds service and the client that calls it."""

    process: RunningProcess
    base_url: str
    signer: ClientSigner
    session: requests.Session = field(default_factory=requests.Session)

    def get(self, path: str) -> requests.Response:
        """GET a path with a freshly signed JWT."""
        url = self.base_url + path
        return self.session.get(
            url, headers={"Authorization": f"Bearer {self.signer.token(url)}"}, timeout=60
        )

    def post(self, path: str, body: JSON) -> requests.Response:
        """POST a JSON body to a path with a freshly signed JWT."""
        url = self.base_url + path
        headers = {"Authorization": f"Bearer {self.signer.token(url)}", "Content-Type": "application/json"}
        return self.session.post(url, data=json.dumps(body), headers=headers, timeout=60)

    def hook_calls(self) -> dict[str, JSON]:
        """Return the service's `hook-call` log lines by hookInstance (fhir_reads, outcome, status...)."""
        calls: dict[str, JSON] = {}
        for line in self.process.log_text().splitlines():
            if not line.startswith("{"):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event") == "hook-call":
                calls[entry["hook_instance"]] = entry
        return calls


ConfigText = Callable[[int, Path], str]


@contextmanager
def running_cds_service(
    workdir: Path,
    *,
    fhir_servers: Sequence[str] = (),
    origins: Sequence[str] = (),
    workers: int = 2,
    config_text: ConfigText | None = None,
    env: dict[str, str] | None = None,
    name: str = "ivig-cds",
    port_env: str | None = None,
) -> Iterator[CdsService]:
    """Start `ivig-cds serve` with a configuration file; stop it (and its workers) on exit.

    The file is `config_text(port, data_dir)` when given, else the e2e configuration above; `port_env`
    names an environment variable of `env` whose `{port}` is filled in (e.g. the public base URL).
    """
    port = free_port()
    data_dir = workdir / f"{name}-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    config = workdir / f"{name}.toml"
    if config_text is None:
        text = e2e_config(port=port, data_dir=data_dir, fhir_servers=fhir_servers, origins=origins)
    else:
        text = config_text(port, data_dir)
    config.write_text(text, encoding="utf-8")
    base_url = f"http://127.0.0.1:{port}"
    argv = [
        venv_script("ivig-cds"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--config",
        str(config),
    ]
    full_env = {"PROMETHEUS_MULTIPROC_DIR": str(data_dir / "metrics"), **(env or {})}
    if port_env is not None:
        full_env[port_env] = full_env[port_env].format(port=port)
    with running_server(
        name,
        argv,
        url=base_url,
        probe_path="/healthz",
        log_path=workdir / f"{name}.log",
        cwd=REPO,
        env=full_env,
    ) as process:
        yield CdsService(process, base_url, demo_signer())
