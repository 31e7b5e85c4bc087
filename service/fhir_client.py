"""A FHIR R4 read client over `requests`: explicit timeouts, a time budget, same-origin paging, a size cap.

Errors form one hierarchy (`FhirError`), each carrying the URL path read (never the token or query
values, which may identify the patient).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter

_ACCEPT = "application/fhir+json, application/json;q=0.9"


class FhirError(Exception):
    """A FHIR read failed; `path` names the resource type read (no query, no ids)."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(f"{message} ({path})")
        self.reason = message
        self.path = path


class FhirTimeout(FhirError):
    """The server did not answer within the timeout or the call's budget."""


class FhirUnreachable(FhirError):
    """The server could not be reached (connection refused, DNS, TLS)."""


class FhirStatusError(FhirError):
    """The server answered with an error status (other than 404)."""

    def __init__(self, message: str, path: str, status: int) -> None:
        super().__init__(message, path)
        self.status = status


class FhirGarbage(FhirError):
    """The server's answer was not a FHIR JSON resource, was too large, or paged off-origin."""


@dataclass(frozen=True)
class Deadline:
    """A point in monotonic time by which all reads of one hook call must be done."""

    at: float
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """Return the deadline `seconds` from now."""
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Return the seconds left (never negative)."""
        return max(0.0, self.at - self.clock())


def _origin(url: str) -> tuple[str, str, int | None]:
    """Return (scheme, host, port) of a URL."""
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or ""), parts.port


def resource_type_of(relative: str) -> str:
    """Return the resource type a relative read or search names, for messages and logs (no ids)."""
    return relative.lstrip("/").split("?", 1)[0].split("/", 1)[0] or "(root)"


class FhirClient:
    """Reads one FHIR server with a bearer token; the token is never shown in repr or messages."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float,
        max_pages: int,
        max_bytes: int,
        session_factory: Callable[[], requests.Session] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._max_pages = max_pages
        self._max_bytes = max_bytes
        self._session = (session_factory or shared_session)()

    def __repr__(self) -> str:
        return f"FhirClient(base_url={self.base_url!r}, token={'***' if self._token else None})"

    def fetch_query(self, relative: str, deadline: Deadline) -> dict[str, Any] | None:
        """Return the resource at `relative` (a read or a search, pages merged); None on 404."""
        url = f"{self.base_url}/{relative.lstrip('/')}"
        first = self._get_json(url, resource_type_of(relative), deadline)
        if first is None or first.get("resourceType") != "Bundle":
            return first
        return self._follow_pages(first, url, deadline)

    def _follow_pages(self, bundle: dict[str, Any], url: str, deadline: Deadline) -> dict[str, Any]:
        """Return `bundle` with the entries of its `next` pages appended, within the page cap."""
        entries = list(bundle.get("entry") or [])
        page, pages = bundle, 1
        while (next_url := _next_link(page)) is not None and pages < self._max_pages:
            next_url = urljoin(url, next_url)
            if _origin(next_url) != _origin(self.base_url) or not next_url.startswith(self.base_url + "/"):
                raise FhirGarbage("paging link leaves the FHIR server", "Bundle")
            nxt = self._get_json(next_url, "Bundle", deadline)
            if nxt is None or nxt.get("resourceType") != "Bundle":
                raise FhirGarbage("paging link did not return a Bundle", "Bundle")
            entries.extend(nxt.get("entry") or [])
            page, pages = nxt, pages + 1
        merged = {k: v for k, v in bundle.items() if k not in ("entry", "link")}
        merged["entry"] = entries
        return merged

    def _get_json(self, url: str, path: str, deadline: Deadline) -> dict[str, Any] | None:
        """Return the JSON resource at `url`; None on 404; raise FhirError (naming `path`) otherwise."""
        remaining = deadline.remaining()
        if remaining <= 0:
            raise FhirTimeout("time budget exhausted", path)
        headers = {"Accept": _ACCEPT}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        timeout = min(self._timeout, remaining)
        try:
            with self._session.get(
                url, headers=headers, timeout=(timeout, timeout), allow_redirects=False, stream=True
            ) as response:
                return self._decode(response, path, deadline)
        except requests.Timeout:
            raise FhirTimeout("FHIR server timed out", path) from None
        except requests.RequestException:
            raise FhirUnreachable("FHIR server unreachable", path) from None

    def _decode(self, response: requests.Response, path: str, deadline: Deadline) -> dict[str, Any] | None:
        """Return the decoded body of a response, enforcing status, size and shape."""
        if response.status_code == 404 or response.status_code == 410:
            return None
        if response.status_code != 200:
            raise FhirStatusError(f"FHIR server answered {response.status_code}", path, response.status_code)
        body = bytearray()
        for chunk in response.iter_content(chunk_size=65536):
            body.extend(chunk)
            if len(body) > self._max_bytes:
                raise FhirGarbage("FHIR response over the size cap", path)
            if deadline.remaining() <= 0:
                raise FhirTimeout("time budget exhausted while reading", path)
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise FhirGarbage("FHIR server returned a body that is not JSON", path) from None
        if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
            raise FhirGarbage("FHIR server returned JSON that is not a resource", path)
        return data


def _next_link(bundle: dict[str, Any]) -> str | None:
    """Return the `next` link of a searchset page, if any."""
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


_local = threading.local()


def shared_session() -> requests.Session:
    """Return this thread's pooled Session (connection reuse across calls, one per thread)."""
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # no state across calls
        adapter = HTTPAdapter(pool_connections=8, pool_maxsize=8, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        _local.session = session
    return session
