"""Which `fhirServer` values the service will connect to (server-side request forgery guard).

With authentication on, a request's `fhirServer` must be on the authenticated client's `fhir_servers`
list. With authentication off (local development) any server is allowed except link-local and
private addresses given as IP literals. Either way https is required except for loopback hosts, and
the check runs before any connection is made.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from service.auth import ClientIdentity
from service.config import Config
from service.errors import Forbidden


def check_fhir_server(url: str, client: ClientIdentity | None, config: Config) -> None:
    """Raise Forbidden unless the service may read `url` for this client."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise Forbidden("fhir-server-invalid", "fhirServer must be an absolute http(s) URL without credentials")
    loopback = is_loopback(host)
    if parts.scheme != "https" and not (loopback and config.fhir.allow_insecure_loopback):
        raise Forbidden("fhir-server-insecure", "fhirServer must use https")
    if client is not None:
        allowed = {server.rstrip("/") for server in client.fhir_servers}
        if url.rstrip("/") not in allowed:
            raise Forbidden("fhir-server-not-allowed", "fhirServer is not on this client's allow-list")
    elif _is_internal_literal(host):
        raise Forbidden("fhir-server-not-allowed", "fhirServer is a private or link-local address")


def is_loopback(host: str) -> bool:
    """Return True for localhost and loopback IP literals."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_internal_literal(host: str) -> bool:
    """Return True when `host` is an IP literal in a private, link-local, reserved or multicast range."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if address.is_loopback:
        return False
    return address.is_private or address.is_link_local or address.is_reserved or address.is_multicast
