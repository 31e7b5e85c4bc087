"""A FHIR R4 read client: timeouts, a time budget enforced on the socket, same-origin paging, a size cap.

Errors form one hierarchy (`FhirError`), each carrying the URL path read (never the token or query
values, which may identify the patient).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson
import requests
import urllib3.exceptions

from service.fhir_get import BodyTooLarge, fetch_get

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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._max_pages = max_pages
        self._max_bytes = max_bytes

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
        if deadline.remaining() <= 0:
            raise FhirTimeout("time budget exhausted", path)
        headers = {"Accept": _ACCEPT}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            status, body = fetch_get(
                url, headers, timeout=self._timeout, remaining=deadline.remaining, max_bytes=self._max_bytes
            )
        except TimeoutError:
            raise FhirTimeout("FHIR server did not answer within the time budget", path) from None
        except BodyTooLarge:
            raise FhirGarbage("FHIR response over the size cap", path) from None
        except (OSError, requests.RequestException, urllib3.exceptions.HTTPError):
            raise FhirUnreachable("FHIR server unreachable or broke off its answer", path) from None
        return _decode(status, body, path)


def _decode(status: int, body: bytes, path: str) -> dict[str, Any] | None:
    """Return the decoded body of an answer, enforcing status and shape."""
    if status in (404, 410):
        return None
    if status != 200:
        raise FhirStatusError(f"FHIR server answered {status}", path, status)
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
