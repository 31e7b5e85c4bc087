"""The governance report in headless Chromium, for a seeded store on SQLite and on PostgreSQL.

`ivig-cds report` runs as a real command over a store seeded with weeks of synthetic history (one
injected code-mapping change); the page is opened from disk with every request but its own file
refused and recorded, screenshotted, and checked: every section and plot present and drawn, the
mapping change flagged, no network request, no console error. `--check` exits non-zero on the flag.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from service.governance.synthetic import HistoryPlan, save_history
from service.store import Store, metadata
from tests.ci import skip_or_fail
from tests.e2e.processes import venv_script
from tests.e2e.test_browser_client import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.e2e

END = date(2026, 11, 30)
SECTIONS = ("anomalies", "activity", "feedback", "review", "operations")
PLOTS = 12  # activity 5, feedback 2, review 1, operations 4


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store URL holding six weeks of synthetic history ending with the injected mapping change."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('report-e2e') / 'store.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
        engine = create_engine(url)
        metadata.drop_all(engine)
        engine.dispose()
    store = Store(url)
    store.create_schema()
    save_history(store, HistoryPlan(end=END))
    store.close()
    yield url


def run_report(url: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run `ivig-cds report` on the store; return the finished process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVIG_CDS_")}
    env["IVIG_CDS_STORE_URL"] = url
    command = [venv_script("ivig-cds"), "report", "--out", str(out), *extra]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def open_in_chromium(page_file: Path, screenshot: Path) -> dict[str, Any]:
    """Open the file, screenshot it; return what the page showed, requested and logged."""
    try:
        from playwright import sync_api
    except ImportError:
        skip_or_fail("playwright is not installed")
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium not found at {CHROMIUM}")
    own = page_file.resolve().as_uri()
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", lambda route: route.continue_() if route.request.url == own else route.abort())
            page.goto(own, wait_until="load")
            page.screenshot(path=str(screenshot), full_page=True)
            seen = {
                "sections": page.eval_on_selector_all(
                    "section[id], div#anomalies", "els => els.map(e => e.id)"
                ),
                "plots": page.eval_on_selector_all(
                    "figure.plot svg",
                    "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height,"
                    " e.querySelectorAll('path').length]; })",
                ),
                "flags": page.inner_text("#anomalies"),
                "tables": page.eval_on_selector_all(
                    "table[data-table]", "els => els.map(e => e.dataset.table)"
                ),
            }
        finally:
            browser.close()
    return seen | {"requests": requests, "errors": errors}


def test_the_report_opens_offline_with_every_section_and_plot(seeded_url: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    finished = run_report(seeded_url, out)
    assert finished.returncode == 0, finished.stderr
    seen = open_in_chromium(out, tmp_path / "report.png")
    assert (tmp_path / "report.png").stat().st_size > 50_000
    assert set(SECTIONS) <= set(seen["sections"])
    assert len(seen["plots"]) == PLOTS
    assert all(width > 300 and height > 100 and paths > 5 for width, height, paths in seen["plots"])
    assert {
        "calls_by_outcome",
        "feedback_rates",
        "override_categories",
        "would_have_fired",
        "latency",
    } <= set(seen["tables"])
    malfunction = HistoryPlan(end=END).malfunction_start
    assert malfunction is not None and malfunction.isoformat() in seen["flags"]
    assert seen["requests"] == [out.resolve().as_uri()]
    assert seen["errors"] == []


def test_check_fails_on_the_injected_mapping_change(seeded_url: str, tmp_path: Path) -> None:
    finished = run_report(seeded_url, tmp_path / "report.html", "--check")
    assert finished.returncode == 1, finished.stdout + finished.stderr
    assert "card rate" in finished.stdout


def test_check_passes_before_the_mapping_change(seeded_url: str, tmp_path: Path) -> None:
    finished = run_report(seeded_url, tmp_path / "report.html", "--check", "--to", "2026-11-26")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "anomaly flags: 0" in finished.stdout


def test_with_less_history_than_the_window_nothing_is_flagged_and_it_says_so(
    seeded_url: str, tmp_path: Path
) -> None:
    finished = run_report(seeded_url, tmp_path / "report.html", "--check", "--window-days", "60")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "less history than the control window" in finished.stdout
    assert "less history than the control window" in (tmp_path / "report.html").read_text()


def test_demo_history_writes_a_sample_report_that_flags_the_malfunction(tmp_path: Path) -> None:
    from tests.e2e.cds_service import REPO

    data = tmp_path / "demo"
    command = [venv_script("ivig-cds"), "demo", "--once", "--port", "0", "--history", "--data-dir", str(data)]
    finished = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL
    )
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    assert str(data / "report.html") in finished.stdout
    page = (data / "report.html").read_text(encoding="utf-8")
    assert "Anomaly flags: none" not in page and "card rate" in page
    assert (data / "report-csv" / "anomaly_flags.csv").exists()
    seen = open_in_chromium(data / "report.html", tmp_path / "demo.png")
    assert seen["errors"] == [] and len(seen["plots"]) == PLOTS
