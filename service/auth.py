"""Client authentication (CDS Hooks 2.0, "Trusting CDS Clients"): a JWT signed by the EHR on every call.

Verified: alg in {ES384, RS384} only; `kid` selects a key of the issuer's JWK Set (a `jku` only when it
is the client's own `jwks_url` or allow-listed, and read from a pinned file when the operator pinned it);
`iss` a configured client; `aud` the exact public URL called; `exp`, `iat` (with
leeway) and `jti` required; a `jti` already seen is a replay (checked in the store, shared by all
workers); `tenant` checked when configured. Every failure is a bare 401; the reason goes to the log.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
import orjson
from flask import current_app, request

from service.config import ClientSection, Config
from service.errors import Unauthorized
from service.jwks import FetchPolicy, JwksError, KeySource
from service.logs import log
from service.store import Store

ALLOWED_ALGORITHMS = ("ES384", "RS384")
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]
MAX_TOKEN_LIFETIME_SECONDS = 3600  # exp further ahead than this is refused (bounds the replay cache too)
MAX_JTI_LENGTH = 256  # the replay table's column width
MAX_TOKEN_LENGTH = 16_384


@dataclass(frozen=True)
class ClientIdentity:
    """An authenticated CDS client: its issuer and what it may ask for."""

    issuer: str
    fhir_servers: tuple[str, ...]
    tenant: str | None = None


class KeyRing:
    """The JWK Set sources of all configured clients, built once per process."""

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self._policy = policy or FetchPolicy()
        self._sources: dict[tuple[str, str], KeySource] = {}
        self._lock = threading.Lock()

    def source(self, location: str, *, is_file: bool) -> KeySource:
        """Return the (cached) key source for a JWK Set file or URL (a jwks_url or allow-listed jku)."""
        with self._lock:  # creating a source reads a file at most: no network I/O under this lock
            slot = ("file" if is_file else "url", location)
            if slot not in self._sources:
                if is_file:
                    self._sources[slot] = KeySource(file=location, policy=self._policy)
                else:
                    self._sources[slot] = KeySource(url=location, policy=self._policy)
            return self._sources[slot]


def build_fetch_policy(config: Config) -> FetchPolicy:
    """Return how JWK Set URLs are read, from the [auth] configuration."""
    auth = config.auth
    return FetchPolicy(
        timeout_seconds=auth.jwks_timeout_seconds,
        refresh_interval_seconds=auth.jwks_refresh_seconds,
        max_age_seconds=max(auth.jwks_max_age_seconds, auth.jwks_refresh_seconds),
        retry_after_failure_seconds=min(10.0, auth.jwks_refresh_seconds),
        ca_bundle=auth.jwks_ca_bundle,
        allow_http_loopback=auth.allow_http_loopback_jwks,
    )


def app_keyring(config: Config) -> KeyRing:
    """Return the current app's KeyRing (one per app, so apps in one process never share cached keys)."""
    extensions = current_app.extensions
    if "ivig_cds_keyring" not in extensions:
        extensions["ivig_cds_keyring"] = KeyRing(build_fetch_policy(config))
    ring: KeyRing = extensions["ivig_cds_keyring"]
    return ring


def warm_key_sets(config: Config) -> None:
    """Start loading every configured client's JWK Set URL in the background (in the current app).

    Called once per worker at start: a worker that has never seen a call would otherwise hold no keys,
    and could not verify even known kids while the JWK Set server is slow or down.
    """
    keyring = app_keyring(config)
    for client in config.auth.clients:
        if client.jwks_url and not client.jwks_file:
            key_source_for(client, None, keyring).warm()


def verify_client(config: Config, store: Store) -> ClientIdentity | None:
    """Return the authenticated client, None when auth is off, or raise Unauthorized (bare 401)."""
    if not config.auth.required:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        token = ""
    # The audience is the public URL of the endpoint called, never derived from the Host header.
    audience = config.service.public_base_url + request.path
    return verify_token(token.strip(), audience, config, store, app_keyring(config))


def verify_token(token: str, audience: str, config: Config, store: Store, keyring: KeyRing) -> ClientIdentity:
    """Return the client a token proves, or raise Unauthorized with the reason (logged, never sent)."""
    try:
        identity = _verify(token, audience, config, store, keyring)
    except Unauthorized as exc:
        extra = {"event": "auth-failed", "reason": exc.reason, "iss": _configured_issuer(token, config)}
        log.warning("client authentication failed", extra=extra)
        raise
    return identity


def _configured_issuer(token: str, config: Config) -> str | None:
    """Return the token's unverified `iss` when it names a configured client (else None: never echo input)."""
    if not token.isascii():
        return None
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except (jwt.PyJWTError, ValueError, AttributeError):
        return None
    return issuer if any(c.issuer == issuer for c in config.auth.clients) else None


