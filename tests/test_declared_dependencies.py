"""The declared dependencies are the imported ones: every third-party import of the packages is a runtime
dependency in pyproject.toml, and every one of the tests and benchmarks is a runtime or `test` dependency."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCAL = {"cds_hooks", "service", "tests", "bench", "fixtures"}


def extract_imported(roots: list[str]) -> set[str]:
    """Return the top-level names of the third-party modules imported under `roots`."""
    found: set[str] = set()
    for root in roots:
        for path in (ROOT / root).rglob("*.py"):
            siblings = {p.stem for p in path.parent.glob("*.py")}
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                else:
                    continue
                found.update(n.split(".")[0] for n in names)
            found -= siblings  # bench/ scripts import their neighbours by plain name
    return {n for n in found if n not in sys.stdlib_module_names and n not in LOCAL}


def normalise(requirement: str) -> str:
    """Return the distribution name of a requirement, normalised (PEP 503)."""
    name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> tuple[set[str], set[str]]:
    """Return the normalised names of the runtime and the test dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {normalise(r) for r in project["dependencies"]}
    extras = project["optional-dependencies"]
    return runtime, {normalise(r) for r in extras["test"] + extras["postgres"]}


def undeclared(imported: set[str], allowed: set[str]) -> list[str]:
    """Return the imported modules no allowed distribution provides."""
    providers = packages_distributions()
    return sorted(m for m in imported if not {normalise(d) for d in providers.get(m, [])} & allowed)


def test_every_import_of_the_packages_is_a_runtime_dependency() -> None:
    runtime, _ = declared()
    imported = extract_imported(["cds_hooks", "service"])
    assert {"flask", "pydantic", "sqlalchemy"} <= imported
    assert undeclared(imported, runtime) == []


def test_every_import_of_the_tests_and_benchmarks_is_declared() -> None:
    runtime, test = declared()
    imported = extract_imported(["tests", "bench", "fixtures"])
    assert {"pytest", "hypothesis"} <= imported
    assert undeclared(imported, runtime | test) == []


def test_every_declared_dependency_is_pinned_for_ci() -> None:
    runtime, test = declared()
    pins = {
        normalise(line)
        for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    assert sorted((runtime | test) - pins) == []
