"""The command line: one parser over the per-command modules, `--version`, one-line errors."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from service.cli import build_parser, main


def test_version_is_the_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"ivig-cds {version('ivig-cds')}"


@pytest.mark.parametrize("command", ["serve", "evaluate", "demo", "feedback", "config", "token", "store"])
def test_every_command_is_wired(command: str) -> None:
    choices = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert choices is not None and command in choices


def test_a_failure_is_one_line_and_exit_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "/nonexistent/bundle.json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ivig-cds: error: ") and err.count("\n") == 1