def _verify(token: str, audience: str, config: Config, store: Store, keyring: KeyRing) -> ClientIdentity:
    """Return the verified identity; raise Unauthorized naming the failed check."""
    if not token:
        raise Unauthorized("no bearer token")
    if len(token) > MAX_TOKEN_LENGTH:
        raise Unauthorized("token too long")
    if not token.isascii():  # a compact JWS is base64url and dots only
        raise Unauthorized("token is not a JWT")
    header, unverified = _peek(token)
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALLOWED_ALGORITHMS:  # never none, never HMAC: checked before any key is looked at
        raise Unauthorized("algorithm not allowed")
    if not isinstance(kid, str) or not kid:
        raise Unauthorized("kid missing")
    client = _client_for(unverified.get("iss"), config)
    key = _signing_key(client, header, kid, alg, keyring)
    claims = _decode(token, key, alg, audience, client, config)
    if client.tenant is not None and claims.get("tenant") != client.tenant:
        raise Unauthorized("tenant mismatch")
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise Unauthorized("jti missing or malformed")
    exp = _number(claims["exp"])
    if exp > time.time() + MAX_TOKEN_LIFETIME_SECONDS:
        raise Unauthorized("token lifetime too long")
    # Keep the jti until the token can no longer pass `exp` (leeway included), else a token accepted
    # within the leeway after its expiry could be replayed once its replay record was purged.
    expires = datetime.fromtimestamp(exp + config.auth.leeway_seconds, UTC)
    if not store.save_jti_once(client.issuer, jti, expires):
        raise Unauthorized("jti replayed")
    return ClientIdentity(client.issuer, tuple(client.fhir_servers), client.tenant)


def _number(value: object) -> float:
    """Return a numeric claim PyJWT already accepted as a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unauthorized("exp is not a number")
    return float(value)


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the unverified header and claims of a compact JWS, only to pick the client and key.

    Nothing read here is trusted: PyJWT then verifies the signature, algorithm and claims. (PyJWT's own
    unverified decode costs as much again as the verified one, on every call.)
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise Unauthorized("token is not a JWT")
    try:
        header, claims = (orjson.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2])
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        raise Unauthorized("token is not a JWT") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Unauthorized("token is not a JWT")
    return header, claims


def _client_for(issuer: object, config: Config) -> ClientSection:
    """Return the configured client with this issuer."""
    for client in config.auth.clients:
        if client.issuer == issuer:
            return client
    raise Unauthorized("unknown issuer")


def _signing_key(
    client: ClientSection, header: dict[str, object], kid: str, alg: str, keyring: KeyRing
) -> jwt.PyJWK:
    """Return the key for `kid` (bound to `alg`) from the client's JWK Set, or from a trusted `jku`."""
    try:
        key = key_source_for(client, header.get("jku"), keyring).key(kid, alg)
    except JwksError as exc:
        raise Unauthorized(f"JWK Set unavailable: {exc}") from None
    if key is None:
        raise Unauthorized("unknown kid, or its key does not fit the algorithm")
    return key


def key_source_for(client: ClientSection, jku: object, keyring: KeyRing) -> KeySource:
    """Return the key source a token's `jku` (or its absence) selects for this client (raise Unauthorized)."""
    if jku is not None:
        # Compared with the trusted URLs before anything is fetched: any other jku is never contacted.
        if not isinstance(jku, str) or (jku != client.jwks_url and jku not in client.jku_allowlist):
            raise Unauthorized("jku not allow-listed")
        location = jku
    elif client.jwks_file:
        return keyring.source(client.jwks_file, is_file=True)
    elif client.jwks_url:
        location = client.jwks_url
    else:
        raise Unauthorized("client has no JWK Set")
    pinned = client.jwks_pins.get(location)
    if pinned is not None:
        return keyring.source(pinned, is_file=True)
    return keyring.source(location, is_file=False)


def _decode(
    token: str, key: jwt.PyJWK, alg: str, audience: str, client: ClientSection, config: Config
) -> dict[str, object]:
    """Return the verified claims (signature, iss, aud, exp, iat, required claims)."""
    try:
        return jwt.decode(
            token,
            key=key,
            algorithms=[alg],
            audience=audience,
            issuer=client.issuer,
            leeway=config.auth.leeway_seconds,
            options={
                "require": REQUIRED_CLAIMS,
                "verify_iat": True,
                "verify_exp": True,
                "verify_aud": True,
                "verify_iss": True,
                "enforce_minimum_key_length": True,
            },
        )
    except jwt.InvalidAudienceError:
        raise Unauthorized("wrong audience") from None
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired") from None
    except jwt.ImmatureSignatureError:
        raise Unauthorized("token issued in the future") from None
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthorized(f"claim missing: {exc.claim}") from None
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc.__class__.__name__}") from None
