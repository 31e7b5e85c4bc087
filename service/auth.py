"""Client authentication (CDS Hooks 2.0, "Trusting CDS Clients"): a JWT signed by the EHR on every call.

Verified: alg in {ES384, RS384} only; `kid` selects a key of the issuer's JWK Set (`jku` only if
allow-listed); `iss` a configured client; `aud` the exact public URL called; `exp`, `iat` (with
leeway) and `jti` required; a `jti` already seen is a replay (checked in the store, shared by all
workers); `tenant` checked when configured. Every failure is a bare 401; the reason goes to the log.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from flask import request

from service.config import ClientSection, Config
from service.errors import Unauthorized
from service.jwks import JwksError, KeySource
from service.logs import log
from service.store import Store

ALLOWED_ALGORITHMS = ("ES384", "RS384")
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]


@dataclass(frozen=True)
class ClientIdentity:
    """An authenticated CDS client: its issuer and what it may ask for."""

    issuer: str
    fhir_servers: tuple[str, ...]
    tenant: str | None = None


class KeyRing:
    """The JWK Set sources of all configured clients, built once per process."""

    def __init__(self) -> None:
        self._sources: dict[str, KeySource] = {}
        self._lock = threading.Lock()

    def source(self, location: str, *, is_file: bool) -> KeySource:
        """Return the (cached) key source for a jwks_url, jwks_file or allow-listed jku."""
        with self._lock:
            if location not in self._sources:
                kwargs = {"file": location} if is_file else {"url": location}
                self._sources[location] = KeySource(**kwargs)
            return self._sources[location]


_KEYRING = KeyRing()


def verify_client(config: Config, store: Store) -> ClientIdentity | None:
    """Return the authenticated client, None when auth is off, or raise Unauthorized (bare 401)."""
    if not config.auth.required:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token")
    audience = config.service.public_base_url + request.path
    return verify_token(token.strip(), audience, config, store)


def verify_token(token: str, audience: str, config: Config, store: Store) -> ClientIdentity:
    """Return the client a token proves, or raise Unauthorized with the reason (logged, never sent)."""
    try:
        identity = _verify(token, audience, config, store)
    except Unauthorized as exc:
        log.warning("client authentication failed", extra={"event": "auth-failed", "reason": exc.reason})
        raise
    return identity


def _verify(token: str, audience: str, config: Config, store: Store) -> ClientIdentity:
    """Return the verified identity; raise Unauthorized naming the failed check."""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise Unauthorized("token is not a JWT") from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALLOWED_ALGORITHMS:
        raise Unauthorized("algorithm not allowed")
    if not isinstance(kid, str):
        raise Unauthorized("kid missing")
    client = _client_for(unverified.get("iss"), config)
    key = _signing_key(client, header, kid)
    if key.algorithm_name != alg:
        raise Unauthorized("key does not match the token's algorithm")
    claims = _decode(token, key, alg, audience, client, config)
    if client.tenant is not None and claims.get("tenant") != client.tenant:
        raise Unauthorized("tenant mismatch")
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise Unauthorized("jti missing")
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    if not store.save_jti_once(client.issuer, claims["jti"], expires):
        raise Unauthorized("jti replayed")
    return ClientIdentity(client.issuer, tuple(client.fhir_servers), client.tenant)


def _client_for(issuer: object, config: Config) -> ClientSection:
    """Return the configured client with this issuer."""
    for client in config.auth.clients:
        if client.issuer == issuer:
            return client
    raise Unauthorized("unknown issuer")


def _signing_key(client: ClientSection, header: dict[str, object], kid: str) -> jwt.PyJWK:
    """Return the key for `kid` from the client's JWK Set, or from an allow-listed `jku`."""
    jku = header.get("jku")
    try:
        if jku is not None:
            if not isinstance(jku, str) or jku not in client.jku_allowlist:
                raise Unauthorized("jku not allow-listed")
            source = _KEYRING.source(jku, is_file=False)
        elif client.jwks_file:
            source = _KEYRING.source(client.jwks_file, is_file=True)
        elif client.jwks_url:
            source = _KEYRING.source(client.jwks_url, is_file=False)
        else:
            raise Unauthorized("client has no JWK Set")
        key = source.key(kid)
    except JwksError as exc:
        raise Unauthorized(f"JWK Set unavailable: {exc}") from None
    if key is None:
        raise Unauthorized("unknown kid")
    return key


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
            options={"require": REQUIRED_CLAIMS, "verify_iat": True},
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
