"""What a missing test dependency means: a skip on a developer's machine, a failure in CI (`CI=true`)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def running_in_ci() -> bool:
    """Return whether the suite runs in CI (`CI` set to a true value, as `.ci/run` does)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test locally; fail it in CI, where every dependency must be installed."""
    if running_in_ci():
        pytest.fail(f"{reason} (required in CI: .ci/run installs it)")
    pytest.skip(reason)
