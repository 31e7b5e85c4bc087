"""JWK Sets of trusted clients: parsed once, cached, refreshed on an unknown `kid` at most once a minute."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import jwt
import requests

REFRESH_INTERVAL_SECONDS = 60.0
FETCH_TIMEOUT_SECONDS = 3.0
MAX_JWKS_BYTES = 200_000


class JwksError(Exception):
    """A JWK Set could not be loaded or holds no usable key."""


def parse_jwks(text: str) -> dict[str, jwt.PyJWK]:
    """Return {kid: key} for the signing keys of a JWK Set document."""
    try:
        keyset = jwt.PyJWKSet.from_dict(json.loads(text))
    except (ValueError, jwt.PyJWTError) as exc:
        raise JwksError(f"invalid JWK Set: {exc.__class__.__name__}") from None
    return {key.key_id: key for key in keyset.keys if key.key_id}


def fetch_jwks_text(url: str) -> str:
    """Return the body of a JWK Set URL (no redirects, size-capped, explicit timeout)."""
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT_SECONDS, allow_redirects=False, stream=True) as response:
            if response.status_code != 200:
                raise JwksError(f"JWK Set URL answered {response.status_code}")
            body = response.raw.read(MAX_JWKS_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise JwksError(f"JWK Set URL unreachable: {exc.__class__.__name__}") from None
    if len(body) > MAX_JWKS_BYTES:
        raise JwksError("JWK Set too large")
    return bytes(body).decode("utf-8", errors="replace")


class KeySource:
    """The keys of one JWK Set location (a file or a URL), with rate-limited refresh."""

    def __init__(self, *, url: str | None = None, file: str | None = None) -> None:
        if (url is None) == (file is None):
            raise JwksError("a client needs exactly one of jwks_url or jwks_file")
        self._url = url
        self._file = file
        self._keys: dict[str, jwt.PyJWK] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()
        if file is not None:
            self._keys = self._load()
            self._loaded_at = time.monotonic()

    def _load(self) -> dict[str, jwt.PyJWK]:
        """Return the keys read from the file or URL."""
        if self._file is not None:
            try:
                return parse_jwks(Path(self._file).read_text(encoding="utf-8"))
            except OSError as exc:
                raise JwksError(f"cannot read JWK Set file {self._file}: {exc.__class__.__name__}") from None
        assert self._url is not None
        return parse_jwks(fetch_jwks_text(self._url))

    def key(self, kid: str) -> jwt.PyJWK | None:
        """Return the key for `kid`, refreshing the set (rate-limited) when the kid is unknown."""
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._loaded_at >= REFRESH_INTERVAL_SECONDS:
                self._loaded_at = time.monotonic()
                try:
                    self._keys = self._load()
                except JwksError:
                    return None
            return self._keys.get(kid)
