"""Which `fhirServer` values the service will connect to (server-side request forgery guard).

With authentication on, a request's `fhirServer` must be on the authenticated client's `fhir_servers`
list. With authentication off (local development) any server is allowed except private, link-local,
reserved and multicast addresses, given as IP literals or reached through the name's DNS answer.
Either way: https is required except for loopback hosts, link-local addresses (cloud metadata) and
IPv4 in shorthand or numeric forms (`2852039166`, `0x7f.1`) are always refused, and the check runs
before any connection is made.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

from service.auth import ClientIdentity
from service.config import Config
from service.errors import Forbidden

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_INVALID = "fhirServer must be an absolute http(s) URL without credentials"


def check_fhir_server(url: str, client: ClientIdentity | None, config: Config) -> None:
    """Raise Forbidden unless the service may read `url` for this client."""
    parts = _split(url)
    host = parts.hostname or ""
    if is_obscure_ipv4(host):
        raise Forbidden("fhir-server-invalid", "fhirServer host must be a name or a dotted-quad IP address")
    literal = _ip_literal(host)
    if literal is not None and _is_link_local(literal):
        raise Forbidden("fhir-server-not-allowed", "fhirServer is a link-local address")
    loopback = is_loopback(host)
    if parts.scheme != "https" and not (loopback and config.fhir.allow_insecure_loopback):
        raise Forbidden("fhir-server-insecure", "fhirServer must use https")
    if client is not None:
        allowed = {server.rstrip("/") for server in client.fhir_servers}
        if url.rstrip("/") not in allowed:
            raise Forbidden("fhir-server-not-allowed", "fhirServer is not on this client's allow-list")
        return
    addresses = [literal] if literal is not None else _resolve(host)
    if any(_is_internal(address) for address in addresses):
        raise Forbidden("fhir-server-not-allowed", "fhirServer is a private or link-local address")


def _split(url: str) -> SplitResult:
    """Return the parts of an absolute http(s) URL without credentials, or raise Forbidden."""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
        parts = urlsplit("invalid:")
    credentials = "@" in parts.netloc or "\\" in url
    if not port_ok or parts.scheme not in ("https", "http") or not parts.hostname or credentials:
        raise Forbidden("fhir-server-invalid", _INVALID)
    return parts


def is_loopback(host: str) -> bool:
    """Return True for localhost and loopback IP literals."""
    if host == "localhost":
        return True
    address = _ip_literal(host)
    return address is not None and address.is_loopback


def is_obscure_ipv4(host: str) -> bool:
    """Return True for IPv4 written other than as a dotted quad (resolvers accept `127.1`, `0x7f.0.0.1`)."""
    if _ip_literal(host) is not None:
        return False
    try:
        socket.inet_aton(host)
    except (OSError, ValueError):
        return False
    return True


def _ip_literal(host: str) -> Address | None:
    """Return the address when `host` is an IP literal (IPv6 zone ids stripped), else None."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def _unmapped(address: Address) -> Address:
    """Return the IPv4 address inside an IPv4-mapped IPv6 address, else the address itself."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_link_local(address: Address) -> bool:
    """Return True for link-local addresses (169.254/16, fe80::/10), where cloud metadata lives."""
    return _unmapped(address).is_link_local


def _is_internal(address: Address) -> bool:
    """Return True for private, link-local, reserved, unspecified or multicast addresses (not loopback)."""
    address = _unmapped(address)
    if address.is_loopback:
        return False
    return (
        address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def _resolve(host: str) -> list[Address]:
    """Return the addresses `host` resolves to (empty when it does not resolve: the read then fails)."""
    if host == "localhost":
        return []
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    found = (_ip_literal(str(info[4][0])) for info in infos)
    return [address for address in found if address is not None]
