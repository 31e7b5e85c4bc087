"""The fault-injection suite: every test here starts real servers on loopback and is marked `faults` and
`e2e`, so `pytest -m "not e2e"` (the fast inner loop) skips it and the normal test command runs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this directory `faults` and `e2e`."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.e2e)
