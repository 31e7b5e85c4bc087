"""JWK Sets of trusted clients: cached, refreshed in the background, single-flight and rate-limited.

Only public signing members are kept (`kty`, `crv`, `x`, `y`, `n`, `e`), and a key is handed out bound to
the one algorithm the caller verified against the allow-list, and only when its type fits that algorithm
(ES384: EC P-384; RS384: RSA of at least 2048 bits) and its own `alg`, `use` and `key_ops`, when present,
agree. A key published for one algorithm can never verify a token of another (no key confusion).

Refresh never holds a lock across I/O: a kid already held is answered from the cached set at once, even
while a re-read runs or the JWK Set server never answers. An unknown kid (or a set older than its max
age) starts at most one re-read per refresh interval per set, in a background thread; the caller that
started it waits for it (at most the fetch timeout), others with unknown kids do not wait (unless no key
is held yet, as before the first load), so unknown kids never start a second re-read or pile up threads.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from service.jwks_fetch import FetchPolicy, JwksError, fetch_jwks_text

__all__ = ["FetchPolicy", "JwksError", "KeySource", "fits", "parse_jwks", "public_key"]

MIN_RSA_BITS = 2048
WARM_ATTEMPTS = 3  # reads a new worker makes of each JWK Set URL at start, until one succeeds
WAIT_MARGIN_SECONDS = 1.0  # a caller waits for a re-read at most its timeout (twice: see jwks_fetch) + this

# algorithm -> (kty, crv) a key must have to verify it
KEY_TYPES: dict[str, tuple[str, str | None]] = {"ES384": ("EC", "P-384"), "RS384": ("RSA", None)}
_PUBLIC_MEMBERS = {"EC": ("kty", "crv", "x", "y"), "RSA": ("kty", "n", "e")}

Jwk = dict[str, Any]


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


@dataclass
class _KeySet:
    """One loaded JWK Set: its keys by kid and the keys already bound to an algorithm (never mutated but
    for that bounded cache, and replaced whole on reload)."""

    keys: dict[str, list[Jwk]]
    bound: dict[tuple[str, str], jwt.PyJWK | None] = field(default_factory=dict)

    def bind(self, kid: str, alg: str) -> jwt.PyJWK | None:
        """Return key `kid` bound to `alg` (None when the kid is unknown or no key of it fits)."""
        if kid not in self.keys:
            return None
        if (kid, alg) not in self.bound:  # bounded: only kids of the set are cached
            candidates = (public_key(jwk, alg) for jwk in self.keys[kid])
            self.bound[(kid, alg)] = next((k for k in candidates if k is not None), None)
        return self.bound[(kid, alg)]


class KeySource:
    """The keys of one JWK Set location (a file or a URL), re-read in the background (single-flight)."""

    def __init__(
        self, *, url: str | None = None, file: str | None = None, policy: FetchPolicy | None = None
    ) -> None:
        if (url is None) == (file is None):
            raise JwksError("a key source needs exactly one of a URL or a file")
        self._url = url
        self._file = file
        self._policy = policy or FetchPolicy()
        self._set = _KeySet({})
        self._error: str | None = None
        self._loaded_at = float("-inf")
        self._next_load = float("-inf")
        self._inflight: threading.Event | None = None
        self._lock = threading.Lock()  # guards the scheduling fields above; never held across I/O
        self.fetches = 0  # re-reads started (observable by tests and metrics)
        if file is not None:
            self._refresh(self._begin_refresh() or threading.Event())

    def warm(self, attempts: int = WARM_ATTEMPTS) -> None:
        """Load a URL's set in the background, so a new worker holds keys before its first call.

        A failed first read is tried again (`attempts` in all, spaced by the retry-after-failure time)
        while no key is held; calls never wait for this.
        """
        if self._url is not None and not self._set.keys:
            threading.Thread(target=self._warm, args=(attempts,), name="jwks-warm", daemon=True).start()

    def _warm(self, attempts: int) -> None:
        """Try to load the set until a key is held or `attempts` reads were made."""
        for _ in range(attempts):
            pending, _started = self._start_refresh()
            if pending is not None:
                pending.wait(2 * self._policy.timeout_seconds + WAIT_MARGIN_SECONDS)
            if self._set.keys:
                return
            time.sleep(self._policy.retry_after_failure_seconds)

    def key(self, kid: str, alg: str) -> jwt.PyJWK | None:
        """Return key `kid` bound to `alg`, or None; raise JwksError when the set never loaded."""
        current = self._set
        if kid in current.keys:
            if self._is_stale():
                self._start_refresh()  # in the background: the held key answers now
            return current.bind(kid, alg)
        pending, started_here = self._start_refresh()
        # Only the caller that started the re-read waits for it (or everyone, while nothing is held):
        # unknown kids can tie up at most one thread per key set per interval.
        if pending is not None and (started_here or not current.keys):
            pending.wait(2 * self._policy.timeout_seconds + WAIT_MARGIN_SECONDS)
        current = self._set
        if not current.keys and self._error is not None:
            raise JwksError(self._error)
        return current.bind(kid, alg)

    def _is_stale(self) -> bool:
        """Return True when a URL's set is older than its max age."""
        return self._url is not None and time.monotonic() - self._loaded_at >= self._policy.max_age_seconds

    def _begin_refresh(self) -> threading.Event | None:
        """Return a new in-flight marker when a re-read may start now (else None: one runs, or too soon)."""
        with self._lock:
            now = time.monotonic()
            if self._inflight is not None or now < self._next_load:
                return None
            self._next_load = now + self._policy.refresh_interval_seconds
            self._inflight = threading.Event()
            self.fetches += 1
            return self._inflight

    def _start_refresh(self) -> tuple[threading.Event | None, bool]:
        """Return the event of the re-read in flight (starting one if allowed; None when rate-limited)
        and whether this call started it."""
        started = self._begin_refresh()
        if started is None:
            with self._lock:
                return self._inflight, False
        worker = threading.Thread(target=self._refresh, args=(started,), name="jwks-refresh", daemon=True)
        worker.start()
        return started, True

    def _refresh(self, done: threading.Event) -> None:
        """Re-read the set; on failure keep the keys held and remember why."""
        started = time.monotonic()
        try:
            keys = self._load()
        except JwksError as exc:
            with self._lock:
                self._error = str(exc)
                if not self._set.keys:  # nothing to serve: try again sooner
                    retry = started + self._policy.retry_after_failure_seconds
                    self._next_load = min(self._next_load, retry)
        else:
            with self._lock:
                self._set, self._error, self._loaded_at = _KeySet(keys), None, started
        finally:
            with self._lock:
                self._inflight = None
            done.set()

    def _load(self) -> dict[str, list[Jwk]]:
        """Return the keys read from the file or URL."""
        if self._file is not None:
            try:
                return parse_jwks(Path(self._file).read_text(encoding="utf-8"))
            except OSError as exc:
                raise JwksError(f"cannot read JWK Set file {self._file}: {exc.__class__.__name__}") from None
        assert self._url is not None
        return parse_jwks(fetch_jwks_text(self._url, self._policy))
