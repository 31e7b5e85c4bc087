"""The report over a seeded store (SQLite and PostgreSQL): every section, the injected fault flagged,
silent cards reviewed, no patient identifier or comment unless asked for, the same figures as CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from service.governance.records import ReportQuery
from service.governance.render import render_html, save_csv
from service.governance.report import Report, ReportOptions, load_report
from service.governance.synthetic import HistoryPlan, save_history
from service.store import Store, metadata

END = date(2026, 11, 30)
NOW = datetime(2026, 12, 1, 6, tzinfo=UTC)
SECTIONS = ("anomalies", "activity", "feedback", "review", "operations")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One seeded store per backend for the whole module (seeding and plotting are not free)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'store.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
        engine = create_engine(url)
        metadata.drop_all(engine)
        engine.dispose()
    store = Store(url)
    store.create_schema()
    save_history(store, HistoryPlan(end=END))
    yield store
    store.close()


@pytest.fixture(scope="module")
def default_report(seeded: Store) -> Report:
    return report(seeded)


def report(store: Store, **options: object) -> Report:
    return load_report(store, ReportOptions(**options), now=NOW)  # type: ignore[arg-type]


def test_the_mapping_change_is_flagged_from_its_first_day(default_report: Report) -> None:
    result = default_report.anomalies
    malfunction = HistoryPlan(end=END).malfunction_start
    assert result.flags, result.note
    assert min(f.day for f in result.flags) == malfunction
    assert {f.measure for f in result.flags} >= {"card rate"}


def test_every_section_and_plot_is_in_the_html(default_report: Report) -> None:
    page = render_html(default_report)
    for section in SECTIONS:
        assert f'id="{section}"' in page
    assert page.count("<svg") >= 12
    assert 'http-equiv="Content-Security-Policy"' in page
    assert "<script" not in page and "src=" not in page and 'href="http' not in page


def test_silent_cards_appear_as_would_have_fired(default_report: Report) -> None:
    built = default_report
    review = next(s for s in built.sections if s.id == "review")
    fired = next(t for t in review.tables if t.name == "would_have_fired")
    assert sum(int(n or 0) for n in fired.column("cards")) > 0
    silent = next(t for t in review.tables if t.name == "silent_assessments")
    assert silent.rows and "CB" in silent.columns and "outcome" in silent.columns


def test_no_pseudonym_or_comment_unless_comments_are_asked_for(seeded: Store, default_report: Report) -> None:
    from service.governance.records import load_calls

    pseudonyms = {c.patient for c in load_calls(seeded, ReportQuery()) if c.patient}
    page = render_html(default_report)
    assert not any(p in page for p in pseudonyms)
    assert "discussed with neuromuscular team" not in page
    assert "discussed with neuromuscular team" in render_html(report(seeded, show_comments=True))


def test_filters_narrow_the_report(seeded: Store) -> None:
    built = report(seeded, query=ReportQuery(issuer="https://ehr-a.example.org"))
    review = next(s for s in built.sections if s.id == "review")
    fired = next(t for t in review.tables if t.name == "would_have_fired")
    assert fired.rows == ()  # the live client has no silent calls


def test_the_same_figures_are_written_as_csv(default_report: Report, tmp_path: Path) -> None:
    built = default_report
    paths = save_csv(built, tmp_path / "csv")
    names = {p.stem for p in paths}
    assert {"calls_by_outcome", "feedback_rates", "override_categories", "latency", "anomaly_flags"} <= names
    with (tmp_path / "csv" / "anomaly_flags.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(built.anomalies.flags)
