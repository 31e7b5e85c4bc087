"""The FHIR read pool of one worker process: a small pool of threads per FHIR server origin.

A pool shared by every origin can be filled by one slow server, and then calls that read a healthy
server wait for threads they never get. Here each origin (scheme, host, port) gets its own
`per_origin` threads (`fhir.max_concurrency`), so a bad server only queues the reads of calls to that
server, and every read still ends at its call's deadline (service/fhir_get.py). At most
`max_origins` pools are kept; the least recently used one is shut down (its threads finish their
current read, bounded by the deadline, and exit).
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

MAX_ORIGINS = 16
T = TypeVar("T")
Origin = tuple[str, str, int]


def origin_of(url: str) -> Origin:
    """Return (scheme, host, port) of an http(s) URL, the port made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or ""), parts.port or (443 if scheme == "https" else 80)


class ReadPool:
    """Threads for concurrent FHIR reads, `per_origin` of them for each FHIR server origin."""

    def __init__(self, per_origin: int, max_origins: int = MAX_ORIGINS) -> None:
        self._per_origin = per_origin
        self._max_origins = max_origins
        self._pools: OrderedDict[Origin, cf.ThreadPoolExecutor] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, base_url: str, fn: Callable[..., T], *args: object) -> cf.Future[T]:
        """Run `fn(*args)` on a thread of the pool of `base_url`'s origin."""
        return self._pool_for(origin_of(base_url)).submit(fn, *args)

    def _pool_for(self, origin: Origin) -> cf.ThreadPoolExecutor:
        """Return the origin's pool, created on first use; drop the least recently used beyond the cap."""
        with self._lock:
            pool = self._pools.pop(origin, None)
            if pool is None:
                pool = cf.ThreadPoolExecutor(
                    max_workers=self._per_origin, thread_name_prefix=f"fhir-read-{origin[1]}:{origin[2]}"
                )
            self._pools[origin] = pool
            while len(self._pools) > self._max_origins:
                self._pools.popitem(last=False)[1].shutdown(wait=False, cancel_futures=True)
            return pool

    def shutdown(self) -> None:
        """Stop every pool without waiting (reads in flight end at their deadline)."""
        with self._lock:
            for pool in self._pools.values():
                pool.shutdown(wait=False, cancel_futures=True)
            self._pools.clear()
