"""A missing PostgreSQL, browser or playwright skips a test locally and fails it in CI."""

from __future__ import annotations

import pytest

from tests.ci import running_in_ci, skip_or_fail


@pytest.mark.parametrize("value", ["true", "1", "TRUE", "yes"])
def test_in_ci_a_missing_dependency_is_a_failure(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert running_in_ci()
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        skip_or_fail("PostgreSQL not installed")


@pytest.mark.parametrize("value", [None, "", "false", "0"])
def test_locally_a_missing_dependency_is_a_skip(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert not running_in_ci()
    with pytest.raises(pytest.skip.Exception):
        skip_or_fail("PostgreSQL not installed")
