"""A real FHIR R4 server for the end-to-end tests: sekmet-fhir on loopback, isolated, quiet.

Settings (sekmet's `settings.yaml`): host 127.0.0.1 on a free port; its own data directory and
SQLite file under the test's temporary directory (so the store starts empty); the order simulator
off (it would answer our MedicationRequests with pharmacy traffic); inbound validation `warn`
(structural problems are reported, not refused, as real-world data has some); static bearer-token
auth, so a read without the hook's `fhirAuthorization.access_token` is refused.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.e2e.processes import RunningProcess, free_port, running_server, venv_script

JSON = dict[str, Any]
FHIR_JSON = "application/fhir+json"


@dataclass
class FhirServer:
    """A running sekmet-fhir: its FHIR base URL and the bearer token it accepts."""

    process: RunningProcess
    base_url: str
    token: str

    def hook_access(self, body: JSON, patient_id: str | None = None) -> JSON:
        """Return a hook request body carrying this server as fhirServer, with a token that reads it."""
        body["fhirServer"] = self.base_url
        body["fhirAuthorization"] = {
            "access_token": self.token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "ivig-cds",
        }
        if patient_id is not None:
            body["fhirAuthorization"]["patient"] = patient_id
        return body

    def session(self) -> requests.Session:
        """Return a session that authenticates to this server."""
        session = requests.Session()
        session.trust_env = False
        session.headers.update({"Authorization": f"Bearer {self.token}", "Accept": FHIR_JSON})
        return session

    def put_all(self, resources: Iterable[JSON], chunk: int = 500) -> int:
        """PUT every resource with its own id (transaction Bundles); return how many were stored.

        Entries carry no `fullUrl`, so the server rewrites no reference: the data is stored as written
        (e.g. an Observation whose subject is an absolute URL keeps it).
        """
        batch = list(resources)
        with self.session() as session:
            for start in range(0, len(batch), chunk):
                entries = [
                    {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
                    for r in batch[start : start + chunk]
                ]
                bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
                response = session.post(
                    self.base_url, data=json.dumps(bundle), headers={"Content-Type": FHIR_JSON}, timeout=120
                )
                if response.status_code != 200:
                    raise RuntimeError(
                        f"loading into the FHIR server failed: {response.status_code} {response.text[:2000]}"
                    )
                statuses = [e["response"]["status"] for e in response.json()["entry"]]
                bad = [s for s in statuses if not s.startswith(("200", "201"))]
                if bad:
                    raise RuntimeError(f"loading into the FHIR server: {len(bad)} entries failed: {bad[:5]}")
        return len(batch)

    def count(self, resource_type: str) -> int:
        """Return the number of resources of a type the server holds."""
        with self.session() as session:
            response = session.get(
                f"{self.base_url}/{resource_type}", params={"_summary": "count"}, timeout=30
            )
            response.raise_for_status()
            total: int = response.json()["total"]
            return total


def _settings_yaml(port: int, data_dir: Path, token: str) -> str:
    """Return sekmet's settings file (YAML is a superset of JSON, so JSON is written)."""
    settings = {
        "base_url": f"http://127.0.0.1:{port}/fhir",
        "host": "127.0.0.1",
        "port": port,
        "data_dir": str(data_dir),
        "db_path": str(data_dir / "sekmet.db"),
        "own_private_key_path": str(data_dir / "keys" / "sekmet_private.pem"),
        "simulator": {"enabled": False},
        "validation": {"inbound": "warn"},
        "server_auth": {"types": ["bearer"], "tokens": [token]},
        "log_inbound": False,
    }
    return json.dumps(settings, indent=2)


@contextmanager
def running_fhir_server(workdir: Path) -> Iterator[FhirServer]:
    """Start an empty sekmet-fhir on a free loopback port; stop it (and its process group) on exit."""
    port = free_port()
    data_dir = workdir / "sekmet-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    settings = workdir / "sekmet-settings.yaml"
    settings.write_text(_settings_yaml(port, data_dir, token), encoding="utf-8")
    base_url = f"http://127.0.0.1:{port}/fhir"
    argv = [venv_script("sekmet"), "serve", "--config", str(settings)]
    with running_server(
        "sekmet-fhir",
        argv,
        url=base_url,
        probe_path="/metadata",
        log_path=workdir / "sekmet.log",
        cwd=workdir,
        env={"SEKMET_CONFIG": str(settings), "PYTHONUNBUFFERED": "1"},
    ) as process:
        yield FhirServer(process, base_url, token)
