"""`ivig-cds evaluate --profile NAME`: the cards that client receives, linted; exit 1 on a lint error."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from cds_hooks.models import Card, CdsResponse, Coding, OverrideReason, Source
from cds_hooks.profiles import PROFILE_NAMES, build_client_profile
from fixtures.library import SCENARIOS, load_named
from service.cli import main
from service.cli.evaluate_profile import print_profiled
from tests.profiles.support import delivered, normalise
from tests.scenarios.support import selected_order

SCENARIO = load_named("babinski-present-against-mmn")
RECORD = SCENARIOS / SCENARIO.name / "record.json"


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, str, str]:
    order = tmp_path / "order.json"
    order.write_text(json.dumps(selected_order(SCENARIO)))
    status = main(
        ["evaluate", str(RECORD), "--order", str(order), "--as-of", SCENARIO.meta["asOf"], *options]
    )
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_cards_as_the_client_receives_them(
    profile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(tmp_path, capsys, "--format", "cards", "--profile", profile)
    assert (status, err) == (0, "")
    assert normalise(json.loads(out)) == normalise(delivered(SCENARIO, build_client_profile(profile)))


def test_epic_cards_by_hand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(tmp_path, capsys, "--format", "cards", "--profile", "epic")
    (card,) = json.loads(out)["cards"]
    assert card["source"]["topic"]["code"] == "AgainstMmn"
    assert card["selectionBehavior"] == "any"


def test_oracle_link_allowlist_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(tmp_path, capsys, "--format", "cards", "--profile", "oracle")
    assert "links" not in json.loads(out)["cards"][0]
    _, out, _ = run(
        tmp_path, capsys, "--format", "cards", "--profile", "oracle", "--link-allowlist", "https://doi.org"
    )
    assert [link["url"][:16] for link in json.loads(out)["cards"][0]["links"]] == ["https://doi.org/"] * 2


def test_text_format_shows_cards_and_lint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(tmp_path, capsys, "--profile", "epic")
    assert status == 0
    assert "Outcome: against-mmn" in out
    assert "Cards as Epic receives them: 1" in out
    assert "(topic AgainstMmn)" in out and "selectionBehavior: any" in out
    assert "Lint (epic): no findings" in out


def test_without_profile_the_output_is_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, plain, _ = run(tmp_path, capsys, "--format", "cards")
    _, generic, _ = run(tmp_path, capsys, "--format", "cards", "--profile", "generic")
    assert normalise(json.loads(plain)) == normalise(json.loads(generic))


def test_an_unknown_profile_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run(tmp_path, capsys, "--profile", "cerner")
    assert exc.value.code == 2


def test_a_lint_error_exits_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    """The product's own cards pass every lint (see test_library), so a hand-made bad card shows the exit."""
    bad = Card(
        uuid="card-1",
        summary="x",
        indicator="info",
        source=Source("ivig-cds"),
        override_reasons=(OverrideReason(Coding("urn:x", "r")),),
    )
    args = argparse.Namespace(format="cards", profile="epic", link_allowlist=[])
    assert print_profiled(CdsResponse((bad,)), args) == 1
    err = capsys.readouterr().err
    assert "uuid-format" in err and "epic-topic" in err and "[coding]" in err
    args.format = "text"
    assert print_profiled(CdsResponse((bad,)), args) == 0  # text reports, only cards fails
    assert "3 finding(s)" in capsys.readouterr().out
