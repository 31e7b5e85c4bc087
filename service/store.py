"""The feedback, audit and JWT-replay store: SQLAlchemy Core over SQLite (default, WAL) or PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import IntegrityError, InterfaceError, InternalError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from cds_hooks.models import Feedback
from service.store_feedback import feedback_export, feedback_row
from service.store_insert import PreparedInsert
from service.store_lock import WriteLock, sqlite_file_path, sqlite_lock_path
from service.store_schema import audit_table, feedback_table, jti_table, metadata

SQLITE_BUSY_TIMEOUT_MS = 15000  # how long a write waits for another's lock before failing (PostgreSQL too)
JTI_PURGE_INTERVAL_SECONDS = 60  # expired replay-cache entries are deleted at most this often per process

# The PostgreSQL advisory lock every process takes to create or upgrade the schema ("ivigcds" in hex).
_SCHEMA_LOCK_KEY = 0x69766967636473

# Built once: a statement made per call costs more in SQLAlchemy's cache-key work than SQLite's insert.
_INSERT_AUDIT = insert(audit_table)
_INSERT_JTI = insert(jti_table)


class StoreError(Exception):
    """The store could not be reached or written."""


class StoreUnavailable(StoreError):
    """The store cannot take a write now (read-only, locked past the busy timeout, gone): retry later."""


# What a database raises when it cannot take a write at all (as opposed to refusing one row, IntegrityError):
# SQLite "readonly database", "database is locked", disk I/O; PostgreSQL read-only transaction, lost server.
_CANNOT_WRITE = (OperationalError, InternalError, InterfaceError, PoolTimeout)


@dataclass(frozen=True)
class AuditRecord:
    """One hook call as the audit trail keeps it: no raw patient id, no token."""

    service_id: str
    hook_instance: str
    status: int
    outcome: str | None
    card_uuids: list[str]
    rules_version: str | None
    duration_ms: int
    patient_pseudonym: str | None
    client_issuer: str | None
    # Governance detail (all optional, so records built before it still store):
    hook: str | None = None
    tenant: str | None = None
    silent: bool | None = None
    reason: str | None = None
    fhir_reads: int | None = None
    fhir_failures: int | None = None
    from_prefetch: int | None = None
    token_used: bool | None = None
    cards_detail: list[dict[str, Any]] | None = None
    criteria: dict[str, str] | None = None
    created_at: datetime | None = None  # when the call arrived; default: when the record is written


def _audit_row(record: AuditRecord, now: datetime) -> dict[str, Any]:
    """Return the table row of one audit record (lists and maps as JSON text)."""
    row = dict(record.__dict__)
    row["card_uuids"] = _json_text(record.card_uuids)
    row["cards_detail"] = None if record.cards_detail is None else _json_text(record.cards_detail)
    row["criteria"] = None if record.criteria is None else _json_text(record.criteria)
    row["created_at"] = record.created_at or now
    return row


def _json_text(value: object) -> str:
    """Return `json.dumps(value)`, the empty list (most calls show no card) without the encoder."""
    return "[]" if value == [] else json.dumps(value)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Store:
    """Feedback, audit and replay records in one SQL database."""

    def __init__(self, url: str) -> None:
        self.engine = _create_engine(url)
        # SQLite has one writer at a time; our writers (all threads, all processes) queue on a lock
        # instead of in SQLite's busy handler, which sleeps 1, 2, 5, 10... ms between retries.
        self._write_lock: WriteLock | None = (
            WriteLock(sqlite_lock_path(self.engine.url.database))
            if self.engine.dialect.name == "sqlite"
            else None
        )
        self._next_jti_purge = datetime.min.replace(tzinfo=UTC)
        # SQLite: audit batches skip Core's per-row parameter building (same SQL, same driver values).
        self._audit_insert = (
            PreparedInsert(audit_table, [f.name for f in fields(AuditRecord)], self.engine.dialect)
            if self.engine.dialect.name == "sqlite"
            else None
        )

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """Return a connection in a write transaction, committed on exit (one writer a process on SQLite).

        Raises StoreUnavailable when the database cannot take the write; IntegrityError passes through.
        """
        try:
            with self._write_lock.held() if self._write_lock else nullcontext(), self.engine.begin() as conn:
                yield conn
        except _CANNOT_WRITE as exc:
            raise StoreUnavailable(f"the store cannot take a write: {exc.__class__.__name__}") from exc

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        if self._write_lock is not None:
            self._write_lock.close()

    def create_schema(self) -> None:
        """Create the tables if they do not exist."""
        from service.store_upgrade import upgrade_schema

        try:
            with self._schema_lock():
                metadata.create_all(self.engine)
                upgrade_schema(self.engine, metadata)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot create the store schema: {exc.__class__.__name__}") from exc

    @contextmanager
    def _schema_lock(self) -> Iterator[None]:
        """Hold off every other process creating or upgrading the schema (all workers do it as they start).

        Without it, workers starting together on an empty database race on CREATE TABLE and the losers
        fail (PostgreSQL: IntegrityError; SQLite: "table already exists"), which stops gunicorn.
        """
        if self._write_lock is not None:
            with self._write_lock.held():
                yield
        elif self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _SCHEMA_LOCK_KEY})
                    conn.commit()
        else:
            yield

    def ping(self) -> bool:
        """Return True when the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def save_feedback(
        self,
        service_id: str,
        items: list[Feedback],
        *,
        client: tuple[str | None, str | None] = (None, None),
        received_at: datetime | None = None,
    ) -> int:
        """Store feedback items idempotently; return how many were new. `client` is (issuer, tenant)."""
        new = 0
        with self._writing() as conn:
            for item in items:
                row = feedback_row(service_id, item) | {"client_issuer": client[0], "tenant": client[1]}
                if received_at is not None:
                    row["received_at"] = received_at
                try:
                    with conn.begin_nested():
                        conn.execute(insert(feedback_table).values(**row))
                    new += 1
                except IntegrityError:
                    continue
        return new

    def load_feedback(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Yield every stored feedback record (oldest first) as plain data for export."""
        query = select(feedback_table).order_by(feedback_table.c.id)
        if since is not None:
            query = query.where(feedback_table.c.received_at >= since)
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                yield feedback_export(row)

    def save_audit(self, record: AuditRecord) -> None:
        """Append one audit record."""
        self.save_audit_batch([record])

    def save_audit_batch(self, records: list[AuditRecord]) -> None:
        """Append audit records in one transaction; raise StoreError when the database refuses."""
        now = _utcnow()
        rows = [_audit_row(r, now) for r in records]
        try:
            with self._writing() as conn:
                if self._audit_insert is not None and rows:
                    self._audit_insert.execute(conn, rows)
                else:
                    conn.execute(_INSERT_AUDIT, rows)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot store audit records: {exc.__class__.__name__}") from exc

    def load_audit(self) -> list[dict[str, Any]]:
        """Return every audit record, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_table).order_by(audit_table.c.id)).mappings()
            return [dict(row) | {"card_uuids": json.loads(row["card_uuids"])} for row in rows]

    def save_jti_once(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        """Record a token id; return False when it was already seen and is unexpired (a replay).

        One write per call: expired ids are purged at most every JTI_PURGE_INTERVAL seconds per
        process, and an id whose old record has expired (not yet purged) takes that record over.
        """
        now = _utcnow()
        if now >= self._next_jti_purge:
            self._next_jti_purge = now + timedelta(seconds=JTI_PURGE_INTERVAL_SECONDS)
            self.purge_expired_jti()
        try:
            with self._writing() as conn:
                conn.execute(_INSERT_JTI, {"issuer": issuer, "jti": jti, "expires_at": expires_at})
        except IntegrityError:
            with self._writing() as conn:
                taken_over = conn.execute(
                    update(jti_table)
                    .where(jti_table.c.issuer == issuer, jti_table.c.jti == jti, jti_table.c.expires_at < now)
                    .values(expires_at=expires_at)
                ).rowcount
            return taken_over == 1
        return True

    def purge_expired_jti(self) -> int:
        """Delete expired token ids; return how many."""
        with self._writing() as conn:
            return conn.execute(delete(jti_table).where(jti_table.c.expires_at < _utcnow())).rowcount


def _create_engine(url: str) -> Engine:
    """Return an engine; SQLite files get their directory created, WAL mode and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # A write waits at most as long for a lock as on SQLite, then fails (StoreUnavailable: 503).
        lock_wait = {"options": f"-c lock_timeout={SQLITE_BUSY_TIMEOUT_MS}"}
        connect_args = lock_wait if parsed.get_backend_name() == "postgresql" else {}
        return create_engine(url, pool_pre_ping=True, future=True, connect_args=connect_args)
    database_file = sqlite_file_path(parsed.database)
    if database_file is not None:
        database_file.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit does not wait for fsync (the WAL is synced at checkpoints); durable across
        # process crashes, the last commits may be lost on power failure. Production runs PostgreSQL.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    return engine
