"""Reading a request body: content type (415), size (413), JSON syntax and sanity (400).

Size: Flask's MAX_CONTENT_LENGTH (service.max_body_bytes). Werkzeug refuses a Content-Length over the
limit before reading any of the body. A chunked body (no Content-Length; gunicorn marks it
`wsgi.input_terminated`) is read only up to the limit, but werkzeug then returns the truncated prefix
instead of failing, so a body that fills the limit is refused here with 413. Either way the body is
never read whole, and gunicorn drains at most 64 KiB of what is left before dropping the connection.
"""

from __future__ import annotations

from itertools import chain, compress, repeat
from operator import is_
from typing import Any

import orjson
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from cds_hooks.errors import InvalidRequest
from service.errors import ServiceError

MAX_DEPTH = 64
MAX_ELEMENTS = 200_000
_JSON_TYPES = ("application/json", "application/fhir+json")
_BRACKETS = bytes.maketrans(b"{}", b"[]")  # depth and counts need no difference between {} and []
_NOT_BRACKETS = bytes(range(256)).translate(None, b'"[]{}')  # everything translate() deletes...
_NOT_BRACKETS_OR_COMMAS = bytes(range(256)).translate(None, b'"[]{},')  # ...or, when counting, keeps


def parse_json_body() -> Any:
    """Return the request's JSON body, or raise a 415/400/413 error naming the problem."""
    if request.mimetype not in _JSON_TYPES:
        raise ServiceError(
            415, "unsupported-media-type", "Content-Type must be application/json", "not-supported"
        )
    raw = request.get_data(cache=True)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(raw) >= limit:
        raise RequestEntityTooLarge()  # a chunked body cut off at the limit, not a complete one
    try:
        body = orjson.loads(raw)  # strict RFC 8259: no NaN/Infinity, UTF-8 only, 64-bit integers
    except (orjson.JSONDecodeError, RecursionError):
        raise InvalidRequest("request body is not valid JSON", field="$") from None
    if not fits_json_limits(raw):
        check_json_shape(body)  # the exact verdict, for the rare body the bytes alone cannot clear
    return body


def fits_json_limits(raw: bytes) -> bool:
    """Return True when valid JSON text provably parses within MAX_DEPTH and MAX_ELEMENTS (False: unsure).

    Reads the structure from the bytes, which costs a fraction of walking the parsed value: escapes
    out, strings out, brackets only; then each pass deletes the innermost containers ("[]"), and a
    value nests at most one level deeper than the number of passes. The element count is bounded by
    1 + commas + containers (a value needs a byte, so no body shorter than the limit can exceed it).
    Both bounds are upper bounds (a duplicate key is counted once more than the parsed value holds).
    """
    text = raw
    if b"\\" in text:  # escaped backslashes, then escaped quotes: every quote left delimits a string
        text = text.replace(b"\\\\", b"").replace(b'\\"', b"")
    counted = len(raw) > MAX_ELEMENTS
    text = text.translate(_BRACKETS, _NOT_BRACKETS_OR_COMMAS if counted else _NOT_BRACKETS)
    # Deleting two adjacent quotes keeps every byte's inside/outside-a-string parity: empty strings go.
    text = text.replace(b'""', b"")
    if b'"' in text:  # strings holding brackets (or commas): every other piece is inside one
        text = b"".join(text.split(b'"')[::2])
    if counted:
        if 1 + text.count(b",") + text.count(b"[") > MAX_ELEMENTS:
            return False
        text = text.replace(b",", b"")
    for _ in range(MAX_DEPTH - 1):
        if not text:
            return True
        text = text.replace(b"[]", b"")
    return not text


def check_json_shape(value: Any) -> None:
    """Raise InvalidRequest when a JSON value nests deeper than MAX_DEPTH or holds over MAX_ELEMENTS items."""
    # Level by level, every per-item step in C (chain, map, compress): the check runs on every hook
    # call's body (often tens of kB of prefetch), so it must cost less than parsing it.
    dicts: list[dict[str, Any]] = [value] if type(value) is dict else []
    lists: list[list[Any]] = [value] if type(value) is list else []
    depth, count = 1, 1
    while dicts or lists:
        children = list(chain(chain.from_iterable(map(dict.values, dicts)), chain.from_iterable(lists)))
        if children and depth >= MAX_DEPTH:
            raise InvalidRequest(f"request body nests deeper than {MAX_DEPTH} levels", field="$")
        count += len(children)
        if count > MAX_ELEMENTS:
            raise InvalidRequest(f"request body has more than {MAX_ELEMENTS} elements", field="$")
        types = list(map(type, children))
        dicts = list(compress(children, map(is_, types, repeat(dict))))
        lists = list(compress(children, map(is_, types, repeat(list))))
        depth += 1
