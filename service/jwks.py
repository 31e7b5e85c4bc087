"""JWK Sets of trusted clients: cached, refreshed (rate-limited) on an unknown `kid` or when stale.

Only public signing members are kept (`kty`, `crv`, `x`, `y`, `n`, `e`), and a key is handed out bound to
the one algorithm the caller verified against the allow-list, and only when its type fits that algorithm
(ES384: EC P-384; RS384: RSA of at least 2048 bits) and its own `alg`, `use` and `key_ops`, when present,
agree. A key published for one algorithm can never verify a token of another (no key confusion).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import jwt
import requests

REFRESH_INTERVAL_SECONDS = 60.0  # at most one refresh a minute on unknown kids
RETRY_AFTER_FAILURE_SECONDS = 10.0  # a failed first load is retried sooner
MAX_AGE_SECONDS = 3600.0  # a URL's set is re-read at least hourly, so removed keys stop verifying
FETCH_TIMEOUT_SECONDS = 3.0  # total, not per socket operation
MAX_JWKS_BYTES = 200_000
MIN_RSA_BITS = 2048

# algorithm -> (kty, crv) a key must have to verify it
KEY_TYPES: dict[str, tuple[str, str | None]] = {"ES384": ("EC", "P-384"), "RS384": ("RSA", None)}
_PUBLIC_MEMBERS = {"EC": ("kty", "crv", "x", "y"), "RSA": ("kty", "n", "e")}

Jwk = dict[str, Any]


class JwksError(Exception):
    """A JWK Set could not be loaded or holds no usable key."""


def parse_jwks(text: str) -> dict[str, list[Jwk]]:
    """Return {kid: [JWK, ...]} for the members of a JWK Set document that have a kid."""
    try:
        document = json.loads(text)
    except ValueError:
        raise JwksError("invalid JWK Set: not JSON") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise JwksError("invalid JWK Set: no 'keys' array")
    found: dict[str, list[Jwk]] = {}
    for jwk in keys:
        if isinstance(jwk, dict) and isinstance(jwk.get("kid"), str) and jwk["kid"]:
            found.setdefault(jwk["kid"], []).append(jwk)
    if not found:
        raise JwksError("invalid JWK Set: no key with a kid")
    return found


def fits(jwk: Jwk, alg: str) -> bool:
    """Return True when `jwk` may verify tokens signed with `alg` (type, curve, alg, use, key_ops)."""
    if alg not in KEY_TYPES:
        return False
    kty, crv = KEY_TYPES[alg]
    if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
        return False
    if jwk.get("alg") not in (None, alg) or jwk.get("use") not in (None, "sig"):
        return False
    ops = jwk.get("key_ops")
    return ops is None or (isinstance(ops, list) and "verify" in ops)


def public_key(jwk: Jwk, alg: str) -> jwt.PyJWK | None:
    """Return the public part of `jwk` bound to `alg`, or None when it does not fit or is unusable."""
    if not fits(jwk, alg):
        return None
    members = {name: jwk[name] for name in _PUBLIC_MEMBERS[jwk["kty"]] if name in jwk}
    try:
        key = jwt.PyJWK.from_dict(members, algorithm=alg)
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    if alg.startswith("RS") and key.key.key_size < MIN_RSA_BITS:
        return None
    return key


def fetch_jwks_text(url: str) -> str:
    """Return the body of a JWK Set URL (no redirects, size-capped, total time-capped)."""
    started = time.monotonic()
    body = bytearray()
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT_SECONDS, allow_redirects=False, stream=True) as response:
            if response.status_code != 200:
                raise JwksError(f"JWK Set URL answered {response.status_code}")
            for chunk in response.iter_content(chunk_size=8192):
                body.extend(chunk)
                if len(body) > MAX_JWKS_BYTES:
                    raise JwksError("JWK Set too large")
                if time.monotonic() - started > FETCH_TIMEOUT_SECONDS:
                    raise JwksError("JWK Set URL too slow")
    except requests.RequestException as exc:
        raise JwksError(f"JWK Set URL unreachable: {exc.__class__.__name__}") from None
    return bytes(body).decode("utf-8", errors="replace")


class KeySource:
    """The keys of one JWK Set location (a file or a URL), with rate-limited refresh."""

    def __init__(self, *, url: str | None = None, file: str | None = None) -> None:
        if (url is None) == (file is None):
            raise JwksError("a client needs exactly one of jwks_url or jwks_file")
        self._url = url
        self._file = file
        self._keys: dict[str, list[Jwk]] = {}
        self._bound: dict[tuple[str, str], jwt.PyJWK | None] = {}
        self._loaded_at = float("-inf")
        self._next_load = float("-inf")
        self._lock = threading.Lock()
        if file is not None:
            self._reload(time.monotonic())

    def _load(self) -> dict[str, list[Jwk]]:
        """Return the keys read from the file or URL."""
        if self._file is not None:
            try:
                return parse_jwks(Path(self._file).read_text(encoding="utf-8"))
            except OSError as exc:
                raise JwksError(f"cannot read JWK Set file {self._file}: {exc.__class__.__name__}") from None
        assert self._url is not None
        return parse_jwks(fetch_jwks_text(self._url))

    def _reload(self, now: float) -> None:
        """Replace the cached keys (raise JwksError, keeping the old keys, when the source fails)."""
        self._next_load = now + RETRY_AFTER_FAILURE_SECONDS
        keys = self._load()
        self._keys, self._bound = keys, {}
        self._loaded_at, self._next_load = now, now + REFRESH_INTERVAL_SECONDS

    def key(self, kid: str, alg: str) -> jwt.PyJWK | None:
        """Return key `kid` bound to `alg`; refresh (rate-limited) on an unknown kid or a stale set."""
        with self._lock:
            now = time.monotonic()
            stale = self._url is not None and now - self._loaded_at >= MAX_AGE_SECONDS
            if (kid not in self._keys or stale) and now >= self._next_load:
                try:
                    self._reload(now)
                except JwksError:
                    if not self._keys:
                        raise
            if kid not in self._keys:
                return None
            if (kid, alg) not in self._bound:  # bounded: only kids of the set are cached
                candidates = (public_key(jwk, alg) for jwk in self._keys[kid])
                self._bound[(kid, alg)] = next((k for k in candidates if k is not None), None)
            return self._bound[(kid, alg)]
