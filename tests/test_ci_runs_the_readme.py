"""CI runs the README's test command, word for word, after the checks that keep the code clean."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def extract_readme_test_command() -> str:
    """Return the README's one test command (the bash line that runs scripts/test)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in re.findall(r"^python3 -m venv .*$", readme, re.M) if "scripts/test" in line]
    assert len(commands) == 1, commands
    return commands[0]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert extract_readme_test_command() in ci


def test_the_test_command_checks_lint_format_and_types_before_the_tests() -> None:
    command = extract_readme_test_command()
    assert "-c constraints.txt" in command
    assert command.index("scripts/check") < command.index("scripts/test")
    check = (ROOT / "scripts" / "check").read_text(encoding="utf-8")
    for step in ('ruff" check .', 'ruff" format --check .', 'mypy" --strict cds_hooks service'):
        assert step in check, step


def test_ci_marks_itself_so_missing_dependencies_fail() -> None:
    assert "export CI=true" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
