"""The pure core imports no web, network, storage or JWT library (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FORBIDDEN = ["flask", "werkzeug", "requests", "urllib3", "sqlalchemy", "jwt", "gunicorn", "service"]


def test_core_imports_nothing_from_the_world() -> None:
    root = Path(__file__).resolve().parents[2]
    modules = sorted(
        ".".join(p.relative_to(root).with_suffix("").parts)
        for p in (root / "cds_hooks").rglob("*.py")
        if p.name != "__init__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = [m for m in {FORBIDDEN!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert len(modules) >= 5
    assert result.stdout.strip() == ""
