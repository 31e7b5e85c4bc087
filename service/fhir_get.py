"""GETs for the FHIR client over `requests`, with the call's deadline enforced on top.

`requests` bounds each socket read by a timeout, but a server that sends one byte within every
timeout can hold a body read for as long as it likes. So each GET streams its body in chunks under
a watchdog: when the call's budget is spent it shuts down the response's socket, the blocked `recv`
returns at once, and the read ends (as a timeout) at the call's deadline. One watchdog thread per
process serves every GET (a heap of deadlines): a timer thread per GET cost about 0.2 ms of CPU to
start and stop, a sixth of what the GET itself costs (measured).

One `requests.Session` per thread keeps connections alive; no redirects, no proxies from the
environment, no cookies kept, no compression (so the size cap counts the bytes on the wire).
"""

from __future__ import annotations

import heapq
import http.cookiejar
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable

import requests
import urllib3.connection
import urllib3.exceptions
from requests.adapters import HTTPAdapter

_READ_CHUNK = 65536
Remaining = Callable[[], float]


class BodyTooLarge(Exception):
    """The answer's body is over the size cap."""


class _RefuseAll(http.cookiejar.DefaultCookiePolicy):
    """A cookie policy that keeps no cookie."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        """Return False: no cookie is kept."""
        return False


_local = threading.local()


class _Watched:
    """The connection a GET is using, for its watchdog to shut down once the budget is spent."""

    def __init__(self) -> None:
        self.conn: urllib3.connection.HTTPConnection | None = None
        self.fired = threading.Event()
        self._lock = threading.Lock()
        self._finished = False

    def shut(self) -> None:
        """Shut down the connection's socket so a blocked recv on it returns at once (not once finished)."""
        with self._lock:
            if self._finished:
                return
            self.fired.set()
            sock = getattr(self.conn, "sock", None)
            if isinstance(sock, socket.socket):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def finish(self) -> None:
        """Mark the GET over: its connection may serve the thread's next GET and must not be shut."""
        with self._lock:
            self._finished = True


class _Watchdog:
    """One thread per process that shuts down the sockets of GETs still running at their deadline."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._due: list[tuple[float, int, _Watched]] = []  # a heap of (deadline, order, GET)
        self._order = itertools.count()
        self._pid: int | None = None

    def watch(self, watched: _Watched, seconds: float) -> None:
        """Shut `watched` down `seconds` from now unless it has finished by then."""
        entry = (time.monotonic() + seconds, next(self._order), watched)
        with self._wake:
            if self._pid != os.getpid():  # first use in this process (threads do not survive a fork)
                self._pid, self._due = os.getpid(), []
                threading.Thread(target=self._run, name="fhir-read-watchdog", daemon=True).start()
            heapq.heappush(self._due, entry)
            if self._due[0] is entry:
                self._wake.notify()

    def _run(self) -> None:
        """Shut down each GET whose deadline has come, sleeping until the next one."""
        with self._wake:
            while True:
                now = time.monotonic()
                while self._due and self._due[0][0] <= now:
                    heapq.heappop(self._due)[2].shut()
                self._wake.wait(self._due[0][0] - now if self._due else None)


_watchdog = _Watchdog()


def _note(conn: urllib3.connection.HTTPConnection) -> None:
    """Record `conn` as the connection of this thread's current GET."""
    watched: _Watched | None = getattr(_local, "watched", None)
    if watched is not None:
        watched.conn = conn


class _HttpConn(urllib3.connection.HTTPConnection):
    def request(self, *args: object, **kwargs: object) -> None:
        _note(self)
        super().request(*args, **kwargs)  # type: ignore[arg-type]


class _HttpsConn(urllib3.connection.HTTPSConnection):
    def request(self, *args: object, **kwargs: object) -> None:
        _note(self)
        super().request(*args, **kwargs)  # type: ignore[arg-type]


class _Adapter(HTTPAdapter):
    """An adapter whose connections tell the current GET's watchdog which socket to shut."""

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        for scheme, cls in (("http", _HttpConn), ("https", _HttpsConn)):
            pool_cls = self.poolmanager.pool_classes_by_scheme[scheme]
            self.poolmanager.pool_classes_by_scheme[scheme] = type(
                f"Watched{pool_cls.__name__}", (pool_cls,), {"ConnectionCls": cls}
            )


def _session() -> requests.Session:
    """Return this thread's session (made on first use, so after any fork)."""
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        session.cookies.set_policy(_RefuseAll())
        session.mount("http://", _Adapter())
        session.mount("https://", _Adapter())
        _local.session = session
    return session


def _budget(timeout: float, remaining: Remaining) -> float:
    """Return the next timeout: the per-read one within the budget left; TimeoutError once spent."""
    left = remaining()
    if left <= 0:
        raise TimeoutError("the call's time budget is spent")
    return min(timeout, left)


def fetch_get(
    url: str, headers: dict[str, str], *, timeout: float, remaining: Remaining, max_bytes: int
) -> tuple[int, bytes]:
    """Return (status, body) of a GET; the body is read only for 200, and only up to `max_bytes`.

    Raises TimeoutError (timeout or budget), BodyTooLarge, OSError, requests' or urllib3's errors.
    """
    limit = _budget(timeout, remaining)
    watched = _Watched()
    _local.watched = watched
    _watchdog.watch(watched, max(0.0, remaining()))
    try:
        return _get(url, headers, limit, max_bytes)
    except (requests.Timeout, urllib3.exceptions.ReadTimeoutError):
        raise TimeoutError("FHIR read timed out") from None
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
        if watched.fired.is_set() or remaining() <= 0:
            raise TimeoutError("the call's time budget is spent") from None
        raise
    finally:
        watched.finish()
        _local.watched = None


def _get(url: str, headers: dict[str, str], limit: float, max_bytes: int) -> tuple[int, bytes]:
    """Send the GET and read a 200's body; close the response, dropping its connection on error."""
    resp = _session().get(
        url,
        headers={**headers, "Accept-Encoding": "identity"},
        timeout=(limit, limit),
        stream=True,
        allow_redirects=False,
    )
    try:
        if resp.status_code != 200:
            return resp.status_code, b""
        return 200, _read_body(resp, max_bytes)
    except BaseException:
        _drop(resp)
        raise
    finally:
        resp.close()


def _read_body(resp: requests.Response, max_bytes: int) -> bytes:
    """Return the whole body, refusing one over `max_bytes` as soon as that is known."""
    length = resp.headers.get("Content-Length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise BodyTooLarge
    body = bytearray()
    for chunk in resp.raw.stream(_READ_CHUNK, decode_content=False):
        body.extend(chunk)
        if len(body) > max_bytes:
            raise BodyTooLarge
    return bytes(body)


def _drop(resp: requests.Response) -> None:
    """Close the response's connection instead of returning it to the pool (it may be half-read)."""
    conn = getattr(resp.raw, "_connection", None) or getattr(resp.raw, "connection", None)
    close = getattr(conn, "close", None)
    if callable(close):
        close()
