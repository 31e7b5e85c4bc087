"""Cards (docs/clinical-logic.md): shape and purity (the scenarios are checked in tests/scenarios)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_core_imports_nothing_of_the_world() -> None:
    code = (
        "import sys, cds_hooks.ivig.services, cds_hooks.ivig.offline, cds_hooks.ivig.card_text;"
        "bad = {'flask', 'requests', 'sqlalchemy', 'jwt'} & {m.split('.')[0] for m in sys.modules};"
        "sys.exit(1 if bad else 0)"
    )
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
