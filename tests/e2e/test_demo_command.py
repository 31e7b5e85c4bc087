"""`ivig-cds demo`, as a newcomer runs it from a clone: real cards printed, then the next commands."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.cds_service import REPO
from tests.e2e.processes import venv_script

pytestmark = pytest.mark.e2e

CARD_LINE = re.compile(r"^  -> 200 \[(info|warning|critical)\] ([a-z-]+): (.+)$", re.MULTILINE)


def run_demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `ivig-cds demo --once` in `cwd` and return the finished process."""
    return subprocess.run(
        [venv_script("ivig-cds"), "demo", "--once", "--port", "0", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_demo_prints_real_cards_and_next_steps(tmp_path: Path) -> None:
    result = run_demo(REPO, "--data-dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stdout + result.stderr
    cards = CARD_LINE.findall(result.stdout)
    assert len(cards) >= 5, result.stdout
    outcomes = {outcome for _, outcome, _ in cards}
    assert {"supported", "trial-reasonable", "against-mmn"} <= outcomes
    assert all(summary.strip() for _, _, summary in cards)
    assert "no card" in result.stdout
    assert "ivig-cds evaluate fixtures/scenarios/" in result.stdout
    assert "ivig-cds token sign --key fixtures/keys/demo-client-es384.private.jwk" in result.stdout
    assert "curl -s -X POST http://127.0.0.1:" in result.stdout
    # the request bodies it points curl at are real hook requests
    saved = sorted((tmp_path / "demo" / "requests").glob("*.json"))
    assert saved and all(json.loads(p.read_text())["hook"] in ("order-sign", "order-select") for p in saved)


def test_demo_without_fixtures_says_where_to_run_it(tmp_path: Path) -> None:
    result = run_demo(tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("ivig-cds: error: demonstration data not found")
    assert "root of a clone" in result.stderr
    assert "Traceback" not in result.stderr
