"""answer_json gives the response jsonify gives: same bytes, same headers (same number for tiny floats)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask, jsonify
from hypothesis import given, settings
from hypothesis import strategies as st

from service.hooks import answer_json


@dataclass
class Pair:
    left: int
    right: str


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x == 0 or abs(x) >= 1e-4)
    | st.text()
    | st.text(alphabet=st.characters(max_codepoint=127))
    | st.just(datetime(2026, 12, 1, 10, 30, tzinfo=UTC))
    | st.just(date(2026, 12, 1))
    | st.just(uuid.UUID(int=7))
    | st.just(Pair(1, "a"))
)
json_like = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), max_size=4), inner, max_size=4)
        | st.dictionaries(st.integers(0, 9), inner, max_size=2)
    ),
    max_leaves=20,
)


def _app(sort_keys: bool, debug: bool) -> Flask:
    app = Flask("answer-json")
    app.json.sort_keys = sort_keys  # type: ignore[attr-defined]
    app.debug = debug
    return app


APPS = [_app(sort_keys, debug) for sort_keys in (False, True) for debug in (False, True)]


@settings(max_examples=400, deadline=None)
@given(data=json_like, which=st.sampled_from(range(len(APPS))))
def test_same_response_as_jsonify(data: Any, which: int) -> None:
    with APPS[which].app_context():
        try:
            expected = jsonify(data)
        except TypeError:
            with pytest.raises(TypeError):
                answer_json(data)
            return
        actual = answer_json(data)
    assert actual.get_data() == expected.get_data()
    assert actual.status_code == expected.status_code
    assert list(actual.headers.items()) == list(expected.headers.items())


def test_tiny_floats_are_the_same_numbers() -> None:
    data = {"a": [1e-05, -6.651613507053792e-05, 1.8266168679872385e-07]}
    with APPS[0].app_context():
        assert json.loads(answer_json(data).get_data()) == json.loads(jsonify(data).get_data())


def test_a_cds_answer_is_the_same_text() -> None:
    answer = {"cards": [{"uuid": "u-1", "summary": "IVIg 2 g/kg [EFNS2010]", "indicator": "info"}]}
    with APPS[0].app_context():
        assert answer_json(answer).get_data() == jsonify(answer).get_data()
        assert answer_json({"cards": []}).get_data() == b'{"cards":[]}\n'
