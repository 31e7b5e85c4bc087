"""HTTP/1.1 GETs for the FHIR client, with the call's deadline enforced on every socket operation.

`requests` bounds each socket read by a timeout, but a server that sends one byte within every
timeout can hold a read for as long as it likes. Here every `recv` of a response (status line,
headers, body) gets the smaller of the per-operation timeout and what is left of the call's budget,
and raises `TimeoutError` once the budget is spent; the connect and the send get the same bound.
So a read ends at the call's deadline whatever the server does, and its pool thread is free again.

Connections are kept alive per thread and origin (a few origins a thread, least recently used closed
first) and are dropped after any error, so a half-read answer is never reused. No redirects, no
proxies, no cookies, no compression (so the size cap counts the bytes that are decoded).
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import ssl
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import certifi

MAX_ORIGINS_PER_THREAD = 8  # kept-alive connections one pool thread holds (one per FHIR server origin)
_READ_CHUNK = 65536

Origin = tuple[str, str, int]
Remaining = Callable[[], float]


class BodyTooLarge(Exception):
    """The answer's body is over the size cap."""


@dataclass(frozen=True)
class _Limit:
    """How long one socket operation may take: the per-operation timeout, within the budget left.

    It also holds the readers made for the GET, so each is closed when the GET ends, however it ends.
    """

    timeout: float
    remaining: Remaining
    readers: list[io.RawIOBase] = field(default_factory=list)

    def next_timeout(self) -> float:
        """Return the timeout of the next socket operation; raise TimeoutError once the budget is spent."""
        left = self.remaining()
        if left <= 0:
            raise TimeoutError("the call's time budget is spent")
        return min(self.timeout, left)


_LIMIT: ContextVar[_Limit] = ContextVar("fhir_read_limit")


class _DeadlineReader(io.RawIOBase):
    """The response's view of the socket: each `recv` bounded by the current read's limit."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, limit: _Limit) -> None:
        super().__init__()
        self._raw = raw  # the socket's own reader: it keeps the socket open while the response reads
        self._sock = sock
        self._limit = limit

    def readable(self) -> bool:
        """Return True: this is a reader."""
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int | None:  # type: ignore[override]
        """Read into `buffer` within the per-operation timeout and the budget left."""
        self._sock.settimeout(self._limit.next_timeout())
        return self._raw.readinto(buffer)

    def close(self) -> None:
        """Close the socket's reader too (the socket itself closes once its connection lets go)."""
        self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """An HTTPResponse that reads its socket through a _DeadlineReader."""

    def __init__(
        self, sock: socket.socket, debuglevel: int = 0, method: str | None = None, url: str | None = None
    ) -> None:
        super().__init__(sock, debuglevel, method, url)
        raw = self.fp.detach()  # the socket reader http.client made, unbuffered; ours wraps it
        limit = _LIMIT.get()
        reader = _DeadlineReader(raw, sock, limit)
        limit.readers.append(reader)
        self.fp = io.BufferedReader(reader, _READ_CHUNK)


class _Connection(http.client.HTTPConnection):
    response_class = _DeadlineResponse

    def __del__(self) -> None:
        self.close()  # a pool thread that ends drops its kept-alive connections: close, do not leak


class _TlsConnection(http.client.HTTPSConnection):
    response_class = _DeadlineResponse

    def __del__(self) -> None:
        self.close()


_local = threading.local()
_tls_context: ssl.SSLContext | None = None


def _tls() -> ssl.SSLContext:
    """Return the TLS context of FHIR reads (certifi's CA bundle, as requests uses; hostname checked)."""
    global _tls_context
    if _tls_context is None:
        _tls_context = ssl.create_default_context(cafile=certifi.where())
    return _tls_context


def _connections() -> OrderedDict[Origin, http.client.HTTPConnection]:
    """Return this thread's kept-alive connections by origin."""
    conns: OrderedDict[Origin, http.client.HTTPConnection] | None = getattr(_local, "conns", None)
    if conns is None:
        conns = OrderedDict()
        _local.conns = conns
    return conns


def _connection(origin: Origin, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
    """Return this thread's connection to `origin` and whether it was kept alive from an earlier read."""
    conns = _connections()
    conn = conns.pop(origin, None)
    reused = conn is not None and conn.sock is not None
    if conn is not None and conn.sock is not None and _dropped(conn.sock):
        conn.close()
        reused = False
    if conn is None:
        scheme, host, port = origin
        if scheme == "https":
            conn = _TlsConnection(host, port, timeout=timeout, context=_tls())
        else:
            conn = _Connection(host, port, timeout=timeout)
    conns[origin] = conn
    while len(conns) > MAX_ORIGINS_PER_THREAD:
        conns.popitem(last=False)[1].close()
    return conn, reused


def _dropped(sock: socket.socket) -> bool:
    """Return whether an idle kept-alive socket was closed by the server (readable means EOF or junk)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _discard(origin: Origin) -> None:
    """Close and forget this thread's connection to `origin`."""
    conn = _connections().pop(origin, None)
    if conn is not None:
        conn.close()


def origin_of(url: str) -> Origin:
    """Return (scheme, host, port) of an http(s) URL, the port made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or ""), parts.port or (443 if scheme == "https" else 80)


def fetch_get(
    url: str, headers: dict[str, str], *, timeout: float, remaining: Remaining, max_bytes: int
) -> tuple[int, bytes]:
    """Return (status, body) of a GET; the body is read only for 200, and only up to `max_bytes`.

    Raises TimeoutError (timeout or budget), BodyTooLarge, OSError or http.client.HTTPException.
    """
    origin = origin_of(url)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    limit = _Limit(timeout, remaining)
    token = _LIMIT.set(limit)
    try:
        return _get_once(origin, target, headers, limit, max_bytes, retry=True)
    except BaseException:
        _discard(origin)
        raise
    finally:
        _LIMIT.reset(token)
        for reader in limit.readers:
            reader.close()


def _get_once(
    origin: Origin, target: str, headers: dict[str, str], limit: _Limit, max_bytes: int, *, retry: bool
) -> tuple[int, bytes]:
    """Send the GET on a (kept-alive) connection; retry once on a fresh one if a kept one was stale."""
    conn, reused = _connection(origin, limit.next_timeout())
    conn.timeout = limit.next_timeout()
    if conn.sock is not None:
        conn.sock.settimeout(conn.timeout)
    try:
        conn.request("GET", target, headers=headers)
        response = conn.getresponse()
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        if not (reused and retry):
            raise
        _discard(origin)
        return _get_once(origin, target, headers, limit, max_bytes, retry=False)
    if response.status != 200:
        response.close()
        _discard(origin)
        return response.status, b""
    return 200, _read_body(response, max_bytes)


def _read_body(response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    """Return the whole body, refusing one over `max_bytes` as soon as that is known."""
    if response.length is not None and response.length > max_bytes:
        raise BodyTooLarge
    body = bytearray()
    while chunk := response.read1(_READ_CHUNK):
        body.extend(chunk)
        if len(body) > max_bytes:
            raise BodyTooLarge
    if response.length:  # the server closed before the Content-Length it announced
        raise http.client.IncompleteRead(bytes(body), response.length)
    response.close()  # done with this answer; the connection stays open for the next read
    return bytes(body)
