"""Reading a JWK Set URL: https only (loopback http only when explicitly allowed), no redirects,
size-capped, and bounded in total time whatever the server does (slow, trickling or silent).
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

MAX_JWKS_BYTES = 200_000
READ_CHUNK_BYTES = 8192


class JwksError(Exception):
    """A JWK Set could not be loaded or holds no usable key."""


@dataclass(frozen=True)
class FetchPolicy:
    """How JWK Set URLs are read and how often they are re-read (from the [auth] configuration)."""

    timeout_seconds: float = 3.0  # total per fetch: connect, headers and body
    refresh_interval_seconds: float = 60.0  # at most one re-read per interval per key set
    max_age_seconds: float = 3600.0  # a URL's set is re-read at least this often (in the background)
    retry_after_failure_seconds: float = 10.0  # a set that never loaded is retried sooner
    ca_bundle: str | None = None  # a CA file to verify the JWK Set servers' certificates; None: system CAs
    allow_http_loopback: bool = False  # development only: http://localhost and loopback IPs


def is_loopback_host(host: str | None) -> bool:
    """Return True for `localhost` and loopback IP literals (127.0.0.0/8, ::1)."""
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def evaluate_jwks_url(url: str, *, allow_http_loopback: bool) -> str | None:
    """Return why a JWK Set URL may not be used (None when it may): https, or loopback http in development."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "not a valid URL"
    if not host or parts.username is not None or parts.password is not None:
        return "must be an absolute URL with a host and no credentials"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and is_loopback_host(host):
        if allow_http_loopback:
            return None
        return "plain http is allowed only for loopback with auth.allow_http_loopback_jwks = true"
    return "must use https"


def fetch_jwks_text(url: str, policy: FetchPolicy) -> str:
    """Return the body of a JWK Set URL, or raise JwksError (refused URL, status, size, time, TLS)."""
    refusal = evaluate_jwks_url(url, allow_http_loopback=policy.allow_http_loopback)
    if refusal is not None:
        raise JwksError(f"JWK Set URL refused: {refusal}")
    deadline = time.monotonic() + policy.timeout_seconds
    verify: str | bool = policy.ca_bundle if policy.ca_bundle else True
    try:
        with requests.get(
            url,
            timeout=policy.timeout_seconds,
            allow_redirects=False,
            stream=True,
            verify=verify,
            headers={"Accept": "application/json, application/jwk-set+json"},
        ) as response:
            if response.status_code != 200:
                raise JwksError(f"JWK Set URL answered {response.status_code}")
            return _read_body(response, deadline).decode("utf-8", errors="replace")
    except requests.RequestException as exc:
        raise JwksError(f"JWK Set URL unreachable: {exc.__class__.__name__}") from None


def _read_body(response: requests.Response, deadline: float) -> bytes:
    """Return the body, read as it arrives, failing past the size cap or the deadline.

    `read1` returns whatever has arrived, so a trickling server is caught at its next byte; one silent
    read is bounded by the socket timeout, so a fetch ends within twice `timeout_seconds` at worst.
    """
    body = bytearray()
    raw = response.raw
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise JwksError("JWK Set URL too slow")
        chunk = raw.read1(READ_CHUNK_BYTES, decode_content=True)
        if not chunk:
            return bytes(body)
        body.extend(chunk)
        if len(body) > MAX_JWKS_BYTES:
            raise JwksError("JWK Set too large")
