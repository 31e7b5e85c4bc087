"""check_json_shape (the fast, level-by-level walk) refuses exactly what the plain recursive rule refuses."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import service.request_body as request_body
from cds_hooks.errors import InvalidRequest
from service.request_body import check_json_shape


def reference_verdict(value: Any, max_depth: int, max_elements: int) -> bool:
    """Return True when every node is at depth <= max_depth and there are <= max_elements nodes."""
    nodes: list[tuple[Any, int]] = [(value, 1)]
    count = 0
    while nodes:
        node, depth = nodes.pop()
        count += 1
        if depth > max_depth or count > max_elements:
            return False
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
        nodes.extend((child, depth + 1) for child in children)
    return True


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=2), inner, max_size=4),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(value=json_values, max_depth=st.integers(1, 8), max_elements=st.integers(1, 40))
def test_same_verdict_as_the_recursive_rule(value: Any, max_depth: int, max_elements: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(request_body, "MAX_DEPTH", max_depth)
        patch.setattr(request_body, "MAX_ELEMENTS", max_elements)
        try:
            check_json_shape(value)
            accepted = True
        except InvalidRequest:
            accepted = False
    assert accepted == reference_verdict(value, max_depth, max_elements)


def nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels - 1):
        value = [value]
    return value


def test_depth_limit_is_exact() -> None:
    check_json_shape(nested(request_body.MAX_DEPTH))
    with pytest.raises(InvalidRequest, match="nests deeper"):
        check_json_shape(nested(request_body.MAX_DEPTH + 1))
