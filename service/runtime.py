"""Per-process state shared by every request: the `Runtime` and `runtime()` (as flaskr's db.py owns get_db).

The app factory builds one Runtime and stores it on the app; blueprints and adapters read it through
`runtime()` and never import the factory, so the import graph has no cycle.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from dataclasses import dataclass, field

from flask import Flask, current_app

from cds_hooks.registry import ServiceRegistry
from service.audit import AuditTrail
from service.config import Config
from service.read_pool import ReadPool
from service.store import Store

_EXTENSION = "ivig_cds"


@dataclass
class Runtime:
    """What every request of this process shares: configuration, services, store, FHIR read pool."""

    config: Config
    registry: ServiceRegistry
    store: Store
    rules_version: str | None
    audit: AuditTrail
    pseudonym_key: bytes = field(repr=False)
    _executor: ReadPool | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def executor(self) -> ReadPool:
        """Return this process's FHIR read pool, bounded per origin (created after any fork)."""
        with self._lock:
            if self._executor is None:
                self._executor = ReadPool(per_origin=self.config.fhir.max_concurrency)
            return self._executor

    def pseudonym(self, patient_id: str) -> str:
        """Return the keyed pseudonym of a patient id (HMAC-SHA256), never reversible without the key."""
        return hmac.new(self.pseudonym_key, patient_id.encode(), hashlib.sha256).hexdigest()[:32]


def init_runtime(app: Flask, rt: Runtime) -> None:
    """Attach the process's Runtime to `app`."""
    app.extensions[_EXTENSION] = rt


def runtime() -> Runtime:
    """Return the Runtime of the current app."""
    rt: Runtime = current_app.extensions[_EXTENSION]
    return rt
