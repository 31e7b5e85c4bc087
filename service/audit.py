"""The audit trail: one record per hook call (`build_audit_record`), queued in memory and written to the store
in batches, off the request path (`AuditTrail`).

Hook calls queued in memory and written to the store in batches, off the request path.

A clinician is waiting on every hook call, so its audit record is not written while they wait: a
background thread of each worker writes what is queued every `interval` seconds (or sooner when
`max_batch` records wait), in one transaction. `flush()` writes everything now; it runs at process
exit (a graceful gunicorn shutdown), so only a worker killed outright can lose the last fraction of a
second of records. A batch the store refuses is logged (without content) and dropped.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections import deque

from cds_hooks.models import CdsResponse, HookRequest
from service.logs import log
from service.store import AuditRecord, Store, StoreError


class AuditTrail:
    """A per-process queue of audit records with a background writer."""

    def __init__(self, store: Store, *, interval: float = 0.2, max_batch: int = 500) -> None:
        self._store = store
        self._interval = interval
        self._max_batch = max_batch
        self._queue: deque[AuditRecord] = deque()
        self._wake = threading.Event()
        self._flush_lock = threading.Lock()
        self._writer_pid: int | None = None
        self._start_lock = threading.Lock()
        atexit.register(self.flush)

    def record(self, entry: AuditRecord) -> None:
        """Queue one record; the writer thread stores it shortly."""
        self._queue.append(entry)
        self._ensure_writer()
        if len(self._queue) >= self._max_batch:
            self._wake.set()

    def flush(self) -> int:
        """Write every queued record now; return how many were written."""
        written = 0
        with self._flush_lock:
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), self._max_batch))]
                try:
                    self._store.save_audit_batch(batch)
                except StoreError:
                    log.error("audit batch not stored", extra={"event": "audit-error", "error": "StoreError"})
                    continue
                written += len(batch)
        return written

    def _ensure_writer(self) -> None:
        """Start this process's writer thread (again after a fork: threads do not survive one)."""
        if self._writer_pid == os.getpid():
            return
        with self._start_lock:
            if self._writer_pid != os.getpid():
                self._writer_pid = os.getpid()
                threading.Thread(target=self._run, name="audit-writer", daemon=True).start()

    def _run(self) -> None:
        """Write queued records every interval, or sooner when a batch fills up."""
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            self.flush()


def build_audit_record(
    service_id: str,
    hook_request: HookRequest,
    response: CdsResponse | None,
    *,
    status: int,
    duration_ms: int,
    rules_version: str | None,
    patient_pseudonym: str,
    client_issuer: str | None,
) -> AuditRecord:
    """Return the audit record of one hook call (pseudonymised patient, no token, no body)."""
    return AuditRecord(
        service_id=service_id,
        hook_instance=hook_request.hook_instance,
        status=status,
        outcome=extract_outcome_code(response),
        card_uuids=[c.uuid for c in (response.cards if response else ()) if c.uuid],
        rules_version=rules_version,
        duration_ms=duration_ms,
        patient_pseudonym=patient_pseudonym,
        client_issuer=client_issuer,
    )


def extract_outcome_code(response: CdsResponse | None) -> str | None:
    """Return the outcome code of the response's first card ('no-card' for an empty answer)."""
    if response is None:
        return None
    for card in response.cards:
        if card.source.topic is not None:
            return card.source.topic.code
    return "no-card" if not response.cards else "card"
