"""fits_json_limits (the structure read from the bytes) only ever clears a body the recursive rule accepts,
and the request path refuses exactly what the recursive rule refuses."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

import service.request_body as request_body
from cds_hooks.errors import InvalidRequest
from service.request_body import fits_json_limits, parse_json_body
from tests.service.test_json_shape import reference_verdict

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
# Characters that look like JSON structure inside a string, escapes, and multi-byte text.
_APP = Flask("json-limits")
_TRICKY = st.text(alphabet='"\\[]{},: ab\n\té€😀/', max_size=6)


_SPACE = st.sampled_from(["", " ", "\n  ", "\t"])
_SCALAR = st.sampled_from(["1", "-2.5e3", "true", "false", "null"]) | st.builds(
    json.dumps, _TRICKY, ensure_ascii=st.booleans()
)
_KEY = st.sampled_from(['"a"', '"b"', '"["', '"\\"}"', '"\\u00e9]"'])  # few keys: often duplicates


def _array(items: list[str], space: str) -> str:
    return "[" + space + ("," + space).join(items) + "]"


def _object(pairs: list[tuple[str, str]], space: str) -> str:
    return "{" + ",".join(f"{key}{space}:{value}" for key, value in pairs) + space + "}"


# JSON text with tricky strings, random whitespace and (often) duplicate object keys.
json_texts = st.recursive(
    _SCALAR,
    lambda inner: (
        st.builds(_array, st.lists(inner, max_size=4), _SPACE)
        | st.builds(_object, st.lists(st.tuples(_KEY, inner), max_size=4), _SPACE)
    ),
    max_leaves=30,
)


@settings(max_examples=600, deadline=None)
@given(text=json_texts, max_depth=st.integers(1, 8), max_elements=st.integers(1, 40))
def test_bytes_clear_only_what_the_recursive_rule_accepts(
    text: str, max_depth: int, max_elements: int
) -> None:
    raw = text.encode()
    value = orjson.loads(raw)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(request_body, "MAX_DEPTH", max_depth)
        patch.setattr(request_body, "MAX_ELEMENTS", max_elements)
        cleared = fits_json_limits(raw)
        assert _request_verdict(raw) == reference_verdict(value, max_depth, max_elements)
    if cleared:
        assert reference_verdict(value, max_depth, max_elements)


def byte_bounds(raw: bytes) -> tuple[int, int]:
    """Return (deepest container nesting, 1 + commas + containers) of JSON text, read byte by byte."""
    depth = deepest = count = 0
    in_string = escaped = False
    for byte in raw.decode():
        if in_string:
            escaped, in_string = (False, True) if escaped else (byte == "\\", byte != '"')
        elif byte == '"':
            in_string = True
        elif byte in "[{":
            depth, count = depth + 1, count + 1
            deepest = max(deepest, depth)
        elif byte in "]}":
            depth -= 1
        elif byte == ",":
            count += 1
    return deepest, 1 + count


@settings(max_examples=600, deadline=None)
@given(text=json_texts, max_depth=st.integers(1, 8), max_elements=st.integers(1, 40))
def test_bytes_read_the_structure_exactly(text: str, max_depth: int, max_elements: int) -> None:
    raw = text.encode()
    deepest, count = byte_bounds(raw)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(request_body, "MAX_DEPTH", max_depth)
        patch.setattr(request_body, "MAX_ELEMENTS", max_elements)
        cleared = fits_json_limits(raw)
    assert cleared == (deepest + 1 <= max_depth and (len(raw) <= max_elements or count <= max_elements))


def _request_verdict(raw: bytes) -> bool:
    """Return True when parse_json_body accepts `raw` as a request body."""
    with _APP.test_request_context(method="POST", data=raw, content_type="application/json"):
        try:
            parse_json_body()
        except InvalidRequest:
            return False
    return True


def nested(levels: int) -> bytes:
    return b"[" * (levels - 1) + b"1" + b"]" * (levels - 1)


def test_depth_limit_is_exact_on_the_request_path() -> None:
    assert _request_verdict(nested(request_body.MAX_DEPTH))
    assert not _request_verdict(nested(request_body.MAX_DEPTH + 1))


def test_element_limit_is_exact_on_the_request_path() -> None:
    at_limit = orjson.dumps([0] * (request_body.MAX_ELEMENTS - 1))
    assert _request_verdict(at_limit)
    assert not _request_verdict(orjson.dumps([0] * request_body.MAX_ELEMENTS))
    padded = orjson.dumps({"a": "x" * request_body.MAX_ELEMENTS, "b": [0] * 10})
    assert fits_json_limits(padded)  # a long body with few values is cleared from its bytes


def test_fixture_bodies_are_cleared_from_their_bytes() -> None:
    """The fast path is the one taken: real FHIR (brackets in display strings) needs no walk."""
    bodies = [path for path in FIXTURES.rglob("*.json") if path.stat().st_size > 2000]
    assert bodies
    for path in bodies:
        assert fits_json_limits(path.read_bytes()), path


def test_brackets_and_escaped_quotes_in_strings_are_not_structure() -> None:
    display = 'IgG [Mass/volume] in Serum \\"]]]]}}}}" \\\\'
    deep = orjson.loads(nested(request_body.MAX_DEPTH - 1))
    raw = orjson.dumps({"display": display, "x": deep})
    assert fits_json_limits(raw)
    assert not fits_json_limits(orjson.dumps({"display": display, "x": [deep]}))
