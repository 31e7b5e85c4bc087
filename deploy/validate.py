"""Check the deployment files without a cluster or a Docker engine: YAML parses, the shapes a platform
team relies on are there, and the embedded configurations pass the service's own validation.

    python deploy/validate.py        # needs PyYAML and the project installed (pip install -e . pyyaml)
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml
from service.config import build_config

DEPLOY = Path(__file__).resolve().parent
SECRET_ENV = {"IVIG_CDS_STORE_URL": "store-url", "IVIG_CDS_STORE_PSEUDONYM_SECRET": "pseudonym-secret"}


def check(condition: bool, message: str, problems: list[str]) -> None:
    """Record `message` when `condition` fails."""
    if not condition:
        problems.append(message)


def check_config(toml_text: str, store_url: str, where: str, problems: list[str]) -> None:
    """Validate a TOML configuration as the service would, with the secrets the environment supplies."""
    data: dict[str, Any] = tomllib.loads(toml_text)
    data.setdefault("store", {}).update({"url": store_url, "pseudonym_secret": "x" * 64})
    config = build_config(data)
    check(config.auth.required, f"{where}: auth.required must be true", problems)
    check(config.service.as_of_date is None, f"{where}: service.as_of_date is for tests only", problems)


def check_kubernetes(problems: list[str]) -> None:
    """Check deploy/kubernetes.yaml."""
    docs = {d["kind"]: d for d in yaml.safe_load_all((DEPLOY / "kubernetes.yaml").read_text()) if d}
    for kind in ("Secret", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget"):
        check(kind in docs, f"kubernetes.yaml: no {kind}", problems)
    secret = docs["Secret"]["stringData"]
    check(
        secret["store-url"].startswith("postgresql+psycopg://"),
        "Secret store-url: postgresql+psycopg",
        problems,
    )
    check_config(docs["ConfigMap"]["data"]["ivig-cds.toml"], secret["store-url"], "ConfigMap", problems)
    spec = docs["Deployment"]["spec"]
    check(spec["replicas"] >= 2, "Deployment: 2+ replicas", problems)
    pod = spec["template"]["spec"]
    check(pod["securityContext"].get("runAsNonRoot") is True, "pod: runAsNonRoot", problems)
    volumes = {v["name"]: v for v in pod["volumes"]}
    for container in pod["containers"] + pod.get("initContainers", []):
        name = container["name"]
        check(
            container["securityContext"].get("readOnlyRootFilesystem") is True,
            f"{name}: read-only root",
            problems,
        )
        env = {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"] if "valueFrom" in e}
        check(env == SECRET_ENV, f"{name}: store URL and pseudonym secret from the Secret", problems)
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        for path in ("/var/lib/ivig-cds", "/tmp"):
            check(
                "emptyDir" in volumes.get(mounts.get(path, ""), {}), f"{name}: emptyDir at {path}", problems
            )
    main = pod["containers"][0]
    check(main["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness probe on /healthz", problems)
    check(main["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness probe on /readyz", problems)
    check({"requests", "limits"} <= set(main["resources"]), "container resources", problems)
    check(
        pod["terminationGracePeriodSeconds"] > 25, "grace period above preStop + graceful_timeout", problems
    )


def check_compose(problems: list[str]) -> None:
    """Check deploy/docker-compose.yml and its configuration file."""
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    check(services["postgres"]["image"].startswith("postgres:15"), "compose: PostgreSQL 15", problems)
    for name in ("postgres", "ivig-cds"):
        check("healthcheck" in services[name], f"compose: {name} healthcheck", problems)
    app = services["ivig-cds"]
    check(
        app["depends_on"]["postgres"]["condition"] == "service_healthy",
        "compose: waits for postgres",
        problems,
    )
    url = app["environment"]["IVIG_CDS_STORE_URL"].replace(
        "${IVIG_CDS_DB_PASSWORD:-change-me-ivig-cds}", "pw"
    )
    check(url.startswith("postgresql+psycopg://"), "compose: postgresql+psycopg store URL", problems)
    check_config((DEPLOY / "compose" / "ivig-cds.toml").read_text(), url, "compose config", problems)


def main() -> int:
    """Run every check; print the problems; exit non-zero when there is one."""
    problems: list[str] = []
    check_kubernetes(problems)
    check_compose(problems)
    for problem in problems:
        print(f"deploy: {problem}", file=sys.stderr)
    print(
        "deploy: kubernetes.yaml and docker-compose.yml OK" if not problems else f"{len(problems)} problem(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
