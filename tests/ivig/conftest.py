from __future__ import annotations

import pytest

from cds_hooks.ivig.rules_model import Rules
from tests.ivig.support import default_rules


@pytest.fixture(scope="session")
def rules() -> Rules:
    return default_rules()
